//go:build e2e

package e2e

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tidemark/tidemark/scenarios/faults"
)

// Scenario 4: every worker of the primary's zone is stopped for the fault
// duration, then started again.
var _ = Describe("primary's zone stopped", func() {
	It("elects a primary in another zone; the old one rejoins as a replica", Label("nightly"), func(ctx SpecContext) {
		runScenario(ctx, zoneStopped(syncDB))
	})
	It("with asynchronous replication, reports the writes it lost", Label("nightly"), func(ctx SpecContext) {
		runScenario(ctx, zoneStopped(asyncDB))
	})
})

func zoneStopped(db scenarioDatabase) faultTrial {
	return faultTrial{
		scenario: "primary's zone stopped",
		db:       db,
		failover: true,
		fault: func(_ context.Context, t target, trial int) client.Object {
			z := faults.NewZoneChaos(faultName("stop-zone", trial), t.primaryZone, faults.ZoneStop, suite.timeouts.Get("fault").String())
			z.Namespace = namespace
			return z
		},
		affected: oldPrimary,
	}
}
