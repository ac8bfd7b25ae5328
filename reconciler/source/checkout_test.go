package source

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
)

// TestWriteTree_modes checks file modes, symlinks and submodules.
func TestWriteTree_modes(t *testing.T) {
	t.Parallel()
	st := memory.NewStorage()
	blob := storeBlob(t, st, "#!/bin/sh\n")
	tree := storeTree(t, st,
		object.TreeEntry{Name: "abs-link", Mode: filemode.Symlink, Hash: storeBlob(t, st, "/etc/passwd")},
		object.TreeEntry{Name: "plain", Mode: filemode.Regular, Hash: blob},
		object.TreeEntry{Name: "run.sh", Mode: filemode.Executable, Hash: blob},
		object.TreeEntry{Name: "vendor", Mode: filemode.Submodule, Hash: plumbing.NewHash("0123456789012345678901234567890123456789")},
	)
	dir := t.TempDir()

	if err := writeTree(dir, st, tree); err != nil {
		t.Fatalf("writeTree: %v", err)
	}

	wantTree(t, dir, map[string]string{"abs-link": "-> /etc/passwd", "plain": "#!/bin/sh\n", "run.sh": "#!/bin/sh\n"})
	for name, want := range map[string]os.FileMode{"plain": 0o644, "run.sh": 0o755, "vendor": os.ModeDir | 0o755} {
		info, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		// The umask may clear group and other bits, never the owner's.
		if got := info.Mode(); got.Type() != want.Type() || got.Perm()&0o700 != want.Perm()&0o700 {
			t.Errorf("%s mode = %s, want %s", name, got, want)
		}
	}
}

// TestWriteTree_unsafeNames checks that crafted trees cannot write outside
// the directory or into a .git.
func TestWriteTree_unsafeNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		entries func(st *memory.Storage) []object.TreeEntry
	}{
		{name: "parent", entries: func(st *memory.Storage) []object.TreeEntry {
			return []object.TreeEntry{{Name: "..", Mode: filemode.Regular, Hash: storeBlob(t, st, "x")}}
		}},
		{name: "slash", entries: func(st *memory.Storage) []object.TreeEntry {
			return []object.TreeEntry{{Name: "a/../../x", Mode: filemode.Regular, Hash: storeBlob(t, st, "x")}}
		}},
		{name: "dot git", entries: func(st *memory.Storage) []object.TreeEntry {
			return []object.TreeEntry{{Name: ".GIT", Mode: filemode.Regular, Hash: storeBlob(t, st, "x")}}
		}},
		{name: "file through a symlink", entries: func(st *memory.Storage) []object.TreeEntry {
			sub := storeTree(t, st, object.TreeEntry{Name: "x", Mode: filemode.Regular, Hash: storeBlob(t, st, "x")})
			return []object.TreeEntry{
				{Name: "a", Mode: filemode.Symlink, Hash: storeBlob(t, st, "..")},
				{Name: "a", Mode: filemode.Dir, Hash: sub.Hash},
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := memory.NewStorage()
			tree := storeTree(t, st, tc.entries(st)...)
			parent := t.TempDir()
			dir := filepath.Join(parent, "checkout")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}

			err := writeTree(dir, st, tree)

			if err == nil {
				t.Error("writeTree accepted the tree")
			}
			if entries, _ := os.ReadDir(parent); len(entries) != 1 {
				t.Errorf("writeTree wrote beside its directory: %v", entries)
			}
		})
	}
}

func storeBlob(t *testing.T, st *memory.Storage, content string) plumbing.Hash {
	t.Helper()
	obj := st.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	w, err := obj.Writer()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	w.Close()
	hash, err := st.SetEncodedObject(obj)
	if err != nil {
		t.Fatal(err)
	}
	return hash
}

// storeTree stores the entries as given, unsorted and unchecked, as a
// crafted tree would be.
func storeTree(t *testing.T, st *memory.Storage, entries ...object.TreeEntry) *object.Tree {
	t.Helper()
	obj := st.NewEncodedObject()
	if err := (&object.Tree{Entries: entries}).Encode(obj); err != nil {
		t.Fatal(err)
	}
	hash, err := st.SetEncodedObject(obj)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := object.GetTree(st, hash)
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

func TestOldRevisions(t *testing.T) {
	dir := t.TempDir()
	names := []string{"r1", "r2", "r3", "r4", "r5", ".tmp-123"}
	for i, name := range names {
		path := filepath.Join(dir, name)
		if err := os.Mkdir(path, 0o700); err != nil {
			t.Fatal(err)
		}
		mod := time.Now().Add(time.Duration(i) * time.Minute)
		if err := os.Chtimes(path, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(dir)

	var got []string
	for _, e := range oldRevisions(entries, "r1") {
		got = append(got, e.Name())
	}
	sort.Strings(got)
	// r1 is kept as the current one, r5, r4, r3 as the newest three.
	if strings.Join(got, ",") != ".tmp-123,r2" {
		t.Errorf("deleted %v, want .tmp-123 and r2", got)
	}
}
