package source

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-logr/logr"
)

// TestFetch_recoversCache damages the cache between two fetches and checks
// that the second one clones again and yields the new head.
func TestFetch_recoversCache(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		damage func(t *testing.T, cache, url string)
		// reclone is false where an incremental fetch can repair the damage.
		reclone bool
	}{
		{
			// With no commit left to offer as "have", the fetch asks for
			// everything.
			name: "pack files deleted",
			damage: func(t *testing.T, cache, _ string) {
				removeGlob(t, filepath.Join(cache, "objects", "pack", "*"))
			},
		},
		{
			// The commits are there, so the server sends only what is new,
			// but the unchanged file "b" is gone.
			name: "unchanged blob deleted",
			damage: func(t *testing.T, cache, _ string) {
				unpackObjects(t, cache)
				blob := plumbing.ComputeHash(plumbing.BlobObject, []byte("2")).String()
				removeGlob(t, filepath.Join(cache, "objects", blob[:2], blob[2:]))
			},
			reclone: true,
		},
		{
			name: "pack files overwritten",
			damage: func(t *testing.T, cache, _ string) {
				packs, _ := filepath.Glob(filepath.Join(cache, "objects", "pack", "*.pack"))
				for _, p := range packs {
					overwriteMiddle(t, p)
				}
			},
			reclone: true,
		},
		{
			name: "shallow clone",
			damage: func(t *testing.T, cache, url string) {
				removeGlob(t, cache)
				git(t, filepath.Dir(cache), "clone", "--quiet", "--bare", "--depth=1", url, cache)
			},
			reclone: true,
		},
		{
			name: "config garbled",
			damage: func(t *testing.T, cache, _ string) {
				if err := os.WriteFile(filepath.Join(cache, "config"), []byte("[garbage"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			reclone: true,
		},
		{
			name: "cloned from another url",
			damage: func(t *testing.T, cache, _ string) {
				other := newRepo(t)
				commit(t, other, "other", file("x", "x"))
				removeGlob(t, cache)
				git(t, filepath.Dir(cache), "clone", "--quiet", "--bare", "file://"+other, cache)
			},
			reclone: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			repo := newRepo(t)
			first := commit(t, repo, "first", file("a", "1"), file("b", "2"))
			url := "file://" + repo
			f := newTestFetcher(t, Options{URL: url})
			mustFetch(t, f)

			second := commit(t, repo, "second", file("a", "3"))
			tc.damage(t, f.paths.repo, url)
			log, logs := testLogger(t)
			rev, err := f.Fetch(logr.NewContext(t.Context(), log))

			if err != nil {
				t.Fatalf("Fetch after damage: %v", err)
			}
			if rev.SHA != second || rev.Previous != first || rev.Rewritten {
				t.Errorf("got SHA %s previous %s rewritten %v, want %s %s false",
					rev.SHA, rev.Previous, rev.Rewritten, second, first)
			}
			wantTree(t, rev.Dir, map[string]string{"a": "3", "b": "2"})
			logged := strings.Contains(logs.String(), `"msg"="git cache unusable, cloning again" "url"="`+url+`"`)
			if logged != tc.reclone {
				t.Errorf("re-clone logged with the url: %v, want %v; logs:\n%s", logged, tc.reclone, logs)
			}
		})
	}
}

// TestFetch_restartOnShallowCache checks that a new Fetcher repairs a shallow
// cache it finds on disk.
func TestFetch_restartOnShallowCache(t *testing.T) {
	t.Parallel()
	repo := newRepo(t)
	commit(t, repo, "first", file("a", "1"))
	second := commit(t, repo, "second", file("a", "2"))
	url := "file://" + repo
	cacheDir := t.TempDir()
	git(t, cacheDir, "clone", "--quiet", "--bare", "--depth=1", url, filepath.Join(cacheDir, "repo.git"))

	rev := mustFetch(t, newTestFetcher(t, Options{URL: url, CacheDir: cacheDir}))

	if rev.SHA != second {
		t.Errorf("SHA = %s, want %s", rev.SHA, second)
	}
	if _, err := os.Stat(filepath.Join(cacheDir, "repo.git", "shallow")); !os.IsNotExist(err) {
		t.Errorf("cache still shallow: %v", err)
	}
}

// unpackObjects turns the packs of a bare repository into loose objects, so
// that single objects can be deleted.
func unpackObjects(t *testing.T, repo string) {
	t.Helper()
	tmp := t.TempDir()
	packs, err := filepath.Glob(filepath.Join(repo, "objects", "pack", "*.pack"))
	if err != nil || len(packs) == 0 {
		t.Fatalf("no packs in %s: %v", repo, err)
	}
	for _, p := range packs {
		moved := filepath.Join(tmp, filepath.Base(p))
		if err := os.Rename(p, moved); err != nil {
			t.Fatal(err)
		}
		removeGlob(t, strings.TrimSuffix(p, ".pack")+".*")

		in, err := os.Open(moved)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("git", "unpack-objects", "-q")
		cmd.Dir, cmd.Stdin, cmd.Env = repo, in, append(os.Environ(), gitEnv...)
		out, err := cmd.CombinedOutput()
		in.Close()
		if err != nil {
			t.Fatalf("git unpack-objects: %v\n%s", err, out)
		}
	}
}

func removeGlob(t *testing.T, pattern string) {
	t.Helper()
	paths, err := filepath.Glob(pattern)
	if err != nil || len(paths) == 0 {
		t.Fatalf("nothing matches %s: %v", pattern, err)
	}
	for _, p := range paths {
		if err := os.RemoveAll(p); err != nil {
			t.Fatal(err)
		}
	}
}

// overwriteMiddle zeroes a pack file past its 12-byte header.
func overwriteMiddle(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 12; i < len(b); i++ {
		b[i] = 0
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
