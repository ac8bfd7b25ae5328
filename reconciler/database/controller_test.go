package database_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tidemark/tidemark/internal/testctrl"
	"github.com/tidemark/tidemark/internal/testenv"
	"github.com/tidemark/tidemark/reconciler/database"
	"github.com/tidemark/tidemark/reconciler/database/render"
	"github.com/tidemark/tidemark/specs"
	"github.com/tidemark/tidemark/specs/v1alpha1"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var err error
	if env, err = testenv.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer env.Stop()

	stopped, err := testctrl.Start(ctx, env, database.PortRange{First: 30080, Last: 30085})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}

	code := m.Run()
	cancel()
	<-stopped
	return code
}

const timeout = 30 * time.Second

func newDatabase(t *testing.T, ns, name string) *v1alpha1.Database {
	t.Helper()
	ctx := context.Background()
	g := NewWithT(t)
	g.Expect(env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())

	db := &v1alpha1.Database{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	db.Spec.Version = "15"
	db.Spec.Zones = []string{"zone-a", "zone-b", "zone-c"}
	db.Spec.Storage.Size = resource.MustParse("1Gi")
	specs.Default(db)
	g.Expect(env.Client.Create(ctx, db)).To(Succeed())
	return db
}

func get[T client.Object](key client.ObjectKey, obj T) func() (T, error) {
	return func() (T, error) {
		err := env.Client.Get(context.Background(), key, obj)
		return obj, err
	}
}

func TestRendersMembersAndKeepsCredentials(t *testing.T) {
	g := NewWithT(t)
	db := newDatabase(t, "render", "orders")
	key := client.ObjectKey{Namespace: "render", Name: "orders"}

	g.Eventually(get(key, &appsv1.StatefulSet{}), timeout).Should(HaveField("Spec.Replicas", HaveValue(Equal(int32(3)))))
	g.Eventually(get(client.ObjectKey{Namespace: "render", Name: "orders-rw"}, &corev1.Service{}), timeout).
		Should(HaveField("Spec.Selector", BeEmpty()))

	secretKey := client.ObjectKey{Namespace: "render", Name: "orders-superuser"}
	secret, err := get(secretKey, &corev1.Secret{})()
	g.Expect(err).NotTo(HaveOccurred())
	password := string(secret.Data["password"])
	g.Expect(password).To(HaveLen(32))

	g.Eventually(get(key, &v1alpha1.Database{}), timeout).Should(HaveField("Status.SecretNames",
		ConsistOf("orders-superuser", "orders-replication", "orders-app")))

	// A change of spec re-renders the members but never the credentials.
	g.Expect(env.Client.Update(context.Background(), refreshed(t, db, func(d *v1alpha1.Database) { d.Spec.Replicas = 2 }))).To(Succeed())
	g.Eventually(get(key, &appsv1.StatefulSet{}), timeout).Should(HaveField("Spec.Replicas", HaveValue(Equal(int32(2)))))
	secret, _ = get(secretKey, &corev1.Secret{})()
	g.Expect(string(secret.Data["password"])).To(Equal(password))
}

func refreshed(t *testing.T, db *v1alpha1.Database, change func(*v1alpha1.Database)) *v1alpha1.Database {
	t.Helper()
	fresh := &v1alpha1.Database{}
	if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(db), fresh); err != nil {
		t.Fatal(err)
	}
	change(fresh)
	return fresh
}

// TestStatusFollowsPatroni writes what the kubelet and Patroni would write
// (pod readiness, the leader Endpoints) and checks the status reads them.
func TestStatusFollowsPatroni(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	newDatabase(t, "status", "orders")
	key := client.ObjectKey{Namespace: "status", Name: "orders"}
	g.Eventually(get(key, &v1alpha1.Database{}), timeout).Should(HaveField("Status.Phase", v1alpha1.PhasePending))

	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "worker-b", Labels: map[string]string{"topology.kubernetes.io/zone": "zone-b"}}}
	g.Expect(env.Client.Create(ctx, node)).To(Succeed())
	for i, ip := range []string{"10.0.0.10", "10.0.0.11", "10.0.0.12"} {
		createReadyPod(t, "status", fmt.Sprintf("orders-%d", i), ip, "worker-b")
	}
	g.Eventually(get(key, &v1alpha1.Database{}), timeout).Should(HaveField("Status.Phase", v1alpha1.PhaseProvisioning))

	// Patroni elects orders-1 and points the rw Endpoints at it.
	g.Expect(env.Client.Create(ctx, leaderEndpoints("status", "orders-1", "10.0.0.11"))).To(Succeed())

	g.Eventually(get(key, &v1alpha1.Database{}), timeout).Should(SatisfyAll(
		HaveField("Status.Phase", v1alpha1.PhaseReady),
		HaveField("Status.Primary", "orders-1"),
		HaveField("Status.PrimaryZone", "zone-b"),
		HaveField("Status.Ready", "3/3"),
	))
}

