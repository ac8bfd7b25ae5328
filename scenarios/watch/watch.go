// Package watch samples every member of a database directly, not through
// its Services: is it writable, is it a replica streaming from a primary?
// Two writable members in one round is a split brain; the first round in
// which a faulted member streams again is when it rejoined.
package watch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// State of a member in one sample.
type State string

const (
	// Unreachable: no answer within the probe's timeout (stopped, frozen,
	// cut off): whether PostgreSQL runs there is unknown.
	Unreachable State = "unreachable"
	// Down: the member's node answered, PostgreSQL did not serve
	// (connection refused, starting up, shutting down).
	Down State = "down"
	// Writable: PostgreSQL is out of recovery and would take writes.
	Writable State = "writable"
	// Streaming: a replica receiving WAL from a primary.
	Streaming State = "streaming"
	// Recovering: in recovery but not streaming (starting, or cut off
	// from the primary).
	Recovering State = "recovering"
)

// Member is one database member and how the host reaches it directly.
type Member struct {
	Name string
	// ConnString reaches this member only (a per-member endpoint).
	ConnString string
}

// Round is one sample of every member, taken at once.
type Round struct {
	At     time.Time
	States map[string]State
}

// Writable lists the members writable in this round.
func (r Round) Writable() []string {
	var out []string
	for name, s := range r.States {
		if s == Writable {
			out = append(out, name)
		}
	}
	return out
}

const probeTimeout = time.Second

// Watcher samples members every interval until its context ends.
type Watcher struct {
	members  []Member
	interval time.Duration

	mu     sync.Mutex
	rounds []Round
	conns  map[string]*pgx.Conn
}

// New returns a watcher of members.
func New(members []Member, interval time.Duration) *Watcher {
	return &Watcher{members: members, interval: interval, conns: map[string]*pgx.Conn{}}
}

// Run samples until ctx ends.
func (w *Watcher) Run(ctx context.Context) {
	defer w.closeAll()
	tick := time.NewTicker(w.interval)
	defer tick.Stop()
	for ctx.Err() == nil {
		round := w.sample(ctx)
		if ctx.Err() != nil {
			return // probes cut short by the end of the run say nothing
		}
		w.mu.Lock()
		w.rounds = append(w.rounds, round)
		w.mu.Unlock()

		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
}

// sample probes every member in parallel.
func (w *Watcher) sample(ctx context.Context) Round {
	round := Round{At: time.Now(), States: map[string]State{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, m := range w.members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			state := w.probe(ctx, m)
			mu.Lock()
			round.States[m.Name] = state
			mu.Unlock()
		}()
	}
	wg.Wait()
	return round
}

// probe asks one member for its state, keeping its connection between
// rounds and dropping it on any error.
func (w *Watcher) probe(ctx context.Context, m Member) State {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()

	conn, err := w.conn(ctx, m)
	if err != nil {
		return stateOf(err)
	}
	var inRecovery bool
	var receiver string
	err = conn.QueryRow(ctx, `SELECT pg_is_in_recovery(),
		COALESCE((SELECT status FROM pg_stat_wal_receiver LIMIT 1), '')`).Scan(&inRecovery, &receiver)
	if err != nil {
		w.drop(m.Name)
		return stateOf(err)
	}
	switch {
	case !inRecovery:
		return Writable
	case receiver == "streaming":
		return Streaming
	}
	return Recovering
}

// stateOf tells a refusal (something answered: PostgreSQL is not
// serving) from silence (nothing is known).
func stateOf(err error) State {
	var pgErr *pgconn.PgError
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.As(err, &pgErr) {
		return Down
	}
	return Unreachable
}

func (w *Watcher) conn(ctx context.Context, m Member) (*pgx.Conn, error) {
	w.mu.Lock()
	conn := w.conns[m.Name]
	w.mu.Unlock()
	if conn != nil {
		return conn, nil
	}
	cfg, err := pgx.ParseConfig(m.ConnString)
	if err != nil {
		return nil, fmt.Errorf("member %s: %w", m.Name, err)
	}
	cfg.ConnectTimeout = probeTimeout
	conn, err = pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	w.conns[m.Name] = conn
	w.mu.Unlock()
	return conn, nil
}

func (w *Watcher) drop(name string) {
	w.mu.Lock()
	conn := w.conns[name]
	delete(w.conns, name)
	w.mu.Unlock()
	if conn != nil {
		conn.Close(context.Background())
	}
}

func (w *Watcher) closeAll() {
	for _, m := range w.members {
		w.drop(m.Name)
	}
}

// Rounds returns a copy of the samples so far.
func (w *Watcher) Rounds() []Round {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Round(nil), w.rounds...)
}

// SplitBrain counts the rounds in which more than one member was writable.
func SplitBrain(rounds []Round) int {
	n := 0
	for _, r := range rounds {
		if len(r.Writable()) > 1 {
			n++
		}
	}
	return n
}

// FirstInState returns the time of the first round after t in which
// member was in one of states.
func FirstInState(rounds []Round, member string, after time.Time, states ...State) (time.Time, bool) {
	for _, r := range rounds {
		if r.At.After(after) && slices.Contains(states, r.States[member]) {
			return r.At, true
		}
	}
	return time.Time{}, false
}

// FirstDisrupted returns the time of the first round after t in which
// member was neither writable nor streaming: down, or in recovery without
// a primary to stream from. A rejoin counts only after it.
func FirstDisrupted(rounds []Round, member string, after time.Time) (time.Time, bool) {
	for _, r := range rounds {
		if s, sampled := r.States[member]; sampled && r.At.After(after) && (s == Unreachable || s == Down || s == Recovering) {
			return r.At, true
		}
	}
	return time.Time{}, false
}

// Current returns the latest round, if any.
func Current(rounds []Round) (Round, bool) {
	if len(rounds) == 0 {
		return Round{}, false
	}
	return rounds[len(rounds)-1], true
}
