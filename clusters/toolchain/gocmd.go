package toolchain

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// hashedGoEnv lists the go env settings that change the compiled output.
var hashedGoEnv = []string{"GOVERSION", "GOOS", "GOARCH", "GOAMD64", "GOARM64", "GOEXPERIMENT"}

// goRunner runs the go command with the environment every build step shares.
type goRunner struct {
	goCmd string
	env   []string
}

// newGoRunner reads the go command's settings and fixes the environment of all later
// steps: no cgo (static binaries that run in any node image), module mode with
// go.mod updates allowed in the wrapper, no workspace, no toolchain downloads, and
// only module proxies (never a direct VCS fetch).
func newGoRunner(ctx context.Context, goCmd string) (*goRunner, map[string]string, error) {
	r := &goRunner{goCmd: goCmd, env: os.Environ()}
	settings, err := r.goEnv(ctx, append([]string{"GOPROXY"}, hashedGoEnv...))
	if err != nil {
		return nil, nil, err
	}

	proxy, err := proxyOnly(settings["GOPROXY"])
	if err != nil {
		return nil, nil, err
	}
	delete(settings, "GOPROXY")

	r.env = append(r.env,
		"CGO_ENABLED=0",
		"GOFLAGS=-mod=mod -buildvcs=false",
		"GOWORK=off",
		"GOTOOLCHAIN=local",
		"GOPROXY="+proxy,
	)

	return r, settings, nil
}

// goEnv returns the named `go env` settings.
func (r *goRunner) goEnv(ctx context.Context, names []string) (map[string]string, error) {
	out, err := r.run(ctx, "", append([]string{"env", "-json"}, names...)...)
	if err != nil {
		return nil, err
	}

	settings := map[string]string{}
	if err := json.Unmarshal(out, &settings); err != nil {
		return nil, fmt.Errorf("reading go env output: %w", err)
	}

	return settings, nil
}

// run runs go with args in dir and returns its stdout, also on failure. The go
// command's stderr is kept out of the terminal (a cold build prints hundreds of
// "downloading" lines) and put into the error instead.
func (r *goRunner) run(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, r.goCmd, args...)
	cmd.Dir = dir
	cmd.Env = r.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr

	if err := cmd.Run(); err != nil {
		cmdline := r.goCmd + " " + strings.Join(args, " ")
		return stdout.Bytes(), fmt.Errorf("running %s: %w\n%s", cmdline, err, tail(stderr.String(), 40))
	}

	return stdout.Bytes(), nil
}

// proxyOnly removes "direct" from a GOPROXY list: the project fetches modules only
// from a module proxy, and "direct" would fall back to cloning from the origin host.
func proxyOnly(goproxy string) (string, error) {
	var out, sep string
	for rest := goproxy; rest != ""; {
		entry, next := rest, ""
		rest = ""
		if i := strings.IndexAny(entry, ",|"); i >= 0 {
			entry, next, rest = entry[:i], entry[i:i+1], entry[i+1:]
		}

		if entry = strings.TrimSpace(entry); entry != "" && entry != "direct" {
			if out != "" {
				out += sep
			}
			out += entry
		}
		sep = next
	}

	if out == "" {
		return "", fmt.Errorf("GOPROXY %q names no module proxy; set one such as https://proxy.golang.org", goproxy)
	}

	return out, nil
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}

	return strings.Join(lines, "\n")
}
