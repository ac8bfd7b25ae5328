package clusters

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
)

// ZoneLabel is the well-known label the scheduler and the storage topology use.
const ZoneLabel = "topology.kubernetes.io/zone"

// DefaultName is the cluster `make cluster` creates.
const DefaultName = "tidemark"

// DefaultZones are the zones workers are spread over.
var DefaultZones = []string{"zone-a", "zone-b", "zone-c"}

// PortMapping exposes a node port on the host, on 127.0.0.1 only.
type PortMapping struct {
	ContainerPort, HostPort int32
}

// Config describes one kind cluster.
type Config struct {
	Name      string
	NodeImage string

	// Zones and WorkersPerZone decide the workers: WorkersPerZone in each zone.
	// The control plane is labelled with the first zone.
	Zones          []string
	WorkersPerZone int

	// PortMappings are published from the control plane node to 127.0.0.1.
	PortMappings []PortMapping

	// Images are loaded into every node after creation (application images;
	// the cluster's own images are preloaded in the node image).
	Images []string

	// CacheDir holds kind/<name>/kubeconfig.
	CacheDir string

	// Keep leaves a cluster that failed to come up in place, for debugging.
	Keep bool

	// ReadyTimeout bounds the wait for all nodes to be Ready.
	ReadyTimeout time.Duration

	Logger *slog.Logger
}

// KubeconfigPath is where the kubeconfig of cluster name is written. It is never
// ~/.kube/config, which belongs to the user.
func KubeconfigPath(cacheDir, name string) string {
	return filepath.Join(cacheDir, "kind", name, "kubeconfig")
}

// complete fills defaults and checks the rest.
func (c Config) complete() (Config, error) {
	if c.Name == "" {
		c.Name = DefaultName
	}
	if len(c.Zones) == 0 {
		c.Zones = DefaultZones
	}
	if c.WorkersPerZone == 0 {
		c.WorkersPerZone = 1
	}
	if c.ReadyTimeout == 0 {
		c.ReadyTimeout = 3 * time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if err := validName(c.Name); err != nil {
		return c, err
	}
	switch {
	case c.NodeImage == "":
		return c, fmt.Errorf("cluster %s: no node image", c.Name)
	case c.CacheDir == "":
		return c, fmt.Errorf("cluster %s: no cache directory for the kubeconfig", c.Name)
	case c.WorkersPerZone < 0:
		return c, fmt.Errorf("cluster %s: negative worker count %d", c.Name, c.WorkersPerZone)
	}

	return c, nil
}

// kindConfig is the v1alpha4 cluster config: one control plane, WorkersPerZone
// workers per zone, host ports on 127.0.0.1 only.
func (c Config) kindConfig() *v1alpha4.Cluster {
	cfg := &v1alpha4.Cluster{}
	v1alpha4.SetDefaultsCluster(cfg)
	cfg.Nodes = nil

	cp := v1alpha4.Node{Role: v1alpha4.ControlPlaneRole, Image: c.NodeImage, Labels: map[string]string{ZoneLabel: c.Zones[0]}}
	for _, m := range c.PortMappings {
		cp.ExtraPortMappings = append(cp.ExtraPortMappings, v1alpha4.PortMapping{
			ContainerPort: m.ContainerPort, HostPort: m.HostPort,
			ListenAddress: "127.0.0.1", Protocol: v1alpha4.PortMappingProtocolTCP,
		})
	}
	cfg.Nodes = append(cfg.Nodes, cp)

	for i := 0; i < c.WorkersPerZone; i++ {
		for _, zone := range c.Zones {
			cfg.Nodes = append(cfg.Nodes, v1alpha4.Node{
				Role: v1alpha4.WorkerRole, Image: c.NodeImage, Labels: map[string]string{ZoneLabel: zone},
			})
		}
	}

	return cfg
}
