package source

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
)

// TestFetch_followsBranch walks one cache through the life of a branch:
// first clone, an incremental fetch, no change, and a force-push back.
func TestFetch_followsBranch(t *testing.T) {
	t.Parallel()
	repo := newRepo(t)
	first := commit(t, repo, "first",
		file("databases/orders.yaml", "name: orders\n"),
		file("databases/users.yaml", "name: users\n"),
		symlink("migrations/orders", "../elsewhere"),
	)
	f := newTestFetcher(t, Options{URL: "file://" + repo})

	// The first fetch clones.
	rev := mustFetch(t, f)
	wantRevision(t, rev, Revision{SHA: first, Message: "first\n", Author: "Ada Author <ada@example.test>"})
	wantTree(t, rev.Dir, map[string]string{
		"databases/orders.yaml": "name: orders\n",
		"databases/users.yaml":  "name: users\n",
		"migrations/orders":     "-> ../elsewhere",
	})
	packs := packFiles(t, f)

	// A new commit arrives by an incremental fetch: the first pack stays.
	second := commit(t, repo, "second",
		file("databases/orders.yaml", "name: orders\nreplicas: 3\n"),
		remove("databases/users.yaml"),
	)
	rev = mustFetch(t, f)
	wantRevision(t, rev, Revision{SHA: second, Previous: first, Message: "second\n", Author: "Ada Author <ada@example.test>"})
	wantTree(t, rev.Dir, map[string]string{
		"databases/orders.yaml": "name: orders\nreplicas: 3\n",
		"migrations/orders":     "-> ../elsewhere",
	})
	if got := packFiles(t, f); len(got) != len(packs)+1 || !containsAll(got, packs) {
		t.Errorf("packs after the second fetch = %v, want %v plus one", got, packs)
	}
	// The previous tree stays for a while: another process sharing the
	// cache may still read it.
	if _, err := os.Lstat(filepath.Join(f.paths.revisions, first)); err != nil {
		t.Errorf("checkout of the first revision gone too early: %v", err)
	}

	// Nothing new: the same revision, not rewritten.
	rev = mustFetch(t, f)
	wantRevision(t, rev, Revision{SHA: second, Previous: second, Message: "second\n", Author: "Ada Author <ada@example.test>"})

	// A force-push back to the first commit is followed and reported.
	git(t, repo, "reset", "--quiet", "--hard", first)
	rev = mustFetch(t, f)
	wantRevision(t, rev, Revision{SHA: first, Previous: second, Rewritten: true, Message: "first\n", Author: "Ada Author <ada@example.test>"})
	wantTree(t, rev.Dir, map[string]string{
		"databases/orders.yaml": "name: orders\n",
		"databases/users.yaml":  "name: users\n",
		"migrations/orders":     "-> ../elsewhere",
	})

	// A fast-forward, then an amend: the new head is a sibling of the old.
	third := commit(t, repo, "third", file("databases/orders.yaml", "name: orders\nreplicas: 5\n"))
	mustFetch(t, f)
	git(t, repo, "commit", "--quiet", "--amend", "-m", "third, amended")
	amended := git(t, repo, "rev-parse", "HEAD")
	rev = mustFetch(t, f)
	wantRevision(t, rev, Revision{SHA: amended, Previous: third, Rewritten: true, Message: "third, amended\n", Author: "Ada Author <ada@example.test>"})
}

// TestFetch_rememberedAcrossRestart checks that a new Fetcher on the same
// cache knows the previous revision and sees a rewrite made while it was
// down.
func TestFetch_rememberedAcrossRestart(t *testing.T) {
	t.Parallel()
	repo := newRepo(t)
	first := commit(t, repo, "first", file("a", "1"))
	second := commit(t, repo, "second", file("a", "2"))
	opts := Options{URL: "file://" + repo, CacheDir: t.TempDir()}
	mustFetch(t, newTestFetcher(t, opts))

	git(t, repo, "reset", "--quiet", "--hard", first)
	rev := mustFetch(t, newTestFetcher(t, opts))

	if rev.SHA != first || rev.Previous != second || !rev.Rewritten {
		t.Errorf("after restart got SHA %s previous %s rewritten %v, want %s %s true",
			rev.SHA, rev.Previous, rev.Rewritten, first, second)
	}
}

// TestFetch_refs checks each kind of Ref against one repository.
func TestFetch_refs(t *testing.T) {
	t.Parallel()
	repo := newRepo(t)
	first := commit(t, repo, "first", file("a", "1"))
	git(t, repo, "tag", "light")
	git(t, repo, "tag", "--annotate", "-m", "release", "annotated")
	git(t, repo, "tag", "--annotate", "-m", "nested", "nested", "annotated")
	second := commit(t, repo, "second", file("a", "2"))
	git(t, repo, "checkout", "--quiet", "-b", "release", first)
	release := commit(t, repo, "on release", file("b", "3"))
	git(t, repo, "checkout", "--quiet", "main")

	tests := []struct {
		name string
		ref  Ref
		want string
	}{
		{name: "default branch", ref: Ref{}, want: second},
		{name: "other branch", ref: Ref{Branch: "release"}, want: release},
		{name: "lightweight tag", ref: Ref{Tag: "light"}, want: first},
		{name: "annotated tag", ref: Ref{Tag: "annotated"}, want: first},
		{name: "tag of a tag", ref: Ref{Tag: "nested"}, want: first},
		{name: "commit on main", ref: Ref{Commit: first}, want: first},
		{name: "commit on another branch", ref: Ref{Commit: release}, want: release},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newTestFetcher(t, Options{URL: "file://" + repo, Ref: tc.ref})

			rev := mustFetch(t, f)

			if rev.SHA != tc.want {
				t.Errorf("SHA = %s, want %s", rev.SHA, tc.want)
			}
		})
	}
}

