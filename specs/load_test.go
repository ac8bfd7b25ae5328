package specs

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidemark/tidemark/specs/v1alpha1"
)

var update = flag.Bool("update", false, "rewrite the .golden files of invalid fixtures")

// TestLoadInvalidFixtures loads every testdata/invalid-* repo and compares
// the whole error list with its golden file, so a reviewer sees each message
// a config author would get.
func TestLoadInvalidFixtures(t *testing.T) {
	dirs, err := filepath.Glob("testdata/invalid-*")
	if err != nil {
		t.Fatal(err)
	}

	for _, dir := range dirs {
		if strings.HasSuffix(dir, ".golden") {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			rev, err := Load(dir, LoadOptions{})
			if err == nil {
				t.Fatalf("Load accepted an invalid repo with %d specs", len(rev.Specs))
			}
			assertErrorLines(t, err)
			compareGolden(t, dir+".golden", err.Error()+"\n")
		})
	}
}

// assertErrorLines checks that every error names a file and a line.
func assertErrorLines(t *testing.T, err error) {
	t.Helper()
	list, ok := err.(ErrorList)
	if !ok {
		t.Fatalf("error is %T, want ErrorList: %v", err, err)
	}
	for _, e := range list {
		if e.File == "" || e.Line == 0 {
			t.Errorf("error without file and line: %q", e.Error())
		}
	}
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test ./specs -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("errors differ from %s\n--- got:\n%s--- want:\n%s", path, got, want)
	}
}

func TestLoadValidFixtures(t *testing.T) {
	cases := []struct {
		dir   string
		names []string
	}{
		{"valid-minimal", []string{"shop/orders"}},
		{"valid-full", []string{"shop/orders"}},
		{"valid-multidoc", []string{"one/a", "two/b"}},
		{"valid-empty-files", nil},
		{"valid-hidden-ignored", []string{"shop/orders"}},
	}
	for _, tc := range cases {
		t.Run(tc.dir, func(t *testing.T) {
			rev, err := Load(filepath.Join("testdata", tc.dir), LoadOptions{})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			var got []string
			for _, s := range rev.Specs {
				got = append(got, s.Database.Namespace+"/"+s.Database.Name)
			}
			if strings.Join(got, ",") != strings.Join(tc.names, ",") {
				t.Errorf("specs = %v, want %v", got, tc.names)
			}
		})
	}
}

func TestLoadFullSpecDecodesEveryField(t *testing.T) {
	rev, err := Load("testdata/valid-full", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	spec := rev.Specs[0].Database.Spec

	if spec.Replicas != 3 || len(spec.Zones) != 3 || !spec.Replication.Synchronous {
		t.Errorf("topology = %d replicas, zones %v, sync %v", spec.Replicas, spec.Zones, spec.Replication.Synchronous)
	}
	if spec.Storage.Size.String() != "10Gi" || spec.Storage.StorageClass != "standard" {
		t.Errorf("storage = %s/%s", spec.Storage.Size.String(), spec.Storage.StorageClass)
	}
	if spec.Resources.Requests.Cpu().MilliValue() != 250 {
		t.Errorf("cpu request = %s", spec.Resources.Requests.Cpu())
	}
	if spec.Parameters["max_connections"] != "200" || spec.Backups.Schedule != "0 3 * * *" {
		t.Errorf("parameters %v, backups %+v", spec.Parameters, spec.Backups)
	}
	if spec.Migrations.Path != "migrations/orders" || rev.Specs[0].File != "databases/orders.yaml" || rev.Specs[0].Line != 2 {
		t.Errorf("migrations %q from %s:%d", spec.Migrations.Path, rev.Specs[0].File, rev.Specs[0].Line)
	}
}

func TestLoadAppliesDefaults(t *testing.T) {
	rev, err := Load("testdata/valid-minimal", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	spec := rev.Specs[0].Database.Spec
	if spec.Engine != "postgres" || spec.Replicas != 1 || spec.DeletionPolicy != v1alpha1.DeletionPolicyRetain {
		t.Errorf("defaults not applied: %+v", spec)
	}
}

func TestLoadPathRestrictsTheScan(t *testing.T) {
	rev, err := Load("testdata/valid-full", LoadOptions{Path: "databases"})
	if err != nil || len(rev.Specs) != 1 {
		t.Fatalf("Load(databases) = %v, %v", rev, err)
	}
	if _, err := Load("testdata/valid-full", LoadOptions{Path: "../valid-minimal"}); err == nil {
		t.Error("a scan path outside the repo was accepted")
	}
}

// The cases below need things a fixture folder cannot hold in Git as-is:
// symlinks and a file over the size limit.

func TestLoadRejectsMigrationsThroughSymlink(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "real/orders/0001.sql", "select 1;")
	if err := os.Symlink("real", filepath.Join(root, "migrations")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, root, "db.yaml", minimalSpec+"  migrations: {path: migrations/orders}\n")

	_, err := Load(root, LoadOptions{})
	wantError(t, err, "db.yaml:9: spec.migrations.path: Invalid value: \"migrations/orders\": passes through the symlink migrations")
}

func TestLoadRejectsSymlinkedSpecFile(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "real.txt", minimalSpec)
	if err := os.Symlink("real.txt", filepath.Join(root, "db.yaml")); err != nil {
		t.Fatal(err)
	}

	_, err := Load(root, LoadOptions{})
	wantError(t, err, "db.yaml: spec files must not be symlinks")
}

