package images

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tidemark/tidemark/clusters/internal/command"
	"github.com/tidemark/tidemark/clusters/toolchain"
)

// binaries holds the directories of every binary the images need. Each directory
// name carries the hash of its build inputs, so the paths double as cache keys.
type binaries struct {
	kube, etcd, coredns, crictl, localPath, pause string
	// agent is our own node agent; agentSum is a hash of its bytes.
	agent, agentSum string
}

// buildBinaries builds, or finds cached, every binary. The toolchain builds one
// at a time, which keeps a 2-core machine usable.
func (p *pipeline) buildBinaries(ctx context.Context) error {
	tc := p.opts.Toolchain
	var err error
	builds := []struct {
		dst *string
		c   toolchain.Component
	}{
		{&p.bins.kube, toolchain.Kubernetes(p.opts.KubernetesVersion, toolchain.KubernetesBinaries...)},
		{&p.bins.etcd, toolchain.Etcd(toolchain.EtcdVersion)},
		{&p.bins.crictl, toolchain.Crictl(toolchain.CrictlVersion)},
		{&p.bins.coredns, toolchain.CoreDNS(toolchain.CoreDNSVersion)},
		{&p.bins.localPath, toolchain.LocalPath(toolchain.LocalPathVersion)},
	}
	for _, b := range builds {
		if *b.dst, err = toolchain.Build(ctx, b.c, tc); err != nil {
			return err
		}
	}
	if p.bins.pause, err = toolchain.Pause(ctx, p.opts.KubernetesVersion, tc); err != nil {
		return err
	}

	return p.buildAgent(ctx)
}

// agentPackage is the node agent: pod network routes, and the probes the cluster
// test runs inside pods.
const agentPackage = "./clusters/cmd/tmagent"

// buildAgent builds our own agent from the working tree. Go's build cache makes a
// warm build take about a second; the image key is the hash of the binary itself.
func (p *pipeline) buildAgent(ctx context.Context) error {
	dir, err := p.cacheDir("bin", "tmagent")
	if err != nil {
		return err
	}
	out := filepath.Join(dir, "tmagent")
	build := command.Cmd{
		Name: p.opts.Toolchain.GoCommand,
		Args: []string{"build", "-trimpath", "-ldflags=-s -w", "-o", out, agentPackage},
		Dir:  p.opts.ModuleRoot,
		Env:  []string{"CGO_ENABLED=0", "GOFLAGS=-buildvcs=false"},
	}
	if err := build.Run(ctx); err != nil {
		return fmt.Errorf("building the node agent: %w", err)
	}
	if p.bins.agentSum, err = fileHash(out); err != nil {
		return err
	}
	p.bins.agent = dir
	p.log.Info("built node agent", "binary", out, "sha", p.bins.agentSum)

	return nil
}

// exists reports whether path exists.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
