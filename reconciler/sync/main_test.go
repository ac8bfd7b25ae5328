package sync_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"testing"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/tidemark/tidemark/internal/testenv"
	"github.com/tidemark/tidemark/reconciler/database"
	"github.com/tidemark/tidemark/reconciler/database/render"
)

// env is one real kube-apiserver and etcd shared by the integration tests
// of this package, with the Database controller running against it.
var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(runWithAPIServer(m))
}

func runWithAPIServer(m *testing.M) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var err error
	env, err = testenv.Start(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration tests need a real API server:", err)
		return 1
	}
	defer env.Stop()

	stopped, err := startController(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the database controller:", err)
		return 1
	}
	code := m.Run()
	fmt.Fprintln(os.Stderr, "tests done; stopping the controller and the API server")

	// Close the controller's watches first: kube-apiserver waits for open
	// watches before it exits.
	cancel()
	<-stopped
	return code
}

func startController(ctx context.Context) (<-chan struct{}, error) {
	// The controller's own errors (connection refused while a test stops
	// the API server) are expected here; show them only when asked.
	logs := io.Discard
	if os.Getenv("TIDEMARK_TEST_CONTROLLER_LOGS") != "" {
		logs = os.Stderr
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(logs)))
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{
		Scheme:  env.Scheme,
		Metrics: metricsserver.Options{BindAddress: "0"},
	})
	if err != nil {
		return nil, err
	}
	reconciler := &database.Reconciler{Client: mgr.GetClient(), Render: render.DefaultOptions()}
	if err := reconciler.SetupWithManager(mgr); err != nil {
		return nil, err
	}

	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "database controller stopped:", err)
		}
	}()
	return stopped, nil
}
