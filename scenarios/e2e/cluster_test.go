//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"sort"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tidemark/tidemark/reconciler/database"
	"github.com/tidemark/tidemark/scenarios/faults"
	"github.com/tidemark/tidemark/scenarios/watch"
	"github.com/tidemark/tidemark/specs/v1alpha1"
)

// waitDatabaseReady waits until the controller has observed the current
// spec and reports every member ready, showing progress.
func waitDatabaseReady(ctx context.Context, name string, timeout time.Duration) *v1alpha1.Database {
	db := &v1alpha1.Database{}
	last := ""
	Eventually(func(g Gomega) {
		g.Expect(suite.client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, db)).To(Succeed())
		now := fmt.Sprintf("%s %s generation %d/%d", db.Status.Phase, db.Status.Ready, db.Status.ObservedGeneration, db.Generation)
		if now != last {
			fmt.Fprintf(GinkgoWriter, "%s  %s: %s\n", time.Now().Format(time.TimeOnly), name, now)
			last = now
		}
		g.Expect(db.Status.ObservedGeneration).To(Equal(db.Generation))
		g.Expect(db.Status.Phase).To(Equal(v1alpha1.PhaseReady))
	}).WithContext(ctx).WithTimeout(timeout).WithPolling(2 * time.Second).Should(Succeed())
	return db
}

// probeService is the per-member NodePort Service through which the
// host reaches one member directly, on the member's own node (traffic
// policy Local), so a member cut off from the others stays observable.
func probeService(db string, ordinal int) string { return fmt.Sprintf("%s-probe-%d", db, ordinal) }

// ensureProbeServices creates the probe Services of a database's members.
func ensureProbeServices(ctx context.Context, db string) {
	for i := range 3 {
		svc := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: probeService(db, i),
				Labels: map[string]string{"app.kubernetes.io/part-of": "tidemark-e2e"}},
			Spec: corev1.ServiceSpec{
				Type:                  corev1.ServiceTypeNodePort,
				ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal,
				// A member that is not ready (starting, demoted) must
				// still be asked: that is when its state matters most.
				PublishNotReadyAddresses: true,
				Selector:                 map[string]string{"statefulset.kubernetes.io/pod-name": fmt.Sprintf("%s-%d", db, i)},
				Ports:                    []corev1.ServicePort{{Name: "postgresql", Port: 5432, TargetPort: intstr.FromInt32(5432)}},
			},
		}
		err := suite.client.Create(ctx, svc)
		if apierrors.IsAlreadyExists(err) {
			err = suite.client.Patch(ctx, svc, client.Merge)
		}
		Expect(err).NotTo(HaveOccurred())
	}
}

// credentials reads a generated Secret of a database.
func credentials(ctx context.Context, secret string) (user, password string, err error) {
	var s corev1.Secret
	if err := suite.client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: secret}, &s); err != nil {
		return "", "", err
	}
	return string(s.Data["username"]), string(s.Data["password"]), nil
}

func connString(user, password, host string, port int32, database string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(user, password), Host: fmt.Sprintf("%s:%d", host, port), Path: "/" + database}
	u.RawQuery = "sslmode=disable"
	return u.String()
}

// rwConnString reaches the database as its application would: the app
// user through the rw Service's NodePort on 127.0.0.1.
func rwConnString(ctx context.Context, db string) string {
	var svc corev1.Service
	Expect(suite.client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: db + "-rw"}, &svc)).To(Succeed())
	Expect(svc.Spec.Ports).NotTo(BeEmpty())
	Expect(svc.Spec.Ports[0].NodePort).NotTo(BeZero(), "the rw Service of %s has no NodePort", db)
	user, password, err := credentials(ctx, db+"-app")
	Expect(err).NotTo(HaveOccurred())
	return connString(user, password, "127.0.0.1", svc.Spec.Ports[0].NodePort, "app")
}

