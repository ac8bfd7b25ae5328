package host

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Compat is the compatibility path for an engine that refuses --privileged because
// its capability bounding set lacks some capabilities (CAP_SYS_RESOURCE on these
// machines). kind passes --privileged on every `docker run` and `docker exec`,
// through the docker found in PATH, so a wrapper earlier in PATH rewrites them.
type Compat struct {
	// Missing lists the capabilities the engine cannot grant.
	Missing []string
}

// RunArgs replaces --privileged on docker run/create: every capability the engine
// has, no seccomp or AppArmor confinement, writable /proc and /sys paths, every
// device allowed by the device cgroup, and /dev/kmsg for the kubelet.
func (c Compat) RunArgs() []string {
	args := []string{"--cap-add=ALL"}
	for _, name := range c.Missing {
		args = append(args, "--cap-drop="+name)
	}

	return append(args,
		"--security-opt=seccomp=unconfined",
		"--security-opt=apparmor=unconfined",
		"--security-opt=systempaths=unconfined",
		"--security-opt=label=disable",
		"--device-cgroup-rule=a *:* rwm",
		"--device=/dev/kmsg",
		"--device=/dev/fuse",
		// Read by the node entrypoint: it remounts the cgroup v1 hierarchies
		// read-write, which --privileged would have done.
		"--env=TIDEMARK_COMPAT=1",
	)
}

// wrapperScript is the docker wrapper. %s are the real docker path and the
// replacement arguments, shell-quoted. Only the first word that is not a flag counts
// as the subcommand, which is how kind calls docker.
const wrapperScript = `#!/bin/bash
# Written by tidemark clusters/host: the engine cannot grant every capability, so
# --privileged on run/create becomes an explicit capability set and is dropped on exec.
real=%s
compat=(%s)
sub=
args=()
for a in "$@"; do
  if [[ -z $sub && $a != -* ]]; then
    sub=$a
  elif [[ $a == --privileged || $a == --privileged=true ]]; then
    case $sub in
      run|create) args+=("${compat[@]}"); continue ;;
      exec) continue ;;
    esac
  fi
  args+=("$a")
done
exec "$real" "${args[@]}"
`

// InstallWrapper writes the docker wrapper into dir and returns dir, to be put at
// the front of PATH. The real docker is resolved before dir is on PATH.
func (c Compat) InstallWrapper(dir string) (string, error) {
	real, err := exec.LookPath("docker")
	if err != nil {
		return "", fmt.Errorf("finding docker: %w", err)
	}
	if real, err = filepath.Abs(real); err != nil {
		return "", err
	}
	if filepath.Dir(real) == dir {
		return "", fmt.Errorf("docker in PATH is already the wrapper in %s; remove %s from PATH", dir, dir)
	}

	quoted := make([]string, 0, len(c.RunArgs()))
	for _, a := range c.RunArgs() {
		quoted = append(quoted, shellQuote(a))
	}
	script := fmt.Sprintf(wrapperScript, shellQuote(real), strings.Join(quoted, " "))

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating wrapper dir: %w", err)
	}
	tmp := filepath.Join(dir, ".docker.tmp")
	if err := os.WriteFile(tmp, []byte(script), 0o755); err != nil {
		return "", fmt.Errorf("writing docker wrapper: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "docker")); err != nil {
		return "", fmt.Errorf("installing docker wrapper: %w", err)
	}

	return dir, nil
}

// UseWrapper puts dir first in this process's PATH, so kind's library, which runs
// "docker" through PATH, reaches the wrapper.
func UseWrapper(dir string) error {
	return os.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// shellQuote quotes s for bash.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
