package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"k8s.io/client-go/rest"
)

// Requests are the API server's own request counts
// (apiserver_request_total), keyed by their labels.
type Requests map[requestKey]float64

type requestKey struct {
	Verb, DryRun, Group, Resource, Subresource, Code string
}

// writeVerbs are the verbs of apiserver_request_total that change state.
// Server-side apply is counted as APPLY, not PATCH.
var writeVerbs = map[string]bool{
	"POST": true, "PUT": true, "PATCH": true, "APPLY": true, "DELETE": true, "DELETECOLLECTION": true,
}

// benchResources are the resources either tool writes: the Databases, their
// namespaces, tidemark's state ConfigMap, and the CRD (which tidemark
// installs unless told not to). Writes to anything else (the
// API server's own leases, endpoints, CRD status) are background noise of
// the server and reported apart.
var benchResources = map[string]bool{
	"tidemark.dev/databases": true,
	"/namespaces":            true,
	"/configmaps":            true,
	"apiextensions.k8s.io/customresourcedefinitions": true, // tidemark apply --install-crd
}

// Writes sums the delta of write requests between two scrapes.
type Writes struct {
	// Real are write requests that were not dry runs.
	Real float64
	// DryRun are write requests with ?dryRun=All: admitted, never persisted.
	DryRun float64
	// Other are write requests to resources neither tool touches (the API
	// server's own leases, for example), by verb and resource.
	Other   float64
	OtherBy map[string]float64
	// ByVerb breaks Real and DryRun down, e.g. "APPLY databases 201".
	ByVerb map[string]float64
}

// Sub returns the write requests counted in r and not in before.
func (r Requests) Sub(before Requests) Writes {
	w := Writes{ByVerb: map[string]float64{}, OtherBy: map[string]float64{}}
	for key, value := range r {
		delta := value - before[key]
		if delta == 0 || !writeVerbs[key.Verb] {
			continue
		}
		switch {
		case !benchResources[key.Group+"/"+key.Resource]:
			w.Other += delta
			w.OtherBy[strings.TrimSpace(key.Verb+" "+key.Resource+" "+key.Subresource)] += delta
			continue
		case key.DryRun != "":
			w.DryRun += delta
		default:
			w.Real += delta
		}
		label := fmt.Sprintf("%s %s %s", key.Verb, key.Resource, key.Code)
		if key.Subresource != "" {
			label = fmt.Sprintf("%s %s/%s %s", key.Verb, key.Resource, key.Subresource, key.Code)
		}
		if key.DryRun != "" {
			label += " dryRun=" + key.DryRun
		}
		w.ByVerb[label] += delta
	}
	return w
}

// String lists the breakdown in a stable order.
func (w Writes) String() string {
	s := breakdown(w.ByVerb)
	if w.Other != 0 {
		s += "; not counted, other resources: " + w.OtherString()
	}
	return s
}

// OtherString lists the writes to other resources.
func (w Writes) OtherString() string { return breakdown(w.OtherBy) }

func breakdown(counts map[string]float64) string {
	labels := make([]string, 0, len(counts))
	for label := range counts {
		labels = append(labels, label)
	}
	sort.Strings(labels)
	parts := make([]string, len(labels))
	for i, label := range labels {
		parts[i] = fmt.Sprintf("%s: %g", label, counts[label])
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// metricsScraper reads /metrics of the API server.
type metricsScraper struct {
	url    string
	client *http.Client
}

func newMetricsScraper(cfg *rest.Config) (*metricsScraper, error) {
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	return &metricsScraper{url: strings.TrimSuffix(cfg.Host, "/") + "/metrics", client: httpClient}, nil
}

// Scrape returns the current request counts.
func (s *metricsScraper) Scrape(ctx context.Context) (Requests, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %.200s", s.url, resp.Status, body)
	}
	return parseRequests(body)
}

var labelPair = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)

// parseRequests picks apiserver_request_total out of the text exposition
// format. It needs no more than the labels of one metric, so a few lines
// do instead of a dependency on the Prometheus parser.
func parseRequests(body []byte) (Requests, error) {
	const name = "apiserver_request_total{"
	requests := Requests{}
	sawDryRunLabel := false
	scanner := bufio.NewScanner(bytes.NewReader(body))
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	for scanner.Scan() {
		line := scanner.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		end := strings.LastIndexByte(line, '}')
		if end < 0 {
			return nil, fmt.Errorf("malformed metric line %q", line)
		}
		value, err := strconv.ParseFloat(strings.TrimSpace(line[end+1:]), 64)
		if err != nil {
			return nil, fmt.Errorf("malformed metric line %q: %w", line, err)
		}
		labels := map[string]string{}
		for _, m := range labelPair.FindAllStringSubmatch(line[len(name):end], -1) {
			labels[m[1]] = m[2]
		}
		if _, ok := labels["dry_run"]; ok {
			sawDryRunLabel = true
		}
		key := requestKey{
			Verb: labels["verb"], DryRun: labels["dry_run"], Group: labels["group"],
			Resource: labels["resource"], Subresource: labels["subresource"], Code: labels["code"],
		}
		requests[key] += value
	}
	if err := scanner.Err(); err != nil {
		return nil, err
	}
	if len(requests) == 0 {
		return nil, fmt.Errorf("no apiserver_request_total in /metrics")
	}
	if !sawDryRunLabel {
		// Without the label, dry runs would silently count as real writes.
		return nil, fmt.Errorf("apiserver_request_total has no dry_run label: dry runs cannot be told from writes")
	}
	return requests, nil
}
