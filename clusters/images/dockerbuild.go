package images

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tidemark/tidemark/clusters/internal/command"
)

// inputsLabel is the image label holding the hash of the image's inputs. Images
// under names we do not choose (kubeadm's) are matched by it rather than by tag.
const inputsLabel = "dev.tidemark.inputs"

// ctxFile is one file in a docker build context.
type ctxFile struct {
	// Dst is the path inside the context.
	Dst string
	// Src is copied when set; Data is written otherwise.
	Src  string
	Data []byte
	Mode fs.FileMode
	// Key stands for the file's content in the image hash. Files under the
	// toolchain's hash-named directories use their path; others their bytes.
	Key string
}

// imageSpec is one image built from a Dockerfile written here.
type imageSpec struct {
	Ref        string
	Dockerfile string
	Files      []ctxFile
}

// hash covers the Dockerfile (which names the base image by its hashed tag) and
// every context file.
func (s imageSpec) hash() (string, error) {
	keys := map[string]string{}
	for _, f := range s.Files {
		key := f.Key
		switch {
		case key != "":
		case f.Src != "":
			h, err := fileHash(f.Src)
			if err != nil {
				return "", err
			}
			key = h
		default:
			key = inputsHash(string(f.Data))
		}
		keys[f.Dst] = fmt.Sprintf("%s:%o", key, f.Mode)
	}

	return inputsHash(struct {
		Dockerfile string
		Files      map[string]string
	}{s.Dockerfile, keys}), nil
}

// buildImage builds s unless an image under s.Ref already carries the same inputs
// hash, and returns that hash.
func (p *pipeline) buildImage(ctx context.Context, s imageSpec) (string, error) {
	hash, err := s.hash()
	if err != nil {
		return "", err
	}
	if imageLabel(ctx, s.Ref) == hash {
		p.log.Info("image cached", "image", s.Ref)
		return hash, nil
	}

	start := time.Now()
	dir, err := p.writeContext(s)
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)

	// The classic builder needs no registry for FROM scratch or a local image.
	// --no-cache: this runs only when the inputs changed, and the classic
	// builder's cache would hand back an earlier image with its old inputs label
	// when only the label differs.
	build := command.Docker("build", "--quiet", "--no-cache", "--label", inputsLabel+"="+hash, "-t", s.Ref, dir)
	build.Env = []string{"DOCKER_BUILDKIT=0"}
	if err := build.Run(ctx); err != nil {
		return "", fmt.Errorf("building %s: %w", s.Ref, err)
	}
	p.log.Info("built image", "image", s.Ref, "seconds", seconds(time.Since(start)))

	return hash, nil
}

// writeContext lays out the build context in a scratch directory of the cache.
func (p *pipeline) writeContext(s imageSpec) (string, error) {
	tmp, err := p.cacheDir("tmp")
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(tmp, "ctx-")
	if err != nil {
		return "", fmt.Errorf("creating build context: %w", err)
	}

	files := append([]ctxFile{{Dst: "Dockerfile", Data: []byte(s.Dockerfile), Mode: 0o644}}, s.Files...)
	for _, f := range files {
		if err := writeCtxFile(dir, f); err != nil {
			os.RemoveAll(dir)
			return "", err
		}
	}

	return dir, nil
}

// writeCtxFile writes one context file with an explicit mode: files read from the
// Go module cache are 0444 and would keep that mode otherwise.
func writeCtxFile(dir string, f ctxFile) error {
	dst := filepath.Join(dir, f.Dst)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("creating context dir: %w", err)
	}
	if f.Src == "" {
		return os.WriteFile(dst, f.Data, f.Mode)
	}

	// Hard links are instant for the 100 MB binaries; the mode is then the
	// source's, which the toolchain already set to 0755.
	if f.Mode == 0o755 && os.Link(f.Src, dst) == nil {
		return nil
	}

	return copyFile(f.Src, dst, f.Mode)
}

// copyFile copies src to dst with mode.
func copyFile(src, dst string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("copying %s: %w", src, err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return fmt.Errorf("copying to %s: %w", dst, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copying %s: %w", src, err)
	}
	if err := out.Close(); err != nil {
		return err
	}

	return os.Chmod(dst, mode)
}

// imageLabel returns image's inputs label, or "" when the image is missing.
func imageLabel(ctx context.Context, image string) string {
	format := fmt.Sprintf("{{index .Config.Labels %q}}", inputsLabel)
	out, err := command.Docker("image", "inspect", "--format", format, image).Output(ctx)
	if err != nil {
		return ""
	}
	v := strings.TrimSpace(string(out))
	if v == "<no value>" {
		return ""
	}

	return v
}
