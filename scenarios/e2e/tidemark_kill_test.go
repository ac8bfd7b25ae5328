//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tidemark/tidemark/reconciler/database"
	"github.com/tidemark/tidemark/scenarios/report"
	"github.com/tidemark/tidemark/specs/v1alpha1"
)

// Scenario 6: tidemark is SIGKILLed in the middle of applying a commit
// that needs every member restarted (shared_buffers): as soon as the
// controller reports a step under way (parameters sent to Patroni, or a
// member restarted and the next one pending). A restarted tidemark must
// finish the job with nothing lost.
var _ = Describe("tidemark killed while applying a commit", func() {
	It("converges after a restart with no write lost", Label("nightly"), func(ctx SpecContext) {
		repeatTrials(ctx, "tidemark killed mid-apply", syncDB, runTidemarkKillTrial)
	})
})

// tidemarkDowntime is how long tidemark stays dead before its restart.
const tidemarkDowntime = 5 * time.Second

func runTidemarkKillTrial(ctx context.Context, index int) (report.Trial, error) {
	trial := report.Trial{Index: index, Extra: map[string]float64{}}
	obs, err := startObservers(ctx, syncDB, fmt.Sprintf("tidemark-kill-%d", index))
	if err != nil {
		return trial, err
	}
	defer obs.stop()
	trial.OldPrimary = leader(ctx, syncDB.name)

	value := nextValue(suite.repo.parameters["shared_buffers"], "64MB", "80MB")
	suite.repo.setParameter("shared_buffers", value)
	sha := suite.repo.commit("shared_buffers " + value)
	pushed := time.Now()
	suite.tidemark.trigger()

	var step string
	err = waitFor(ctx, suite.timeouts.Get("converge"), "the controller to start restarting members", func() bool {
		step = progressingStep(ctx, syncDB.name)
		return step != ""
	})
	if err != nil {
		return trial, err
	}
	suite.tidemark.kill()
	trial.FaultStart = time.Now()
	trial.Fault = fmt.Sprintf("tidemark SIGKILLed during %q", step)
	trial.Extra["killedAfterSeconds"] = trial.FaultStart.Sub(pushed).Seconds()

	sleep(ctx, tidemarkDowntime)
	suite.tidemark.start()
	trial.FaultEnd = time.Now()

	var errs []error
	if err := waitConverged(ctx, sha, "shared_buffers", value); err != nil {
		errs = append(errs, err)
	} else {
		trial.Extra["convergeSeconds"] = time.Since(trial.FaultEnd).Seconds()
	}
	errs = append(errs, obs.finish(ctx, &trial))
	trial.NewPrimary = leader(ctx, syncDB.name)
	return trial, errors.Join(errs...)
}

// progressingStep is the change the controller reports under way, if any.
func progressingStep(ctx context.Context, name string) string {
	var db v1alpha1.Database
	if err := suite.client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &db); err != nil {
		return ""
	}
	c := meta.FindStatusCondition(db.Status.Conditions, database.ConditionReconciled)
	if c == nil || c.Status != metav1.ConditionFalse || c.Reason != "Progressing" {
		return ""
	}
	return c.Message
}

// waitConverged waits until every scenario database reports revision sha
// as reconciled and ready, and every member runs the setting's value.
func waitConverged(ctx context.Context, sha, setting, value string) error {
	for _, sdb := range scenarioDatabases {
		if _, err := waitRevision(ctx, sdb.name, sha, true); err != nil {
			return err
		}
		err := waitFor(ctx, suite.timeouts.Get("converge"), sdb.name+" reconciled with every member on "+setting+" "+value, func() bool {
			return reconciledAndReady(ctx, sdb.name) && allMembersShow(ctx, sdb.name, setting, value)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func reconciledAndReady(ctx context.Context, name string) bool {
	var db v1alpha1.Database
	if err := suite.client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &db); err != nil {
		return false
	}
	return db.Status.Phase == v1alpha1.PhaseReady &&
		meta.IsStatusConditionTrue(db.Status.Conditions, database.ConditionReconciled)
}

func allMembersShow(ctx context.Context, db, setting, value string) bool {
	mem, err := members(ctx, db)
	if err != nil {
		return false
	}
	for _, m := range mem {
		if got, err := showSetting(ctx, m.ConnString, setting); err != nil || got != value {
			return false
		}
	}
	return true
}
