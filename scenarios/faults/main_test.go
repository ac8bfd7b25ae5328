package faults_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"testing"

	chaosv1alpha1 "github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tidemark/tidemark/internal/testenv"
	"github.com/tidemark/tidemark/scenarios/faults"
)

var (
	env *testenv.Env
	// k8s knows Chaos Mesh's kinds, which testenv's scheme lacks.
	k8s client.Client
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if env, err = testenv.Start(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the API server:", err)
		}
	}()

	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		clientgoscheme.AddToScheme, apiextensionsv1.AddToScheme, chaosv1alpha1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if k8s, err = client.New(env.Config, client.Options{Scheme: scheme}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

func logger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}

// cluster is a namespace with pods bound to fake nodes (no kubelet runs,
// so the pods stay Pending). Node names and zone values are unique to the
// test, as nodes are cluster-wide:
//
//	zone-a: cp (control plane)   pod-cp
//	zone-b: b1, b2               pod-b1, pod-b2
//	zone-c: c1                   pod-c1
type cluster struct {
	ns   string
	zone map[string]string // "a" -> this test's zone-a value
}

var podNamesAll = []string{"pod-b1", "pod-b2", "pod-c1", "pod-cp"}

func newCluster(t *testing.T, ns string) *cluster {
	t.Helper()
	g := NewWithT(t)
	ctx := t.Context()
	c := &cluster{ns: ns, zone: map[string]string{}}
	for _, z := range []string{"a", "b", "c"} {
		c.zone[z] = ns + "-zone-" + z
	}
	g.Expect(k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
	// The API server's ServiceAccount admission wants the default account.
	g.Expect(k8s.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "default"}})).To(Succeed())

	for _, n := range []struct {
		name, zone   string
		controlPlane bool
	}{{"cp", "a", true}, {"b1", "b", false}, {"b2", "b", false}, {"c1", "c", false}} {
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{
			Name:   c.node(n.name),
			Labels: map[string]string{faults.ZoneLabel: c.zone[n.zone]},
		}}
		if n.controlPlane {
			node.Labels["node-role.kubernetes.io/control-plane"] = ""
		}
		g.Expect(k8s.Create(ctx, node)).To(Succeed())
		t.Cleanup(func() { _ = k8s.Delete(context.Background(), node) })

		automount := false
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "pod-" + n.name, Labels: map[string]string{"app": "db"}},
			Spec: corev1.PodSpec{
				NodeName:                     node.Name,
				AutomountServiceAccountToken: &automount,
				Containers:                   []corev1.Container{{Name: "db", Image: "example.invalid/db"}},
			},
		}
		g.Expect(k8s.Create(ctx, pod)).To(Succeed())
	}
	return c
}

func (c *cluster) node(name string) string { return c.ns + "-" + name }

// pods lists the pods left in the namespace, sorted. A pod-kill deletes
// with a grace period of 0, so a killed pod is gone at once.
func (c *cluster) pods(t *testing.T) []string {
	t.Helper()
	var list corev1.PodList
	NewWithT(t).Expect(k8s.List(t.Context(), &list, client.InNamespace(c.ns))).To(Succeed())
	var names []string
	for _, p := range list.Items {
		names = append(names, p.Name)
	}
	slices.Sort(names)
	return names
}

func without(names []string, gone ...string) []string {
	return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return slices.Contains(gone, n) })
}
