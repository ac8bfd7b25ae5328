package source

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
)

// gitEnv keeps the git CLI away from the user's and the system's config, so
// the tests run the same everywhere.
var gitEnv = []string{
	"GIT_CONFIG_NOSYSTEM=1",
	"GIT_CONFIG_GLOBAL=/dev/null",
	"GIT_AUTHOR_NAME=Ada Author",
	"GIT_AUTHOR_EMAIL=ada@example.test",
	"GIT_COMMITTER_NAME=Ada Author",
	"GIT_COMMITTER_EMAIL=ada@example.test",
}

// git runs the git CLI in dir and returns its trimmed output.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), gitEnv...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// newRepo creates a repository with branch main and no commits.
func newRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	git(t, dir, "init", "--quiet", "--initial-branch=main")
	return dir
}

// change is one step of a commit: write a file, make a symlink, or remove a
// path.
type change struct {
	path    string
	content string // file content, or symlink target when link is set
	link    bool
	remove  bool
}

func file(path, content string) change   { return change{path: path, content: content} }
func symlink(path, target string) change { return change{path: path, content: target, link: true} }
func remove(path string) change          { return change{path: path, remove: true} }

// commit applies the changes to the work tree of repo, commits them on the
// current branch and returns the commit's SHA.
func commit(t *testing.T, repo, message string, changes ...change) string {
	t.Helper()
	for _, c := range changes {
		p := filepath.Join(repo, c.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case c.remove:
			err = os.RemoveAll(p)
		case c.link:
			err = os.Symlink(c.content, p)
		default:
			err = os.WriteFile(p, []byte(c.content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	git(t, repo, "add", "--all")
	git(t, repo, "commit", "--quiet", "--allow-empty", "-m", message)
	return git(t, repo, "rev-parse", "HEAD")
}

// readTree returns what dir holds: file paths map to their content,
// symlinks to "-> target", so a symlink followed by mistake shows.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(p)
			got[rel] = "-> " + target
			return err
		}
		b, err := os.ReadFile(p)
		got[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// newTestFetcher builds a Fetcher with a fresh cache dir.
func newTestFetcher(t *testing.T, opts Options) *Fetcher {
	t.Helper()
	if opts.CacheDir == "" {
		opts.CacheDir = t.TempDir()
	}
	f, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return f
}

// logBuffer collects log lines of a test.
type logBuffer struct {
	mu    sync.Mutex
	lines bytes.Buffer
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lines.String()
}

// testLogger returns a logger that writes to t and to the returned buffer,
// for tests that check what was logged.
func testLogger(t *testing.T) (logr.Logger, *logBuffer) {
	buf := &logBuffer{}
	log := funcr.New(func(prefix, args string) {
		buf.mu.Lock()
		defer buf.mu.Unlock()
		buf.lines.WriteString(args + "\n")
		t.Log(args)
	}, funcr.Options{Verbosity: 1})
	return log, buf
}
