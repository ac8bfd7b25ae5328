//go:build e2e

package e2e

import (
	"context"

	chaosv1alpha1 "github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Scenario 2: a replica's pod is killed; trials alternate between the two
// replicas, so the synchronous standby is hit as well.
var _ = Describe("replica pod killed", func() {
	It("keeps the primary serving and the replica rejoins", Label("nightly"), func(ctx SpecContext) {
		runScenario(ctx, faultTrial{
			scenario: "replica pod killed",
			db:       syncDB,
			fault: func(_ context.Context, t target, trial int) client.Object {
				return podChaos(faultName("kill-replica", trial), chaosv1alpha1.PodKillAction, replicaFor(t, trial))
			},
			affected: replicaFor,
		})
	})
})

// replicaFor picks the replica a trial hits.
func replicaFor(t target, trial int) string { return t.replicas[trial%len(t.replicas)] }
