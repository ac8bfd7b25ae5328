// Package scenarios is tidemark's end-to-end resilience suite. The specs
// live in scenarios/e2e (build tag e2e); the packages beside it are its
// parts: faults (Chaos Mesh objects and their executor), ledger (the
// write ledger), watch (the single-primary watch) and report (JSON,
// markdown and SVG). This file holds the suite's one table of timeouts.
package scenarios

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// TimeoutsEnv overrides entries of the table: "failover=90s,rejoin=5m".
const TimeoutsEnv = "TIDEMARK_E2E_TIMEOUTS"

// Timeouts are every wait of the suite, by name.
type Timeouts map[string]time.Duration

// DefaultTimeouts is the table. Each entry bounds one wait; none is an
// expectation of speed (the measured figures go to the report).
func DefaultTimeouts() Timeouts {
	return Timeouts{
		// ready: a database from its first commit to every member ready
		// (image already on the nodes).
		"ready": 10 * time.Minute,
		// failover: the fault's start (or its end, for faults that last)
		// to a write acknowledged by a primary.
		"failover": 60 * time.Second,
		// rejoin: the fault's end to the faulted member streaming again;
		// a stopped node has to boot and its kubelet to restart the pod.
		"rejoin": 4 * time.Minute,
		// fault: how long zone and partition faults last.
		"fault": 30 * time.Second,
		// settle: writes recorded before a fault and after recovery.
		"settle": 3 * time.Second,
		// converge: a commit pushed to the config repo until every
		// member serves it.
		"converge": 5 * time.Minute,
		// verify: reading the ledger back after a fault.
		"verify": 60 * time.Second,
	}
}

// Get returns the named timeout; a name not in the table is a bug in the suite.
func (t Timeouts) Get(name string) time.Duration {
	d, ok := t[name]
	if !ok {
		panic(fmt.Sprintf("no timeout named %q", name))
	}
	return d
}

// Override applies a TimeoutsEnv value to a copy of the table. Unknown
// names and bad durations are errors, so a typo cannot pass unnoticed.
func (t Timeouts) Override(spec string) (Timeouts, error) {
	out := maps.Clone(t)
	for _, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		name, value, ok := strings.Cut(entry, "=")
		if !ok {
			return nil, fmt.Errorf("%s: %q is not name=duration", TimeoutsEnv, entry)
		}
		if _, known := out[name]; !known {
			return nil, fmt.Errorf("%s: unknown timeout %q (known: %s)", TimeoutsEnv, name, strings.Join(slices.Sorted(maps.Keys(out)), ", "))
		}
		d, err := time.ParseDuration(value)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("%s: %s=%q is not a positive duration", TimeoutsEnv, name, value)
		}
		out[name] = d
	}
	return out, nil
}
