package render

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/tidemark/tidemark/specs"
	"github.com/tidemark/tidemark/specs/v1alpha1"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// cases render the example config repo's databases: synchronous with three
// zones, asynchronous with two, and a minimal spec with no zones.
func cases(t *testing.T) map[string]*v1alpha1.Database {
	t.Helper()
	rev, err := specs.Load("../../../examples/config-repo", specs.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*v1alpha1.Database{}
	for _, s := range rev.Specs {
		s.Database.UID = "00000000-0000-0000-0000-000000000001"
		out[s.Database.Name] = s.Database
	}

	minimal := &v1alpha1.Database{}
	minimal.Name, minimal.Namespace, minimal.UID = "scratch", "dev", "00000000-0000-0000-0000-000000000002"
	minimal.Spec.Version = "15"
	minimal.Spec.Storage.Size = resource.MustParse("1Gi")
	specs.Default(minimal)
	if errs := specs.Validate(minimal); len(errs) > 0 {
		t.Fatalf("the minimal case is not a valid spec: %v", errs)
	}
	out["minimal"] = minimal
	return out
}

func options() Options {
	opts := DefaultOptions()
	opts.Image = "tidemark/postgres:15-test"
	return opts
}

// TestGolden compares every rendered object with its golden file, one file
// per object, so a change to any kind shows up in review.
func TestGolden(t *testing.T) {
	for name, db := range cases(t) {
		t.Run(name, func(t *testing.T) {
			objects, err := All(db, options())
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join("testdata", name)
			for _, obj := range objects {
				compareGolden(t, filepath.Join(dir, goldenName(obj)), obj)
			}
			assertNoStrayGoldens(t, dir, objects)
		})
	}
}

func goldenName(obj client.Object) string {
	return obj.GetObjectKind().GroupVersionKind().Kind + "_" + obj.GetName() + ".yaml"
}

func compareGolden(t *testing.T, path string, obj client.Object) {
	t.Helper()
	got, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("missing golden file (go test ./reconciler/database/render -update): %v", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from its golden file:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func assertNoStrayGoldens(t *testing.T, dir string, objects []client.Object) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if len(files) != len(objects) {
		t.Errorf("%d golden files in %s for %d objects: remove stale ones", len(files), dir, len(objects))
	}
}

func TestReadWriteServiceFollowsPatroniNotLabels(t *testing.T) {
	db := cases(t)["orders"]
	svc := readWriteService(db, options())

	if svc.Spec.Selector != nil {
		t.Errorf("rw Service selects pods by %v; it must take Patroni's Endpoints", svc.Spec.Selector)
	}
	if svc.Name != NamesOf(db).Scope() {
		t.Errorf("rw Service %q is not named after Patroni's scope %q", svc.Name, NamesOf(db).Scope())
	}
	if got := patroniConfig(db, options())["kubernetes"].(map[string]any)["use_endpoints"]; got != true {
		t.Errorf("Patroni use_endpoints = %v", got)
	}
}

func TestStatefulSetSpreadsOneMemberPerZone(t *testing.T) {
	db := cases(t)["orders"]
	sts := statefulSet(db, options())
	pod := sts.Spec.Template.Spec

	if *sts.Spec.Replicas != 3 || sts.Spec.UpdateStrategy.Type != appsv1.OnDeleteStatefulSetStrategyType {
		t.Errorf("replicas %d, update strategy %s", *sts.Spec.Replicas, sts.Spec.UpdateStrategy.Type)
	}
	spread := pod.TopologySpreadConstraints
	if len(spread) != 1 || spread[0].WhenUnsatisfiable != corev1.DoNotSchedule || spread[0].TopologyKey != zoneKey {
		t.Errorf("spread = %+v", spread)
	}
	zones := pod.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchExpressions[0].Values
	if strings.Join(zones, ",") != "zone-a,zone-b,zone-c" {
		t.Errorf("zones = %v", zones)
	}
	if pod.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution[0].TopologyKey != "kubernetes.io/hostname" {
		t.Error("members are not kept on different hosts")
	}
}

func TestMembersRunLockedDown(t *testing.T) {
	pod := statefulSet(cases(t)["orders"], options()).Spec.Template.Spec
	c := pod.Containers[0]

	if !*pod.SecurityContext.RunAsNonRoot || pod.SecurityContext.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Error("pod may run as root or without the default seccomp profile")
	}
	if len(c.SecurityContext.Capabilities.Drop) != 1 || c.SecurityContext.Capabilities.Drop[0] != "ALL" || *c.SecurityContext.AllowPrivilegeEscalation {
		t.Error("container keeps capabilities or may escalate")
	}
	if c.ReadinessProbe.HTTPGet.Path != "/readiness" || c.LivenessProbe.HTTPGet.Path != "/liveness" {
		t.Error("probes do not ask Patroni")
	}
	if c.Resources.Requests.Memory().String() != "256Mi" || c.Resources.Limits.Memory().String() != "512Mi" {
		t.Errorf("resources = %+v", c.Resources)
	}
}

func TestSynchronousReplicationAndParameters(t *testing.T) {
	for name, wantSync := range map[string]bool{"orders": true, "inventory": false} {
		dcs := patroniConfig(cases(t)[name], options())["bootstrap"].(map[string]any)["dcs"].(map[string]any)
		if dcs["synchronous_mode"] != wantSync {
			t.Errorf("%s: synchronous_mode = %v, want %v", name, dcs["synchronous_mode"], wantSync)
		}
	}
	params := Parameters(cases(t)["orders"])
	if params["max_connections"] != "100" || params["wal_level"] != "replica" {
		t.Errorf("parameters = %v", params)
	}
}

func TestPatroniTimingLeavesRoomForRetries(t *testing.T) {
	// Patroni requires loop_wait + 2*retry_timeout <= ttl, or a slow API
	// server call could let the leader key expire under a healthy leader.
	opts := DefaultOptions()
	if opts.LoopWait+2*opts.RetryTimeout > opts.TTL {
		t.Errorf("ttl %d < loop_wait %d + 2*retry_timeout %d", opts.TTL, opts.LoopWait, opts.RetryTimeout)
	}
}
