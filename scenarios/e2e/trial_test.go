//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tidemark/tidemark/scenarios/faults"
	"github.com/tidemark/tidemark/scenarios/ledger"
	"github.com/tidemark/tidemark/scenarios/report"
	"github.com/tidemark/tidemark/scenarios/watch"
)

// Sampling rates of the ledger and the single-primary watch.
const (
	writeInterval  = 50 * time.Millisecond
	sampleInterval = 250 * time.Millisecond
)

// activeFaults are the spec's injections, healed first when it fails or
// is interrupted, before artifacts are collected: collecting from a
// partitioned or stopped node waits on timeouts, and the fault must not
// outlast its duration meanwhile.
var activeFaults []*faults.Injection

// faultTrial describes one fault scenario on one database.
type faultTrial struct {
	scenario string
	db       scenarioDatabase
	// fault builds this trial's fault from where the members are now.
	fault func(ctx context.Context, t target, trial int) client.Object
	// affected names the member whose return as a streaming replica is
	// measured: the old primary, or the replica that was hit.
	affected func(t target, trial int) string
	// failover: the primary must end up on another member.
	failover bool
	// isolated: the old primary must stop accepting writes while the
	// fault lasts (it is cut off, not gone).
	isolated bool
}

// repeatTrials runs a scenario's trials on db and asserts, after
// recording each one for the report, what every scenario promises: no
// failed wait, no split brain and, under synchronous replication, no
// acknowledged write lost (the asynchronous database reports its loss).
func repeatTrials(ctx context.Context, name string, db scenarioDatabase, run func(ctx context.Context, index int) (report.Trial, error)) {
	sc := &report.Scenario{Name: name, Replication: db.replication(), Passed: true}
	DeferCleanup(func() {
		if r := CurrentSpecReport(); r.Failed() {
			sc.Passed, sc.Failure = false, r.FailureMessage()
		}
		suite.recorder.Add(*sc)
	})

	for i := 1; i <= suite.repeats; i++ {
		By(fmt.Sprintf("%s (%s): trial %d of %d", name, db.replication(), i, suite.repeats))
		trial, err := run(ctx, i)
		if trial.Acknowledged > 0 { // read back: its figures are measurements
			sc.Trials = append(sc.Trials, trial)
			logTrial(trial)
		}

		Expect(err).NotTo(HaveOccurred())
		Expect(trial.SplitBrain).To(BeZero(), "samples with two writable members")
		if db.synchronous {
			Expect(trial.Lost).To(BeZero(), "acknowledged writes lost under synchronous replication")
		}
	}
}

// runScenario repeats a fault trial.
func runScenario(ctx context.Context, ft faultTrial) {
	repeatTrials(ctx, ft.scenario, ft.db, func(ctx context.Context, index int) (report.Trial, error) {
		return runFaultTrial(ctx, ft, index)
	})
}

// runFaultTrial injects one fault while the ledger writes and the watch
// samples, heals it, and measures. It returns what it measured even when
// a wait failed, so the report has it.
func runFaultTrial(ctx context.Context, ft faultTrial, index int) (report.Trial, error) {
	trial := report.Trial{Index: index, Extra: map[string]float64{}}
	obs, err := startObservers(ctx, ft.db, fmt.Sprintf("%s-%d", ft.db.name, index))
	if err != nil {
		return trial, err
	}
	defer obs.stop()
	t := currentTarget(ctx, ft.db.name)
	trial.OldPrimary = t.primary

	inj, err := suite.executor.Inject(ctx, ft.fault(ctx, t, index))
	if err != nil {
		return trial, err
	}
	activeFaults = append(activeFaults, inj)
	DeferCleanup(func(ctx SpecContext) error { return inj.Heal(ctx) }, NodeTimeout(2*time.Minute))
	trial.Fault, trial.FaultStart = inj.Fault, inj.Started
	sleepUntil(ctx, inj.Due())
	if err := inj.Heal(ctx); err != nil {
		return trial, err
	}
	trial.FaultEnd = inj.Healed()

	var errs []error
	errs = append(errs, obs.waitWritesResume(ctx, trial.FaultStart, trial.FaultEnd))
	rejoined, err := obs.waitRejoin(ctx, ft.affected(t, index), trial.FaultStart)
	errs = append(errs, err)
	if err == nil {
		trial.Rejoin = rejoined.Sub(trial.FaultEnd)
	}

	errs = append(errs, obs.finish(ctx, &trial))
	trial.NewPrimary = leader(ctx, ft.db.name)
	if ft.failover && trial.NewPrimary == trial.OldPrimary {
		errs = append(errs, fmt.Errorf("the primary stayed on %s", trial.OldPrimary))
	}
	if ft.isolated {
		errs = append(errs, isolatedPrimaryStopped(obs.watcher.Rounds(), &trial))
	}
	return trial, errors.Join(errs...)
}