// members returns how to reach each member directly: its node's address
// and its probe Service's NodePort, as the superuser. Right after a fault
// a member may have no address yet; that is an error to retry on.
func members(ctx context.Context, db string) ([]watch.Member, error) {
	user, password, err := credentials(ctx, db+"-superuser")
	if err != nil {
		return nil, err
	}

	var out []watch.Member
	for i := range 3 {
		pod := fmt.Sprintf("%s-%d", db, i)
		var p corev1.Pod
		var svc corev1.Service
		if err := suite.client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: pod}, &p); err != nil {
			return nil, err
		}
		if err := suite.client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: probeService(db, i)}, &svc); err != nil {
			return nil, err
		}
		if p.Status.HostIP == "" {
			return nil, fmt.Errorf("member %s has no node address yet", pod)
		}
		out = append(out, watch.Member{Name: pod, ConnString: connString(user, password, p.Status.HostIP, svc.Spec.Ports[0].NodePort, "postgres")})
	}
	return out, nil
}

// target is where a database's members are when a trial starts.
type target struct {
	db          string
	primary     string
	primaryNode string
	primaryZone string
	replicas    []string
}

// currentTarget reads the leader Patroni elected (its Endpoints) and
// where every member runs.
func currentTarget(ctx context.Context, db string) target {
	t := target{db: db}
	t.primary = leader(ctx, db)
	Expect(t.primary).NotTo(BeEmpty(), "%s has no leader", db)

	var pods corev1.PodList
	Expect(suite.client.List(ctx, &pods, client.InNamespace(namespace), client.MatchingLabels{"tidemark.dev/database": db})).To(Succeed())
	for _, p := range pods.Items {
		if p.Name == t.primary {
			t.primaryNode = p.Spec.NodeName
		} else {
			t.replicas = append(t.replicas, p.Name)
		}
	}
	sort.Strings(t.replicas)

	var node corev1.Node
	Expect(suite.client.Get(ctx, client.ObjectKey{Name: t.primaryNode}, &node)).To(Succeed())
	t.primaryZone = node.Labels[faults.ZoneLabel]
	return t
}

// leader is the member Patroni's leader key names, "" when none.
func leader(ctx context.Context, db string) string {
	var ep corev1.Endpoints //nolint:staticcheck // Patroni writes Endpoints
	if err := suite.client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: db + "-rw"}, &ep); err != nil {
		return ""
	}
	return ep.Annotations["leader"]
}

// settled reports whether nothing is under way for a database: the
// controller has reconciled the current generation with no step in
// progress and Patroni marks no member pending restart. Ready alone is
// not enough: members can be ready between two restarts of a sequence.
func settled(ctx context.Context, db string) bool {
	var d v1alpha1.Database
	if err := suite.client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: db}, &d); err != nil {
		return false
	}
	if d.Status.ObservedGeneration != d.Generation || d.Status.Phase != v1alpha1.PhaseReady ||
		!meta.IsStatusConditionTrue(d.Status.Conditions, database.ConditionReconciled) {
		return false
	}
	out, err := suite.clientset.CoreV1().Pods(namespace).ProxyGet("http", leader(ctx, db), "8008", "cluster", nil).DoRaw(ctx)
	return err == nil && !bytes.Contains(out, []byte(`"pending_restart": true`))
}

// syncStandby is the member Patroni's sync key names for the current
// leader, "" when none: in synchronous mode only that member may be
// promoted, so a fault before it is settled tests nothing useful.
func syncStandby(ctx context.Context, db string) string {
	var ep corev1.Endpoints //nolint:staticcheck // Patroni writes Endpoints
	if err := suite.client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: db + "-rw-sync"}, &ep); err != nil {
		return ""
	}
	if ep.Annotations["leader"] != leader(ctx, db) {
		return ""
	}
	return ep.Annotations["sync_standby"]
}

// otherNodes lists every node outside zone, control plane included.
func otherNodes(ctx context.Context, zone string) []string {
	var nodes corev1.NodeList
	Expect(suite.client.List(ctx, &nodes)).To(Succeed())
	var out []string
	for _, n := range nodes.Items {
		_, controlPlane := n.Labels["node-role.kubernetes.io/control-plane"]
		if n.Labels[faults.ZoneLabel] != zone || controlPlane {
			out = append(out, n.Name)
		}
	}
	return out
}
