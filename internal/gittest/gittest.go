// Package gittest makes real Git repositories for tests and serves them
// over file:// and smart HTTP (git http-backend) on the loopback interface.
package gittest

import (
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Repo is a non-bare repository with a worktree the test edits.
type Repo struct {
	t   testing.TB
	Dir string
}

// New creates an empty repository on branch main.
func New(t testing.TB) *Repo {
	t.Helper()
	r := &Repo{t: t, Dir: t.TempDir()}
	r.Git("init", "-q", "-b", "main")
	r.Git("config", "user.name", "tidemark test")
	r.Git("config", "user.email", "test@tidemark.invalid")
	return r
}

// URL is the repository's file:// URL.
func (r *Repo) URL() string {
	return "file://" + r.Dir
}

// Git runs a git command in the repository and returns its trimmed output.
func (r *Repo) Git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.Dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+r.Dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// Write writes a file of the worktree, creating its folders.
func (r *Repo) Write(rel, content string) {
	r.t.Helper()
	path := filepath.Join(r.Dir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// Remove deletes a file of the worktree.
func (r *Repo) Remove(rel string) {
	r.t.Helper()
	r.Git("rm", "-q", rel)
}

// Move renames a file of the worktree.
func (r *Repo) Move(from, to string) {
	r.t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(r.Dir, to)), 0o755); err != nil {
		r.t.Fatal(err)
	}
	r.Git("mv", from, to)
}

// Commit commits every change and returns the new commit's SHA.
func (r *Repo) Commit(message string) string {
	r.t.Helper()
	r.Git("add", "-A")
	r.Git("commit", "-q", "--allow-empty", "-m", message)
	return r.Git("rev-parse", "HEAD")
}

// ResetHard moves main to sha, as a force-push would.
func (r *Repo) ResetHard(sha string) {
	r.t.Helper()
	r.Git("reset", "-q", "--hard", sha)
}

// ServeHTTP serves the repository with git's smart-HTTP backend on
// 127.0.0.1 and returns its URL. The server stops when the test ends.
func (r *Repo) ServeHTTP() string {
	r.t.Helper()
	gitPath, err := exec.LookPath("git")
	if err != nil {
		r.t.Fatal(err)
	}

	backend := &cgi.Handler{
		Path: gitPath,
		Args: []string{"http-backend"},
		Env:  []string{"GIT_PROJECT_ROOT=" + filepath.Dir(r.Dir), "GIT_HTTP_EXPORT_ALL=1"},
	}
	srv := httptest.NewServer(backend)
	r.t.Cleanup(srv.Close)
	return srv.URL + "/" + filepath.Base(r.Dir) + "/.git"
}
