package source

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-logr/logr"
)

// checkout returns a directory holding exactly the commit's tree.
//
// Each revision gets its own directory, written aside and renamed into
// place, so one that exists is complete and no file of another revision can
// linger in it. The tree is written out rather than checked out through a
// go-git worktree, which would keep stale untracked files and an index.
func (f *Fetcher) checkout(st storer.EncodedObjectStorer, commit *object.Commit) (string, error) {
	dir := filepath.Join(f.paths.revisions, commit.Hash.String())
	if _, err := os.Lstat(dir); err == nil {
		return dir, nil
	}

	tree, err := commit.Tree()
	if err != nil {
		return "", cacheErr("reading tree of %s: %w", commit.Hash, err)
	}

	if err := os.MkdirAll(f.paths.revisions, 0o700); err != nil {
		return "", fmt.Errorf("creating revisions dir: %w", err)
	}
	tmp, err := os.MkdirTemp(f.paths.revisions, ".tmp-")
	if err != nil {
		return "", fmt.Errorf("creating revision dir: %w", err)
	}

	if err := writeTree(tmp, st, tree); err != nil {
		_ = os.RemoveAll(tmp)
		return "", fmt.Errorf("checking out %s: %w", commit.Hash, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		_ = os.RemoveAll(tmp)
		return "", fmt.Errorf("checking out %s: %w", commit.Hash, err)
	}
	return dir, nil
}

// keptRevisions is how many revision trees stay on disk besides the one
// just fetched: another process sharing the cache may still be reading the
// tree its own last Fetch returned.
const keptRevisions = 3

// pruneRevisions deletes the revision directories but keep and the newest
// few, along with leftovers of interrupted checkouts (Fetch holds the cache
// lock, so no checkout is in progress). Failures only cost disk space, so
// they are logged, not returned.
func (f *Fetcher) pruneRevisions(ctx context.Context, keep string) {
	entries, err := os.ReadDir(f.paths.revisions)
	if err != nil {
		logr.FromContextOrDiscard(ctx).Error(err, "listing old revisions", "url", f.opts.URL)
		return
	}

	for _, e := range oldRevisions(entries, keep) {
		if err := os.RemoveAll(filepath.Join(f.paths.revisions, e.Name())); err != nil {
			logr.FromContextOrDiscard(ctx).Error(err, "deleting old revision", "url", f.opts.URL, "revision", e.Name())
		}
	}
}

// oldRevisions returns the entries to delete: leftovers of interrupted
// checkouts, and revisions beyond the newest keptRevisions other than keep.
func oldRevisions(entries []os.DirEntry, keep string) []os.DirEntry {
	type dated struct {
		entry os.DirEntry
		mod   time.Time
	}
	var old []os.DirEntry
	var revisions []dated
	for _, e := range entries {
		switch info, err := e.Info(); {
		case e.Name() == keep:
		case strings.HasPrefix(e.Name(), ".tmp-") || err != nil:
			old = append(old, e)
		default:
			revisions = append(revisions, dated{e, info.ModTime()})
		}
	}

	sort.Slice(revisions, func(i, j int) bool { return revisions[i].mod.After(revisions[j].mod) })
	for i, r := range revisions {
		if i >= keptRevisions {
			old = append(old, r.entry)
		}
	}
	return old
}

// writeTree writes tree into the empty directory dir. It goes through an
// os.Root, so no entry, however crafted, lands outside dir.
func writeTree(dir string, st storer.EncodedObjectStorer, tree *object.Tree) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()

	w := treeWriter{root: root, st: st}
	return w.writeEntries(".", tree)
}

// treeWriter writes trees read from st below root.
type treeWriter struct {
	root *os.Root
	st   storer.EncodedObjectStorer
}

func (w treeWriter) writeEntries(dir string, tree *object.Tree) error {
	for _, e := range tree.Entries {
		if !safeName(e.Name) {
			return fmt.Errorf("unsafe path %q in %q", e.Name, dir)
		}

		if err := w.writeEntry(path.Join(dir, e.Name), e); err != nil {
			return err
		}
	}
	return nil
}

// writeEntry writes one entry. Names are created exclusively, so a crafted
// tree that repeats a name fails instead of writing through a symlink.
func (w treeWriter) writeEntry(name string, e object.TreeEntry) error {
	switch e.Mode {
	case filemode.Dir:
		sub, err := object.GetTree(w.st, e.Hash)
		if err != nil {
			return cacheErr("reading tree %s: %w", name, err)
		}
		if err := w.root.Mkdir(name, 0o755); err != nil {
			return err
		}
		return w.writeEntries(name, sub)

	case filemode.Regular, filemode.Deprecated:
		return w.writeFile(name, e.Hash, 0o644)

	case filemode.Executable:
		return w.writeFile(name, e.Hash, 0o755)

	case filemode.Symlink:
		target, err := w.readLink(name, e.Hash)
		if err != nil {
			return err
		}
		return w.root.Symlink(string(target), name)

	case filemode.Submodule:
		// Like git without --recurse-submodules: an empty directory.
		return w.root.Mkdir(name, 0o755)
	}
	return fmt.Errorf("%s: unsupported file mode %s", name, e.Mode)
}

func (w treeWriter) writeFile(name string, hash plumbing.Hash, perm os.FileMode) error {
	blob, err := object.GetBlob(w.st, hash)
	if err != nil {
		return cacheErr("reading %s: %w", name, err)
	}
	r, err := blob.Reader()
	if err != nil {
		return cacheErr("reading %s: %w", name, err)
	}
	defer r.Close()

	out, err := w.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, objectReader{r})
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// maxLinkTarget is the longest symlink target Linux accepts (PATH_MAX).
const maxLinkTarget = 4096

// readLink returns the target of a symlink, which is its blob's content.
func (w treeWriter) readLink(name string, hash plumbing.Hash) ([]byte, error) {
	blob, err := object.GetBlob(w.st, hash)
	if err != nil {
		return nil, cacheErr("reading %s: %w", name, err)
	}
	r, err := blob.Reader()
	if err != nil {
		return nil, cacheErr("reading %s: %w", name, err)
	}
	defer r.Close()

	b, err := io.ReadAll(io.LimitReader(r, maxLinkTarget+1))
	if err != nil {
		return nil, cacheErr("reading %s: %w", name, err)
	}
	if len(b) > maxLinkTarget {
		return nil, fmt.Errorf("%s: symlink target longer than %d bytes", name, maxLinkTarget)
	}
	return b, nil
}

// objectReader marks read errors of a blob as cacheErrors, so that io.Copy's
// error tells a damaged cache from a full disk.
type objectReader struct {
	io.Reader
}

func (r objectReader) Read(p []byte) (int, error) {
	n, err := r.Reader.Read(p)
	if err != nil && err != io.EOF {
		err = &cacheError{err: err}
	}
	return n, err
}

// safeName reports whether a tree entry name is one plain path element that
// git itself would check out.
func safeName(name string) bool {
	switch {
	case name == "", name == ".", name == "..":
		return false
	case strings.ContainsAny(name, "/\x00"):
		return false
	case strings.EqualFold(name, ".git"):
		return false
	}
	return true
}
