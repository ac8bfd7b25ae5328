package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tidemark/tidemark/specs/v1alpha1"
)

// sizes are the numbers of Database specs per run.
var sizes = []int{10, 100, 1000}

// stateNamespace holds the state ConfigMaps of `tidemark apply` (the
// default of its --namespace).
const stateNamespace = "tidemark-system"

// stepTimeout bounds one apply; generous, since timing is reported, not asserted.
const stepTimeout = 10 * time.Minute

var (
	rows   []row // every measured step of this process, in order
	runSeq atomic.Int64
)

// BenchmarkApply applies N specs with `tidemark apply` and with
// `kubectl apply --server-side`, each as a child process into namespaces of
// its own: a first apply, then a no-op re-apply of the same folder. It
// prints the steps side by side at the end.
func BenchmarkApply(b *testing.B) {
	e := apiServer(b)
	scraper, err := newMetricsScraper(e.Config)
	if err != nil {
		b.Fatal(err)
	}
	m := &meter{scraper: scraper, client: e.Client}
	tidemark := newTidemark(b)
	kubectl := newKubectl(b, e.KubectlPath())

	first := len(rows)
	for _, n := range sizes {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			b.Run("tool=tidemark", func(b *testing.B) { benchTidemark(b, m, tidemark, n) })
			b.Run("tool=kubectl", func(b *testing.B) { benchKubectl(b, m, kubectl, n) })
		})
	}
	printTable(os.Stdout, rows[first:])
}

func benchTidemark(b *testing.B, m *meter, tidemark *runner, n int) {
	var sums stepSums
	for range b.N {
		b.StopTimer()
		prefix := fmt.Sprintf("tm-n%d-r%d", n, runSeq.Add(1))
		dir := b.TempDir()
		if err := writeFiles(dir, specFiles(prefix, n)); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()

		// A sync of its own per run, so that runs never prune each other.
		// The CRD is installed already (by testenv), as it is for kubectl.
		apply := tidemark.command("apply", "--dir", dir, "--kubeconfig", kubeconfig,
			"--sync-name", prefix, "--install-crd=false")
		firstApply := m.child(b, "tidemark", n, "first apply", apply)
		if got := databasesIn(m.after, prefix); got != n {
			b.Fatalf("tidemark first apply: %d Databases in the namespaces of %s, want %d", got, prefix, n)
		}
		noop := m.child(b, "tidemark", n, "no-op re-apply", apply)

		// The target that is behaviour, not timing: a no-op re-apply writes
		// nothing, by the server's count, by the objects themselves and by
		// tidemark's own account.
		if noop.Write.Real != 0 || noop.Write.DryRun != 0 || noop.Changed != 0 || noop.SelfReported != 0 {
			b.Fatalf("tidemark no-op re-apply of %d specs wrote: %g API writes, %g dry-run writes, %d objects changed, %d self-reported (%s)",
				n, noop.Write.Real, noop.Write.DryRun, noop.Changed, noop.SelfReported, noop.Write)
		}
		sums.add(firstApply, noop)
	}
	sums.report(b)
}

func benchKubectl(b *testing.B, m *meter, kubectl *runner, n int) {
	var sums stepSums
	for range b.N {
		b.StopTimer()
		prefix := fmt.Sprintf("kc-n%d-r%d", n, runSeq.Add(1))
		dir := b.TempDir()
		files := specFiles(prefix, n)
		// kubectl creates no namespaces by itself; the file sorts first so
		// they exist before the Databases in them.
		files["00-namespaces.yaml"] = namespaceManifests(prefix)
		if err := writeFiles(dir, files); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()

		apply := kubectl.command("apply", "--server-side", "--field-manager=kubectl-bench", "-R", "-f", dir)
		firstApply := m.child(b, "kubectl", n, "first apply", apply)
		if got := databasesIn(m.after, prefix); got != n {
			b.Fatalf("kubectl first apply: %d Databases in the namespaces of %s, want %d", got, prefix, n)
		}
		noop := m.child(b, "kubectl", n, "no-op re-apply", apply)
		sums.add(firstApply, noop)
	}
	sums.report(b)
}

// runner runs one tool's binary with a home and caches of its own.
type runner struct {
	path string
	args []string // before the command's own
	env  []string
}

