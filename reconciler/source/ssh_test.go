package source

import (
	"errors"
	"strings"
	"testing"

	"github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"
)

// TestFetch_ssh fetches over ssh from a host with two host keys, checking
// that strict host key checking accepts any listed key and rejects others.
func TestFetch_ssh(t *testing.T) {
	t.Parallel()
	repo := newRepo(t)
	head := commit(t, repo, "first", file("a", "1"))

	hostEd, _ := newEd25519(t, "")
	hostRSA := newRSA(t)
	otherEd, _ := newEd25519(t, "")
	otherRSA := newRSA(t)
	client, clientPEM := newEd25519(t, "")
	encrypted, encryptedPEM := newEd25519(t, "sesame")
	_, strangerPEM := newEd25519(t, "")
	srv := startSSHServer(t, []ssh.PublicKey{client.PublicKey(), encrypted.PublicKey()}, hostEd, hostRSA)
	url := "ssh://git@" + srv.addr + repo
	line := func(keys ...ssh.Signer) []byte {
		var lines []string
		for _, k := range keys {
			lines = append(lines, knownhosts.Line([]string{srv.addr}, k.PublicKey()))
		}
		return []byte(strings.Join(lines, "\n") + "\n")
	}

	tests := []struct {
		name    string
		auth    Auth
		wantErr error
	}{
		{name: "both host keys listed", auth: Auth{SSHKey: clientPEM, KnownHosts: line(hostEd, hostRSA)}},
		// The client alone would negotiate rsa, which is not listed.
		{name: "only ed25519 listed", auth: Auth{SSHKey: clientPEM, KnownHosts: line(hostEd)}},
		{name: "only rsa listed", auth: Auth{SSHKey: clientPEM, KnownHosts: line(hostRSA)}},
		{
			name: "encrypted client key",
			auth: Auth{SSHKey: encryptedPEM, SSHKeyPassphrase: "sesame", KnownHosts: line(hostEd)},
		},
		{name: "another ed25519 key listed", auth: Auth{SSHKey: clientPEM, KnownHosts: line(otherEd)}, wantErr: ErrHostKey},
		{name: "other keys of both types listed", auth: Auth{SSHKey: clientPEM, KnownHosts: line(otherEd, otherRSA)}, wantErr: ErrHostKey},
		{name: "client key not authorized", auth: Auth{SSHKey: strangerPEM, KnownHosts: line(hostEd)}, wantErr: ErrAuth},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newTestFetcher(t, Options{URL: url, Auth: tc.auth})

			rev, err := f.Fetch(t.Context())

			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Fetch error = %v, want %v", err, tc.wantErr)
				}
				if !strings.Contains(err.Error(), url) {
					t.Errorf("error %q does not name the url", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if rev.SHA != head {
				t.Errorf("SHA = %s, want %s", rev.SHA, head)
			}
			wantTree(t, rev.Dir, map[string]string{"a": "1"})
		})
	}
}

// TestNew_sshConfig checks ssh settings that are wrong before any dial.
func TestNew_sshConfig(t *testing.T) {
	t.Parallel()
	host, _ := newEd25519(t, "")
	_, clientPEM := newEd25519(t, "")
	_, encryptedPEM := newEd25519(t, "sesame")
	known := []byte(knownhosts.Line([]string{"127.0.0.1:2222"}, host.PublicKey()) + "\n")
	url := "ssh://git@127.0.0.1:2222/srv/config.git"

	tests := []struct {
		name string
		url  string
		auth Auth
	}{
		{name: "no known_hosts", url: url, auth: Auth{SSHKey: clientPEM}},
		{name: "host not in known_hosts", url: "ssh://git@127.0.0.1:2223/srv/config.git", auth: Auth{SSHKey: clientPEM, KnownHosts: known}},
		{name: "default port not in known_hosts", url: "ssh://git@127.0.0.1/srv/config.git", auth: Auth{SSHKey: clientPEM, KnownHosts: known}},
		{name: "garbled known_hosts", url: url, auth: Auth{SSHKey: clientPEM, KnownHosts: []byte("127.0.0.1 ssh-ed25519 !!!\n")}},
		{name: "garbled key", url: url, auth: Auth{SSHKey: []byte("not a key"), KnownHosts: known}},
		{name: "wrong passphrase", url: url, auth: Auth{SSHKey: encryptedPEM, SSHKeyPassphrase: "wrong", KnownHosts: known}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			_, err := New(Options{URL: tc.url, Auth: tc.auth, CacheDir: t.TempDir()})

			if !errors.Is(err, ErrInvalidOptions) {
				t.Fatalf("New error = %v, want ErrInvalidOptions", err)
			}
		})
	}
}
