// Package sync turns one revision of a config repo into objects on the API
// server: load and validate everything, dry-run every change, apply, prune
// what the revision no longer declares, and record the outcome.
//
// A revision with any error is rejected as a whole; the objects of the last
// good revision stay as they are. The record (inventory and status) lives in
// a ConfigMap so that `tidemark status` and a restarted daemon can read it.
package sync
