package sync

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"

	"github.com/tidemark/tidemark/reconciler/source"
)

// Source yields the newest revision of a config repo.
type Source interface {
	Fetch(ctx context.Context) (source.Revision, error)
}

// Loop is the Git sync loop: fetch, then sync, every Interval or when
// triggered. Each pass re-applies the current revision as well, which is
// what corrects drift; unchanged objects cost no writes.
type Loop struct {
	Source   Source
	Syncer   *Syncer
	Interval time.Duration
	Log      logr.Logger

	trigger chan struct{}
	synced  atomic.Bool
}

// NewLoop returns a Loop polling src every interval.
func NewLoop(src Source, syncer *Syncer, interval time.Duration, log logr.Logger) *Loop {
	return &Loop{Source: src, Syncer: syncer, Interval: interval, Log: log, trigger: make(chan struct{}, 1)}
}

// Trigger asks for a pass now. It never blocks; triggers that arrive while
// one is already waiting are merged.
func (l *Loop) Trigger() {
	select {
	case l.trigger <- struct{}{}:
	default:
	}
}

// Synced reports whether a pass has applied a revision since start.
func (l *Loop) Synced() bool {
	return l.synced.Load()
}

// Run passes until ctx ends. Errors are logged and recorded; the loop goes
// on, since the next commit or the next pass may fix them.
func (l *Loop) Run(ctx context.Context) error {
	ticker := time.NewTicker(l.Interval)
	defer ticker.Stop()

	for {
		if _, err := l.RunOnce(ctx); err != nil && ctx.Err() == nil {
			l.Log.Error(err, "sync pass failed; the last good revision stays applied")
		}

		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		case <-l.trigger:
		}
	}
}

// RunOnce fetches the newest revision and syncs it.
func (l *Loop) RunOnce(ctx context.Context) (Result, error) {
	started := time.Now()
	rev, err := l.Source.Fetch(ctx)
	if err != nil {
		l.Syncer.RecordFetchError(ctx, err)
		observePass(l.Syncer.opts.Name, started, Result{}, "failed")
		return Result{}, err
	}

	result, err := l.Syncer.Sync(ctx, Revision{SHA: rev.SHA, Dir: rev.Dir, Rewritten: rev.Rewritten})
	observePass(l.Syncer.opts.Name, started, result, outcomeOf(err))
	if err == nil {
		l.synced.Store(true)
	}
	return result, err
}

func outcomeOf(err error) string {
	var rejected *RejectedError
	switch {
	case err == nil:
		return "applied"
	case errors.As(err, &rejected):
		return "rejected"
	}
	return "failed"
}
