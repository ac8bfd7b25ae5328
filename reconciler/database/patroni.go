package database

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"

	"k8s.io/client-go/kubernetes"

	"github.com/tidemark/tidemark/reconciler/database/render"
	"github.com/tidemark/tidemark/specs/v1alpha1"
)

// Patroni talks to the Patroni REST API of a member through the API
// server's pod proxy, so tidemark needs no route to pod addresses: it works
// the same from inside the cluster and from a laptop next to a kind cluster.
type Patroni struct {
	Clientset kubernetes.Interface
}

// dynamicConfig is the part of Patroni's cluster-wide configuration that
// tidemark manages.
type dynamicConfig struct {
	SynchronousMode bool `json:"synchronous_mode"`
	PostgreSQL      struct {
		Parameters map[string]any `json:"parameters"`
	} `json:"postgresql"`
}

func (p *Patroni) request(ctx context.Context, verb, namespace, pod, path string, body []byte) ([]byte, error) {
	req := p.Clientset.CoreV1().RESTClient().Verb(verb).
		Namespace(namespace).Resource("pods").Name(fmt.Sprintf("%s:%d", pod, render.PatroniPort)).
		SubResource("proxy").Suffix(path)
	if body != nil {
		req = req.SetHeader("Content-Type", "application/json").Body(body)
	}
	out, err := req.DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s %s on %s/%s: %w", verb, path, namespace, pod, err)
	}
	return out, nil
}

// syncConfig makes Patroni's dynamic configuration match db: the spec's
// parameters and synchronous mode. Patroni then reloads every member, or
// marks them for a restart where PostgreSQL needs one. It returns whether
// it changed anything.
func (p *Patroni) syncConfig(ctx context.Context, db *v1alpha1.Database, primary string) (bool, error) {
	raw, err := p.request(ctx, "GET", db.Namespace, primary, "config", nil)
	if err != nil {
		return false, err
	}
	var current dynamicConfig
	if err := json.Unmarshal(raw, &current); err != nil {
		return false, fmt.Errorf("decoding Patroni's configuration: %w", err)
	}

	patch, changed := configPatch(current, render.Parameters(db), db.Spec.Replication.Synchronous)
	if !changed {
		return false, nil
	}
	body, err := json.Marshal(patch)
	if err != nil {
		return false, err
	}
	_, err = p.request(ctx, "PATCH", db.Namespace, primary, "config", body)
	return err == nil, err
}

// valueString prints a JSON value as PostgreSQL would read it: whole
// numbers without an exponent.
func valueString(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// configPatch is the JSON merge patch from current to the desired
// parameters and mode; a parameter the spec dropped is set to null, which
// makes Patroni remove it.
func configPatch(current dynamicConfig, desired map[string]string, synchronous bool) (map[string]any, bool) {
	params := map[string]any{}
	for name, value := range desired {
		if valueString(current.PostgreSQL.Parameters[name]) != value {
			params[name] = value
		}
	}
	for name := range maps.Keys(current.PostgreSQL.Parameters) {
		if _, keep := desired[name]; !keep {
			params[name] = nil
		}
	}

	patch := map[string]any{}
	if len(params) > 0 {
		patch["postgresql"] = map[string]any{"parameters": params}
	}
	if current.SynchronousMode != synchronous {
		patch["synchronous_mode"] = synchronous
	}
	return patch, len(patch) > 0
}

// clusterMember is one entry of Patroni's GET /cluster.
type clusterMember struct {
	Name     string `json:"name"`
	Role     string `json:"role"`
	State    string `json:"state"`
	Timeline int64  `json:"timeline"`
	// PendingRestart is set when a changed parameter needs a restart.
	PendingRestart bool `json:"pending_restart"`
	// Lag is in bytes for replicas; Patroni reports "unknown" when it
	// cannot tell, so it is decoded loosely.
	Lag any `json:"lag"`
}

// members asks Patroni, through the primary, for every member's timeline
// and replication lag.
func (p *Patroni) members(ctx context.Context, db *v1alpha1.Database, primary string) ([]clusterMember, error) {
	raw, err := p.request(ctx, "GET", db.Namespace, primary, "cluster", nil)
	if err != nil {
		return nil, err
	}
	var cluster struct {
		Members []clusterMember `json:"members"`
	}
	if err := json.Unmarshal(raw, &cluster); err != nil {
		return nil, fmt.Errorf("decoding Patroni's cluster view: %w", err)
	}
	return cluster.Members, nil
}

// addReplication copies timeline and lag from Patroni into the observation.
func addReplication(obs *observed, members []clusterMember) {
	byName := map[string]clusterMember{}
	for _, m := range members {
		byName[m.Name] = m
		if m.Name == obs.primary {
			obs.timeline = m.Timeline
		}
	}
	for i := range obs.members {
		m, ok := byName[obs.members[i].Name]
		if lag, isNumber := m.Lag.(float64); ok && isNumber && obs.members[i].Name != obs.primary {
			bytes := int64(lag)
			obs.members[i].LagBytes = &bytes
		}
	}
}

// allRunning reports whether Patroni sees every member running PostgreSQL.
func allRunning(members []clusterMember) bool {
	for _, m := range members {
		if m.State != "running" && m.State != "streaming" {
			return false
		}
	}
	return true
}

// restartPending restarts one member that Patroni marks pending restart,
// replicas before the primary, and only when every member is ready. It
// returns a message while a restart is under way.
func (p *Patroni) restartPending(ctx context.Context, db *v1alpha1.Database, obs observed, members []clusterMember) (string, error) {
	var pending []string
	for _, m := range members {
		if m.PendingRestart {
			pending = append(pending, m.Name)
		}
	}
	if len(pending) == 0 {
		return "", nil
	}
	// Pod readiness lags a restart by a probe period or more, so Patroni's
	// own word decides: a member that did not come back running stops the
	// sequence before another one goes down the same way.
	if countReady(obs.members) < int32(len(obs.members)) || !allRunning(members) {
		return "waiting for every member to run before the next restart", nil
	}

	// Replicas first: the primary restarts last, once the others run with
	// the new settings.
	next := pending[0]
	for _, name := range pending {
		if name != obs.primary {
			next = name
			break
		}
	}
	_, err := p.request(ctx, "POST", db.Namespace, next, "restart", []byte(`{}`))
	return "restarting " + next + " for a parameter that needs it", err
}
