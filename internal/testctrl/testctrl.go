// Package testctrl runs the Database controller against a test API server.
package testctrl

import (
	"context"
	"fmt"
	"io"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/tidemark/tidemark/internal/testenv"
	"github.com/tidemark/tidemark/reconciler/database"
	"github.com/tidemark/tidemark/reconciler/database/render"
)

// Start runs the Database controller against e until ctx
// ends; the returned channel closes once it has stopped. Close it before
// Stop: kube-apiserver waits for open watches before it exits.
//
// The controller's own errors (connection refused while a test stops the
// API server) are expected in tests; TIDEMARK_TEST_CONTROLLER_LOGS shows them.
func Start(ctx context.Context, e *testenv.Env, nodePorts database.PortRange) (<-chan struct{}, error) {
	logs := io.Discard
	if os.Getenv("TIDEMARK_TEST_CONTROLLER_LOGS") != "" {
		logs = os.Stderr
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(logs)))

	mgr, err := ctrl.NewManager(e.Config, ctrl.Options{Scheme: e.Scheme, Metrics: metricsserver.Options{BindAddress: "0"}})
	if err != nil {
		return nil, fmt.Errorf("creating the controller manager: %w", err)
	}
	r := &database.Reconciler{Client: mgr.GetClient(), Render: render.DefaultOptions(), NodePorts: nodePorts}
	if err := r.SetupWithManager(mgr); err != nil {
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
