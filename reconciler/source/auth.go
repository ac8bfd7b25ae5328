package source

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"
)

// tokenUser is the basic-auth user sent with a token when the URL names
// none. GitHub and Gitea accept any user with a token; servers that check it
// (GitLab deploy tokens, Bitbucket) take it from the URL: https://user@host/.
const tokenUser = "git"

// newAuth builds the go-git auth method for the endpoint, or nil when the
// repository needs none.
func newAuth(ep *transport.Endpoint, auth Auth, timeout time.Duration) (transport.AuthMethod, error) {
	switch ep.Protocol {
	case "http", "https":
		if auth.Token == "" {
			return nil, nil
		}
		user := ep.User
		if user == "" {
			user = tokenUser
		}
		return &githttp.BasicAuth{Username: user, Password: auth.Token}, nil
	case "ssh":
		return newSSHAuth(ep, auth, timeout)
	}
	return nil, nil
}

// sshAuth is go-git's public key auth plus a dial timeout, which go-git
// takes from the ssh.ClientConfig this method returns.
type sshAuth struct {
	*gitssh.PublicKeys
	timeout time.Duration
}

// ClientConfig returns the ssh client config with the dial timeout set.
func (a *sshAuth) ClientConfig() (*ssh.ClientConfig, error) {
	cfg, err := a.PublicKeys.ClientConfig()
	if err != nil {
		return nil, err
	}
	cfg.Timeout = a.timeout
	return cfg, nil
}

// newSSHAuth builds public key auth that checks the host key strictly
// against auth.KnownHosts.
//
// The host key algorithms are restricted to the types known_hosts lists for
// this host. Without that, the client negotiates its own preferred type
// (ecdsa, then rsa, then ed25519) and fails with "key mismatch" when the
// host offers several types but known_hosts lists another one. go-git v5.19
// restricts them only when it builds the callback itself from the user's
// ~/.ssh/known_hosts, and not even then for public key auth, so it is done
// here.
func newSSHAuth(ep *transport.Endpoint, auth Auth, timeout time.Duration) (*sshAuth, error) {
	user := ep.User
	if user == "" {
		user = gitssh.DefaultUsername
	}
	keys, err := gitssh.NewPublicKeys(user, auth.SSHKey, auth.SSHKeyPassphrase)
	if err != nil {
		return nil, fmt.Errorf("%w: parsing ssh key: %w", ErrInvalidOptions, err)
	}

	db, err := loadKnownHosts(auth.KnownHosts)
	if err != nil {
		return nil, err
	}

	// The address must be spelled as go-git dials it, because known_hosts
	// lists non-default ports as "[host]:port".
	port := ep.Port
	if port <= 0 {
		port = gitssh.DefaultPort
	}
	hostWithPort := net.JoinHostPort(ep.Host, strconv.Itoa(port))
	algos := db.HostKeyAlgorithms(hostWithPort)
	if len(algos) == 0 {
		return nil, fmt.Errorf("%w: known_hosts has no key for %s", ErrInvalidOptions, knownhosts.Normalize(hostWithPort))
	}

	keys.HostKeyCallback = db.HostKeyCallback()
	keys.HostKeyAlgorithms = algos
	return &sshAuth{PublicKeys: keys, timeout: timeout}, nil
}

// loadKnownHosts parses known_hosts lines. The knownhosts packages only read
// files, so the lines pass through a temporary file that is gone once they
// are parsed.
func loadKnownHosts(lines []byte) (*knownhosts.HostKeyDB, error) {
	f, err := os.CreateTemp("", "tidemark-known-hosts-")
	if err != nil {
		return nil, fmt.Errorf("writing known_hosts: %w", err)
	}
	defer os.Remove(f.Name())

	_, err = f.Write(lines)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("writing known_hosts: %w", err)
	}

	db, err := knownhosts.NewDB(f.Name())
	if err != nil {
		// Name the lines as the user knows them, not by the temporary file.
		msg := strings.ReplaceAll(err.Error(), f.Name(), "known_hosts")
		return nil, fmt.Errorf("%w: %s", ErrInvalidOptions, msg)
	}
	return db, nil
}
