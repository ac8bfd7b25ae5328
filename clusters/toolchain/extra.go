package toolchain

// Versions of the node's other Go components; see /work/shared/OFFLINE-KIND.md.
const (
	// CoreDNSVersion is kubeadm v1.34's default CoreDNS.
	CoreDNSVersion = "v1.12.1"
	// CrictlVersion matches the Kubernetes minor; `kind load` calls crictl in nodes.
	CrictlVersion = "v1.34.0"
	// LocalPathVersion is rancher/local-path-provisioner, the dynamic provisioner
	// behind the clusters' default StorageClass.
	LocalPathVersion = "v0.0.30"
)

// CoreDNS describes the coredns server; its main package is the module root.
func CoreDNS(version string) Component {
	return Component{
		Name:         "coredns",
		Module:       "github.com/coredns/coredns",
		Version:      version,
		LocalVersion: version,
		Binaries:     []Binary{{Name: "coredns", Package: "github.com/coredns/coredns"}},
	}
}

// Crictl describes the CRI command line client, stamped with its version since
// `crictl version` is how kind and people tell builds apart.
func Crictl(version string) Component {
	return Component{
		Name:         "crictl",
		Module:       "sigs.k8s.io/cri-tools",
		Version:      version,
		LocalVersion: version,
		Binaries:     []Binary{{Name: "crictl", Package: "sigs.k8s.io/cri-tools/cmd/crictl"}},
		Stamp: func(string) []string {
			return []string{"sigs.k8s.io/cri-tools/pkg/version.Version=" + version}
		},
	}
}

// LocalPath describes rancher/local-path-provisioner.
func LocalPath(version string) Component {
	return Component{
		Name:         "local-path-provisioner",
		Module:       "github.com/rancher/local-path-provisioner",
		Version:      version,
		LocalVersion: version,
		Binaries:     []Binary{{Name: "local-path-provisioner", Package: "github.com/rancher/local-path-provisioner"}},
		Stamp: func(string) []string {
			return []string{"main.VERSION=" + version}
		},
	}
}
