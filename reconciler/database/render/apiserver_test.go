package render

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tidemark/tidemark/internal/testenv"
)

// TestAPIServerAdmitsEveryObject dry-runs every rendered object against a
// real kube-apiserver, which checks what golden files cannot: that each
// object is valid for the Kubernetes release the clusters run.
func TestAPIServerAdmitsEveryObject(t *testing.T) {
	ctx := context.Background()
	env, err := testenv.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Stop()

	for name, db := range cases(t) {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: db.Namespace}}
		if err := env.Client.Create(ctx, ns); client.IgnoreAlreadyExists(err) != nil {
			t.Fatal(err)
		}
		objects, err := All(db, options())
		if err != nil {
			t.Fatal(err)
		}
		for _, obj := range objects {
			if err := env.Client.Create(ctx, obj, client.DryRunAll); err != nil {
				t.Errorf("%s: %s %s refused: %v", name, obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName(), err)
			}
		}
	}
}
