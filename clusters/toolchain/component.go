// Package toolchain builds Kubernetes and etcd binaries from Go modules into a cache
// outside the repository, so tests and clusters need no release downloads.
package toolchain

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/semver"
)

// Versions the project is pinned to; see docs in /work/shared/OFFLINE-KIND.md.
const (
	KubernetesVersion = "v1.34.4"
	EtcdVersion       = "v3.6.5"
)

// KubernetesBinaries lists every binary a kind node image needs from k8s.io/kubernetes.
var KubernetesBinaries = []string{
	"kubeadm", "kubelet", "kubectl",
	"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy",
}

// Component is one upstream Go module together with the main packages built from it.
type Component struct {
	// Name names the component in cache paths and logs, e.g. "kubernetes".
	Name string

	// Module and Version pick the upstream module whose go.mod the wrapper module copies.
	Module  string
	Version string

	// LocalVersion is the released version required in place of every module the
	// upstream go.mod replaces with a directory of its own repository, since those
	// directories are not part of the module zip.
	LocalVersion string

	// Binaries lists the binaries to build, in order.
	Binaries []Binary

	// Stamp returns the -X assignments ("pkg.name=value") that stamp the version into
	// the binaries, given a build date; nil when the version is compiled in already.
	Stamp func(buildDate string) []string
}

// Binary is one main package and the file name it is built as.
type Binary struct {
	Name    string
	Package string
}

// Kubernetes describes k8s.io/kubernetes at version with the named binaries, which
// are the directory names under its cmd/ folder (see KubernetesBinaries).
func Kubernetes(version string, binaries ...string) Component {
	c := Component{
		Name:         "kubernetes",
		Module:       "k8s.io/kubernetes",
		Version:      version,
		LocalVersion: stagingVersion(version),
		Stamp:        func(date string) []string { return kubernetesStamp(version, date) },
	}
	for _, name := range binaries {
		c.Binaries = append(c.Binaries, Binary{Name: name, Package: "k8s.io/kubernetes/cmd/" + name})
	}

	return c
}

// Etcd describes the etcd server at version. Its main package is the root of
// go.etcd.io/etcd/server/v3; the top-level go.etcd.io/etcd/v3 module holds no command.
// etcd's version string is a constant in its api module, so nothing is stamped.
func Etcd(version string) Component {
	return Component{
		Name:         "etcd",
		Module:       "go.etcd.io/etcd/server/v3",
		Version:      version,
		LocalVersion: version,
		Binaries:     []Binary{{Name: "etcd", Package: "go.etcd.io/etcd/server/v3"}},
	}
}

// stagingVersion maps a Kubernetes version to the version of its staging modules
// (k8s.io/api and friends), which are published as v0.<minor>.<patch>.
// It returns "" for anything but a valid v1 semantic version.
func stagingVersion(version string) string {
	if !semver.IsValid(version) || semver.Major(version) != "v1" {
		return ""
	}

	return "v0" + strings.TrimPrefix(version, "v1")
}

// kubernetesStamp sets what hack/lib/version.sh sets in a release build. Without it
// the binaries call themselves v0.0.0-master and kubeadm picks wrong image tags.
func kubernetesStamp(version, buildDate string) []string {
	majorMinor := strings.TrimPrefix(semver.MajorMinor(version), "v")
	major, minor, _ := strings.Cut(majorMinor, ".")
	vars := []struct{ name, value string }{
		{"gitVersion", version},
		{"gitMajor", major},
		{"gitMinor", minor},
		{"gitTreeState", "clean"},
		{"buildDate", buildDate},
	}

	var out []string
	for _, pkg := range []string{"k8s.io/client-go/pkg/version", "k8s.io/component-base/version"} {
		for _, v := range vars {
			out = append(out, pkg+"."+v.name+"="+v.value)
		}
	}

	return out
}

// validate reports the first field that would make a build fail in a confusing way.
func (c Component) validate() error {
	switch {
	case c.Name == "" || strings.ContainsAny(c.Name, `/\ `):
		return fmt.Errorf("component name %q must be a plain word", c.Name)
	case c.Module == "":
		return errors.New("component has no module")
	case !semver.IsValid(c.Version):
		return fmt.Errorf("component %s: version %q is not a semantic version", c.Name, c.Version)
	case !semver.IsValid(c.LocalVersion):
		return fmt.Errorf("component %s: local version %q is not a semantic version", c.Name, c.LocalVersion)
	case len(c.Binaries) == 0:
		return fmt.Errorf("component %s: no binaries to build", c.Name)
	}

	seen := map[string]bool{}
	for _, b := range c.Binaries {
		if b.Name == "" || strings.ContainsAny(b.Name, `/\ `) || seen[b.Name] {
			return fmt.Errorf("component %s: binary name %q is empty, a path or repeated", c.Name, b.Name)
		}
		seen[b.Name] = true
	}

	return nil
}