func TestLoadRejectsLargeFiles(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "big.yaml", minimalSpec+"# "+strings.Repeat("x", MaxFileSize)+"\n")

	_, err := Load(root, LoadOptions{})
	wantError(t, err, "big.yaml: file is larger than 1048576 bytes")
}

const minimalSpec = `apiVersion: tidemark.dev/v1alpha1
kind: Database
metadata:
  name: orders
  namespace: shop
spec:
  version: "15"
  storage: {size: 1Gi}
`

func writeFile(t *testing.T, root, rel, content string) {
	t.Helper()
	path := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func wantError(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err.Error(), want)
	}
}

func TestLoadRejectsEmptyMigrationsFolder(t *testing.T) {
	// Git keeps no empty folders, so validate must not pass what the
	// daemon, reading a Git tree, would refuse.
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "migrations", "orders"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, root, "db.yaml", minimalSpec+"  migrations: {path: migrations/orders}\n")

	_, err := Load(root, LoadOptions{})
	wantError(t, err, "db.yaml:9: spec.migrations.path: Invalid value: \"migrations/orders\": is empty")
}

func TestLoadScansAHiddenFolderWhenAskedTo(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, ".specs/db.yaml", minimalSpec)

	rev, err := Load(root, LoadOptions{Path: ".specs"})
	if err != nil || len(rev.Specs) != 1 {
		t.Fatalf("Load(.specs) = %v, %v", rev, err)
	}
	rev, err = Load(root, LoadOptions{})
	if err != nil || len(rev.Specs) != 0 {
		t.Fatalf("the whole-repo scan read a hidden folder: %v, %v", rev, err)
	}
}

func TestLoadCapsTheErrors(t *testing.T) {
	root := t.TempDir()
	var b strings.Builder
	for i := range MaxErrors + 50 {
		b.WriteString(strings.Replace(minimalSpec, "name: orders", "name: Bad_"+strings.Repeat("x", i%3)+"\n  labels: {n: \""+string(rune('a'+i%26))+"\"}", 1))
		b.WriteString("---\n")
	}
	writeFile(t, root, "many.yaml", b.String())

	_, err := Load(root, LoadOptions{})
	list, _ := err.(ErrorList)
	if len(list) != MaxErrors+1 || !strings.Contains(list[MaxErrors].Message, "more errors") {
		t.Fatalf("got %d errors, last %q", len(list), list[len(list)-1].Message)
	}
}
