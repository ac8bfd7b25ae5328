// Package images is the image pipeline: a Debian root filesystem, the component
// images kubeadm expects, the infrastructure images (pod network, storage) and a
// kind node image with all of them preloaded, each cached by a hash of its inputs.
// Nothing here pulls from a registry.
package images

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/tidemark/tidemark/clusters/host"
	"github.com/tidemark/tidemark/clusters/toolchain"
)

// Options configures the pipeline.
type Options struct {
	// Toolchain builds the binaries; its CacheDir is the cache root for images too.
	Toolchain toolchain.Options

	// Repo prefixes the images this pipeline names itself, e.g. "tidemark" gives
	// tidemark/node:<hash>. Component images keep the names kubeadm asks for.
	Repo string

	// KubernetesVersion is the k8s.io/kubernetes module version of the node.
	KubernetesVersion string

	// DebianMirror and DebianSuite feed debootstrap.
	DebianMirror string
	DebianSuite  string

	// Compat, when set, is used instead of --privileged for the container in which
	// images are preloaded into the node's containerd.
	Compat *host.Compat

	// Apps are the application images, loaded into nodes after creation.
	Apps []AppImage

	// ModuleRoot is the directory of the tidemark module, where our own commands
	// (the node agent) are built.
	ModuleRoot string
}

// Result names what the pipeline built.
type Result struct {
	NodeImage  string
	AgentImage string
	// Preloaded lists the images inside the node image's containerd.
	Preloaded []string
	// AppImages lists the application images, to be loaded into the nodes.
	AppImages []string
}

// pipeline carries the state the steps share.
type pipeline struct {
	opts Options
	log  *slog.Logger
	bins binaries

	// rootfsImage is the imported Debian tree, the base of the node and pod images.
	rootfsImage string

	// nodeBaseImage is the node before preloading.
	nodeBaseImage string

	// localPathImage is the storage provisioner's image.
	localPathImage string

	// preloadKeys name every preloaded image with its inputs hash.
	preloadKeys []string
	res         Result
}

// Build runs every step and returns the node image. A warm run checks each step's
// cache and returns in seconds.
func Build(ctx context.Context, opts Options) (*Result, error) {
	opts, err := opts.complete()
	if err != nil {
		return nil, err
	}
	p := &pipeline{opts: opts, log: opts.Toolchain.Logger}

	steps := []struct {
		name string
		run  func(context.Context) error
	}{
		{"binaries", p.buildBinaries},
		{"root filesystem", p.buildRootfs},
		{"component images", p.buildComponents},
		{"infrastructure images", p.buildInfra},
		{"node image", p.buildNode},
		{"application images", p.buildApps},
	}
	start := time.Now()
	for i, s := range steps {
		if err := p.timed(ctx, fmt.Sprintf("[%d/%d] %s", i+1, len(steps), s.name), s.run); err != nil {
			return nil, fmt.Errorf("image pipeline, %s: %w", s.name, err)
		}
	}
	p.prune(ctx, []string{p.rootfsImage, p.res.AgentImage, p.localPathImage, p.nodeBaseImage, p.res.NodeImage})
	p.log.Info("images ready", "node", p.res.NodeImage, "seconds", seconds(time.Since(start)))

	return &p.res, nil
}

// timed logs the start and end of one step with its duration.
func (p *pipeline) timed(ctx context.Context, name string, fn func(context.Context) error) error {
	p.log.Info("step " + name)
	start := time.Now()
	if err := fn(ctx); err != nil {
		return err
	}
	p.log.Info("step done "+name, "seconds", seconds(time.Since(start)))

	return nil
}

// complete fills defaults.
func (o Options) complete() (Options, error) {
	def := toolchain.DefaultOptions()
	if o.Toolchain.CacheDir == "" {
		o.Toolchain.CacheDir = def.CacheDir
	}
	if o.Toolchain.GoCommand == "" {
		o.Toolchain.GoCommand = def.GoCommand
	}
	if o.Toolchain.Logger == nil {
		o.Toolchain.Logger = def.Logger
	}
	if o.Toolchain.CacheDir == "" {
		return o, fmt.Errorf("no cache directory: set %s or HOME", toolchain.CacheEnv)
	}
	abs, err := filepath.Abs(o.Toolchain.CacheDir)
	if err != nil {
		return o, err
	}
	o.Toolchain.CacheDir = abs
	if o.Repo == "" {
		o.Repo = "tidemark"
	}
	if o.KubernetesVersion == "" {
		o.KubernetesVersion = toolchain.KubernetesVersion
	}
	if o.DebianMirror == "" {
		o.DebianMirror = defaultMirror()
	}
	if o.DebianSuite == "" {
		o.DebianSuite = "bookworm"
	}
	if o.ModuleRoot == "" {
		o.ModuleRoot = "."
	}

	return o, nil
}

// defaultMirror is $TIDEMARK_DEBIAN_MIRROR, else Debian's own redirector, which is
// what these machines' apt sources use.
func defaultMirror() string {
	if m := os.Getenv("TIDEMARK_DEBIAN_MIRROR"); m != "" {
		return m
	}

	return "http://deb.debian.org/debian"
}

// cacheDir returns a directory under the cache root, created if needed.
func (p *pipeline) cacheDir(parts ...string) (string, error) {
	dir := filepath.Join(append([]string{p.opts.Toolchain.CacheDir}, parts...)...)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}

	return dir, nil
}

// seconds rounds d to tenths of a second for log lines.
func seconds(d time.Duration) float64 {
	return math.Round(d.Seconds()*10) / 10
}
