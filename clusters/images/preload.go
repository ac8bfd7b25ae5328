package images

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tidemark/tidemark/clusters/internal/command"
)

// buildNode builds the node image: the assembled node, then every component and
// infrastructure image imported into its containerd, committed as
// <repo>/node:<hash>.
func (p *pipeline) buildNode(ctx context.Context) error {
	sandbox, err := p.sandboxImage()
	if err != nil {
		return err
	}
	base, err := p.nodeBaseSpec(ctx, sandbox)
	if err != nil {
		return err
	}
	baseHash, err := base.hash()
	if err != nil {
		return err
	}
	base.Ref = p.opts.Repo + "/node-base:" + baseHash
	p.nodeBaseImage = base.Ref

	hash := inputsHash(struct {
		Base    string
		Preload []string
	}{base.Ref, p.preloadKeys})
	node := p.opts.Repo + "/node:" + hash
	p.res.NodeImage = node
	if imageExists(ctx, node) {
		p.log.Info("image cached", "image", node)
		return nil
	}

	if _, err := p.buildImage(ctx, base); err != nil {
		return err
	}
	archive, err := p.saveImages(ctx, hash)
	if err != nil {
		return err
	}

	return p.preloadAndCommit(ctx, base.Ref, archive, node)
}

// saveImages writes the preloaded images to one archive in the cache, removing
// archives of earlier builds, which are large and only needed for a rebuild.
func (p *pipeline) saveImages(ctx context.Context, hash string) (string, error) {
	dir, err := p.cacheDir("images")
	if err != nil {
		return "", err
	}
	archive := filepath.Join(dir, "preload-"+hash+".tar")
	if exists(archive) {
		return archive, nil
	}
	old, _ := filepath.Glob(filepath.Join(dir, "preload-*.tar*"))
	for _, f := range old {
		_ = os.Remove(f)
	}

	start := time.Now()
	partial := archive + ".partial"
	args := append([]string{"save", "-o", partial}, p.res.Preloaded...)
	if err := command.Docker(args...).Run(ctx); err != nil {
		return "", fmt.Errorf("saving images for preloading: %w", err)
	}
	if err := os.Rename(partial, archive); err != nil {
		return "", err
	}
	p.log.Info("saved images for preloading", "images", len(p.res.Preloaded), "seconds", seconds(time.Since(start)))

	return archive, nil
}

// preloadAndCommit starts the assembled node with containerd running inside it,
// imports the archive into the k8s.io namespace as kind's node image builder does,
// stops containerd cleanly and commits the container.
func (p *pipeline) preloadAndCommit(ctx context.Context, base, archive, node string) error {
	start := time.Now()
	name := fmt.Sprintf("tidemark-node-build-%d", os.Getpid())
	run := []string{"run", "-d", "--name", name, "--entrypoint", "sleep",
		"-v", archive + ":/preload.tar:ro", "--tmpfs", "/run", "--tmpfs", "/tmp"}
	if p.opts.Compat != nil {
		run = append(run, p.opts.Compat.RunArgs()...)
	} else {
		run = append(run, "--privileged")
	}
	if err := command.Docker(append(run, base, "infinity")...).Run(ctx); err != nil {
		return fmt.Errorf("starting node build container: %w", err)
	}
	defer func() { _ = command.Docker("rm", "-f", name).Run(context.WithoutCancel(ctx)) }()

	if err := p.importInto(ctx, name); err != nil {
		return err
	}

	commit := command.Docker("commit",
		"--change", `ENTRYPOINT ["/usr/local/bin/tidemark-entrypoint", "/sbin/init"]`,
		"--change", "CMD []",
		"--change", "LABEL "+inputsLabel+"="+node,
		name, node)
	if err := commit.Run(ctx); err != nil {
		return fmt.Errorf("committing node image: %w", err)
	}
	p.log.Info("built node image", "image", node, "seconds", seconds(time.Since(start)))

	return nil
}

// importInto runs containerd in the build container, imports and pins the images
// and stops containerd. containerd 1.6 has no `ctr info`; `ctr version` answers
// once the daemon serves.
func (p *pipeline) importInto(ctx context.Context, name string) error {
	exec := func(args ...string) command.Cmd { return command.Docker(append([]string{"exec", name}, args...)...) }
	if err := command.Docker("exec", "-d", name, "containerd").Run(ctx); err != nil {
		return fmt.Errorf("starting containerd in the node: %w", err)
	}
	if err := waitFor(ctx, 30*time.Second, func() error { return exec("ctr", "version").Run(ctx) }); err != nil {
		return fmt.Errorf("containerd in the node did not answer: %w", err)
	}

	p.log.Info("importing images into the node's containerd", "images", len(p.res.Preloaded))
	imp := exec("ctr", "-n", "k8s.io", "images", "import", "--all-platforms", "--no-unpack", "--digests", "/preload.tar")
	if err := imp.Run(ctx); err != nil {
		return fmt.Errorf("importing images into the node: %w", err)
	}
	// Pinned images are never garbage-collected by the kubelet.
	label := append([]string{"ctr", "-n", "k8s.io", "images", "label"}, "")
	for _, ref := range p.res.Preloaded {
		label[len(label)-1] = normalize(ref)
		if err := exec(append(label, "io.cri-containerd.pinned=pinned")...).Run(ctx); err != nil {
			return fmt.Errorf("pinning %s: %w", ref, err)
		}
	}

	if err := exec("pkill", "-TERM", "-x", "containerd").Run(ctx); err != nil {
		return fmt.Errorf("stopping containerd in the node: %w", err)
	}

	return waitFor(ctx, 30*time.Second, func() error {
		if exec("pgrep", "-x", "containerd").Run(ctx) == nil {
			return fmt.Errorf("containerd still running")
		}
		return nil
	})
}

// normalize gives a short image name the docker.io prefix containerd stores it under.
func normalize(ref string) string {
	first, _, found := strings.Cut(ref, "/")
	switch {
	case !found:
		return "docker.io/library/" + ref
	case strings.ContainsAny(first, ".:") || first == "localhost":
		return ref
	default:
		return "docker.io/" + ref
	}
}

// waitFor retries fn every half second until it succeeds or timeout passes.
func waitFor(ctx context.Context, timeout time.Duration, fn func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := fn()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