// command returns a function making the command anew for each run.
func (r *runner) command(args ...string) func(context.Context) *exec.Cmd {
	return func(ctx context.Context) *exec.Cmd {
		cmd := exec.CommandContext(ctx, r.path, append(append([]string{}, r.args...), args...)...)
		cmd.Env = append(os.Environ(), r.env...)
		return cmd
	}
}

var tidemarkOnce, kubectlOnce lazyRunner

// lazyRunner makes a runner once per process.
type lazyRunner struct {
	gosync.Once
	runner *runner
	err    error
}

// newTidemark builds the tidemark binary from this module, once.
func newTidemark(b *testing.B) *runner {
	b.Helper()
	tidemarkOnce.Do(func() {
		home := filepath.Join(tempRoot, "tidemark-home")
		bin := filepath.Join(tempRoot, "bin", "tidemark")
		goTool, err := exec.LookPath("go")
		if err != nil {
			tidemarkOnce.err = err
			return
		}
		cmd := exec.Command(goTool, "build", "-trimpath", "-o", bin, "github.com/tidemark/tidemark/cmd/tidemark")
		if out, err := cmd.CombinedOutput(); err != nil {
			tidemarkOnce.err = fmt.Errorf("building cmd/tidemark: %w\n%s", err, out)
			return
		}
		tidemarkOnce.err = os.MkdirAll(home, 0o700)
		tidemarkOnce.runner = &runner{path: bin, env: []string{
			"HOME=" + home, "KUBECONFIG=" + kubeconfig, "TIDEMARK_CACHE=" + filepath.Join(home, "cache"),
		}}
	})
	if tidemarkOnce.err != nil {
		b.Fatal(tidemarkOnce.err)
	}
	return tidemarkOnce.runner
}

// newKubectl returns a runner of the kubectl built beside the API server.
// Its discovery cache is warmed once, outside any measurement, as a kubectl
// user's usually is: kubectl is measured at its best.
func newKubectl(b *testing.B, path string) *runner {
	b.Helper()
	kubectlOnce.Do(func() {
		home := filepath.Join(tempRoot, "kubectl-home")
		if kubectlOnce.err = os.MkdirAll(home, 0o700); kubectlOnce.err != nil {
			return
		}
		r := &runner{
			path: path,
			args: []string{"--kubeconfig", kubeconfig, "--cache-dir", filepath.Join(home, "cache")},
			env:  []string{"HOME=" + home, "KUBECONFIG=" + kubeconfig},
		}
		cmd := r.command("api-resources")(context.Background())
		if out, err := cmd.CombinedOutput(); err != nil {
			kubectlOnce.err = fmt.Errorf("kubectl api-resources: %w\n%s", err, out)
			return
		}
		kubectlOnce.runner = r
	})
	if kubectlOnce.err != nil {
		b.Fatal(kubectlOnce.err)
	}
	return kubectlOnce.runner
}

// meter measures steps: wall time, the API server's write count, object
// changes and peak RSS.
type meter struct {
	scraper *metricsScraper
	client  client.Client
	// after is the object snapshot taken after the last step.
	after snapshot
}

// tidemarkSummary is the last line of `tidemark apply`.
var tidemarkSummary = regexp.MustCompile(`(?m)^revision \S+ applied: (\d+) writes`)

// child measures one run of a child process: its wall time from start to
// exit, and its own peak RSS.
func (m *meter) child(b *testing.B, tool string, n int, step string, newCmd func(context.Context) *exec.Cmd) row {
	b.Helper()
	before, objects := m.begin(b)

	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	cmd := newCmd(ctx)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		b.Fatalf("%s %s of %d specs: %v\nstdout: %s\nstderr: %s", tool, step, n, err,
			tail(stdout.String(), 2000), tail(stderr.String(), 4000))
	}

	self := -1
	if match := tidemarkSummary.FindStringSubmatch(stdout.String()); match != nil {
		self, _ = strconv.Atoi(match[1])
	} else if tool == "tidemark" {
		b.Fatalf("tidemark %s printed no summary line:\n%s", step, tail(stdout.String(), 2000))
	}

	r := row{Tool: tool, N: n, Step: step, Wall: wall, SelfReported: self,
		PeakRSSKiB: childMaxRSS(cmd.ProcessState)}
	return m.end(b, r, before, objects)
}

