package source

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-logr/logr"
)

// Fetcher yields revisions of one ref of one repository. It is not safe for
// concurrent use.
type Fetcher struct {
	opts  Options
	paths cachePaths
	auth  transport.AuthMethod

	// last is the revision yielded last, or recorded in the cache by an
	// earlier process; empty before the first revision.
	last string

	// network is closed when the latest network step has returned. A step
	// that overran its timeout is left running (see runNetwork); the next
	// Fetch waits for it so that two never write the cache at once.
	network chan struct{}
}

// New checks the options and prepares a Fetcher. It does no network I/O.
// Every error names the URL and wraps ErrInvalidOptions or is an I/O error.
func New(opts Options) (*Fetcher, error) {
	opts = opts.withDefaults()
	ep, err := opts.validate()
	if err != nil {
		return nil, fmt.Errorf("configuring source %s: %w", redactURL(opts.URL), err)
	}

	auth, err := newAuth(ep, opts.Auth, opts.Timeout)
	if err != nil {
		return nil, fmt.Errorf("configuring source %s: %w", opts.URL, err)
	}

	paths, err := newCachePaths(opts.CacheDir)
	if err != nil {
		return nil, err
	}

	network := make(chan struct{})
	close(network)
	return &Fetcher{opts: opts, paths: paths, auth: auth, network: network}, nil
}

// Fetch brings the cache up to date with the remote and returns the revision
// the ref points to, checked out.
//
// A cache that cannot yield the revision (missing or corrupt objects, a
// shallow history) is deleted and cloned again once, within the same call.
// Errors name the URL and wrap ErrAuth, ErrHostKey or ErrNotFound where those
// apply; a network step that overran Options.Timeout wraps
// context.DeadlineExceeded.
func (f *Fetcher) Fetch(ctx context.Context) (Revision, error) {
	if err := f.waitNetwork(ctx); err != nil {
		return Revision{}, f.wrap(err)
	}

	// Several processes on one host (watch, apply, diff) may share a cache.
	unlock, err := lockFile(ctx, f.paths.lock)
	if err != nil {
		return Revision{}, f.wrap(err)
	}
	defer unlock()

	rev, err := f.fetch(ctx)

	var cerr *cacheError
	if errors.As(err, &cerr) {
		logr.FromContextOrDiscard(ctx).Info("git cache unusable, cloning again",
			"url", f.opts.URL, "ref", f.opts.Ref.String(), "revision", f.last, "reason", cerr.err.Error())
		if err := os.RemoveAll(f.paths.repo); err != nil {
			return Revision{}, f.wrap(fmt.Errorf("deleting cache: %w", err))
		}
		rev, err = f.fetch(ctx)
	}
	if err != nil {
		return Revision{}, f.wrap(err)
	}

	log := logr.FromContextOrDiscard(ctx)
	if rev.Rewritten {
		log.Info("git history rewritten", "url", f.opts.URL, "revision", rev.SHA, "previous", rev.Previous)
	}
	log.V(1).Info("git revision fetched", "url", f.opts.URL, "revision", rev.SHA)
	return rev, nil
}

// fetch runs one attempt of Fetch against the cache as it is.
func (f *Fetcher) fetch(ctx context.Context) (Revision, error) {
	repo, err := f.openCache()
	if err != nil {
		return Revision{}, err
	}

	// A process that restarts still knows what it yielded before, so a
	// rewrite while it was down is reported too.
	if f.last == "" {
		f.last = recordedHead(repo)
	}

	if err := checkComplete(repo); err != nil {
		return Revision{}, err
	}

	hash, err := f.update(ctx, repo)
	if err != nil {
		return Revision{}, err
	}

	commit, err := repo.CommitObject(hash)
	if err != nil {
		return Revision{}, cacheErr("reading commit %s: %w", hash, err)
	}

	rewritten, err := isRewritten(repo, f.last, commit)
	if err != nil {
		return Revision{}, err
	}

	dir, err := f.checkout(repo.Storer, commit)
	if err != nil {
		return Revision{}, err
	}

	if err := recordHead(repo, hash); err != nil {
		return Revision{}, err
	}
	f.pruneRevisions(ctx, hash.String())

	rev := newRevision(commit, dir, f.last, rewritten)
	f.last = rev.SHA
	return rev, nil
}

// wrap names the URL and the ref in an error of Fetch. The URL carries no
// password: validate rejects those.
func (f *Fetcher) wrap(err error) error {
	return fmt.Errorf("fetching %s (%s): %w", f.opts.URL, f.opts.Ref, err)
}

// waitNetwork waits, at most Options.Timeout, for a network step an earlier
// Fetch gave up on.
func (f *Fetcher) waitNetwork(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()

	select {
	case <-f.network:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for an earlier fetch that overran its timeout: %w", ctx.Err())
	}
}

// runNetwork runs one network step under Options.Timeout.
//
// go-git honours ctx while it transfers, but dials ssh with a timeout of its
// own and runs the ssh handshake with none, so a server that accepts the
// connection and then stays silent would hang the step. runNetwork returns
// when the timeout expires and leaves step running; go-git writes nothing to
// the cache before the handshake, and the next Fetch waits for step to end.
func (f *Fetcher) runNetwork(ctx context.Context, step func(ctx context.Context) error) error {
	timeout := fmt.Errorf("no answer within %s: %w", f.opts.Timeout, context.DeadlineExceeded)
	ctx, cancel := context.WithTimeoutCause(ctx, f.opts.Timeout, timeout)
	defer cancel()

	done := make(chan error, 1)
	network := make(chan struct{})
	f.network = network
	go func() {
		defer close(network)
		done <- step(ctx)
	}()

	select {
	case err := <-done:
		if err != nil && ctx.Err() != nil {
			// go-git's error is only the symptom; say why it stopped.
			return context.Cause(ctx)
		}
		return err
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