// isolatedPrimaryStopped checks that the cut-off primary stopped taking
// writes before the fault ended: after its last writable sample it must
// have been seen answering as not writable (in recovery, or PostgreSQL
// stopped by Patroni's demotion), not merely out of the probe's reach;
// it records how long it stayed writable.
func isolatedPrimaryStopped(rounds []watch.Round, trial *report.Trial) error {
	lastWritable, demoted := trial.FaultStart, false
	for _, r := range rounds {
		if !r.At.After(trial.FaultStart) || !r.At.Before(trial.FaultEnd) {
			continue
		}
		switch r.States[trial.OldPrimary] {
		case watch.Writable:
			lastWritable, demoted = r.At, false
		case watch.Recovering, watch.Streaming, watch.Down:
			demoted = true // answering, and not taking writes
		}
	}
	if !demoted {
		return fmt.Errorf("the isolated primary %s was not seen demoted before the partition ended", trial.OldPrimary)
	}
	trial.Extra["isolatedWritableSeconds"] = lastWritable.Sub(trial.FaultStart).Seconds()
	return nil
}

// observers are the ledger and the single-primary watch of one trial.
type observers struct {
	db      scenarioDatabase
	rw      string
	watcher *watch.Watcher
	ledger  *ledger.Ledger

	stopWatch, stopLedger context.CancelFunc
	watchDone, ledgerDone chan struct{}
}

// startObservers starts the watch, waits until the database is healthy
// (one writable member, the others streaming), then starts the ledger and
// lets it write for the settle time.
func startObservers(ctx context.Context, db scenarioDatabase, run string) (*observers, error) {
	o := &observers{db: db, rw: rwConnString(ctx, db.name), watchDone: make(chan struct{}), ledgerDone: make(chan struct{})}
	var mem []watch.Member
	err := waitFor(ctx, suite.timeouts.Get("rejoin"), "every member of "+db.name+" to have an address", func() bool {
		var err error
		mem, err = members(ctx, db.name)
		return err == nil
	})
	if err != nil {
		return nil, err
	}

	o.watcher = watch.New(mem, sampleInterval)
	watchCtx, stopWatch := context.WithCancel(ctx)
	o.stopWatch = stopWatch
	go func() { o.watcher.Run(watchCtx); close(o.watchDone) }()
	if err := o.waitHealthy(ctx); err != nil {
		o.stop()
		return nil, err
	}

	if err := ledger.Prepare(ctx, o.rw); err != nil {
		o.stop()
		return nil, err
	}
	o.ledger = ledger.New(o.rw, fmt.Sprintf("%s-%d", run, time.Now().UnixNano()), writeInterval)
	ledgerCtx, stopLedger := context.WithCancel(ctx)
	o.stopLedger = stopLedger
	go func() { o.ledger.Run(ledgerCtx); close(o.ledgerDone) }()
	sleep(ctx, suite.timeouts.Get("settle"))
	return o, nil
}

// waitHealthy waits for a round with exactly one writable member, the
// one Patroni names leader, every other member streaming and, under
// synchronous replication, a synchronous standby settled in Patroni's key.
func (o *observers) waitHealthy(ctx context.Context) error {
	return waitFor(ctx, suite.timeouts.Get("rejoin"), "one primary and every replica streaming", func() bool {
		r, ok := watch.Current(o.watcher.Rounds())
		if !ok || len(r.Writable()) != 1 || r.Writable()[0] != leader(ctx, o.db.name) {
			return false
		}
		if o.db.synchronous && r.States[syncStandby(ctx, o.db.name)] != watch.Streaming {
			return false
		}
		for _, s := range r.States {
			if s != watch.Writable && s != watch.Streaming {
				return false
			}
		}
		return settled(ctx, o.db.name)
	})
}

