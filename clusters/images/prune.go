package images

import (
	"context"
	"strings"

	"github.com/tidemark/tidemark/clusters/internal/command"
)

// prune removes this pipeline's images of earlier builds (other hashes), which
// are a gigabyte per node image. An image a container still uses, such as the node
// image of a running cluster, stays: docker refuses to remove it, and that is fine.
func (p *pipeline) prune(ctx context.Context, current []string) {
	keep := map[string]bool{}
	for _, ref := range current {
		keep[ref] = true
	}

	for _, name := range []string{"rootfs", "agent", "local-path-provisioner", "node-base", "node"} {
		repo := p.opts.Repo + "/" + name
		out, err := command.Docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}", repo).Output(ctx)
		if err != nil {
			continue
		}
		for _, ref := range strings.Fields(string(out)) {
			if keep[ref] {
				continue
			}
			if command.Docker("rmi", ref).Run(ctx) == nil {
				p.log.Info("removed image of an earlier build", "image", ref)
			}
		}
	}
}
