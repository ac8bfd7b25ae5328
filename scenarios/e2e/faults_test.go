//go:build e2e

package e2e

import (
	"fmt"
	"time"

	chaosv1alpha1 "github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tidemark/tidemark/scenarios/faults"
)

// faultName is unique per trial, as Chaos Mesh objects must be.
func faultName(kind string, trial int) string {
	return fmt.Sprintf("%s-%d-%d", kind, trial, time.Now().Unix())
}

// podChaos selects one pod by name.
func podChaos(name string, action chaosv1alpha1.PodChaosAction, pod string, containers ...string) *chaosv1alpha1.PodChaos {
	return &chaosv1alpha1.PodChaos{
		TypeMeta:   metav1.TypeMeta{APIVersion: chaosv1alpha1.SchemeGroupVersion.String(), Kind: "PodChaos"},
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: chaosv1alpha1.PodChaosSpec{
			Action: action,
			ContainerSelector: chaosv1alpha1.ContainerSelector{
				PodSelector: chaosv1alpha1.PodSelector{
					Mode: chaosv1alpha1.OneMode,
					Selector: chaosv1alpha1.PodSelectorSpec{
						GenericSelectorSpec: chaosv1alpha1.GenericSelectorSpec{Namespaces: []string{namespace}},
						Pods:                map[string][]string{namespace: {pod}},
					},
				},
				ContainerNames: containers,
			},
		},
	}
}

// zonePartition cuts the pods (and, without Chaos Mesh, the nodes) of
// zone off from every other node, in both directions, for duration.
func zonePartition(name, zone string, others []string, duration time.Duration) *chaosv1alpha1.NetworkChaos {
	d := duration.String()
	return &chaosv1alpha1.NetworkChaos{
		TypeMeta:   metav1.TypeMeta{APIVersion: chaosv1alpha1.SchemeGroupVersion.String(), Kind: "NetworkChaos"},
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: chaosv1alpha1.NetworkChaosSpec{
			Action:    chaosv1alpha1.PartitionAction,
			Direction: chaosv1alpha1.Both,
			Duration:  &d,
			PodSelector: chaosv1alpha1.PodSelector{
				Mode: chaosv1alpha1.AllMode,
				Selector: chaosv1alpha1.PodSelectorSpec{
					GenericSelectorSpec: chaosv1alpha1.GenericSelectorSpec{Namespaces: []string{namespace}},
					NodeSelectors:       map[string]string{faults.ZoneLabel: zone},
				},
			},
			Target: &chaosv1alpha1.PodSelector{
				Mode: chaosv1alpha1.AllMode,
				Selector: chaosv1alpha1.PodSelectorSpec{
					GenericSelectorSpec: chaosv1alpha1.GenericSelectorSpec{Namespaces: []string{namespace}},
					Nodes:               others,
				},
			},
		},
	}
}

// oldPrimary is the member a primary fault hits.
func oldPrimary(t target, _ int) string { return t.primary }
