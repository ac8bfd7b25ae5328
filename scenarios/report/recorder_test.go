package report

import (
	"sync"
	"testing"
	"time"
)

func TestRecorderMergesSameScenario(t *testing.T) {
	r := NewRecorder("smoke", "v1.2.3", time.Unix(0, 0))
	r.Add(Scenario{Name: "primary pod killed", Replication: "synchronous", Passed: true, Trials: []Trial{{Index: 1}}})
	r.Add(Scenario{Name: "primary pod killed", Replication: "asynchronous", Passed: true, Trials: []Trial{{Index: 1}}})
	r.Add(Scenario{Name: "primary pod killed", Replication: "synchronous", Passed: false, Failure: "first", Trials: []Trial{{Index: 2}}})
	r.Add(Scenario{Name: "primary pod killed", Replication: "synchronous", Passed: true, Failure: "second", Trials: []Trial{{Index: 3}}})

	run := r.Run(time.Unix(60, 0))
	if run.Label != "smoke" || run.Tidemark != "v1.2.3" || !run.Finished.Equal(time.Unix(60, 0)) {
		t.Errorf("run header = %q %q %v", run.Label, run.Tidemark, run.Finished)
	}
	if len(run.Scenarios) != 2 {
		t.Fatalf("got %d scenarios, want 2 (same name, different replication stay apart)", len(run.Scenarios))
	}

	synchronous := run.Scenarios[0]
	if len(synchronous.Trials) != 3 || synchronous.Trials[2].Index != 3 {
		t.Errorf("merged trials = %+v, want indexes 1, 2, 3", synchronous.Trials)
	}
	if synchronous.Passed {
		t.Error("merged scenario passed although one part failed")
	}
	if synchronous.Failure != "first" {
		t.Errorf("Failure = %q, want the first one", synchronous.Failure)
	}
	if !run.Scenarios[1].Passed {
		t.Error("the asynchronous scenario was changed by the synchronous ones")
	}
}

func TestRecorderRunIsACopy(t *testing.T) {
	r := NewRecorder("smoke", "v1", time.Unix(0, 0))
	r.Add(Scenario{Name: "zone stopped", Trials: []Trial{{Writes: []Write{{Seq: 1}}}}})

	first := r.Run(time.Unix(1, 0))
	first.Scenarios[0].Trials[0].Writes[0].Seq = 99
	r.Add(Scenario{Name: "zone stopped", Trials: []Trial{{}}})

	if len(first.Scenarios[0].Trials) != 1 {
		t.Error("Add changed an earlier copy")
	}
	if got := r.Run(time.Unix(1, 0)).Scenarios[0].Trials[0].Writes[0].Seq; got != 1 {
		t.Errorf("changing a copy reached the recorder: Seq = %d", got)
	}
}

func TestRecorderConcurrentAdds(t *testing.T) {
	r := NewRecorder("smoke", "v1", time.Unix(0, 0))
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			r.Add(Scenario{Name: "zone partitioned", Passed: true, Trials: []Trial{{Index: i}}})
		})
	}
	wg.Wait()

	if got := len(r.Run(time.Unix(1, 0)).Scenarios[0].Trials); got != 50 {
		t.Errorf("got %d trials, want 50", got)
	}
}
