//go:build e2e

package e2e

import (
	"context"

	chaosv1alpha1 "github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Scenario 1: the primary's pod is killed (deleted at once, no grace).
var _ = Describe("primary pod killed", func() {
	It("serves writes again with no acknowledged write lost", Label("smoke", "nightly"), func(ctx SpecContext) {
		runScenario(ctx, primaryPodKilled(syncDB))
	})
	It("with asynchronous replication, reports the writes it lost", Label("nightly"), func(ctx SpecContext) {
		runScenario(ctx, primaryPodKilled(asyncDB))
	})
})

func primaryPodKilled(db scenarioDatabase) faultTrial {
	return faultTrial{
		scenario: "primary pod killed",
		db:       db,
		fault: func(_ context.Context, t target, trial int) client.Object {
			return podChaos(faultName("kill-primary", trial), chaosv1alpha1.PodKillAction, t.primary)
		},
		affected: oldPrimary,
	}
}
