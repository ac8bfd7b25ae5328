// Package command runs external programs (docker, debootstrap, apt-get) with their
// output kept for the error message instead of spilling into the terminal.
package command

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
)

// Cmd describes one invocation.
type Cmd struct {
	Name  string
	Args  []string
	Dir   string
	Env   []string // appended to the caller's environment; nil keeps it as is
	Stdin io.Reader
}

// Output runs c and returns its stdout. On failure the error names the command line
// and carries the last lines of stderr, which is where these tools say why.
func (c Cmd) Output(ctx context.Context) ([]byte, error) {
	cmd := exec.CommandContext(ctx, c.Name, c.Args...)
	cmd.Dir = c.Dir
	if c.Env != nil {
		cmd.Env = append(cmd.Environ(), c.Env...)
	}
	cmd.Stdin = c.Stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr

	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("running %s: %w\n%s", c.String(), err, Tail(stderr.String(), 30))
	}

	return stdout.Bytes(), nil
}

// Run runs c and discards its stdout.
func (c Cmd) Run(ctx context.Context) error {
	_, err := c.Output(ctx)
	return err
}

// String is the command line, shortened for long argument lists.
func (c Cmd) String() string {
	line := strings.Join(append([]string{c.Name}, c.Args...), " ")
	if len(line) > 300 {
		line = line[:300] + " …"
	}

	return line
}

// Docker returns a Cmd running docker with args.
func Docker(args ...string) Cmd {
	return Cmd{Name: "docker", Args: args}
}

// Tail returns the last n lines of s.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}

	return strings.Join(lines, "\n")
}
