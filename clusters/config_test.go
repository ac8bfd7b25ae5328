package clusters

import (
	"context"
	"os"
	"testing"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
)

func TestKindConfigZonesAndPorts(t *testing.T) {
	cfg, err := Config{NodeImage: "img", CacheDir: "/c", WorkersPerZone: 2,
		PortMappings: []PortMapping{{ContainerPort: 30080, HostPort: 30080}}}.complete()
	if err != nil {
		t.Fatal(err)
	}
	kc := cfg.kindConfig()
	if len(kc.Nodes) != 7 {
		t.Fatalf("nodes = %d, want 1 control plane + 2×3 workers", len(kc.Nodes))
	}

	zones := map[string]int{}
	for _, n := range kc.Nodes[1:] {
		if n.Role != v1alpha4.WorkerRole || n.Image != "img" {
			t.Errorf("worker %+v", n)
		}
		zones[n.Labels[ZoneLabel]]++
	}
	for _, z := range DefaultZones {
		if zones[z] != 2 {
			t.Errorf("zone %s has %d workers, want 2", z, zones[z])
		}
	}

	cp := kc.Nodes[0]
	if cp.Role != v1alpha4.ControlPlaneRole || len(cp.ExtraPortMappings) != 1 {
		t.Fatalf("control plane %+v", cp)
	}
	if m := cp.ExtraPortMappings[0]; m.ListenAddress != "127.0.0.1" || m.HostPort != 30080 {
		t.Errorf("port mapping %+v must bind 127.0.0.1 only", m)
	}
	if kc.Networking.APIServerAddress != "127.0.0.1" {
		t.Errorf("API server address %q", kc.Networking.APIServerAddress)
	}
}

func TestConfigRequiresImage(t *testing.T) {
	if _, err := (Config{CacheDir: "/c"}).complete(); err == nil {
		t.Error("config without node image accepted")
	}
}

func TestClusterNamesCannotEscapeTheCache(t *testing.T) {
	for _, name := range []string{"..", ".", "../..", "a/b", "Upper"} {
		if err := validName(name); err == nil {
			t.Errorf("name %q accepted", name)
		}
		cache := t.TempDir()
		if err := Down(context.Background(), Config{Name: name, CacheDir: cache}); err == nil {
			t.Errorf("Down accepted %q", name)
		}
		if _, err := os.Stat(cache); err != nil {
			t.Errorf("Down(%q) touched the cache: %v", name, err)
		}
	}
}
