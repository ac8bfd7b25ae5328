// Package source fetches revisions of the config repository with go-git and
// keeps a local cache of it, so that each poll only transfers what is new.
package source

import (
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
)

// DefaultTimeout bounds each network step of a Fetch when Options.Timeout is
// zero.
const DefaultTimeout = 60 * time.Second

// DefaultBranch is followed when Options.Ref names nothing.
const DefaultBranch = "main"

// Ref names what to follow in the repository. At most one field may be set;
// an empty Ref follows DefaultBranch.
type Ref struct {
	// Branch follows the head of a branch, including force-pushes.
	Branch string
	// Tag pins the commit a tag points to; annotated tags are peeled.
	Tag string
	// Commit pins one commit, given as its full 40-character SHA.
	Commit string
}

// String names the ref for messages and logs, e.g. "branch main".
func (r Ref) String() string {
	switch {
	case r.Tag != "":
		return "tag " + r.Tag
	case r.Commit != "":
		return "commit " + r.Commit
	default:
		return "branch " + r.Branch
	}
}

// Auth holds the credentials for the repository. Which fields apply depends
// on the URL's scheme: Token for http(s), the SSH fields for ssh.
type Auth struct {
	// Token is sent as the password of HTTP basic auth, with user "git".
	Token string
	// SSHKey is a PEM or OpenSSH encoded private key.
	SSHKey []byte
	// SSHKeyPassphrase decrypts SSHKey when it is encrypted.
	SSHKeyPassphrase string
	// KnownHosts holds known_hosts lines; it is required for ssh, because the
	// host key is always checked.
	KnownHosts []byte
}

// Options configure a Fetcher.
type Options struct {
	// URL of the repository: file://, http(s):// or ssh:// (or scp-like
	// user@host:path). It must not carry a password; use Auth.Token.
	URL string
	// Ref to follow; the zero value follows DefaultBranch.
	Ref Ref
	// Auth holds the credentials, if any.
	Auth Auth
	// CacheDir holds the Git cache and the checked-out trees. It belongs to
	// this Fetcher alone.
	CacheDir string
	// Timeout bounds each network step; zero means DefaultTimeout.
	Timeout time.Duration
}

// Revision is one commit of the repository, checked out.
type Revision struct {
	// SHA is the commit's hash; it identifies the revision.
	SHA string
	// Dir holds exactly the commit's files, symlinks kept as symlinks. The
	// caller must only read it; it stays until a later Fetch yields another
	// revision.
	Dir string
	// Rewritten reports that Previous is not an ancestor of SHA: the history
	// was force-pushed or rewritten.
	Rewritten bool
	// Previous is the revision this cache yielded before, if any. It equals
	// SHA when nothing changed.
	Previous string
	// Message, Author and Time describe the commit.
	Message string
	Author  string
	Time    time.Time
}

var commitSHA = regexp.MustCompile(`^[0-9a-f]{40}$`)

// withDefaults returns the options with every zero field that has a default
// filled in.
func (o Options) withDefaults() Options {
	if o.Ref == (Ref{}) {
		o.Ref.Branch = DefaultBranch
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	return o
}

// validate checks the options and returns the parsed URL. Every error wraps
// ErrInvalidOptions.
func (o Options) validate() (*transport.Endpoint, error) {
	ep, err := transport.NewEndpoint(o.URL)
	if err != nil {
		return nil, fmt.Errorf("%w: parsing url: %w", ErrInvalidOptions, err)
	}

	if err := o.validateRef(); err != nil {
		return nil, err
	}

	if err := o.validateAuth(ep); err != nil {
		return nil, err
	}

	if o.CacheDir == "" {
		return nil, fmt.Errorf("%w: no cache dir", ErrInvalidOptions)
	}
	if o.Timeout < 0 {
		return nil, fmt.Errorf("%w: negative timeout %s", ErrInvalidOptions, o.Timeout)
	}
	return ep, nil
}

func (o Options) validateRef() error {
	set := 0
	for _, s := range []string{o.Ref.Branch, o.Ref.Tag, o.Ref.Commit} {
		if s != "" {
			set++
		}
	}
	if set > 1 {
		return fmt.Errorf("%w: ref sets more than one of branch, tag and commit", ErrInvalidOptions)
	}

	if o.Ref.Commit != "" && !commitSHA.MatchString(o.Ref.Commit) {
		return fmt.Errorf("%w: commit %q is not a full lowercase SHA", ErrInvalidOptions, o.Ref.Commit)
	}
	return nil
}

// validateAuth makes sure the credentials fit the scheme, so that a token is
// never offered to an ssh server and an ssh URL never runs without host key
// checking.
func (o Options) validateAuth(ep *transport.Endpoint) error {
	// A password in the URL would end up in logs, errors and the cache's
	// config.
	if ep.Password != "" {
		return fmt.Errorf("%w: url carries a password; pass it as the token", ErrInvalidOptions)
	}

	hasSSH := len(o.Auth.SSHKey) > 0 || len(o.Auth.KnownHosts) > 0
	switch ep.Protocol {
	case "file":
		if o.Auth.Token != "" || hasSSH {
			return fmt.Errorf("%w: credentials given for a local repository", ErrInvalidOptions)
		}
	case "http", "https":
		if hasSSH {
			return fmt.Errorf("%w: ssh credentials given for an %s url", ErrInvalidOptions, ep.Protocol)
		}
	case "ssh":
		if o.Auth.Token != "" {
			return fmt.Errorf("%w: token given for an ssh url", ErrInvalidOptions)
		}
		if len(o.Auth.SSHKey) == 0 {
			return fmt.Errorf("%w: ssh url without an ssh key", ErrInvalidOptions)
		}
		if len(o.Auth.KnownHosts) == 0 {
			return fmt.Errorf("%w: ssh url without known_hosts; host keys are always checked", ErrInvalidOptions)
		}
	default:
		return fmt.Errorf("%w: unsupported scheme %q", ErrInvalidOptions, ep.Protocol)
	}
	return nil
}

// redactURL hides the password of a URL, which validate rejects but errors
// about it still name.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Redacted()
}

// cachePaths names the parts of CacheDir.
type cachePaths struct {
	repo      string // bare Git repository
	revisions string // one checked-out tree per revision
	lock      string // held while a Fetch works on the cache
}

func newCachePaths(cacheDir string) (cachePaths, error) {
	abs, err := filepath.Abs(cacheDir)
	if err != nil {
		return cachePaths{}, fmt.Errorf("resolving cache dir %s: %w", cacheDir, err)
	}
	return cachePaths{
		repo:      filepath.Join(abs, "repo.git"),
		revisions: filepath.Join(abs, "revisions"),
		lock:      filepath.Join(abs, "fetch.lock"),
	}, nil
}
