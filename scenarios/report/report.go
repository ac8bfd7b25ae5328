// Package report holds the results of the end-to-end resilience suite and
// writes them out as report files: the raw run as JSON, a markdown summary
// table, and one SVG per scenario showing write success around each fault.
//
// The suite injects a fault into a PostgreSQL cluster while a write ledger
// commits numbered rows; every attempt becomes a Write, every injected fault
// a Trial, and the trials of one fault kind under one replication mode a
// Scenario.
package report

import "time"

// Outcome is what the write ledger learned about one write attempt.
type Outcome string

const (
	// Acknowledged means the commit was acknowledged by the server.
	Acknowledged Outcome = "ok"

	// Failed means the attempt was refused before the commit was sent
	// (connection error, read-only transaction, ...), so it cannot have
	// happened.
	Failed Outcome = "failed"

	// Unknown means the commit was sent and no answer came back: the row
	// may or may not have been committed.
	Unknown Outcome = "unknown"
)

// Write is one attempt of the write ledger to commit a numbered row.
type Write struct {
	// Seq is the row number the attempt tried to commit.
	Seq int64 `json:"seq"`

	// At is when the attempt started.
	At time.Time `json:"at"`

	// Took is how long the attempt lasted, answer or not.
	Took time.Duration `json:"tookNs"`

	// Outcome is what the ledger learned about the commit.
	Outcome Outcome `json:"outcome"`
}

// Trial is one injected fault and what the cluster did around it.
type Trial struct {
	// Index numbers the trial within its scenario.
	Index int `json:"index"`

	// Fault describes the fault for people, e.g. "PodChaos pod-kill orders-1".
	Fault string `json:"fault"`

	// FaultStart is when the fault was injected.
	FaultStart time.Time `json:"faultStart"`

	// FaultEnd is when the fault was healed; it equals FaultStart for
	// instant faults such as a pod kill.
	FaultEnd time.Time `json:"faultEnd"`

	// OldPrimary is the member that was primary before the fault.
	OldPrimary string `json:"oldPrimary"`

	// NewPrimary is the member that was primary after the fault.
	NewPrimary string `json:"newPrimary"`

	// Unavailability runs from the first failed write to the first
	// acknowledged write after it; 0 if no write failed.
	Unavailability time.Duration `json:"unavailabilityNs"`

	// Rejoin runs from FaultEnd to the old member streaming as a replica
	// again; 0 if it was not measured.
	Rejoin time.Duration `json:"rejoinNs"`

	// Acknowledged counts the writes whose commit was acknowledged.
	Acknowledged int `json:"acknowledged"`

	// Lost counts acknowledged rows missing when the ledger was read back.
	Lost int `json:"lost"`

	// Unknown counts writes whose commit got no answer.
	Unknown int `json:"unknown"`

	// SplitBrain counts samples in which two members accepted writes at
	// the same time.
	SplitBrain int `json:"splitBrain"`

	// Extra holds figures only some scenarios measure, by name, e.g.
	// "applySeconds".
	Extra map[string]float64 `json:"extra,omitempty"`

	// Writes are the ledger's attempts during the trial.
	Writes []Write `json:"writes,omitempty"`
}

// Scenario is every trial of one fault kind under one replication mode.
type Scenario struct {
	// Name says which fault the scenario injects, e.g. "primary pod killed".
	Name string `json:"name"`

	// Replication is "synchronous" or "asynchronous".
	Replication string `json:"replication"`

	// Passed is false if any of the scenario's checks failed.
	Passed bool `json:"passed"`

	// Failure is the message of the first failed check.
	Failure string `json:"failure,omitempty"`

	// Trials are the faults injected, in order.
	Trials []Trial `json:"trials"`
}

// Run is one execution of the resilience suite.
type Run struct {
	// Label names the kind of run: "smoke" or "nightly".
	Label string `json:"label"`

	// Started is when the suite started.
	Started time.Time `json:"started"`

	// Finished is when the suite finished.
	Finished time.Time `json:"finished"`

	// Tidemark is the version of tidemark under test.
	Tidemark string `json:"tidemark"`

	// Scenarios are the scenarios in the order they were first recorded.
	Scenarios []Scenario `json:"scenarios"`
}
