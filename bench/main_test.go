package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tidemark/tidemark/internal/testenv"
)

// The API server is started on first use, so that `go test ./...` (which
// runs no benchmark here) does not start one for nothing.
var (
	envOnce    sync.Once
	env        *testenv.Env
	envErr     error
	kubeconfig string // a file holding env.KubeConfig(), for kubectl
	tempRoot   string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if env != nil {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the API server:", err)
		}
	}
	if tempRoot != "" {
		os.RemoveAll(tempRoot)
	}
	os.Exit(code)
}

// apiServer returns the shared API server, starting it on first call.
func apiServer(b *testing.B) *testenv.Env {
	b.Helper()
	envOnce.Do(func() {
		env, envErr = testenv.Start(context.Background())
		if envErr != nil {
			return
		}
		tempRoot, envErr = os.MkdirTemp("", "tidemark-bench-")
		if envErr != nil {
			return
		}
		kubeconfig = filepath.Join(tempRoot, "kubeconfig")
		envErr = os.WriteFile(kubeconfig, env.KubeConfig(), 0o600)
	})
	if envErr != nil {
		b.Fatalf("the benchmark needs a real API server: %v", envErr)
	}
	return env
}
