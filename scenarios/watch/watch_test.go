package watch

import (
	"context"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

func rounds(t0 time.Time, states ...map[string]State) []Round {
	out := make([]Round, len(states))
	for i, s := range states {
		out[i] = Round{At: t0.Add(time.Duration(i) * time.Second), States: s}
	}
	return out
}

func TestSplitBrainCountsRoundsWithTwoWritableMembers(t *testing.T) {
	r := rounds(time.Now(),
		map[string]State{"db-0": Writable, "db-1": Streaming},
		map[string]State{"db-0": Writable, "db-1": Writable},
		map[string]State{"db-0": Unreachable, "db-1": Writable, "db-2": Writable},
		map[string]State{"db-0": Recovering, "db-1": Writable},
	)
	if got := SplitBrain(r); got != 2 {
		t.Errorf("SplitBrain = %d, want 2", got)
	}
}

func TestFirstInStateLooksOnlyAfterTheGivenTime(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	r := rounds(t0,
		map[string]State{"db-0": Streaming},
		map[string]State{"db-0": Unreachable},
		map[string]State{"db-0": Recovering},
		map[string]State{"db-0": Streaming},
	)
	at, ok := FirstInState(r, "db-0", t0.Add(500*time.Millisecond), Streaming)
	if !ok || !at.Equal(t0.Add(3*time.Second)) {
		t.Errorf("got %v %v, want %v", at, ok, t0.Add(3*time.Second))
	}
	if _, ok := FirstInState(r, "db-1", t0, Streaming); ok {
		t.Error("found a state for a member never sampled")
	}
}

func TestFirstDisruptedSkipsHealthyStates(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	r := rounds(t0,
		map[string]State{"db-0": Unreachable},
		map[string]State{"db-0": Writable},
		map[string]State{"db-0": Streaming},
		map[string]State{"db-0": Recovering},
	)
	at, ok := FirstDisrupted(r, "db-0", t0.Add(500*time.Millisecond))
	if !ok || !at.Equal(t0.Add(3*time.Second)) {
		t.Errorf("got %v %v, want %v", at, ok, t0.Add(3*time.Second))
	}
}

func TestStateOfTellsRefusalFromSilence(t *testing.T) {
	refused := &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	if got := stateOf(fmt.Errorf("connecting: %w", refused)); got != Down {
		t.Errorf("connection refused: got %s, want %s", got, Down)
	}
	if got := stateOf(&pgconn.PgError{Code: "57P03"}); got != Down {
		t.Errorf("starting up: got %s, want %s", got, Down)
	}
	if got := stateOf(context.DeadlineExceeded); got != Unreachable {
		t.Errorf("timeout: got %s, want %s", got, Unreachable)
	}
}
