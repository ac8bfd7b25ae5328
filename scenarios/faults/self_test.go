package faults_test

import (
	"os"
	"path/filepath"
	"testing"

	chaosv1alpha1 "github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tidemark/tidemark/scenarios/faults"
)

func podKill(ns string, mode chaosv1alpha1.SelectorMode, selector chaosv1alpha1.PodSelectorSpec) *chaosv1alpha1.PodChaos {
	selector.Namespaces = []string{ns}
	return &chaosv1alpha1.PodChaos{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "kill"},
		Spec: chaosv1alpha1.PodChaosSpec{
			Action:            chaosv1alpha1.PodKillAction,
			ContainerSelector: chaosv1alpha1.ContainerSelector{PodSelector: chaosv1alpha1.PodSelector{Mode: mode, Selector: selector}},
		},
	}
}

func TestPodChaosWithoutChaosMesh(t *testing.T) {
	e := &faults.Executor{Client: k8s, Log: logger(t), ChaosMesh: false}

	t.Run("pod-kill by name deletes that pod only", func(t *testing.T) {
		g := NewWithT(t)
		c := newCluster(t, "kill-by-name")
		fault := podKill(c.ns, chaosv1alpha1.OneMode, chaosv1alpha1.PodSelectorSpec{Pods: map[string][]string{c.ns: {"pod-b1"}}})

		inj, err := e.Inject(t.Context(), fault)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(inj.Fault).To(ContainSubstring("pod-b1"))
		g.Expect(c.pods(t)).To(Equal(without(podNamesAll, "pod-b1")))
		g.Expect(inj.Heal(t.Context())).To(Succeed(), "an instant fault heals as a no-op")
	})

	t.Run("mode all on a zone deletes the pods of that zone", func(t *testing.T) {
		g := NewWithT(t)
		c := newCluster(t, "kill-zone")
		fault := podKill(c.ns, chaosv1alpha1.AllMode, chaosv1alpha1.PodSelectorSpec{NodeSelectors: map[string]string{faults.ZoneLabel: c.zone["b"]}})

		_, err := e.Inject(t.Context(), fault)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(c.pods(t)).To(Equal(without(podNamesAll, "pod-b1", "pod-b2")))
	})

	t.Run("mode one deletes one matching pod", func(t *testing.T) {
		g := NewWithT(t)
		c := newCluster(t, "kill-one")
		fault := podKill(c.ns, chaosv1alpha1.OneMode, chaosv1alpha1.PodSelectorSpec{NodeSelectors: map[string]string{faults.ZoneLabel: c.zone["b"]}})

		_, err := e.Inject(t.Context(), fault)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(c.pods(t)).To(Or(
			Equal(without(podNamesAll, "pod-b1")),
			Equal(without(podNamesAll, "pod-b2"))))
	})

	refused := []struct {
		name    string
		fault   func(ns string) *chaosv1alpha1.PodChaos
		message string
	}{{
		name: "mode fixed needs Chaos Mesh",
		fault: func(ns string) *chaosv1alpha1.PodChaos {
			f := podKill(ns, chaosv1alpha1.FixedMode, chaosv1alpha1.PodSelectorSpec{})
			f.Spec.Value = "1"
			return f
		},
		message: "Chaos Mesh",
	}, {
		name: "pod-failure needs Chaos Mesh",
		fault: func(ns string) *chaosv1alpha1.PodChaos {
			f := podKill(ns, chaosv1alpha1.AllMode, chaosv1alpha1.PodSelectorSpec{})
			f.Spec.Action = chaosv1alpha1.PodFailureAction
			return f
		},
		message: "pod-failure needs Chaos Mesh",
	}, {
		name: "an empty match is an error",
		fault: func(ns string) *chaosv1alpha1.PodChaos {
			return podKill(ns, chaosv1alpha1.AllMode, chaosv1alpha1.PodSelectorSpec{Pods: map[string][]string{ns: {"no-such-pod"}}})
		},
		message: "no pod matches",
	}}
	for i, r := range refused {
		t.Run(r.name, func(t *testing.T) {
			g := NewWithT(t)
			c := newCluster(t, "refused-"+string(rune('a'+i)))

			inj, err := e.Inject(t.Context(), r.fault(c.ns))
			g.Expect(err).To(MatchError(ContainSubstring(r.message)))
			g.Expect(inj).To(BeNil())
			g.Expect(c.pods(t)).To(Equal(podNamesAll), "no pod deleted")
		})
	}
}

// TestZoneChaosSelection checks what a zone fault does before it touches
// a node container. Docker is a script that records its calls, so the test
// never runs docker and fails if the executor would have.
func TestZoneChaosSelection(t *testing.T) {
	c := newCluster(t, "zone-chaos")

	for _, tc := range []struct {
		name  string
		fault *faults.ZoneChaos
		err   string
	}{
		{"unknown action fails before docker", faults.NewZoneChaos("bogus", c.zone["b"], "bogus", "30s"), `unknown action "bogus"`},
		// zone-a holds only the control plane: there is nothing to stop.
		{"the control plane is left out", faults.NewZoneChaos("stop-a", c.zone["a"], faults.ZoneStop, "30s"), "no node matches"},
		{"a bad duration fails before docker", faults.NewZoneChaos("stop-b", c.zone["b"], faults.ZoneStop, "-30s"), "negative duration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			dir := t.TempDir()
			calls := filepath.Join(dir, "calls")
			docker := filepath.Join(dir, "docker")
			script := "#!/bin/sh\necho \"$@\" >> " + calls + "\nexit 1\n"
			g.Expect(os.WriteFile(docker, []byte(script), 0o755)).To(Succeed())
			e := &faults.Executor{Client: k8s, Log: logger(t), Nodes: faults.Nodes{Docker: docker}}

			inj, err := e.Inject(t.Context(), tc.fault)
			g.Expect(err).To(MatchError(ContainSubstring(tc.err)))
			g.Expect(inj).To(BeNil())
			recorded, _ := os.ReadFile(calls)
			g.Expect(string(recorded)).To(BeEmpty(), "docker must not be called")
		})
	}
}
