//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	. "github.com/onsi/gomega"
)

// Namespace of the scenario databases.
const namespace = "chaos"

// scenarioDatabase is one database the suite's config repo declares.
type scenarioDatabase struct {
	name        string
	synchronous bool
}

// The scenarios run on the synchronous database, where no acknowledged
// write may be lost; the asynchronous one shows what that trade costs.
var (
	syncDB            = scenarioDatabase{name: "ledger-sync", synchronous: true}
	asyncDB           = scenarioDatabase{name: "ledger-async", synchronous: false}
	scenarioDatabases = []scenarioDatabase{syncDB, asyncDB}
)

func (d scenarioDatabase) replication() string {
	if d.synchronous {
		return "synchronous"
	}
	return "asynchronous"
}

// initialParameters are the parameters of the first commit.
func initialParameters() map[string]string {
	return map[string]string{"work_mem": "4MB", "shared_buffers": "64MB"}
}

// configRepo is the suite's config repository, a real Git repository
// that tidemark fetches over file://.
type configRepo struct {
	dir        string
	parameters map[string]string
}

func newConfigRepo(dir string) *configRepo {
	Expect(os.RemoveAll(dir)).To(Succeed())
	Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
	r := &configRepo{dir: dir}
	r.git("init", "-q", "-b", "main")
	return r
}

func (r *configRepo) url() string { return "file://" + r.dir }

func (r *configRepo) git(args ...string) string {
	cmd := exec.Command("git", append([]string{"-C", r.dir, "-c", "user.name=e2e", "-c", "user.email=e2e@tidemark.invalid"}, args...)...)
	out, err := cmd.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "git %v: %s", args, out)
	return strings.TrimSpace(string(out))
}

// writeDatabases writes every scenario database with these parameters.
func (r *configRepo) writeDatabases(parameters map[string]string) {
	r.parameters = parameters
	for _, db := range scenarioDatabases {
		path := filepath.Join(r.dir, "databases", db.name+".yaml")
		Expect(os.MkdirAll(filepath.Dir(path), 0o755)).To(Succeed())
		Expect(os.WriteFile(path, []byte(databaseYAML(db, parameters)), 0o644)).To(Succeed())
	}
}

// setParameter changes one parameter of every database.
func (r *configRepo) setParameter(name, value string) {
	next := map[string]string{}
	for k, v := range r.parameters {
		next[k] = v
	}
	next[name] = value
	r.writeDatabases(next)
}

// commit commits everything and returns the new revision.
func (r *configRepo) commit(message string) string {
	r.git("add", "-A")
	r.git("commit", "-q", "-m", message)
	return r.git("rev-parse", "HEAD")
}

func databaseYAML(db scenarioDatabase, parameters map[string]string) string {
	names := make([]string, 0, len(parameters))
	for k := range parameters {
		names = append(names, k)
	}
	sort.Strings(names)
	var params strings.Builder
	for _, k := range names {
		fmt.Fprintf(&params, "    %s: %q\n", k, parameters[k])
	}
	return fmt.Sprintf(`# A scenario database of the resilience suite: one member per zone.
apiVersion: tidemark.dev/v1alpha1
kind: Database
metadata:
  name: %s
  namespace: %s
spec:
  engine: postgres
  version: "15"
  replicas: 3
  zones: [zone-a, zone-b, zone-c]
  storage:
    size: 1Gi
  resources:
    requests: {cpu: 50m, memory: 192Mi}
    limits: {memory: 512Mi}
  replication:
    synchronous: %t
  parameters:
%s  deletionPolicy: Delete
`, db.name, namespace, db.synchronous, params.String())
}
