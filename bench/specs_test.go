package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// namespaceCount is how many namespaces the specs of one run spread over.
const namespaceCount = 5

// namespaces returns the namespaces of one run, named after its prefix.
func namespaces(prefix string) []string {
	names := make([]string, namespaceCount)
	for i := range names {
		names[i] = fmt.Sprintf("%s-ns%d", prefix, i)
	}
	return names
}

// specFiles returns n Database specs as files (path relative to the repo →
// content), spread over the namespaces of prefix. They are valid for
// tidemark's loader and valid Kubernetes manifests as they stand, and vary
// in shape the way a real repo does.
func specFiles(prefix string, n int) map[string]string {
	nss := namespaces(prefix)
	files := make(map[string]string, n)
	for i := range n {
		ns := nss[i%len(nss)]
		name := fmt.Sprintf("db-%04d", i)
		var b strings.Builder
		fmt.Fprintf(&b, `# Database %d of the benchmark.
apiVersion: tidemark.dev/v1alpha1
kind: Database
metadata:
  name: %s
  namespace: %s
  labels: {team: team-%d}
spec:
  version: "15"
  storage: {size: %dGi}
  parameters: {max_connections: "%d", work_mem: 64MB}
  resources: {requests: {cpu: 250m, memory: 512Mi}, limits: {memory: 1Gi}}
`, i, name, ns, i%7, 1+i%20, 100+i%5*50)
		if i%3 == 0 {
			b.WriteString("  replicas: 3\n  zones: [zone-a, zone-b, zone-c]\n  replication: {synchronous: true}\n")
		}
		if i%2 == 0 {
			b.WriteString("  backups: {schedule: \"0 3 * * *\", retention: {full: 7}}\n")
		}
		files[filepath.Join("databases", ns, name+".yaml")] = b.String()
	}
	return files
}

// namespaceManifests declares the namespaces of prefix, for kubectl: tidemark
// creates the namespaces its Databases name by itself. They carry a label,
// as tidemark's do: a Namespace applied with nothing but its name owns no
// field, and the API server then writes it again on the next apply (to add
// a "before-first-apply" managedFields entry), a write no steady state has.
func namespaceManifests(prefix string) string {
	var b strings.Builder
	for _, ns := range namespaces(prefix) {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n  labels: {app.kubernetes.io/managed-by: kubectl-bench}\n", ns)
	}
	return b.String()
}

// writeFiles writes files under dir, creating folders.
func writeFiles(dir string, files map[string]string) error {
	for rel, content := range files {
		path := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}
