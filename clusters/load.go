package clusters

import (
	"context"
	"fmt"
	"os"
	"time"

	"sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/kind/pkg/cluster/constants"
	"sigs.k8s.io/kind/pkg/cluster/nodes"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"
	kinderrors "sigs.k8s.io/kind/pkg/errors"

	"github.com/tidemark/tidemark/clusters/internal/command"
)

// loadImages loads cfg.Images into every worker that lacks them, as `kind load
// docker-image` does: docker save, then an import into each node's containerd.
// The control plane is skipped: it is tainted, so application pods never run
// there, and each node skipped saves a quarter of the load time.
func loadImages(ctx context.Context, p *cluster.Provider, cfg Config) error {
	if len(cfg.Images) == 0 {
		return nil
	}
	all, err := p.ListInternalNodes(cfg.Name)
	if err != nil {
		return fmt.Errorf("listing nodes: %w", err)
	}

	for _, image := range cfg.Images {
		var missing []nodes.Node
		for _, n := range all {
			if role, err := n.Role(); err == nil && role == constants.ControlPlaneNodeRoleValue {
				continue
			}
			if n.Command("crictl", "inspecti", image).Run() != nil {
				missing = append(missing, n)
			}
		}
		if len(missing) == 0 {
			continue
		}
		if err := loadImage(ctx, cfg, image, missing); err != nil {
			return err
		}
	}

	return nil
}

// loadImage saves image once and imports it into each node.
func loadImage(ctx context.Context, cfg Config, image string, into []nodes.Node) error {
	start := time.Now()
	tmp, err := os.CreateTemp("", "tidemark-image-*.tar")
	if err != nil {
		return err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())

	if err := command.Docker("save", "-o", tmp.Name(), image).Run(ctx); err != nil {
		return fmt.Errorf("saving %s: %w", image, err)
	}
	// One import per node at a time, all nodes at once, as `kind load` does: each
	// node's containerd unpacks on its own.
	loads := make([]func() error, 0, len(into))
	for _, n := range into {
		loads = append(loads, func() error { return loadArchive(n, tmp.Name(), image) })
	}
	if err := kinderrors.AggregateConcurrent(loads); err != nil {
		return err
	}
	cfg.Logger.Info("loaded image", "image", image, "nodes", len(into), "seconds", seconds(time.Since(start)))

	return nil
}

// loadArchive imports an image archive into one node's containerd.
func loadArchive(n nodes.Node, archive, image string) error {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := nodeutils.LoadImageArchive(n, f); err != nil {
		return fmt.Errorf("loading %s into %s: %w", image, n, err)
	}

	return nil
}
