package source

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

// sshServer is a minimal git ssh server on 127.0.0.1: it accepts the given
// client keys and runs git-upload-pack for exec requests.
type sshServer struct {
	addr string

	mu    sync.Mutex
	conns []net.Conn
}

// startSSHServer serves until the test ends, presenting every host key.
func startSSHServer(t *testing.T, clientKeys []ssh.PublicKey, hostKeys ...ssh.Signer) *sshServer {
	t.Helper()
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			for _, k := range clientKeys {
				if bytes.Equal(key.Marshal(), k.Marshal()) {
					return &ssh.Permissions{}, nil
				}
			}
			return nil, errors.New("unknown key")
		},
	}
	for _, k := range hostKeys {
		cfg.AddHostKey(k)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &sshServer{addr: ln.Addr().String()}
	t.Cleanup(func() {
		ln.Close()
		s.closeConns()
	})

	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.track(conn)
			go serveSSH(conn, cfg)
		}
	}()
	return s
}

func (s *sshServer) track(conn net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conns = append(s.conns, conn)
}

func (s *sshServer) closeConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.Close()
	}
}

func serveSSH(conn net.Conn, cfg *ssh.ServerConfig) {
	_, chans, reqs, err := ssh.NewServerConn(conn, cfg)
	if err != nil {
		conn.Close()
		return
	}
	go ssh.DiscardRequests(reqs)

	for newCh := range chans {
		if newCh.ChannelType() != "session" {
			_ = newCh.Reject(ssh.UnknownChannelType, "sessions only")
			continue
		}
		ch, chReqs, err := newCh.Accept()
		if err != nil {
			continue
		}
		go serveSession(ch, chReqs)
	}
}

// serveSession answers the first exec request of a session with
// git-upload-pack, refusing everything else.
func serveSession(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for req := range reqs {
		var exec struct{ Command string }
		if req.Type != "exec" || ssh.Unmarshal(req.Payload, &exec) != nil {
			_ = req.Reply(false, nil)
			continue
		}

		path, ok := strings.CutPrefix(exec.Command, "git-upload-pack ")
		if !ok {
			_ = req.Reply(false, nil)
			continue
		}
		_ = req.Reply(true, nil)

		status := runUploadPack(ch, strings.Trim(path, "'"))
		_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status}))
		return
	}
}

func runUploadPack(ch ssh.Channel, path string) uint32 {
	cmd := exec.Command("git-upload-pack", path)
	cmd.Stdout, cmd.Stderr = ch, ch.Stderr()
	in, err := cmd.StdinPipe()
	if err != nil {
		return 1
	}
	// Not waited for: the client may keep the channel open after the
	// process is done.
	go func() {
		_, _ = io.Copy(in, ch)
		in.Close()
	}()

	if err := cmd.Run(); err != nil {
		return 1
	}
	return 0
}

// newEd25519 returns a fresh ed25519 signer and its private key in OpenSSH
// PEM, encrypted when passphrase is set.
func newEd25519(t *testing.T, passphrase string) (ssh.Signer, []byte) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}

	var block *pem.Block
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(priv, "")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte(passphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	return signer, pem.EncodeToMemory(block)
}

func newRSA(t *testing.T) ssh.Signer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return signer
}
