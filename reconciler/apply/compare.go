package apply

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"reflect"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// HashAnnotation holds a hash of the desired object as last applied. A
// changed hash means the desired state changed, which catches fields removed
// from a spec: those do not show up as drift on the live object.
const HashAnnotation = "tidemark.dev/applied-hash"

// desiredHash hashes the parts of an object a config author controls.
func desiredHash(obj *unstructured.Unstructured, ignoreAnnotations []string) string {
	clean := obj.DeepCopy()
	annotations := clean.GetAnnotations()
	delete(annotations, HashAnnotation)
	for _, key := range ignoreAnnotations {
		delete(annotations, key)
	}
	clean.SetAnnotations(annotations)

	raw, _ := json.Marshal(clean.Object) // maps marshal in key order: stable
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:8])
}

// drifted reports whether the live object differs from desired in any field
// desired sets. Fields only the live object has (defaults, status, fields of
// other managers) are not drift, and neither are the ignored annotations,
// which change with every revision without changing the object.
func drifted(desired, live *unstructured.Unstructured, ignoreAnnotations []string) bool {
	for key, want := range desired.Object {
		switch key {
		case "apiVersion", "kind":
			continue
		case "metadata":
			if metadataDrifted(desired, live, ignoreAnnotations) {
				return true
			}
		default:
			if !contains(live.Object[key], want) {
				return true
			}
		}
	}
	return false
}

func metadataDrifted(desired, live *unstructured.Unstructured, ignoreAnnotations []string) bool {
	annotations := maps.Clone(desired.GetAnnotations())
	for _, key := range ignoreAnnotations {
		delete(annotations, key)
	}
	return !containsStrings(live.GetLabels(), desired.GetLabels()) ||
		!containsStrings(live.GetAnnotations(), annotations)
}

func containsStrings(have, want map[string]string) bool {
	for k, v := range want {
		if got, ok := have[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// contains reports whether have holds every field of want with the same
// value. Lists must match element by element: a list tidemark sets is owned
// as a whole.
func contains(have, want any) bool {
	switch w := want.(type) {
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			return len(w) == 0 && have == nil
		}
		for k, v := range w {
			if !contains(h[k], v) {
				return false
			}
		}
		return true
	case []any:
		h, ok := have.([]any)
		if !ok || len(h) != len(w) {
			return len(w) == 0 && have == nil
		}
		for i := range w {
			if !contains(h[i], w[i]) {
				return false
			}
		}
		return true
	}
	return scalarEqual(have, want)
}

// scalarEqual compares JSON scalars, treating numbers by value: decoded JSON
// may hold the same number as int64 or float64.
func scalarEqual(a, b any) bool {
	if fa, ok := number(a); ok {
		fb, ok := number(b)
		return ok && fa == fb
	}
	return reflect.DeepEqual(a, b)
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}
