package sync_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tidemark/tidemark/internal/gittest"
	"github.com/tidemark/tidemark/reconciler/apply"
	"github.com/tidemark/tidemark/reconciler/database"
	"github.com/tidemark/tidemark/reconciler/source"
	"github.com/tidemark/tidemark/reconciler/sync"
	"github.com/tidemark/tidemark/specs/v1alpha1"
)

const timeout = 30 * time.Second

// fixture is one config repo synced into its own namespace by its own sync.
type fixture struct {
	t    *testing.T
	repo *gittest.Repo
	ns   string
	loop *sync.Loop
}

func newFixture(t *testing.T, url func(*gittest.Repo) string) *fixture {
	t.Helper()
	name := strings.ToLower(strings.ReplaceAll(t.Name(), "_", "-"))
	name = strings.ReplaceAll(name, "/", "-")
	if len(name) > 40 {
		name = name[:40]
	}
	f := &fixture{t: t, repo: gittest.New(t), ns: name}
	f.repo.Write("README.md", "config repo of "+t.Name()+"\n")
	f.repo.Commit("initial")

	fetcher, err := source.New(source.Options{URL: url(f.repo), CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	syncer := sync.New(env.Client, testLogger(t), sync.Options{Name: name})
	f.loop = sync.NewLoop(fetcher, syncer, time.Hour, testLogger(t))
	return f
}

func fileURL(r *gittest.Repo) string { return r.URL() }
func httpURL(r *gittest.Repo) string { return r.ServeHTTP() }

// spec writes a Database spec file into the repo's worktree.
func (f *fixture) spec(path, name string, extra ...string) {
	body := fmt.Sprintf(`apiVersion: tidemark.dev/v1alpha1
kind: Database
metadata:
  name: %s
  namespace: %s
spec:
  version: "15"
  storage: {size: 1Gi}
`, name, f.ns)
	for _, line := range extra {
		body += "  " + line + "\n"
	}
	f.repo.Write(path, body)
}

func (f *fixture) sync() (sync.Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return f.loop.RunOnce(ctx)
}

func (f *fixture) mustSync() sync.Result {
	f.t.Helper()
	result, err := f.sync()
	if err != nil {
		f.t.Fatalf("sync: %v", err)
	}
	return result
}

func (f *fixture) database(name string) (*v1alpha1.Database, error) {
	db := &v1alpha1.Database{}
	err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: f.ns, Name: name}, db)
	return db, err
}

func (f *fixture) state() sync.State {
	f.t.Helper()
	state, err := f.loop.Syncer.State(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return state
}

func TestValidCommitApplies(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, fileURL)
	f.spec("databases/orders.yaml", "orders", "replicas: 3", "zones: [zone-a, zone-b, zone-c]")
	f.spec("databases/users.yaml", "users")
	sha := f.repo.Commit("add orders and users")

	result := f.mustSync()

	g.Expect(result.Writes()).To(Equal(3), "one namespace and two databases")
	db, err := f.database("orders")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(db.Spec.Replicas).To(Equal(int32(3)))
	g.Expect(db.Annotations).To(HaveKeyWithValue(sync.AnnotationRevision, sha))
	g.Expect(db.Annotations).To(HaveKeyWithValue(sync.AnnotationSourceFile, "databases/orders.yaml"))
	g.Expect(f.state().LastAppliedRevision).To(Equal(sha))

	// The controller reports the revision for this generation.
	g.Eventually(func() v1alpha1.DatabaseStatus {
		db, _ := f.database("orders")
		return db.Status
	}, timeout).Should(SatisfyAll(
		HaveField("Revision", sha),
		HaveField("ObservedGeneration", db.Generation),
		HaveField("Phase", v1alpha1.PhasePending),
	))

	g.Expect(f.mustSync().Writes()).To(BeZero(), "an unchanged revision writes nothing")

	f.repo.Write("README.md", "a commit that changes no spec\n")
	f.repo.Commit("docs only")
	g.Expect(f.mustSync().Writes()).To(BeZero(), "a commit that changes no spec writes nothing")
	db, _ = f.database("orders")
	g.Expect(db.Annotations).To(HaveKeyWithValue(sync.AnnotationRevision, sha), "the revision that last changed it")
}

