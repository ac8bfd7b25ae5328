package source

import (
	"context"
	"errors"
	"fmt"
	"os"

	extgogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

const (
	remoteName = "origin"

	// headRef records the revision Fetch yielded last. It survives restarts
	// and keeps that commit in the cache, so a rewrite can be recognised.
	headRef = plumbing.ReferenceName("refs/tidemark/head")

	// maxTagDepth bounds the peeling of tags that point to tags.
	maxTagDepth = 10
)

// openCache opens the cache repository, creating it on first use. A cache
// cloned from another URL, or one that cannot be opened, is a cacheError.
func (f *Fetcher) openCache() (*extgogit.Repository, error) {
	repo, err := extgogit.PlainOpen(f.paths.repo)
	if errors.Is(err, extgogit.ErrRepositoryNotExists) {
		return f.initCache()
	}
	if err != nil {
		return nil, cacheErr("opening %s: %w", f.paths.repo, err)
	}

	remote, err := repo.Remote(remoteName)
	if err != nil {
		return nil, cacheErr("reading remote: %w", err)
	}
	if urls := remote.Config().URLs; len(urls) != 1 || urls[0] != f.opts.URL {
		return nil, cacheErr("cache was cloned from %v", urls)
	}
	return repo, nil
}

// initCache creates an empty bare repository whose remote is Options.URL;
// the first fetch into it is the clone.
func (f *Fetcher) initCache() (*extgogit.Repository, error) {
	// Whatever is there is not a repository; clear it for PlainInit.
	if err := os.RemoveAll(f.paths.repo); err != nil {
		return nil, fmt.Errorf("clearing cache: %w", err)
	}
	if err := os.MkdirAll(f.paths.repo, 0o700); err != nil {
		return nil, fmt.Errorf("creating cache: %w", err)
	}

	repo, err := extgogit.PlainInit(f.paths.repo, true)
	if err != nil {
		return nil, fmt.Errorf("creating cache: %w", err)
	}

	_, err = repo.CreateRemote(&config.RemoteConfig{Name: remoteName, URLs: []string{f.opts.URL}})
	if err != nil {
		return nil, fmt.Errorf("creating cache: %w", err)
	}
	return repo, nil
}

// checkComplete rejects a shallow cache: it lacks the history that tells a
// fast-forward from a rewrite, and go-git cannot deepen it.
func checkComplete(repo *extgogit.Repository) error {
	shallow, err := repo.Storer.Shallow()
	if err != nil {
		return cacheErr("reading shallow commits: %w", err)
	}
	if len(shallow) > 0 {
		return cacheErr("cache is shallow")
	}
	return nil
}

// recordedHead returns the revision headRef records, or "" if none.
func recordedHead(repo *extgogit.Repository) string {
	ref, err := repo.Reference(headRef, false)
	if err != nil {
		return ""
	}
	return ref.Hash().String()
}

// recordHead points headRef at the revision being yielded.
func recordHead(repo *extgogit.Repository, hash plumbing.Hash) error {
	if err := repo.Storer.SetReference(plumbing.NewHashReference(headRef, hash)); err != nil {
		return fmt.Errorf("recording revision %s: %w", hash, err)
	}
	return nil
}

// update fetches what Options.Ref needs and returns the commit it names.
func (f *Fetcher) update(ctx context.Context, repo *extgogit.Repository) (plumbing.Hash, error) {
	ref := f.opts.Ref
	switch {
	case ref.Commit != "":
		return f.updateCommit(ctx, repo, plumbing.NewHash(ref.Commit))

	case ref.Tag != "":
		name := plumbing.NewTagReferenceName(ref.Tag)
		if err := f.fetchRefs(ctx, repo, forceSpec(name, name)); err != nil {
			return plumbing.ZeroHash, err
		}
		return resolve(repo, name)

	default:
		name := plumbing.NewRemoteReferenceName(remoteName, ref.Branch)
		if err := f.fetchRefs(ctx, repo, forceSpec(plumbing.NewBranchReferenceName(ref.Branch), name)); err != nil {
			return plumbing.ZeroHash, err
		}
		return resolve(repo, name)
	}
}

// updateCommit makes sure the cache holds the commit. A commit never changes,
// so one already in the cache needs no network at all. Otherwise every branch
// and tag is fetched, since servers need not serve a bare SHA.
func (f *Fetcher) updateCommit(ctx context.Context, repo *extgogit.Repository, hash plumbing.Hash) (plumbing.Hash, error) {
	if _, err := repo.CommitObject(hash); err == nil {
		return hash, nil
	}

	err := f.fetchRefs(ctx, repo,
		config.RefSpec("+refs/heads/*:refs/remotes/"+remoteName+"/*"),
		config.RefSpec("+refs/tags/*:refs/tags/*"))
	if err != nil {
		return plumbing.ZeroHash, err
	}

	if _, err := repo.CommitObject(hash); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("%w: commit %s is in no branch or tag: %w", ErrNotFound, hash, err)
	}
	return hash, nil
}

