package images

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/tidemark/tidemark/clusters/internal/command"
)

// kindModule is the module whose images/base/files kind's node images are built
// from; they are read from the module cache at build time, never copied into the repo.
const kindModule = "sigs.k8s.io/kind"

// nodeEntrypoint runs before kind's entrypoint. On the compatibility path the node
// is not privileged, so the cgroup v1 hierarchies are mounted read-only and runc
// cannot lower oom_score_adj without CAP_SYS_RESOURCE; --privileged would have
// made both unnecessary.
const nodeEntrypoint = `#!/bin/bash
# tidemark node entrypoint: compatibility fix-ups, then kind's own entrypoint.
set -o errexit -o nounset -o pipefail

if [[ -n "${TIDEMARK_COMPAT:-}" ]]; then
  if [[ ! -f /sys/fs/cgroup/cgroup.controllers ]]; then
    echo 'tidemark: remounting cgroup v1 hierarchies read-write' >&2
    mount -o remount,rw /sys/fs/cgroup
    for d in /sys/fs/cgroup/*; do
      if [[ -d "$d" && ! -L "$d" ]] && mountpoint -q "$d"; then
        mount -o remount,bind,rw "$d"
      fi
    done
  fi
  echo 'tidemark: restrict_oom_score_adj (no CAP_SYS_RESOURCE)' >&2
  sed -i 's/restrict_oom_score_adj = false/restrict_oom_score_adj = true/' /etc/containerd/config.toml
fi

# kind picks containerd's snapshotter from the type of the root filesystem. On an
# engine whose storage driver is fuse-overlayfs that is fuseblk, and kind would pick
# the fuse-overlayfs snapshotter, which this image does not ship. containerd keeps
# its data under /var, a volume on the host's own filesystem: decide from there.
if [[ -z "${KIND_EXPERIMENTAL_CONTAINERD_SNAPSHOTTER:-}" ]]; then
  case "$(stat -f -c %T /var/lib/containerd 2>/dev/null || stat -f -c %T /var)" in
    fuseblk|zfs) snapshotter=native ;;
    *) if grep -qw overlay /proc/filesystems; then snapshotter=overlayfs; else snapshotter=native; fi ;;
  esac
  echo "tidemark: containerd snapshotter ${snapshotter}" >&2
  export KIND_EXPERIMENTAL_CONTAINERD_SNAPSHOTTER="${snapshotter}"
fi

exec /usr/local/bin/entrypoint "$@"
`

// nodeDockerfile assembles the node from the Debian tree, kind's base files and
// the Kubernetes binaries, following kind's images/base/Dockerfile with Debian's
// containerd, runc and CNI plugins in place of kind's own builds.
const nodeDockerfile = `FROM %s
COPY files/ /
RUN set -e; \
    ln -sf /usr/bin/containerd /usr/local/bin/containerd; \
    mkdir -p /opt/cni/bin /etc/kubernetes/manifests /kind/manifests; \
    for p in host-local loopback ptp portmap bridge; do ln -sf /usr/lib/cni/$p /opt/cni/bin/$p; done; \
    ctr oci spec \
      | jq '.hooks.createContainer[.hooks.createContainer|length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' \
      | jq 'del(.process.rlimits)' > /etc/containerd/cri-base.json; \
    find /lib/systemd/system/sysinit.target.wants/ -name systemd-tmpfiles-setup.service -delete; \
    rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* \
      /lib/systemd/system/local-fs.target.wants/* /lib/systemd/system/sockets.target.wants/*udev* \
      /lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/*; \
    echo 'ReadKMsg=no' >> /etc/systemd/journald.conf; \
    systemctl enable kubelet.service containerd.service undo-mount-hacks.service; \
    systemctl mask systemd-binfmt.service
ENV container=docker
STOPSIGNAL SIGRTMIN+3
ENTRYPOINT ["/usr/local/bin/tidemark-entrypoint", "/sbin/init"]
`

