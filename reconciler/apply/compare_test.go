package apply

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func object(spec map[string]any, labels map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "tidemark.dev/v1alpha1",
		"kind":       "Database",
		"metadata":   map[string]any{"name": "orders", "namespace": "shop", "labels": labels},
		"spec":       spec,
	}}
}

func withAnnotation(obj *unstructured.Unstructured, key, value string) *unstructured.Unstructured {
	annotations := map[string]string{"tidemark.dev/revision": "newer", "team": "shop"}
	annotations[key] = value
	obj.SetAnnotations(annotations)
	return obj
}

func TestDrifted(t *testing.T) {
	desired := object(map[string]any{
		"replicas": int64(3),
		"zones":    []any{"zone-a", "zone-b"},
		"storage":  map[string]any{"size": "1Gi"},
	}, map[string]any{"app.kubernetes.io/managed-by": "tidemark"})
	desired.SetAnnotations(map[string]string{"tidemark.dev/revision": "newer", "team": "shop"})

	cases := []struct {
		name string
		live *unstructured.Unstructured
		want bool
	}{
		{"identical", desired.DeepCopy(), false},
		{"server defaults and extra labels are not drift", withAnnotation(object(map[string]any{
			"replicas": float64(3), "zones": []any{"zone-a", "zone-b"},
			"storage": map[string]any{"size": "1Gi"}, "engine": "postgres",
		}, map[string]any{"app.kubernetes.io/managed-by": "tidemark", "other": "x"}), "extra", "y"), false},
		{"changed scalar", object(map[string]any{
			"replicas": int64(5), "zones": []any{"zone-a", "zone-b"}, "storage": map[string]any{"size": "1Gi"},
		}, map[string]any{"app.kubernetes.io/managed-by": "tidemark"}), true},
		{"list grew", object(map[string]any{
			"replicas": int64(3), "zones": []any{"zone-a", "zone-b", "zone-c"}, "storage": map[string]any{"size": "1Gi"},
		}, map[string]any{"app.kubernetes.io/managed-by": "tidemark"}), true},
		{"nested field removed", object(map[string]any{
			"replicas": int64(3), "zones": []any{"zone-a", "zone-b"}, "storage": map[string]any{},
		}, map[string]any{"app.kubernetes.io/managed-by": "tidemark"}), true},
		{"ignored annotation differs", withAnnotation(desired.DeepCopy(), "tidemark.dev/revision", "older"), false},
		{"other annotation differs", withAnnotation(desired.DeepCopy(), "team", "other"), true},
		{"label removed", object(map[string]any{
			"replicas": int64(3), "zones": []any{"zone-a", "zone-b"}, "storage": map[string]any{"size": "1Gi"},
		}, map[string]any{}), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := drifted(desired, tc.live, []string{"tidemark.dev/revision"}); got != tc.want {
				t.Errorf("drifted = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDesiredHash(t *testing.T) {
	a := object(map[string]any{"replicas": int64(3)}, nil)
	a.SetAnnotations(map[string]string{"tidemark.dev/revision": "abc"})
	b := a.DeepCopy()
	b.SetAnnotations(map[string]string{"tidemark.dev/revision": "def", HashAnnotation: "old"})
	ignore := []string{"tidemark.dev/revision"}

	if desiredHash(a, ignore) != desiredHash(b, ignore) {
		t.Error("ignored annotations and the hash itself changed the hash")
	}

	c := object(map[string]any{}, nil)
	if desiredHash(a, ignore) == desiredHash(c, ignore) {
		t.Error("removing a field did not change the hash")
	}
}
