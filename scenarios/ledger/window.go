package ledger

import (
	"time"

	"github.com/tidemark/tidemark/scenarios/report"
)

// Outage is a write-unavailability window: from the start of the first
// attempt that did not succeed to the start of the next acknowledged one.
type Outage struct {
	From, To time.Time
	// Ended is false when no write succeeded after From.
	Ended bool
}

// Duration of the outage; an outage that has not ended runs to the last attempt.
func (o Outage) Duration() time.Duration { return o.To.Sub(o.From) }

// FirstOutage finds the first outage that starts at or after since. The
// boolean is false when every attempt from since on was acknowledged.
func FirstOutage(writes []report.Write, since time.Time) (Outage, bool) {
	var out Outage
	found := false
	for _, w := range writes {
		if w.At.Before(since) {
			continue
		}
		switch {
		case !found && w.Outcome != report.Acknowledged:
			out.From, found = w.At, true
		case found && w.Outcome == report.Acknowledged:
			out.To, out.Ended = w.At, true
			return out, true
		}
		if found {
			out.To = w.At.Add(w.Took)
		}
	}
	return out, found
}

// AcknowledgedAfter reports whether some write that started after t was acknowledged.
func AcknowledgedAfter(writes []report.Write, t time.Time) bool {
	for _, w := range writes {
		if w.At.After(t) && w.Outcome == report.Acknowledged {
			return true
		}
	}
	return false
}
