package sync_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/tidemark/tidemark/internal/testctrl"
	"github.com/tidemark/tidemark/internal/testenv"
	"github.com/tidemark/tidemark/reconciler/database"
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

	stopped, err := testctrl.Start(ctx, env, database.PortRange{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the database controller:", err)
		return 1
	}
	code := m.Run()
	cancel()
	<-stopped
	return code
}