// waitWritesResume waits until the first outage since the fault started
// has ended, or, when writes never stopped, until they have gone on for
// the settle time after the fault ended. A dying primary acknowledges
// writes for a moment after an instant fault, so "a write after the
// fault" alone would prove nothing.
func (o *observers) waitWritesResume(ctx context.Context, faultStart, faultEnd time.Time) error {
	settle := suite.timeouts.Get("settle")
	return waitFor(ctx, suite.timeouts.Get("failover"), "writes to be acknowledged again after the fault", func() bool {
		writes := o.ledger.Writes()
		if outage, found := ledger.FirstOutage(writes, faultStart); found {
			return outage.Ended
		}
		return ledger.AcknowledgedAfter(writes, faultEnd.Add(settle))
	})
}

// waitRejoin waits until member, seen disrupted after the fault started,
// serves again: as a streaming replica, or as the primary when Patroni
// gave it back its own unexpired leader key (a pod recreated within the
// ttl does that). A sample of the dying member taken just after the fault
// must not count as its return.
func (o *observers) waitRejoin(ctx context.Context, member string, faultStart time.Time) (time.Time, error) {
	var down, back time.Time
	err := waitFor(ctx, suite.timeouts.Get("rejoin"), member+" to go down and serve again", func() bool {
		rounds := o.watcher.Rounds()
		var ok bool
		if down, ok = watch.FirstDisrupted(rounds, member, faultStart); !ok {
			return false
		}
		back, ok = watch.FirstInState(rounds, member, down, watch.Streaming, watch.Writable)
		return ok
	})
	if err != nil && down.IsZero() {
		err = fmt.Errorf("%w: it was never seen down", err)
	}
	return back, err
}

// finish lets the ledger write a little longer, stops both observers and
// reads the ledger back, filling in the trial's figures.
func (o *observers) finish(ctx context.Context, trial *report.Trial) error {
	sleep(ctx, suite.timeouts.Get("settle"))
	o.stop()

	verifyCtx, cancel := context.WithTimeout(ctx, suite.timeouts.Get("verify"))
	defer cancel()
	check, err := o.ledger.Verify(verifyCtx, o.rw)
	if err != nil {
		return err
	}

	writes := o.ledger.Writes()
	outage, found := ledger.FirstOutage(writes, trial.FaultStart)
	if found && !outage.Ended {
		return fmt.Errorf("writes were still failing when the trial ended (%.1fs and counting)", outage.Duration().Seconds())
	}
	if found {
		trial.Unavailability = outage.Duration()
	}
	trial.Acknowledged, trial.Lost, trial.Unknown = check.Acknowledged, len(check.Lost), check.Unknown
	trial.SplitBrain = watch.SplitBrain(o.watcher.Rounds())
	trial.Writes = writes
	trial.Extra["unknownCommitted"] = float64(check.UnknownPresent)
	if len(check.FailedPresent) > 0 {
		return fmt.Errorf("rows %v were refused with an error yet committed", check.FailedPresent)
	}
	return nil
}

// stop ends both observers; it may be called more than once.
func (o *observers) stop() {
	if o.stopLedger != nil {
		o.stopLedger()
		<-o.ledgerDone
	}
	o.stopWatch()
	<-o.watchDone
}

// waitFor polls cond every 200 ms until it holds or timeout passes.
func waitFor(ctx context.Context, timeout time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("waited %s for %s", timeout, what)
		}
		if !sleep(ctx, 200*time.Millisecond) {
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		}
	}
	return nil
}

// sleep waits d, returning false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

func sleepUntil(ctx context.Context, t time.Time) { sleep(ctx, time.Until(t)) }

func logTrial(t report.Trial) {
	fmt.Fprintf(GinkgoWriter, "  trial %d: %s; primary %s → %s; unavailable %.1fs; rejoin %.1fs; acknowledged %d, lost %d, unknown %d; split-brain samples %d; %v\n",
		t.Index, t.Fault, t.OldPrimary, t.NewPrimary, t.Unavailability.Seconds(), t.Rejoin.Seconds(),
		t.Acknowledged, t.Lost, t.Unknown, t.SplitBrain, t.Extra)
}
