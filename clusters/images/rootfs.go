package images

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/tidemark/tidemark/clusters/internal/command"
)

// rootfsRecipe bumps whenever the steps below change in a way the package list
// does not show.
const rootfsRecipe = 1

// rootfsPackages is what a kind node needs from Debian: systemd as init, the
// container runtime and CNI plugins, and the tools the kubelet, kube-proxy and
// kind's scripts call. The same tree is the base of kube-proxy's and the agent's
// images, which need iptables, iproute2 and a shell.
var rootfsPackages = []string{
	"systemd", "systemd-sysv", "dbus",
	"containerd", "runc", "containernetworking-plugins",
	"conntrack", "iptables", "nftables", "ipset", "iproute2", "ethtool", "socat",
	"util-linux", "mount", "kmod", "e2fsprogs", "libseccomp2", "pigz",
	"bash", "ca-certificates", "jq", "procps", "curl",
}

// buildRootfs debootstraps the node's Debian tree, keeps it as a tar in the
// cache and imports it as the base image <repo>/rootfs:<hash>.
func (p *pipeline) buildRootfs(ctx context.Context) error {
	image, err := p.buildTree(ctx, "rootfs", rootfsPackages)
	p.rootfsImage = image
	return err
}

// buildTree debootstraps a Debian tree with packages and imports it as
// <repo>/<name>:<hash>, reusing the image or the cached tar when they exist.
func (p *pipeline) buildTree(ctx context.Context, name string, packages []string) (string, error) {
	hash := inputsHash(struct {
		Recipe                 int
		Mirror, Suite, Variant string
		Packages               []string
	}{rootfsRecipe, p.opts.DebianMirror, p.opts.DebianSuite, "minbase", packages})
	image := p.opts.Repo + "/" + name + ":" + hash

	if imageExists(ctx, image) {
		p.log.Info("image cached", "image", image)
		return image, nil
	}

	dir, err := p.cacheDir(name)
	if err != nil {
		return image, err
	}
	tarball := filepath.Join(dir, p.opts.DebianSuite+"-"+hash+".tar")
	if !exists(tarball) {
		if err := p.debootstrap(ctx, tarball, packages); err != nil {
			return image, err
		}
	}

	start := time.Now()
	if err := command.Docker("import", tarball, image).Run(ctx); err != nil {
		return image, fmt.Errorf("importing root filesystem %s: %w", name, err)
	}
	p.log.Info("imported root filesystem", "image", image, "seconds", seconds(time.Since(start)))

	return image, nil
}

// debootstrap builds the tree in a scratch directory, trims caches and tars it.
func (p *pipeline) debootstrap(ctx context.Context, tarball string, packages []string) error {
	if err := ensureDebootstrap(ctx, p); err != nil {
		return err
	}
	tree := tarball + ".tree"
	if err := os.RemoveAll(tree); err != nil {
		return fmt.Errorf("clearing %s: %w", tree, err)
	}
	defer os.RemoveAll(tree)

	p.log.Info("debootstrap", "suite", p.opts.DebianSuite, "mirror", p.opts.DebianMirror,
		"packages", len(packages), "note", "about 2 minutes")
	start := time.Now()
	boot := command.Cmd{Name: "debootstrap", Args: []string{
		"--variant=minbase", "--include=" + strings.Join(packages, ","),
		p.opts.DebianSuite, tree, p.opts.DebianMirror,
	}}
	if err := boot.Run(ctx); err != nil {
		return fmt.Errorf("debootstrap: %w", err)
	}
	p.log.Info("debootstrapped", "seconds", seconds(time.Since(start)))

	// Package caches and lists are a quarter of the tree and nothing reads them.
	for _, glob := range []string{"var/cache/apt/archives/*.deb", "var/lib/apt/lists/*", "var/log/*.log"} {
		matches, _ := filepath.Glob(filepath.Join(tree, glob))
		for _, m := range matches {
			_ = os.RemoveAll(m)
		}
	}

	partial := tarball + ".partial"
	pack := command.Cmd{Name: "tar", Args: []string{"--numeric-owner", "-C", tree, "-cf", partial, "."}}
	if err := pack.Run(ctx); err != nil {
		return fmt.Errorf("packing root filesystem: %w", err)
	}

	return os.Rename(partial, tarball)
}

// ensureDebootstrap installs Debian's debootstrap when it is missing.
func ensureDebootstrap(ctx context.Context, p *pipeline) error {
	if _, err := exec.LookPath("debootstrap"); err == nil {
		return nil
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("debootstrap is missing: run `sudo apt-get install debootstrap`")
	}
	p.log.Info("installing debootstrap from Debian")
	install := command.Cmd{
		Name: "apt-get", Args: []string{"install", "-y", "--no-install-recommends", "debootstrap"},
		Env: []string{"DEBIAN_FRONTEND=noninteractive"},
	}
	if err := install.Run(ctx); err != nil {
		return fmt.Errorf("installing debootstrap: %w", err)
	}

	return nil
}

// imageExists reports whether the engine has image.
func imageExists(ctx context.Context, image string) bool {
	return command.Docker("image", "inspect", "--format", "{{.Id}}", image).Run(ctx) == nil
}
