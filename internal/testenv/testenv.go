// Package testenv starts a real kube-apiserver and etcd for integration
// tests. The binaries are built from Go modules by clusters/toolchain into
// the cache outside the repo (or taken from KUBEBUILDER_ASSETS), so tests run
// the same API server release the kind node image carries.
package testenv

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/tidemark/tidemark/clusters/toolchain"
	"github.com/tidemark/tidemark/specs"
	"github.com/tidemark/tidemark/specs/v1alpha1"
)

// Env is a running API server with the Database CRD installed.
type Env struct {
	Config *rest.Config
	Client client.Client
	Scheme *runtime.Scheme

	env     *envtest.Environment
	certDir string
}

// Start builds (or finds) the binaries and starts etcd and kube-apiserver.
func Start(ctx context.Context) (*Env, error) {
	assets, err := binaries(ctx)
	if err != nil {
		return nil, err
	}

	crd, err := specs.DatabaseCRD()
	if err != nil {
		return nil, err
	}

	scheme, err := NewScheme()
	if err != nil {
		return nil, err
	}

	env := &envtest.Environment{
		BinaryAssetsDirectory:    assets,
		CRDs:                     []*apiextensionsv1.CustomResourceDefinition{crd},
		Scheme:                   scheme,
		ControlPlaneStartTimeout: time.Minute,
		// kube-apiserver drains its watches before it exits; on a loaded
		// two-core machine that can take longer than envtest's 20 s.
		ControlPlaneStopTimeout: time.Minute,
	}
	// A cert folder of our own survives a restart of kube-apiserver, so
	// clients made before the restart still trust the server after it.
	certDir, err := os.MkdirTemp("", "tidemark-apiserver-certs-")
	if err != nil {
		return nil, err
	}
	env.ControlPlane.GetAPIServer().CertDir = certDir

	// The server's output goes to a file: with an in-memory writer envtest
	// waits for the output copier as well, and a stop under load then
	// outlasts its timeout. TIDEMARK_TEST_APISERVER_LOG keeps the file.
	logPath := os.Getenv("TIDEMARK_TEST_APISERVER_LOG")
	if logPath == "" {
		logPath = filepath.Join(certDir, "kube-apiserver.log")
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("creating the API server log: %w", err)
	}
	env.ControlPlane.GetAPIServer().Out, env.ControlPlane.GetAPIServer().Err = logFile, logFile

	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting kube-apiserver and etcd from %s: %w", assets, err)
	}

	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	return &Env{Config: cfg, Client: c, Scheme: scheme, env: env, certDir: certDir}, nil
}

// binaries returns the folder holding kube-apiserver, etcd and kubectl.
func binaries(ctx context.Context) (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}

	opts := toolchain.DefaultOptions()
	opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	dir, err := toolchain.TestBinaries(ctx, toolchain.KubernetesVersion, toolchain.EtcdVersion, opts)
	if err != nil {
		return "", fmt.Errorf("building the API server for integration tests: %w", err)
	}
	return dir, nil
}

// NewScheme returns a scheme with the built-in kinds and tidemark's.
func NewScheme() (*runtime.Scheme, error) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := apiextensionsv1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	return scheme, nil
}

// Stop stops the API server and etcd and removes their data.
func (e *Env) Stop() error {
	defer os.RemoveAll(e.certDir)
	return e.env.Stop()
}

// StopAPIServer kills kube-apiserver as a crash would; etcd keeps the data.
//
// A graceful stop is no good here: kube-apiserver then waits for open watch
// connections to end, which can outlast any sensible test timeout.
func (e *Env) StopAPIServer() error {
	pid, err := e.apiServerPID()
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("killing kube-apiserver (pid %d): %w", pid, err)
	}
	return e.env.ControlPlane.APIServer.Stop() // reaps the process
}

// apiServerPID finds this Env's kube-apiserver by its unique cert folder,
// since envtest does not expose the process.
func (e *Env) apiServerPID() (int, error) {
	cmdlines, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil {
		return 0, err
	}
	want := []byte("--cert-dir=" + e.certDir + "\x00")
	for _, path := range cmdlines {
		cmdline, err := os.ReadFile(path)
		if err != nil || !bytes.Contains(cmdline, want) {
			continue
		}
		return strconv.Atoi(filepath.Base(filepath.Dir(path)))
	}
	return 0, fmt.Errorf("no kube-apiserver process with --cert-dir=%s", e.certDir)
}

// StartAPIServer starts kube-apiserver again on the same address and etcd.
func (e *Env) StartAPIServer() error {
	return e.env.ControlPlane.APIServer.Start()
}

// KubectlPath is the kubectl built beside the API server.
func (e *Env) KubectlPath() string {
	return e.env.ControlPlane.KubectlPath
}

// KubeConfig returns a kubeconfig file's content for this API server.
func (e *Env) KubeConfig() []byte {
	return e.env.KubeConfig
}
