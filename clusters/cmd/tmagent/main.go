// Command tmagent runs inside tidemark's kind clusters. As a DaemonSet ("podnet")
// it keeps each node's pod network: the CNI config for the node's pod CIDR, a route
// to every other node's pod CIDR and masquerading for traffic leaving the pod
// network. The cluster test uses "serve" and "get" as a tiny HTTP server and client.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: tmagent <command> [flags]

commands:
  podnet   keep this node's CNI config, routes and masquerading (a DaemonSet)
  serve    answer HTTP with the pod's name
  get      fetch URLs, retrying, and fail if any stays unreachable
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "tmagent:", err)
		os.Exit(1)
	}
}

// run dispatches on the command name.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "podnet":
		return podnet(ctx, args[1:], stderr)
	case "serve":
		return serve(ctx, args[1:], stderr)
	case "get":
		return get(ctx, args[1:], stdout, stderr)
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}
