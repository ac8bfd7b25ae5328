package sync

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tidemark/tidemark/reconciler/apply"
	"github.com/tidemark/tidemark/specs"
	"github.com/tidemark/tidemark/specs/v1alpha1"
)

// Options configure a Syncer.
type Options struct {
	// Name identifies this sync; objects it applies carry it as a label so
	// two syncs of different repos never prune each other's objects.
	Name string
	// Namespace holds the sync's state ConfigMap.
	Namespace string
	// Path is the folder of the config repo that holds the specs.
	Path string
	// Concurrency bounds the API writes in flight.
	Concurrency int
}

// Defaults for Options.
const (
	DefaultName        = "default"
	DefaultNamespace   = "tidemark-system"
	DefaultConcurrency = 8
)

// Syncer applies revisions of one config repo.
type Syncer struct {
	opts    Options
	client  client.Client
	applier *apply.Manager
	state   *stateStore
	log     logr.Logger

	// lastGood are the objects of the last revision this process applied,
	// re-applied while newer revisions are rejected so drift is still
	// corrected. A restarted process has none until a revision applies.
	lastGood []*unstructured.Unstructured
}

// New returns a Syncer writing through c.
func New(c client.Client, log logr.Logger, opts Options) *Syncer {
	if opts.Name == "" {
		opts.Name = DefaultName
	}
	if opts.Namespace == "" {
		opts.Namespace = DefaultNamespace
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = DefaultConcurrency
	}
	return &Syncer{
		opts:    opts,
		client:  c,
		applier: &apply.Manager{Client: c, Concurrency: opts.Concurrency},
		state:   &stateStore{client: c, namespace: opts.Namespace, name: "tidemark-sync-" + opts.Name},
		log:     log.WithValues("sync", opts.Name),
	}
}

// Revision is one commit of the config repo, checked out at Dir.
type Revision struct {
	SHA string
	Dir string
	// Rewritten is true when this commit does not descend from the last one.
	Rewritten bool
}

// Result is the outcome of one pass.
type Result struct {
	Revision string
	Changes  []apply.Change
	Pruned   []apply.Ref
	Orphaned []apply.Ref
	Pending  []apply.Ref
}

// Writes counts the objects the pass created, changed or deleted.
func (r Result) Writes() int {
	n := len(r.Pruned)
	for _, c := range r.Changes {
		if c.Action == apply.ActionCreated || c.Action == apply.ActionConfigured {
			n++
		}
	}
	return n
}

// RejectedError means a revision was refused as a whole; nothing of it was applied.
type RejectedError struct {
	Revision string
	Err      error
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("revision %s rejected, nothing applied: %v", short(e.Revision), e.Err)
}

func (e *RejectedError) Unwrap() error { return e.Err }

// Sync applies one revision: everything or, on any error, nothing.
func (s *Syncer) Sync(ctx context.Context, rev Revision) (Result, error) {
	log := s.log.WithValues("revision", rev.SHA)

	before, err := s.state.load(ctx)
	if err != nil {
		return Result{}, err
	}
	after := before
	after.FetchError = ""
	after.LastFetchedRevision = rev.SHA
	after.LastAttemptedRevision = rev.SHA
	after.HistoryRewritten = rev.Rewritten

	result, err := s.apply(ctx, log, rev, &after)
	var rejected *RejectedError
	if errors.As(err, &rejected) {
		s.correctDriftOfLastGood(ctx, log, &result)
	}
	after.Errors = errorLines(err)
	if err == nil {
		after.LastAppliedRevision = rev.SHA
	}

	if saveErr := s.saveState(ctx, before, after); saveErr != nil {
		return result, errors.Join(err, saveErr)
	}
	return result, err
}

// Logger is the syncer's logger, carrying the sync's name.
func (s *Syncer) Logger() logr.Logger {
	return s.log
}

// RecordFetchError notes in the state that the source could not be fetched.
func (s *Syncer) RecordFetchError(ctx context.Context, fetchErr error) {
	before, err := s.state.load(ctx)
	if err == nil {
		after := before
		after.FetchError = fetchErr.Error()
		err = s.saveState(ctx, before, after)
	}
	if err != nil {
		s.log.Error(err, "recording the fetch error")
	}
}

// State returns the recorded state of this sync.
func (s *Syncer) State(ctx context.Context) (State, error) {
	return s.state.load(ctx)
}

// saveState records the outcome, creating the state namespace if needed.
func (s *Syncer) saveState(ctx context.Context, before, after State) error {
	if err := s.EnsureNamespace(ctx); err != nil {
		return err
	}
	return s.state.save(ctx, before, after)
}

// EnsureNamespace creates the namespace of the sync's state (and of its
// leader election Lease) when it does not exist.
func (s *Syncer) EnsureNamespace(ctx context.Context) error {
	ns, err := toUnstructured(namespaceObject(s.opts.Namespace))
	if err != nil {
		return err
	}
	if _, err := s.applier.Apply(ctx, []*unstructured.Unstructured{ns}, apply.Options{}); err != nil {
		return fmt.Errorf("creating namespace %s: %w", s.opts.Namespace, err)
	}
	return nil
}