// TestFetch_tagMoved checks that a tag moved by force is followed.
func TestFetch_tagMoved(t *testing.T) {
	t.Parallel()
	repo := newRepo(t)
	commit(t, repo, "first", file("a", "1"))
	git(t, repo, "tag", "--annotate", "-m", "v1", "v1")
	f := newTestFetcher(t, Options{URL: "file://" + repo, Ref: Ref{Tag: "v1"}})
	mustFetch(t, f)

	second := commit(t, repo, "second", file("a", "2"))
	git(t, repo, "tag", "--force", "--annotate", "-m", "v1 again", "v1")
	rev := mustFetch(t, f)

	if rev.SHA != second {
		t.Errorf("SHA = %s, want the moved tag's commit %s", rev.SHA, second)
	}
}

// TestFetch_notFound checks that a missing repository or ref is ErrNotFound
// and names the URL.
func TestFetch_notFound(t *testing.T) {
	t.Parallel()
	repo := newRepo(t)
	commit(t, repo, "first", file("a", "1"))
	empty := newRepo(t)

	tests := []struct {
		name string
		url  string
		ref  Ref
	}{
		{name: "branch", url: "file://" + repo, ref: Ref{Branch: "nope"}},
		{name: "tag", url: "file://" + repo, ref: Ref{Tag: "nope"}},
		{name: "commit", url: "file://" + repo, ref: Ref{Commit: strings.Repeat("ab", 20)}},
		{name: "repository", url: "file://" + filepath.Join(repo, "missing")},
		{name: "empty repository", url: "file://" + empty},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newTestFetcher(t, Options{URL: tc.url, Ref: tc.ref})

			_, err := f.Fetch(t.Context())

			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("Fetch error = %v, want ErrNotFound", err)
			}
			if !strings.Contains(err.Error(), tc.url) {
				t.Errorf("error %q does not name the url", err)
			}
		})
	}
}

// TestNew_invalidOptions checks that options that can never work fail early.
func TestNew_invalidOptions(t *testing.T) {
	t.Parallel()
	key := []byte("not used")
	tests := []struct {
		name string
		opts Options
	}{
		{name: "two refs", opts: Options{URL: "file:///r", Ref: Ref{Branch: "main", Tag: "v1"}}},
		{name: "short commit", opts: Options{URL: "file:///r", Ref: Ref{Commit: "abc123"}}},
		{name: "upper-case commit", opts: Options{URL: "file:///r", Ref: Ref{Commit: strings.Repeat("AB", 20)}}},
		{name: "password in url", opts: Options{URL: "https://git:secret@127.0.0.1/r"}},
		{name: "unsupported scheme", opts: Options{URL: "git://127.0.0.1/r"}},
		{name: "no cache dir", opts: Options{URL: "file:///r"}},
		{name: "ssh without key", opts: Options{URL: "ssh://git@127.0.0.1/r", Auth: Auth{KnownHosts: key}}},
		{name: "ssh without known_hosts", opts: Options{URL: "ssh://git@127.0.0.1/r", Auth: Auth{SSHKey: key}}},
		{name: "token over ssh", opts: Options{URL: "ssh://git@127.0.0.1/r", Auth: Auth{Token: "t", SSHKey: key, KnownHosts: key}}},
		{name: "ssh key over https", opts: Options{URL: "https://127.0.0.1/r", Auth: Auth{SSHKey: key}}},
		{name: "token for a local path", opts: Options{URL: "file:///r", Auth: Auth{Token: "t"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.name != "no cache dir" {
				tc.opts.CacheDir = t.TempDir()
			}

			_, err := New(tc.opts)

			if !errors.Is(err, ErrInvalidOptions) {
				t.Fatalf("New error = %v, want ErrInvalidOptions", err)
			}
			if !strings.Contains(err.Error(), "127.0.0.1") && !strings.Contains(err.Error(), "file:///r") {
				t.Errorf("error %q does not name the url", err)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

// mustFetch fetches with the test's logger and fails the test on error.
func mustFetch(t *testing.T, f *Fetcher) Revision {
	t.Helper()
	log, _ := testLogger(t)
	rev, err := f.Fetch(logr.NewContext(t.Context(), log))
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	return rev
}

// wantRevision compares rev with want, ignoring Dir and Time.
func wantRevision(t *testing.T, rev, want Revision) {
	t.Helper()
	if rev.Time.IsZero() {
		t.Errorf("revision %s has no time", rev.SHA)
	}
	rev.Dir, rev.Time = "", want.Time
	if diff := cmp.Diff(want, rev); diff != "" {
		t.Errorf("revision mismatch (-want +got):\n%s", diff)
	}
}

// wantTree compares the files in dir with want (see readTree).
func wantTree(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	if diff := cmp.Diff(want, readTree(t, dir)); diff != "" {
		t.Errorf("tree of %s mismatch (-want +got):\n%s", dir, diff)
	}
}

// packFiles lists the pack files of the cache.
func packFiles(t *testing.T, f *Fetcher) []string {
	t.Helper()
	packs, err := filepath.Glob(filepath.Join(f.paths.repo, "objects", "pack", "*.pack"))
	if err != nil {
		t.Fatal(err)
	}
	return packs
}

func containsAll(s, sub []string) bool {
	for _, v := range sub {
		if !slices.Contains(s, v) {
			return false
		}
	}
	return true
}
