//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	. "github.com/onsi/ginkgo/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tidemark/tidemark/reconciler/database"
	"github.com/tidemark/tidemark/scenarios/report"
	"github.com/tidemark/tidemark/specs/v1alpha1"
)

// Scenario 7: a parameter commit pushed to the config repo, announced by
// a signed webhook as a Git host would: how long until tidemark applied
// it, the controller observed it, and the primary serves it.
var _ = Describe("a commit pushed to the config repo", func() {
	It("is applied and served with no write lost", Label("smoke", "nightly"), func(ctx SpecContext) {
		repeatTrials(ctx, "commit pushed", syncDB, runCommitTrial)
	})
})

func runCommitTrial(ctx context.Context, index int) (report.Trial, error) {
	trial := report.Trial{Index: index, Extra: map[string]float64{}}
	obs, err := startObservers(ctx, syncDB, fmt.Sprintf("commit-%d", index))
	if err != nil {
		return trial, err
	}
	defer obs.stop()
	trial.OldPrimary = leader(ctx, syncDB.name)

	value := nextValue(suite.repo.parameters["work_mem"], "4MB", "6MB", "8MB")
	suite.repo.setParameter("work_mem", value)
	sha := suite.repo.commit("work_mem " + value)
	trial.Fault = fmt.Sprintf("commit %.12s: work_mem %s", sha, value)
	trial.FaultStart = time.Now()
	trial.FaultEnd = trial.FaultStart
	suite.tidemark.trigger()

	var errs []error
	if at, err := waitRevision(ctx, syncDB.name, sha, false); err == nil {
		trial.Extra["appliedSeconds"] = at.Sub(trial.FaultStart).Seconds()
	} else {
		errs = append(errs, err)
	}
	if at, err := waitRevision(ctx, syncDB.name, sha, true); err == nil {
		trial.Extra["observedSeconds"] = at.Sub(trial.FaultStart).Seconds()
	} else {
		errs = append(errs, err)
	}
	if at, err := waitSetting(ctx, obs.rw, "work_mem", value); err == nil {
		trial.Extra["servingSeconds"] = at.Sub(trial.FaultStart).Seconds()
	} else {
		errs = append(errs, err)
	}

	errs = append(errs, obs.finish(ctx, &trial))
	trial.NewPrimary = leader(ctx, syncDB.name)
	return trial, errors.Join(errs...)
}

// nextValue returns the first value that is not current.
func nextValue(current string, values ...string) string {
	for _, v := range values {
		if v != current {
			return v
		}
	}
	return values[0]
}

// waitRevision waits until the Database carries revision sha: applied by
// tidemark (its annotation) or, with observed, also reported in status
// for the current generation.
func waitRevision(ctx context.Context, name, sha string, observed bool) (time.Time, error) {
	what := "tidemark to apply " + sha[:12] + " to " + name
	if observed {
		what = "the controller to report " + sha[:12] + " for " + name
	}
	err := waitFor(ctx, suite.timeouts.Get("converge"), what, func() bool {
		var db v1alpha1.Database
		if err := suite.client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &db); err != nil {
			return false
		}
		if !observed {
			return db.Annotations[database.AnnotationRevision] == sha
		}
		return db.Status.Revision == sha && db.Status.ObservedGeneration == db.Generation
	})
	return time.Now(), err
}

// waitSetting waits until a new connection through connString shows
// the setting at value.
func waitSetting(ctx context.Context, connString, name, value string) (time.Time, error) {
	err := waitFor(ctx, suite.timeouts.Get("converge"), fmt.Sprintf("%s = %s", name, value), func() bool {
		got, err := showSetting(ctx, connString, name)
		return err == nil && got == value
	})
	return time.Now(), err
}

func showSetting(ctx context.Context, connString, name string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var value string
	err = conn.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&value)
	return value, err
}