// kindBaseFiles maps folders of kind's images/base/files to their mode in the node.
var kindBaseFiles = []struct {
	dir  string
	mode fs.FileMode
}{
	{"usr/local/bin", 0o755},
	{"kind/bin", 0o755},
	{"etc", 0o644},
}

// nodeBaseSpec describes the node image before images are preloaded.
func (p *pipeline) nodeBaseSpec(ctx context.Context, sandboxImage string) (imageSpec, error) {
	kindDir, err := p.moduleDir(ctx, kindModule)
	if err != nil {
		return imageSpec{}, err
	}
	files, err := kindFiles(filepath.Join(kindDir, "images", "base", "files"), sandboxImage)
	if err != nil {
		return imageSpec{}, err
	}

	for _, b := range []struct{ src, dst string }{
		{filepath.Join(p.bins.kube, "kubeadm"), "usr/bin/kubeadm"},
		{filepath.Join(p.bins.kube, "kubelet"), "usr/bin/kubelet"},
		{filepath.Join(p.bins.kube, "kubectl"), "usr/bin/kubectl"},
		{filepath.Join(p.bins.crictl, "crictl"), "usr/local/bin/crictl"},
	} {
		files = append(files, ctxFile{Dst: "files/" + b.dst, Src: b.src, Mode: 0o755, Key: b.src})
	}

	cni, storage, err := p.manifests()
	if err != nil {
		return imageSpec{}, err
	}
	files = append(files,
		ctxFile{Dst: "files/usr/local/bin/tidemark-entrypoint", Data: []byte(nodeEntrypoint), Mode: 0o755},
		ctxFile{Dst: "files/kind/version", Data: []byte(p.opts.KubernetesVersion + "\n"), Mode: 0o644},
		ctxFile{Dst: "files/kind/manifests/default-cni.yaml", Data: cni, Mode: 0o644},
		ctxFile{Dst: "files/kind/manifests/default-storage.yaml", Data: storage, Mode: 0o644},
	)

	return imageSpec{Dockerfile: fmt.Sprintf(nodeDockerfile, p.rootfsImage), Files: files}, nil
}

// sandboxLine is the pause image setting in kind's containerd config.
var sandboxLine = regexp.MustCompile(`(?m)^(\s*sandbox_image\s*=\s*)".*"`)

// kindFiles reads kind's base files with the modes kind's Dockerfile gives them,
// pointing containerd's sandbox image at the pause image kubeadm asks for.
func kindFiles(root, sandboxImage string) ([]ctxFile, error) {
	var files []ctxFile
	for _, d := range kindBaseFiles {
		err := filepath.WalkDir(filepath.Join(root, d.dir), func(path string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			if rel == "etc/containerd/config.toml" {
				data = sandboxLine.ReplaceAll(data, []byte(fmt.Sprintf("${1}%q", sandboxImage)))
			}
			files = append(files, ctxFile{Dst: "files/" + rel, Data: data, Mode: d.mode})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading kind's base files: %w", err)
		}
	}

	return files, nil
}

// moduleDir returns the module cache directory of a module our go.mod requires.
func (p *pipeline) moduleDir(ctx context.Context, module string) (string, error) {
	list := command.Cmd{Name: p.opts.Toolchain.GoCommand, Args: []string{"list", "-m", "-json", module}, Dir: p.opts.ModuleRoot}
	out, err := list.Output(ctx)
	if err != nil {
		return "", fmt.Errorf("locating %s: %w", module, err)
	}
	var m struct{ Dir string }
	if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
		return "", fmt.Errorf("locating %s: not in the module cache (run go mod download %s)", module, module)
	}

	return m.Dir, nil
}

// sandboxImage returns the pause image among the preloaded ones.
func (p *pipeline) sandboxImage() (string, error) {
	for _, ref := range p.res.Preloaded {
		if strings.Contains(ref, "/pause:") {
			return ref, nil
		}
	}

	return "", fmt.Errorf("kubeadm named no pause image")
}
