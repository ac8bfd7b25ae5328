package faults_test

import (
	"testing"
	"time"

	chaosv1alpha1 "github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tidemark/tidemark/scenarios/faults"
)

const timeout = 30 * time.Second

// chaosMeshCRD is a stand-in for one of Chaos Mesh's CRDs: the right
// group, version, kind and scope, and a schema that keeps any field.
func chaosMeshCRD(kind, plural string) *apiextensionsv1.CustomResourceDefinition {
	keep := apiextensionsv1.JSONSchemaProps{Type: "object", XPreserveUnknownFields: ptr.To(true)}
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: plural + ".chaos-mesh.org"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "chaos-mesh.org",
			Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: kind, ListKind: kind + "List", Plural: plural, Singular: plural},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1alpha1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type:       "object",
					Properties: map[string]apiextensionsv1.JSONSchemaProps{"spec": keep, "status": keep},
				}},
			}},
		},
	}
}

var chaosMeshCRDs = []struct{ kind, plural string }{{"PodChaos", "podchaos"}, {"NetworkChaos", "networkchaos"}}

// installCRD creates a CRD (unless it exists) and waits until it is
// Established and its kind is in discovery.
func installCRD(t *testing.T, kind, plural string) {
	t.Helper()
	g := NewWithT(t)
	ctx := t.Context()
	crd := chaosMeshCRD(kind, plural)
	if err := k8s.Create(ctx, crd); !apierrors.IsAlreadyExists(err) {
		g.Expect(err).NotTo(HaveOccurred())
	}
	g.Eventually(func(g Gomega) {
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(crd), crd)).To(Succeed())
		established := false
		for _, c := range crd.Status.Conditions {
			established = established || (c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue)
		}
		g.Expect(established).To(BeTrue(), "CRD %s established", crd.Name)
		g.Expect(discoveredKinds(t)).To(ContainElement(kind))
	}).WithTimeout(timeout).Should(Succeed())
}

// uninstallChaosMesh deletes the stand-in CRDs, should an earlier test
// (in a shuffled run) have installed them, and waits until they are gone.
func uninstallChaosMesh(t *testing.T) {
	t.Helper()
	g := NewWithT(t)
	ctx := t.Context()
	for _, c := range chaosMeshCRDs {
		crd := chaosMeshCRD(c.kind, c.plural)
		g.Expect(client.IgnoreNotFound(k8s.Delete(ctx, crd))).To(Succeed())
		g.Eventually(func() bool {
			return apierrors.IsNotFound(k8s.Get(ctx, client.ObjectKeyFromObject(crd), crd))
		}).WithTimeout(timeout).Should(BeTrue(), "CRD %s deleted", crd.Name)
	}
	g.Eventually(func() []string { return discoveredKinds(t) }).WithTimeout(timeout).Should(BeEmpty())
}

// discoveredKinds lists the kinds discovery serves for chaos-mesh.org/v1alpha1.
func discoveredKinds(t *testing.T) []string {
	dc, err := discovery.NewDiscoveryClientForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	resources, err := dc.ServerResourcesForGroupVersion(chaosv1alpha1.SchemeGroupVersion.String())
	if err != nil {
		return nil
	}
	var kinds []string
	for _, r := range resources.APIResources {
		kinds = append(kinds, r.Kind)
	}
	return kinds
}

func TestNewExecutorDetectsChaosMesh(t *testing.T) {
	g := NewWithT(t)
	uninstallChaosMesh(t)

	chaosMesh := func() bool {
		t.Helper()
		// A new executor each time: NewExecutor asks the server afresh.
		e, err := faults.NewExecutor(env.Config, k8s, logger(t))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(e.Client).To(BeIdenticalTo(k8s))
		return e.ChaosMesh
	}
	g.Expect(chaosMesh()).To(BeFalse(), "no Chaos Mesh CRD installed")

	installCRD(t, "PodChaos", "podchaos")
	g.Expect(chaosMesh()).To(BeFalse(), "only PodChaos installed, NetworkChaos missing")

	installCRD(t, "NetworkChaos", "networkchaos")
	g.Expect(chaosMesh()).To(BeTrue(), "PodChaos and NetworkChaos installed")
}