func (s *Syncer) apply(ctx context.Context, log logr.Logger, rev Revision, state *State) (Result, error) {
	result := Result{Revision: rev.SHA}

	_, objects, err := s.load(rev)
	if err != nil {
		log.Error(err, "revision rejected: invalid specs")
		return result, err
	}

	if err := s.checkOwnership(ctx, objects); err != nil {
		log.Error(err, "revision rejected: it declares objects of another sync")
		return result, &RejectedError{Revision: rev.SHA, Err: err}
	}

	// Every change is admitted by the API server before the first one is
	// made, so a revision the server would refuse applies nothing.
	if err := s.dryRun(ctx, objects); err != nil {
		log.Error(err, "revision rejected by the API server's dry run")
		return result, &RejectedError{Revision: rev.SHA, Err: err}
	}

	result.Changes, err = s.applier.Apply(ctx, objects, s.applyOptions())
	logChanges(log, result.Changes)
	if err != nil {
		return result, fmt.Errorf("applying revision %s: %w", short(rev.SHA), err)
	}
	s.lastGood = objects

	// A prune held by a finalizer is not a failure of this revision: it
	// stays in the inventory and state, and the next pass checks again.
	s.prune(ctx, log, objects, state, &result)
	log.Info("revision applied", "writes", result.Writes(), "objects", len(objects), "pendingPrune", len(result.Pending))
	return result, nil
}

// correctDriftOfLastGood re-applies the last good revision's objects: a
// rejected commit at the head of the branch must not leave the cluster
// open to drift until someone fixes it. Nothing is pruned here.
func (s *Syncer) correctDriftOfLastGood(ctx context.Context, log logr.Logger, result *Result) {
	if s.lastGood == nil {
		return
	}
	changes, err := s.applier.Apply(ctx, s.lastGood, s.applyOptions())
	if err != nil {
		log.Error(err, "re-applying the last good revision failed")
		return
	}
	result.Changes = changes
	if result.Writes() > 0 {
		logChanges(log, changes)
		log.Info("drift corrected from the last good revision", "writes", result.Writes())
	}
}

// load reads and renders a revision; any problem rejects it whole.
func (s *Syncer) load(rev Revision) (*specs.Revision, []*unstructured.Unstructured, error) {
	loaded, err := specs.Load(rev.Dir, specs.LoadOptions{Path: s.opts.Path})
	if err != nil {
		return nil, nil, &RejectedError{Revision: rev.SHA, Err: err}
	}

	objects, err := render(loaded, s.opts.Name, rev.SHA)
	if err != nil {
		return nil, nil, &RejectedError{Revision: rev.SHA, Err: err}
	}
	return loaded, objects, nil
}

func (s *Syncer) applyOptions() apply.Options {
	return apply.Options{
		IgnoreAnnotations: []string{AnnotationRevision},
		Selector:          client.MatchingLabels{LabelSync: s.opts.Name},
	}
}

// dryRun asks the server to admit every object that would change. Objects in
// namespaces that do not exist yet cannot be dry-run (the server reports
// the namespace missing); they were validated by the loader and are applied
// after their namespace.
func (s *Syncer) dryRun(ctx context.Context, objects []*unstructured.Unstructured) error {
	checkable, _ := s.splitByNamespace(ctx, objects)
	opts := s.applyOptions()
	opts.DryRun = true
	_, err := s.applier.Apply(ctx, checkable, opts)
	return err
}

// splitByNamespace separates objects the server can dry-run from those
// whose namespace does not exist yet.
func (s *Syncer) splitByNamespace(ctx context.Context, objects []*unstructured.Unstructured) (checkable, missing []*unstructured.Unstructured) {
	exists := map[string]bool{}
	for _, obj := range objects {
		ns := obj.GetNamespace()
		if _, seen := exists[ns]; !seen {
			exists[ns] = ns == "" || s.namespaceExists(ctx, ns)
		}
		if exists[ns] {
			checkable = append(checkable, obj)
		} else {
			missing = append(missing, obj)
		}
	}
	return checkable, missing
}

func (s *Syncer) namespaceExists(ctx context.Context, name string) bool {
	ns := namespaceObject(name)
	return s.client.Get(ctx, client.ObjectKeyFromObject(ns), ns) == nil
}

func logChanges(log logr.Logger, changes []apply.Change) {
	for _, c := range changes {
		if c.Action == apply.ActionUnchanged || c.Action == "" {
			continue
		}
		if isDatabase(c.Ref) {
			log.Info("object "+string(c.Action), "object", c.Ref.String(), "database", c.Ref.Namespace+"/"+c.Ref.Name)
		} else {
			log.Info("object "+string(c.Action), "object", c.Ref.String())
		}
	}
}

func errorLines(err error) []string {
	if err == nil {
		return nil
	}
	var list specs.ErrorList
	if errors.As(err, &list) {
		lines := make([]string, len(list))
		for i, e := range list {
			lines[i] = e.Error()
		}
		return lines
	}
	return []string{err.Error()}
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func isDatabase(ref apply.Ref) bool {
	return ref.Group == v1alpha1.GroupVersion.Group && ref.Kind == "Database"
}
