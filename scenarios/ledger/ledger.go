// Package ledger is the suite's write ledger: a client on the host that
// commits numbered rows through a database's rw endpoint, reconnecting as
// an application would, and records the outcome of every attempt. Read
// back after a fault, it tells which acknowledged rows were lost.
package ledger

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tidemark/tidemark/scenarios/report"
)

// Table holds every ledger's rows, one run id per ledger.
const Table = "tidemark_ledger"

// Timeouts of one attempt: an application gives up on a connect or a
// commit after a while and tries again with a new connection.
const (
	connectTimeout = 1 * time.Second
	commitTimeout  = 3 * time.Second
)

// Ledger writes rows for one trial.
type Ledger struct {
	connString string
	run        string
	interval   time.Duration

	mu     sync.Mutex
	writes []report.Write
}

// New returns a ledger writing through connString (a PostgreSQL URL or
// keyword string) every interval, its rows marked with run.
func New(connString, run string, interval time.Duration) *Ledger {
	return &Ledger{connString: connString, run: run, interval: interval}
}

// Prepare creates the table if needed, retrying until the endpoint answers
// or ctx ends.
func Prepare(ctx context.Context, connString string) error {
	ddl := "CREATE TABLE IF NOT EXISTS " + Table + ` (
		run text NOT NULL,
		seq bigint NOT NULL,
		written_at timestamptz NOT NULL DEFAULT clock_timestamp(),
		PRIMARY KEY (run, seq))`
	return retry(ctx, func(ctx context.Context) error {
		conn, err := connect(ctx, connString)
		if err != nil {
			return err
		}
		defer conn.Close(context.WithoutCancel(ctx))
		_, err = conn.Exec(ctx, ddl)
		return err
	})
}

// Run writes until ctx ends. Attempts are sequential, as one application
// thread's would be: during an outage each waits for its timeout.
func (l *Ledger) Run(ctx context.Context) {
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()

	tick := time.NewTicker(l.interval)
	defer tick.Stop()
	for seq := int64(1); ctx.Err() == nil; seq++ {
		var w report.Write
		conn, w = l.attempt(ctx, conn, seq)
		if ctx.Err() != nil && w.Outcome != report.Acknowledged {
			return // the attempt was cut short by the end of the run, not by the database
		}
		l.record(w)

		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
}

// attempt makes one insert, connecting first if needed. On any error the
// connection is dropped, so the next attempt reconnects through the
// Service to whichever member leads now.
func (l *Ledger) attempt(ctx context.Context, conn *pgx.Conn, seq int64) (*pgx.Conn, report.Write) {
	w := report.Write{Seq: seq, At: time.Now()}
	defer func() { w.Took = time.Since(w.At) }()

	if conn == nil {
		var err error
		if conn, err = connect(ctx, l.connString); err != nil {
			w.Outcome = report.Failed
			w.Took = time.Since(w.At)
			return nil, w
		}
	}

	commitCtx, cancel := context.WithTimeout(ctx, commitTimeout)
	_, err := conn.Exec(commitCtx, "INSERT INTO "+Table+" (run, seq) VALUES ($1, $2)", l.run, seq)
	cancel()
	w.Outcome = Classify(err)
	w.Took = time.Since(w.At)
	if err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, w
	}
	return conn, w
}

// notExecuted are SQLSTATEs that mean the statement was refused before it
// could commit: a read-only member, a server still starting or shutting
// its doors to new work.
var notExecuted = map[string]bool{
	"25006": true, // read_only_sql_transaction: reached a replica
	"57P03": true, // cannot_connect_now
	"53300": true, // too_many_connections
	"40001": true, // serialization_failure
}

// Classify tells what a commit's error means for the row. Only an error
// that proves the statement never committed counts as failed; a broken
// connection or a timeout after the statement was sent may hide a commit
// that happened (or, under synchronous replication, one that committed
// locally when the wait for the standby was cancelled).
func Classify(err error) report.Outcome {
	if err == nil {
		return report.Acknowledged
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && notExecuted[pgErr.Code] {
		return report.Failed
	}
	if pgconn.SafeToRetry(err) {
		return report.Failed
	}
	return report.Unknown
}

func (l *Ledger) record(w report.Write) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes = append(l.writes, w)
}

// Writes returns a copy of the attempts so far.
func (l *Ledger) Writes() []report.Write {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]report.Write(nil), l.writes...)
}

// Check is what a read-back found.
type Check struct {
	Acknowledged int
	// Lost are acknowledged rows that are not there.
	Lost []int64
	// Unknown counts attempts whose outcome was unknown; UnknownPresent
	// how many of them did commit after all.
	Unknown, UnknownPresent int
	// FailedPresent are rows refused with an error that are there anyway:
	// a client told "no" for a row that exists. It should stay 0.
	FailedPresent []int64
}

// Verify reads the run's rows back through connString (the rw endpoint,
// now served by whichever member leads) and compares them with the
// attempts, retrying the read until ctx ends.
func (l *Ledger) Verify(ctx context.Context, connString string) (Check, error) {
	present := map[int64]bool{}
	err := retry(ctx, func(ctx context.Context) error {
		conn, err := connect(ctx, connString)
		if err != nil {
			return err
		}
		defer conn.Close(context.WithoutCancel(ctx))
		rows, err := conn.Query(ctx, "SELECT seq FROM "+Table+" WHERE run = $1", l.run)
		if err != nil {
			return err
		}
		seqs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		for _, s := range seqs {
			present[s] = true
		}
		return nil
	})
	if err != nil {
		return Check{}, fmt.Errorf("reading back ledger %s: %w", l.run, err)
	}
	return Compare(l.Writes(), present), nil
}

// Compare matches the attempts against the rows found.
func Compare(writes []report.Write, present map[int64]bool) Check {
	var c Check
	for _, w := range writes {
		switch w.Outcome {
		case report.Acknowledged:
			c.Acknowledged++
			if !present[w.Seq] {
				c.Lost = append(c.Lost, w.Seq)
			}
		case report.Unknown:
			c.Unknown++
			if present[w.Seq] {
				c.UnknownPresent++
			}
		case report.Failed:
			if present[w.Seq] {
				c.FailedPresent = append(c.FailedPresent, w.Seq)
			}
		}
	}
	return c
}

func connect(ctx context.Context, connString string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("parsing connection string: %w", err)
	}
	cfg.ConnectTimeout = connectTimeout
	return pgx.ConnectConfig(ctx, cfg)
}

// retry calls fn every half second until it succeeds or ctx ends.
func retry(ctx context.Context, fn func(context.Context) error) error {
	for {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}
