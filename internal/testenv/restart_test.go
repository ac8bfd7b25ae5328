package testenv

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// TestAPIServerRestartKeepsClients checks that a client made before a
// restart of kube-apiserver works after it: the tests that stop the API
// server mid-apply depend on it.
func TestAPIServerRestartKeepsClients(t *testing.T) {
	ctx := context.Background()
	env, err := Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Stop()

	start := time.Now()
	if err := env.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	t.Logf("stopped in %s", time.Since(start))
	if err := env.StartAPIServer(); err != nil {
		t.Fatal(err)
	}

	var list corev1.NamespaceList
	if err := env.Client.List(ctx, &list); err != nil {
		t.Fatalf("listing after restart: %v", err)
	}
}
