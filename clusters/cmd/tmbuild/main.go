// Command tmbuild builds Kubernetes and etcd binaries from Go modules into the
// tidemark cache and prints the directory holding them. Stdout carries only that
// path, so a Makefile can write KUBEBUILDER_ASSETS=$(go run ./clusters/cmd/tmbuild testbin);
// progress goes to stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/tidemark/tidemark/clusters/toolchain"
)

const usage = `usage: tmbuild [flags] <target> [binary...]

targets:
  testbin              kube-apiserver, kubectl and etcd in one directory, for envtest
  kubernetes <binary>  the named k8s.io/kubernetes commands ("all" for the node set)
  etcd                 the etcd server
  coredns, crictl, local-path-provisioner, pause
                       the node's other components

flags:
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "tmbuild:", err)
		os.Exit(1)
	}
}

// run parses args, builds the target and writes its directory to stdout.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts := toolchain.DefaultOptions()
	opts.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	kubeVersion, etcdVersion := toolchain.KubernetesVersion, toolchain.EtcdVersion

	fs := flag.NewFlagSet("tmbuild", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	opts.BindFlags(fs)
	fs.StringVar(&kubeVersion, "kubernetes-version", kubeVersion, "k8s.io/kubernetes module version")
	fs.StringVar(&etcdVersion, "etcd-version", etcdVersion, "go.etcd.io/etcd/server/v3 module version")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("no target given")
	}

	dir, err := build(ctx, fs.Arg(0), fs.Args()[1:], kubeVersion, etcdVersion, opts)
	if err != nil {
		return err
	}

	_, err = fmt.Fprintln(stdout, dir)
	return err
}

// build dispatches on the target name.
func build(ctx context.Context, target string, binaries []string, kubeVersion, etcdVersion string,
	opts toolchain.Options,
) (string, error) {
	switch target {
	case "testbin":
		return toolchain.TestBinaries(ctx, kubeVersion, etcdVersion, opts)
	case "kubernetes":
		if len(binaries) == 1 && binaries[0] == "all" {
			binaries = toolchain.KubernetesBinaries
		}
		if len(binaries) == 0 {
			return "", errors.New("kubernetes: name the binaries to build, or all")
		}
		return toolchain.Build(ctx, toolchain.Kubernetes(kubeVersion, binaries...), opts)
	case "etcd":
		return toolchain.Build(ctx, toolchain.Etcd(etcdVersion), opts)
	case "coredns":
		return toolchain.Build(ctx, toolchain.CoreDNS(toolchain.CoreDNSVersion), opts)
	case "crictl":
		return toolchain.Build(ctx, toolchain.Crictl(toolchain.CrictlVersion), opts)
	case "local-path-provisioner":
		return toolchain.Build(ctx, toolchain.LocalPath(toolchain.LocalPathVersion), opts)
	case "pause":
		return toolchain.Pause(ctx, kubeVersion, opts)
	default:
		return "", fmt.Errorf("unknown target %q (see usage)", target)
	}
}
