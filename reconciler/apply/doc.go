// Package apply writes desired objects to the API server with server-side
// apply, in dependency order, skipping objects that already match.
//
// An object is applied when it is missing, when its desired content changed
// since the last apply (tracked by a hash annotation), or when the live
// object drifted from the desired fields (another field manager or kubectl
// edit changed them). Everything else is left alone, so a no-op pass makes
// no writes at all.
package apply
