package source

import (
	"errors"
	"fmt"
	"strings"

	extgogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/skeema/knownhosts"
)

// Errors callers branch on. Fetch and New wrap them with the URL and the
// cause, so test them with errors.Is.
var (
	// ErrInvalidOptions means the Options can never work; retrying is useless
	// until they change.
	ErrInvalidOptions = errors.New("invalid source options")
	// ErrAuth means the server rejected the credentials.
	ErrAuth = errors.New("authentication failed")
	// ErrHostKey means the ssh server's host key is not the one known_hosts
	// lists for it.
	ErrHostKey = errors.New("host key not trusted")
	// ErrNotFound means the repository, or the ref in it, does not exist.
	ErrNotFound = errors.New("not found")
)

// cacheError marks a failure of the local cache rather than of the remote:
// objects missing or corrupt, history cut short. Fetch answers it by cloning
// again.
type cacheError struct {
	err error
}

func (e *cacheError) Error() string {
	return "cache unusable: " + e.err.Error()
}

func (e *cacheError) Unwrap() error {
	return e.err
}

// cacheErr formats an error, as fmt.Errorf does, and marks it a cacheError.
func cacheErr(format string, args ...any) error {
	return &cacheError{err: fmt.Errorf(format, args...)}
}

// classifyRemote sorts an error of the network step into the typed errors.
// Errors that show the local side is broken become cacheErrors; the rest
// are returned as they are, since cloning again would not help.
func classifyRemote(err error) error {
	switch {
	case errors.Is(err, transport.ErrAuthenticationRequired),
		errors.Is(err, transport.ErrAuthorizationFailed),
		isSSHAuthFailure(err):
		return fmt.Errorf("%w: %w", ErrAuth, err)

	case knownhosts.IsHostKeyChanged(err), knownhosts.IsHostUnknown(err):
		return fmt.Errorf("%w: %w", ErrHostKey, err)

	case errors.Is(err, transport.ErrRepositoryNotFound),
		errors.Is(err, transport.ErrEmptyRemoteRepository),
		errors.Is(err, extgogit.NoMatchingRefSpecError{}):
		return fmt.Errorf("%w: %w", ErrNotFound, err)

	// go-git reads local objects to tell the server what it has and to
	// store the pack; failing there means the cache is damaged.
	case errors.Is(err, plumbing.ErrObjectNotFound),
		errors.Is(err, plumbing.ErrInvalidType):
		return &cacheError{err: err}
	}
	return err
}

// isSSHAuthFailure reports the x/crypto/ssh client's error when every auth
// method was refused; it has no type of its own.
func isSSHAuthFailure(err error) bool {
	return strings.Contains(err.Error(), "ssh: unable to authenticate")
}
