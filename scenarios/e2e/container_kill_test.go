//go:build e2e

package e2e

import (
	"context"

	chaosv1alpha1 "github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Scenario 3: the primary's container is killed (SIGKILL through the
// container runtime); the pod stays and the kubelet restarts it.
var _ = Describe("primary container killed", func() {
	It("serves writes again with no acknowledged write lost", Label("nightly"), func(ctx SpecContext) {
		runScenario(ctx, faultTrial{
			scenario: "primary container killed",
			db:       syncDB,
			fault: func(_ context.Context, t target, trial int) client.Object {
				return podChaos(faultName("kill-container", trial), chaosv1alpha1.ContainerKillAction, t.primary, "postgres")
			},
			affected: oldPrimary,
		})
	})
})