func TestInjectThroughChaosMesh(t *testing.T) {
	for _, c := range chaosMeshCRDs {
		installCRD(t, c.kind, c.plural)
	}
	const ns = "through-chaos-mesh"
	NewWithT(t).Expect(k8s.Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
	e := &faults.Executor{Client: k8s, Log: logger(t), ChaosMesh: true}

	selector := chaosv1alpha1.PodSelector{
		Mode: chaosv1alpha1.OneMode,
		Selector: chaosv1alpha1.PodSelectorSpec{
			GenericSelectorSpec: chaosv1alpha1.GenericSelectorSpec{Namespaces: []string{ns}},
			Pods:                map[string][]string{ns: {"db-1"}},
		},
	}

	t.Run("PodChaos pod-kill", func(t *testing.T) {
		g := NewWithT(t)
		ctx := t.Context()
		fault := &chaosv1alpha1.PodChaos{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "kill-db-1"},
			Spec: chaosv1alpha1.PodChaosSpec{
				Action:            chaosv1alpha1.PodKillAction,
				Duration:          ptr.To("30s"),
				ContainerSelector: chaosv1alpha1.ContainerSelector{PodSelector: selector},
			},
		}
		inj, err := e.Inject(ctx, fault)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(inj.Duration).To(Equal(30 * time.Second))
		g.Expect(inj.Due()).To(Equal(inj.Started.Add(30 * time.Second)))

		var got chaosv1alpha1.PodChaos
		key := client.ObjectKey{Namespace: ns, Name: "kill-db-1"}
		g.Expect(k8s.Get(ctx, key, &got)).To(Succeed())
		g.Expect(got.Spec.Action).To(Equal(chaosv1alpha1.PodKillAction))
		g.Expect(got.Spec.PodSelector).To(Equal(selector))
		g.Expect(got.Spec.Duration).To(HaveValue(Equal("30s")))

		g.Expect(inj.Healed()).To(BeZero())
		g.Expect(inj.Heal(ctx)).To(Succeed())
		g.Expect(apierrors.IsNotFound(k8s.Get(ctx, key, &got))).To(BeTrue(), "PodChaos deleted by Heal")
		g.Expect(inj.Healed()).NotTo(BeZero())
		g.Expect(inj.Heal(ctx)).To(Succeed(), "a second Heal")
	})

	t.Run("NetworkChaos partition", func(t *testing.T) {
		g := NewWithT(t)
		ctx := t.Context()
		target := chaosv1alpha1.PodSelector{
			Mode: chaosv1alpha1.AllMode,
			Selector: chaosv1alpha1.PodSelectorSpec{
				GenericSelectorSpec: chaosv1alpha1.GenericSelectorSpec{Namespaces: []string{ns}},
				NodeSelectors:       map[string]string{faults.ZoneLabel: "zone-b"},
			},
		}
		fault := &chaosv1alpha1.NetworkChaos{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "cut-db-1"},
			Spec: chaosv1alpha1.NetworkChaosSpec{
				Action:      chaosv1alpha1.PartitionAction,
				Direction:   chaosv1alpha1.Both,
				Duration:    ptr.To("30s"),
				PodSelector: selector,
				Target:      &target,
			},
		}
		inj, err := e.Inject(ctx, fault)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(inj.Duration).To(Equal(30 * time.Second))

		var got chaosv1alpha1.NetworkChaos
		key := client.ObjectKey{Namespace: ns, Name: "cut-db-1"}
		g.Expect(k8s.Get(ctx, key, &got)).To(Succeed())
		g.Expect(got.Spec.Action).To(Equal(chaosv1alpha1.PartitionAction))
		g.Expect(got.Spec.Direction).To(Equal(chaosv1alpha1.Both))
		g.Expect(got.Spec.PodSelector).To(Equal(selector))
		g.Expect(got.Spec.Target).To(HaveValue(Equal(target)))

		g.Expect(inj.Heal(ctx)).To(Succeed())
		g.Expect(apierrors.IsNotFound(k8s.Get(ctx, key, &got))).To(BeTrue(), "NetworkChaos deleted by Heal")
		g.Expect(inj.Heal(ctx)).To(Succeed(), "a second Heal")
	})

	t.Run("Heal after the object is gone", func(t *testing.T) {
		g := NewWithT(t)
		ctx := t.Context()
		fault := &chaosv1alpha1.PodChaos{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "kill-gone"},
			Spec: chaosv1alpha1.PodChaosSpec{
				Action:            chaosv1alpha1.PodKillAction,
				ContainerSelector: chaosv1alpha1.ContainerSelector{PodSelector: selector},
			},
		}
		inj, err := e.Inject(ctx, fault)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(inj.Duration).To(BeZero(), "no duration: an instant fault")
		g.Expect(k8s.Delete(ctx, &chaosv1alpha1.PodChaos{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "kill-gone"}})).To(Succeed())
		g.Expect(inj.Heal(ctx)).To(Succeed(), "healing a fault whose object was already deleted")
	})

	t.Run("bad duration creates nothing", func(t *testing.T) {
		g := NewWithT(t)
		ctx := t.Context()
		fault := &chaosv1alpha1.PodChaos{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "kill-bad-duration"},
			Spec: chaosv1alpha1.PodChaosSpec{
				Action:            chaosv1alpha1.PodKillAction,
				Duration:          ptr.To("soon"),
				ContainerSelector: chaosv1alpha1.ContainerSelector{PodSelector: selector},
			},
		}
		_, err := e.Inject(ctx, fault)
		g.Expect(err).To(MatchError(ContainSubstring(`duration "soon"`)))
		var got chaosv1alpha1.PodChaos
		g.Expect(apierrors.IsNotFound(k8s.Get(ctx, client.ObjectKeyFromObject(fault), &got))).To(BeTrue())
	})
}
