package images

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/tidemark/tidemark/clusters/internal/command"
)

// componentImages asks our kubeadm which images it will run, so the names and tags
// are exactly the ones it looks up in the node's containerd.
func (p *pipeline) componentImages(ctx context.Context) ([]string, error) {
	list := command.Cmd{
		Name: filepath.Join(p.bins.kube, "kubeadm"),
		Args: []string{"config", "images", "list", "--kubernetes-version", p.opts.KubernetesVersion},
	}
	out, err := list.Output(ctx)
	if err != nil {
		return nil, fmt.Errorf("asking kubeadm for its images: %w", err)
	}

	return strings.Fields(string(out)), nil
}

// buildComponents builds one image per kubeadm image name.
func (p *pipeline) buildComponents(ctx context.Context) error {
	refs, err := p.componentImages(ctx)
	if err != nil {
		return err
	}
	for _, ref := range refs {
		spec, err := p.componentSpec(ref)
		if err != nil {
			return err
		}
		hash, err := p.buildImage(ctx, spec)
		if err != nil {
			return err
		}
		p.preload(ref, hash)
	}

	return nil
}

// componentSpec maps a kubeadm image name to the binary that image runs. The
// control plane binaries are static and need nothing else, so they sit on scratch;
// kube-proxy calls iptables and conntrack and gets the Debian tree. CoreDNS runs as
// root (no USER line): kubeadm drops all capabilities but NET_BIND_SERVICE, and a
// non-root user would lose even that on a static binary without file capabilities.
func (p *pipeline) componentSpec(ref string) (imageSpec, error) {
	repo := ref
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		repo = ref[:i]
	}

	switch name := path.Base(repo); name {
	case "kube-apiserver", "kube-controller-manager", "kube-scheduler":
		return staticImage(ref, filepath.Join(p.bins.kube, name), "/usr/local/bin/"+name, false), nil
	case "kube-proxy":
		return binaryOn(ref, p.rootfsImage, filepath.Join(p.bins.kube, name), "/usr/local/bin/"+name), nil
	case "etcd":
		return staticImage(ref, filepath.Join(p.bins.etcd, "etcd"), "/usr/local/bin/etcd", false), nil
	case "coredns":
		return staticImage(ref, filepath.Join(p.bins.coredns, "coredns"), "/coredns", true), nil
	case "pause":
		return staticImage(ref, filepath.Join(p.bins.pause, "pause"), "/pause", true), nil
	default:
		return imageSpec{}, fmt.Errorf("kubeadm asks for %s, which this pipeline cannot build", ref)
	}
}

// staticImage puts one static binary on scratch at dst. entrypoint makes it the
// image's entrypoint (CoreDNS and pause are run without a command).
func staticImage(ref, src, dst string, entrypoint bool) imageSpec {
	df := "FROM scratch\nENV PATH=/usr/local/bin:/usr/bin:/bin\nCOPY bin /" + strings.TrimPrefix(dst, "/") + "\n"
	if entrypoint {
		df += fmt.Sprintf("ENTRYPOINT [%q]\n", dst)
	}

	return imageSpec{Ref: ref, Dockerfile: df, Files: []ctxFile{{Dst: "bin", Src: src, Mode: 0o755, Key: src}}}
}

// binaryOn puts one binary at dst on base.
func binaryOn(ref, base, src, dst string) imageSpec {
	df := "FROM " + base + "\nCOPY bin " + dst + "\n"

	return imageSpec{Ref: ref, Dockerfile: df, Files: []ctxFile{{Dst: "bin", Src: src, Mode: 0o755, Key: src}}}
}

// preload records an image for the node's containerd.
func (p *pipeline) preload(ref, hash string) {
	p.res.Preloaded = append(p.res.Preloaded, ref)
	p.preloadKeys = append(p.preloadKeys, ref+"@"+hash)
}

// buildInfra builds the images of the pod network agent and the storage
// provisioner, tagged with their inputs hash.
func (p *pipeline) buildInfra(ctx context.Context) error {
	agent := binaryOn("", p.rootfsImage, filepath.Join(p.bins.agent, "tmagent"), "/usr/local/bin/tmagent")
	agent.Files[0].Key = p.bins.agentSum
	agent.Dockerfile += "ENTRYPOINT [\"/usr/local/bin/tmagent\"]\n"

	lpp := staticImage("", filepath.Join(p.bins.localPath, "local-path-provisioner"),
		"/usr/local/bin/local-path-provisioner", true)

	for _, s := range []struct {
		spec *imageSpec
		name string
		dst  *string
	}{{&agent, "agent", &p.res.AgentImage}, {&lpp, "local-path-provisioner", &p.localPathImage}} {
		hash, err := s.spec.hash()
		if err != nil {
			return err
		}
		s.spec.Ref = p.opts.Repo + "/" + s.name + ":" + hash
		if _, err := p.buildImage(ctx, *s.spec); err != nil {
			return err
		}
		*s.dst = s.spec.Ref
		p.preload(s.spec.Ref, hash)
	}

	return nil
}
