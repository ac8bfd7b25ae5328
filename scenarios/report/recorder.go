package report

import (
	"maps"
	"slices"
	"sync"
	"time"
)

// Recorder collects scenarios as the specs finish them. It is safe for
// concurrent use, because Ginkgo may run specs in parallel.
type Recorder struct {
	mu        sync.Mutex
	label     string
	version   string
	started   time.Time
	scenarios []Scenario
}

// NewRecorder returns an empty Recorder for a run with the given label
// ("smoke", "nightly"), tidemark version and start time.
func NewRecorder(label, version string, started time.Time) *Recorder {
	return &Recorder{label: label, version: version, started: started}
}

// Add records a scenario. If one with the same Name and Replication is
// already recorded, the trials are appended to it, it passes only if both
// passed, and it keeps the first non-empty Failure; this lets a spec add its
// trials one at a time.
func (r *Recorder) Add(s Scenario) {
	// Copy first so the caller may reuse its slices and maps.
	s = cloneScenario(s)

	r.mu.Lock()
	defer r.mu.Unlock()

	i := slices.IndexFunc(r.scenarios, func(have Scenario) bool {
		return have.Name == s.Name && have.Replication == s.Replication
	})
	if i < 0 {
		r.scenarios = append(r.scenarios, s)
		return
	}

	have := &r.scenarios[i]
	have.Trials = append(have.Trials, s.Trials...)
	have.Passed = have.Passed && s.Passed
	if have.Failure == "" {
		have.Failure = s.Failure
	}
}

// Run returns a copy of everything recorded so far as a Run that finished
// at the given time. Later calls to Add do not change the copy.
func (r *Recorder) Run(finished time.Time) Run {
	r.mu.Lock()
	defer r.mu.Unlock()

	run := Run{
		Label:    r.label,
		Started:  r.started,
		Finished: finished,
		Tidemark: r.version,
	}
	for _, s := range r.scenarios {
		run.Scenarios = append(run.Scenarios, cloneScenario(s))
	}
	return run
}

// cloneScenario copies s down to its writes and extra figures, so that no
// slice or map is shared with the original.
func cloneScenario(s Scenario) Scenario {
	trials := s.Trials
	s.Trials = nil
	for _, t := range trials {
		t.Extra = maps.Clone(t.Extra)
		t.Writes = slices.Clone(t.Writes)
		s.Trials = append(s.Trials, t)
	}
	return s
}
