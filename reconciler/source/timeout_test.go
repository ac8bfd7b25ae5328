package source

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/skeema/knownhosts"
)

// startSilentServer accepts connections on 127.0.0.1 and never answers, like
// a stuck load balancer. The connections close when the test ends.
func startSilentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})

	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
		}
	}()
	return ln.Addr().String()
}

// TestFetch_timeout checks that a server that never answers costs a Fetch no
// more than Options.Timeout, including the ssh handshake, which go-git runs
// without any deadline.
func TestFetch_timeout(t *testing.T) {
	t.Parallel()
	addr := startSilentServer(t)
	host, _ := newEd25519(t, "")
	_, clientPEM := newEd25519(t, "")
	known := []byte(knownhosts.Line([]string{addr}, host.PublicKey()) + "\n")
	const timeout = 300 * time.Millisecond

	tests := []struct {
		name string
		opts Options
	}{
		{name: "ssh handshake", opts: Options{URL: "ssh://git@" + addr + "/r", Auth: Auth{SSHKey: clientPEM, KnownHosts: known}}},
		{name: "http response", opts: Options{URL: "http://" + addr + "/r"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.opts.Timeout = timeout
			f := newTestFetcher(t, tc.opts)

			// The second Fetch also waits for what the first left running.
			for i := range 2 {
				start := time.Now()
				_, err := f.Fetch(t.Context())
				elapsed := time.Since(start)

				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("Fetch %d error = %v, want a deadline error", i, err)
				}
				if elapsed > 10*timeout {
					t.Errorf("Fetch %d took %s with a timeout of %s", i, elapsed, timeout)
				}
			}
		})
	}
}