func (m *meter) begin(b *testing.B) (Requests, snapshot) {
	b.Helper()
	b.StopTimer()
	defer b.StartTimer()
	objects := m.snapshot(b)
	before, err := m.scraper.Scrape(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	return before, objects
}

func (m *meter) end(b *testing.B, r row, before Requests, objects snapshot) row {
	b.Helper()
	b.StopTimer()
	defer b.StartTimer()
	m.after = m.snapshot(b)
	changed := objects.changed(m.after)
	r.Changed = len(changed)
	// The server counts a request when its handler returns, which can be a
	// moment after the client has the response.
	time.Sleep(200 * time.Millisecond)
	after, err := m.scraper.Scrape(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	r.Write = after.Sub(before)
	b.Logf("%s N=%d %s: %.2fs, API writes: %s", r.Tool, r.N, r.Step, r.Wall.Seconds(), r.Write)
	if r.Step != "first apply" && len(changed) > 0 {
		b.Logf("%s N=%d %s changed %d objects, e.g. %s", r.Tool, r.N, r.Step, len(changed),
			strings.Join(changed[:min(5, len(changed))], ", "))
	}
	rows = append(rows, r)
	return r
}

// snapshot maps every Database, Namespace and tidemark state ConfigMap
// (kind/namespace/name) to its resourceVersion.
type snapshot map[string]string

func (m *meter) snapshot(b *testing.B) snapshot {
	b.Helper()
	ctx := context.Background()
	s := snapshot{}
	var dbs v1alpha1.DatabaseList
	if err := m.client.List(ctx, &dbs); err != nil {
		b.Fatal(err)
	}
	for _, o := range dbs.Items {
		s["Database/"+o.Namespace+"/"+o.Name] = o.ResourceVersion
	}
	var nss corev1.NamespaceList
	if err := m.client.List(ctx, &nss); err != nil {
		b.Fatal(err)
	}
	for _, o := range nss.Items {
		s["Namespace/"+o.Name] = o.ResourceVersion
	}
	var cms corev1.ConfigMapList
	if err := m.client.List(ctx, &cms, client.InNamespace(stateNamespace)); err != nil {
		b.Fatal(err)
	}
	for _, o := range cms.Items {
		s["ConfigMap/"+o.Namespace+"/"+o.Name] = o.ResourceVersion
	}
	return s
}

// changed lists objects created, updated or deleted between s and after.
func (s snapshot) changed(after snapshot) []string {
	var keys []string
	for key, rv := range after {
		if s[key] != rv {
			keys = append(keys, key)
		}
	}
	for key := range s {
		if _, ok := after[key]; !ok {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	return keys
}

// databasesIn counts the Databases in the namespaces of prefix.
func databasesIn(s snapshot, prefix string) int {
	n := 0
	for key := range s {
		if strings.HasPrefix(key, "Database/"+prefix+"-ns") {
			n++
		}
	}
	return n
}

// stepSums averages the steps of b.N runs into benchmark metrics.
type stepSums struct {
	runs        int
	first, noop row
}

func (s *stepSums) add(first, noop row) {
	s.runs++
	for _, p := range []struct{ sum, r *row }{{&s.first, &first}, {&s.noop, &noop}} {
		p.sum.Wall += p.r.Wall
		p.sum.Write.Real += p.r.Write.Real
		p.sum.Write.DryRun += p.r.Write.DryRun
		p.sum.PeakRSSKiB = max(p.sum.PeakRSSKiB, p.r.PeakRSSKiB)
	}
}

func (s *stepSums) report(b *testing.B) {
	if s.runs == 0 {
		return
	}
	runs := float64(s.runs)
	b.ReportMetric(s.first.Wall.Seconds()/runs, "first-s")
	b.ReportMetric(s.first.Write.Real/runs, "first-writes")
	b.ReportMetric(s.first.Write.DryRun/runs, "first-dryrun-writes")
	b.ReportMetric(mib(s.first.PeakRSSKiB), "first-peak-MiB")
	b.ReportMetric(s.noop.Wall.Seconds()/runs, "noop-s")
	b.ReportMetric(s.noop.Write.Real/runs, "noop-writes")
	b.ReportMetric(s.noop.Write.DryRun/runs, "noop-dryrun-writes")
	b.ReportMetric(mib(s.noop.PeakRSSKiB), "noop-peak-MiB")
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
