//go:build e2e

package e2e

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Scenario 5: the primary's zone is cut off from the rest (control plane
// included) for the fault duration. The isolated primary must stop taking
// writes, the majority side elects a new one, and after the heal the old
// primary rejoins as a replica.
var _ = Describe("primary's zone partitioned", func() {
	It("demotes the isolated primary and elects one on the majority side", Label("nightly"), func(ctx SpecContext) {
		runScenario(ctx, faultTrial{
			scenario: "primary's zone partitioned",
			db:       syncDB,
			failover: true,
			isolated: true,
			fault: func(ctx context.Context, t target, trial int) client.Object {
				return zonePartition(faultName("partition-zone", trial), t.primaryZone, otherNodes(ctx, t.primaryZone), suite.timeouts.Get("fault"))
			},
			affected: oldPrimary,
		})
	})
})