func TestAnotherSyncsObjectIsNeitherTakenNorPruned(t *testing.T) {
	g := NewWithT(t)
	first := newFixture(t, fileURL)
	first.spec("databases/shared.yaml", "shared")
	first.repo.Commit("first repo declares shared")
	first.mustSync()

	// A second repo, with its own sync, declares the same Database.
	second := newFixture(t, fileURL)
	second.loop = sync.NewLoop(second.loop.Source, sync.New(env.Client, testLogger(t), sync.Options{Name: "second-sync"}), time.Hour, testLogger(t))
	second.ns = first.ns
	second.spec("databases/shared.yaml", "shared", "replicas: 3")
	second.repo.Commit("second repo declares shared too")

	_, err := second.sync()
	g.Expect(err).To(MatchError(ContainSubstring(`Database/` + first.ns + `/shared is owned by sync "` + first.ns + `"`)))
	db, _ := first.database("shared")
	g.Expect(db.Spec.Replicas).To(Equal(int32(1)))
	g.Expect(db.Labels).To(HaveKeyWithValue(sync.LabelSync, first.ns))

	// Handed over by hand to the second sync, the first one must not prune it.
	g.Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		db, err := first.database("shared")
		if err != nil {
			return err
		}
		db.Labels[sync.LabelSync] = "second-sync"
		return env.Client.Update(context.Background(), db)
	})).To(Succeed())
	first.repo.Remove("databases/shared.yaml")
	first.repo.Commit("first repo lets go of shared")
	g.Expect(first.mustSync().Pruned).To(BeEmpty())
	_, err = first.database("shared")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(first.state().Inventory).NotTo(ContainElement(HaveField("Name", "shared")))
}

func TestBadCommitAppliesNothing(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, fileURL)
	f.spec("databases/orders.yaml", "orders")
	good := f.repo.Commit("add orders")
	f.mustSync()

	// One valid change, one new database and one broken file in one commit.
	f.spec("databases/orders.yaml", "orders", "replicas: 3")
	f.spec("databases/users.yaml", "users")
	f.spec("databases/broken.yaml", "broken", "replicas: three")
	bad := f.repo.Commit("a commit with one broken file")

	_, err := f.sync()

	var rejected *sync.RejectedError
	g.Expect(errors.As(err, &rejected)).To(BeTrue(), "error %v", err)
	g.Expect(err.Error()).To(ContainSubstring(`databases/broken.yaml:9: spec.replicas: expected an integer, got string "three"`))

	db, err := f.database("orders")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(db.Spec.Replicas).To(Equal(int32(1)), "the valid part of the bad commit was not applied")
	g.Expect(db.Annotations).To(HaveKeyWithValue(sync.AnnotationRevision, good))
	_, err = f.database("users")
	g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the new database of the bad commit was not created")

	state := f.state()
	g.Expect(state.LastAppliedRevision).To(Equal(good))
	g.Expect(state.LastAttemptedRevision).To(Equal(bad))
	g.Expect(state.Errors).To(ContainElement(ContainSubstring("databases/broken.yaml:9")))

	// While the bad commit is the head, drift is still corrected from the
	// last good revision.
	g.Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		db, err := f.database("orders")
		if err != nil {
			return err
		}
		db.Spec.Replicas = 7
		return env.Client.Update(context.Background(), db, client.FieldOwner("kubectl-edit"))
	})).To(Succeed())
	_, err = f.sync()
	g.Expect(err).To(HaveOccurred())
	db, _ = f.database("orders")
	g.Expect(db.Spec.Replicas).To(Equal(int32(1)))
}

func TestRemovedSpecKeepsItsData(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, fileURL)
	f.spec("databases/orders.yaml", "orders")
	f.spec("databases/scratch.yaml", "scratch", "deletionPolicy: Delete")
	f.repo.Commit("add orders and scratch")
	f.mustSync()
	orders := f.dataOf("orders")
	scratch := f.dataOf("scratch")

	f.repo.Remove("databases/orders.yaml")
	f.repo.Remove("databases/scratch.yaml")
	f.repo.Commit("remove both")
	f.mustSync()
	// The finalizer may hold a Database for a moment; a later pass sees it go.
	g.Eventually(func() []apply.Ref { return f.mustSync().Pending }, timeout).Should(BeEmpty())

	for _, name := range []string{"orders", "scratch"} {
		g.Eventually(func() bool { _, err := f.database(name); return apierrors.IsNotFound(err) }, timeout).Should(BeTrue())
	}

	// Retain: the data stays, released from its owner and labelled.
	for _, obj := range orders {
		g.Expect(env.Client.Get(context.Background(), client.ObjectKeyFromObject(obj), obj)).To(Succeed())
		g.Expect(obj.GetOwnerReferences()).To(BeEmpty())
		g.Expect(obj.GetLabels()).To(HaveKeyWithValue(database.LabelOrphaned, "true"))
	}
	// Delete: the spec asked for it explicitly.
	for _, obj := range scratch {
		err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(obj), obj)
		g.Expect(apierrors.IsNotFound(err) || !obj.GetDeletionTimestamp().IsZero()).To(BeTrue(), "%s still there", obj.GetName())
	}

	state := f.state()
	g.Expect(state.Orphaned).To(ConsistOf(HaveField("Name", "orders")))
	g.Expect(state.Inventory).NotTo(ContainElement(HaveField("Kind", "Database")))
}