func createReadyPod(t *testing.T, ns, name, ip, nodeName string) {
	t.Helper()
	ctx := context.Background()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{
			render.LabelDatabase: "orders", render.LabelInstance: "orders"}},
		Spec: corev1.PodSpec{NodeName: nodeName, Containers: []corev1.Container{{Name: "postgres", Image: "none"}}},
	}
	if err := env.Client.Create(ctx, pod); err != nil {
		t.Fatal(err)
	}
	pod.Status = corev1.PodStatus{PodIP: ip, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}
	if err := env.Client.Status().Update(ctx, pod); err != nil {
		t.Fatal(err)
	}
}

// TestScaleDownMovesThePrimaryFirst lowers replicas while the primary is
// the member a shrinking StatefulSet would remove: the StatefulSet must
// keep it until Patroni's leader (written here as Patroni would) is a
// member that stays.
func TestScaleDownMovesThePrimaryFirst(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	db := newDatabase(t, "shrink", "orders")
	key := client.ObjectKey{Namespace: "shrink", Name: "orders"}
	g.Eventually(get(key, &appsv1.StatefulSet{}), timeout).Should(HaveField("Spec.Replicas", HaveValue(Equal(int32(3)))))
	for i, ip := range []string{"10.0.1.10", "10.0.1.11", "10.0.1.12"} {
		createReadyPod(t, "shrink", fmt.Sprintf("orders-%d", i), ip, "")
	}
	endpoints := leaderEndpoints("shrink", "orders-2", "10.0.1.12")
	g.Expect(env.Client.Create(ctx, endpoints)).To(Succeed())
	g.Eventually(get(key, &v1alpha1.Database{}), timeout).Should(HaveField("Status.Primary", "orders-2"))

	g.Expect(env.Client.Update(ctx, refreshed(t, db, func(d *v1alpha1.Database) { d.Spec.Replicas = 2 }))).To(Succeed())
	g.Eventually(reconciledMessage(key), timeout).Should(ContainSubstring("switching over from orders-2 to orders-0 before removing members"))
	g.Expect(get(key, &appsv1.StatefulSet{})()).To(HaveField("Spec.Replicas", HaveValue(Equal(int32(3)))))

	// Patroni moved the leader to orders-0: now the StatefulSet shrinks.
	endpoints.Annotations["leader"] = "orders-0"
	endpoints.Subsets[0].Addresses[0].IP = "10.0.1.10"
	g.Expect(env.Client.Update(ctx, endpoints)).To(Succeed())
	g.Eventually(get(key, &appsv1.StatefulSet{}), timeout).Should(HaveField("Spec.Replicas", HaveValue(Equal(int32(2)))))
}

func leaderEndpoints(ns, leader, ip string) *corev1.Endpoints { //nolint:staticcheck // Patroni writes Endpoints
	return &corev1.Endpoints{ //nolint:staticcheck // as above
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orders-rw", Annotations: map[string]string{"leader": leader},
			Labels: map[string]string{database.LabelDatabase: "orders"}},
		Subsets: []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{{IP: ip}}, Ports: []corev1.EndpointPort{{Name: "postgresql", Port: 5432}}}}, //nolint:staticcheck // as above
	}
}

func reconciledMessage(key client.ObjectKey) func() string {
	return func() string {
		db, err := get(key, &v1alpha1.Database{})()
		if c := meta.FindStatusCondition(db.Status.Conditions, database.ConditionReconciled); err == nil && c != nil {
			return c.Message
		}
		return ""
	}
}

func TestEachDatabaseGetsItsOwnNodePort(t *testing.T) {
	g := NewWithT(t)
	newDatabase(t, "ports-a", "one")
	newDatabase(t, "ports-b", "two")

	port := func(ns, name string) func() int32 {
		return func() int32 {
			svc, err := get(client.ObjectKey{Namespace: ns, Name: name + "-rw"}, &corev1.Service{})()
			if err != nil || len(svc.Spec.Ports) == 0 {
				return 0
			}
			return svc.Spec.Ports[0].NodePort
		}
	}
	g.Eventually(port("ports-a", "one"), timeout).Should(BeNumerically(">=", 30080))
	g.Eventually(port("ports-b", "two"), timeout).Should(BeNumerically(">=", 30080))
	g.Expect(port("ports-a", "one")()).NotTo(Equal(port("ports-b", "two")()))

	// Once the range is used up, the next database says so in its status.
	// This test runs last in the file: no port is left after it.
	for i := range 6 {
		name := fmt.Sprintf("more-%d", i)
		newDatabase(t, "ports-"+name, name)
		outcome := func() string {
			if port("ports-"+name, name)() > 0 {
				return "got a port"
			}
			db, err := get(client.ObjectKey{Namespace: "ports-" + name, Name: name}, &v1alpha1.Database{})()
			if c := meta.FindStatusCondition(db.Status.Conditions, database.ConditionReconciled); err == nil && c != nil &&
				strings.Contains(c.Message, "every node port of 30080-30085 is taken") {
				return "range used up"
			}
			return ""
		}
		g.Eventually(outcome, timeout).ShouldNot(BeEmpty())
		if outcome() == "range used up" {
			return
		}
	}
	t.Fatal("no database reported the node port range as used up")
}
