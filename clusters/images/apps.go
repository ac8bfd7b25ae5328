package images

import (
	"context"
	"fmt"
	"strings"
)

// AppImage is an application image built through this pipeline: the tidemark
// image and the database image of later issues go here. It is built on the Debian
// tree, tagged <repo>/<name>:<hash of its inputs>, and loaded into the cluster's
// nodes after creation rather than preloaded, so changing it never rebuilds the
// node image.
type AppImage struct {
	Name string

	// Packages, when set, are Debian packages the image needs: it is then
	// built on a Debian tree of its own with them (debootstrapped, cached
	// like the node's) instead of on the node's tree.
	Packages []string

	// Dockerfile returns the Dockerfile given the base image to start FROM.
	Dockerfile func(base string) string

	// Files maps paths in the build context to files on disk.
	Files map[string]string

	// Data maps paths in the build context to their content.
	Data map[string]string
}

// buildApps builds every application image; it is the pipeline's last step.
func (p *pipeline) buildApps(ctx context.Context) error {
	for _, app := range p.opts.Apps {
		if app.Name == "" || strings.ContainsAny(app.Name, "/: ") || app.Dockerfile == nil {
			return fmt.Errorf("application image %q needs a plain name and a Dockerfile", app.Name)
		}
		base := p.rootfsImage
		if len(app.Packages) > 0 {
			var err error
			if base, err = p.buildTree(ctx, app.Name+"-rootfs", app.Packages); err != nil {
				return err
			}
		}
		spec := imageSpec{Dockerfile: app.Dockerfile(base)}
		for dst, src := range app.Files {
			spec.Files = append(spec.Files, ctxFile{Dst: dst, Src: src, Mode: 0o755})
		}
		for dst, data := range app.Data {
			spec.Files = append(spec.Files, ctxFile{Dst: dst, Data: []byte(data), Mode: 0o755})
		}
		hash, err := spec.hash()
		if err != nil {
			return err
		}
		spec.Ref = p.opts.Repo + "/" + app.Name + ":" + hash
		if _, err := p.buildImage(ctx, spec); err != nil {
			return err
		}
		p.res.AppImages = append(p.res.AppImages, spec.Ref)
	}

	return nil
}