// dataOf returns a database's data: the Secrets its controller generated
// and a volume such as its StatefulSet would claim (no StatefulSet
// controller runs against this API server, so the test claims it).
func (f *fixture) dataOf(name string) []client.Object {
	f.t.Helper()
	db, err := f.database(name)
	if err != nil {
		f.t.Fatal(err)
	}

	var data []client.Object
	for _, secret := range []string{name + "-superuser", name + "-replication", name + "-app"} {
		obj := &corev1.Secret{}
		key := client.ObjectKey{Namespace: f.ns, Name: secret}
		NewWithT(f.t).Eventually(func() error { return env.Client.Get(context.Background(), key, obj) }, timeout).Should(Succeed())
		data = append(data, obj)
	}

	pvc := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: f.ns,
			Name:      "data-" + name + "-0",
			Labels:    map[string]string{database.LabelDatabase: name},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: v1alpha1.GroupVersion.String(), Kind: "Database", Name: db.Name, UID: db.UID,
			}},
		},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
		},
	}
	if err := env.Client.Create(context.Background(), pvc); err != nil {
		f.t.Fatal(err)
	}
	return append(data, pvc)
}

func TestMovedFileIsNotADelete(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, fileURL)
	f.spec("databases/orders.yaml", "orders")
	f.repo.Commit("add orders")
	f.mustSync()
	before, _ := f.database("orders")

	f.repo.Move("databases/orders.yaml", "teams/shop/orders.yaml")
	f.repo.Commit("move orders to the shop team's folder")
	result := f.mustSync()

	g.Expect(result.Pruned).To(BeEmpty())
	after, err := f.database("orders")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(after.UID).To(Equal(before.UID), "the same object, not a new one")
	g.Expect(after.Annotations).To(HaveKeyWithValue(sync.AnnotationSourceFile, "teams/shop/orders.yaml"))
}

func TestDriftIsCorrected(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, fileURL)
	f.spec("databases/orders.yaml", "orders", "replicas: 3", "parameters: {work_mem: 64MB}")
	f.repo.Commit("add orders")
	f.mustSync()

	// Someone edits the live object with another field manager, retrying
	// as kubectl does when the controller wrote in between.
	g.Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		db, err := f.database("orders")
		if err != nil {
			return err
		}
		db.Spec.Replicas = 5
		db.Spec.Parameters["work_mem"] = "1GB"
		delete(db.Labels, sync.LabelManagedBy)
		return env.Client.Update(context.Background(), db, client.FieldOwner("kubectl-edit"))
	})).To(Succeed())

	result := f.mustSync()

	g.Expect(result.Writes()).To(Equal(1))
	db, _ := f.database("orders")
	g.Expect(db.Spec.Replicas).To(Equal(int32(3)))
	g.Expect(db.Spec.Parameters).To(HaveKeyWithValue("work_mem", "64MB"))
	g.Expect(db.Labels).To(HaveKeyWithValue(sync.LabelManagedBy, sync.ManagedByValue))
	g.Expect(f.mustSync().Writes()).To(BeZero())
}

func TestForcePushIsFollowed(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, httpURL)
	f.spec("databases/orders.yaml", "orders")
	older := f.repo.Commit("add orders")
	f.spec("databases/users.yaml", "users")
	f.repo.Commit("add users")
	f.mustSync()
	_, err := f.database("users")
	g.Expect(err).NotTo(HaveOccurred())

	f.repo.ResetHard(older)
	f.mustSync()

	state := f.state()
	g.Expect(state.LastAppliedRevision).To(Equal(older))
	g.Expect(state.HistoryRewritten).To(BeTrue())
	g.Eventually(func() bool { _, err := f.database("users"); return apierrors.IsNotFound(err) }, timeout).Should(BeTrue())
}

func TestAPIServerStoppedMidApplyConverges(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, fileURL)
	const count = 150
	for i := range count {
		f.spec(fmt.Sprintf("databases/db-%03d.yaml", i), fmt.Sprintf("db-%03d", i))
	}
	sha := f.repo.Commit("add many databases")

	done := make(chan error, 1)
	go func() { _, err := f.sync(); done <- err }()
	g.Eventually(func() int { return f.count() }, timeout, 5*time.Millisecond).Should(BeNumerically(">", 0))
	g.Expect(env.StopAPIServer()).To(Succeed())

	g.Expect(<-done).To(HaveOccurred(), "the pass was cut off")
	g.Expect(env.StartAPIServer()).To(Succeed())
	g.Eventually(func() error { _, err := f.sync(); return err }, timeout, time.Second).Should(Succeed())

	g.Expect(f.count()).To(Equal(count))
	g.Expect(f.state().LastAppliedRevision).To(Equal(sha))
	g.Expect(f.mustSync().Writes()).To(BeZero())
}

func (f *fixture) count() int {
	var list v1alpha1.DatabaseList
	if err := env.Client.List(context.Background(), &list, client.InNamespace(f.ns)); err != nil {
		return -1
	}
	return len(list.Items)
}
