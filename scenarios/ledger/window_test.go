package ledger

import (
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tidemark/tidemark/scenarios/report"
)

// writes builds attempts 100 ms apart from outcomes: '+' acknowledged,
// 'x' failed, '?' unknown.
func writes(t0 time.Time, pattern string) []report.Write {
	out := make([]report.Write, len(pattern))
	for i, c := range pattern {
		outcome := map[rune]report.Outcome{'+': report.Acknowledged, 'x': report.Failed, '?': report.Unknown}[c]
		out[i] = report.Write{Seq: int64(i + 1), At: t0.Add(time.Duration(i) * 100 * time.Millisecond), Took: 10 * time.Millisecond, Outcome: outcome}
	}
	return out
}

func TestFirstOutage(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		pattern   string
		since     time.Duration
		wantFound bool
		wantEnded bool
		want      time.Duration
	}{
		{pattern: "+++++", wantFound: false},
		{pattern: "++xx?++", wantFound: true, wantEnded: true, want: 300 * time.Millisecond},
		{pattern: "x+++xx+", since: 150 * time.Millisecond, wantFound: true, wantEnded: true, want: 200 * time.Millisecond},
		{pattern: "++xxx", wantFound: true, wantEnded: false, want: 210 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.pattern, func(t *testing.T) {
			out, found := FirstOutage(writes(t0, tc.pattern), t0.Add(tc.since))
			if found != tc.wantFound || out.Ended != tc.wantEnded || (found && out.Duration() != tc.want) {
				t.Errorf("got found=%v ended=%v %v, want found=%v ended=%v %v", found, out.Ended, out.Duration(), tc.wantFound, tc.wantEnded, tc.want)
			}
		})
	}
}

func TestCompareSortsRowsByOutcome(t *testing.T) {
	w := writes(time.Now(), "++?x?+")
	present := map[int64]bool{1: true, 3: true, 4: true, 6: true} // 2 acknowledged but missing
	c := Compare(w, present)
	if c.Acknowledged != 3 || fmt.Sprint(c.Lost) != "[2]" || c.Unknown != 2 || c.UnknownPresent != 1 || fmt.Sprint(c.FailedPresent) != "[4]" {
		t.Errorf("got %+v", c)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want report.Outcome
	}{
		{"no error", nil, report.Acknowledged},
		{"read-only replica", &pgconn.PgError{Code: "25006"}, report.Failed},
		{"terminated while committing", &pgconn.PgError{Code: "57P01"}, report.Unknown},
		{"connection lost mid-statement", fmt.Errorf("wrapped: %w", io.ErrUnexpectedEOF), report.Unknown},
		{"timeout", &net.OpError{Op: "read", Err: errors.New("i/o timeout")}, report.Unknown},
	}
	for _, tc := range tests {
		if got := Classify(tc.err); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
}