// forceSpec maps src to dst, moving dst even when the update is not a
// fast-forward.
func forceSpec(src, dst plumbing.ReferenceName) config.RefSpec {
	return config.RefSpec("+" + src.String() + ":" + dst.String())
}

// fetchRefs fetches the refspecs from the remote under Options.Timeout.
func (f *Fetcher) fetchRefs(ctx context.Context, repo *extgogit.Repository, specs ...config.RefSpec) error {
	remote, err := repo.Remote(remoteName)
	if err != nil {
		return cacheErr("reading remote: %w", err)
	}

	err = f.runNetwork(ctx, func(ctx context.Context) error {
		return remote.FetchContext(ctx, &extgogit.FetchOptions{
			RemoteName: remoteName,
			RefSpecs:   specs,
			Auth:       f.auth,
			Tags:       extgogit.NoTags,
			Force:      true,
		})
	})
	if err != nil && !errors.Is(err, extgogit.NoErrAlreadyUpToDate) {
		return classifyRemote(err)
	}
	return nil
}

// resolve returns the commit a local ref points to, peeling tags.
func resolve(repo *extgogit.Repository, name plumbing.ReferenceName) (plumbing.Hash, error) {
	ref, err := repo.Reference(name, true)
	if err != nil {
		return plumbing.ZeroHash, cacheErr("reading %s after fetching it: %w", name, err)
	}

	hash := ref.Hash()
	for range maxTagDepth {
		obj, err := repo.Object(plumbing.AnyObject, hash)
		if err != nil {
			return plumbing.ZeroHash, cacheErr("reading %s: %w", hash, err)
		}

		switch obj := obj.(type) {
		case *object.Commit:
			return hash, nil
		case *object.Tag:
			hash = obj.Target
		default:
			return plumbing.ZeroHash, fmt.Errorf("%s points to a %s, not a commit", name, obj.Type())
		}
	}
	return plumbing.ZeroHash, fmt.Errorf("%s: tags nested more than %d deep", name, maxTagDepth)
}

// isRewritten reports whether head's history no longer contains previous.
func isRewritten(repo *extgogit.Repository, previous string, head *object.Commit) (bool, error) {
	if previous == "" || previous == head.Hash.String() {
		return false, nil
	}

	old, err := repo.CommitObject(plumbing.NewHash(previous))
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		// Only after a fresh clone: headRef keeps it otherwise. The clone
		// holds all of head's history, so previous is not in it.
		return true, nil
	}
	if err != nil {
		return false, cacheErr("reading previous revision %s: %w", previous, err)
	}

	ancestor, err := old.IsAncestor(head)
	if err != nil {
		return false, cacheErr("walking history of %s: %w", head.Hash, err)
	}
	return !ancestor, nil
}

// newRevision describes commit as a Revision.
func newRevision(commit *object.Commit, dir, previous string, rewritten bool) Revision {
	return Revision{
		SHA:       commit.Hash.String(),
		Dir:       dir,
		Rewritten: rewritten,
		Previous:  previous,
		Message:   commit.Message,
		Author:    commit.Author.String(),
		Time:      commit.Author.When,
	}
}
