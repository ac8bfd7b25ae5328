package host

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/tidemark/tidemark/clusters/internal/command"
)

// capNames maps capability bits to the names docker's --cap-drop takes.
var capNames = []string{
	"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
	"SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
	"IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
	"SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
	"LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
	"WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
}

// dockerdPIDFile is where dockerd records its process id by default.
const dockerdPIDFile = "/var/run/docker.pid"

// EngineMissingCaps reads the capability bounding set of the local dockerd and
// returns the capabilities, among those docker knows, that it cannot grant. Docker
// 20.10's --privileged asks for all of them and fails when one is missing. ok is
// false when the engine's process cannot be inspected (a remote or rootless engine).
func EngineMissingCaps() (missing []string, ok bool) {
	pid, err := os.ReadFile(dockerdPIDFile)
	if err != nil {
		return nil, false
	}
	status, err := os.ReadFile("/proc/" + strings.TrimSpace(string(pid)) + "/status")
	if err != nil {
		return nil, false
	}

	bnd, ok := capBnd(string(status))
	if !ok {
		return nil, false
	}

	return missingCaps(bnd, lastCap()), true
}

// capBnd parses the CapBnd line of /proc/<pid>/status.
func capBnd(status string) (uint64, bool) {
	for _, line := range strings.Split(status, "\n") {
		if v, found := strings.CutPrefix(line, "CapBnd:"); found {
			bits, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return bits, err == nil
		}
	}

	return 0, false
}

// lastCap is the highest capability the running kernel knows.
func lastCap() int {
	data, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		return len(capNames) - 1
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return len(capNames) - 1
	}

	return n
}

// missingCaps lists the named capabilities up to last whose bit is clear in bnd.
func missingCaps(bnd uint64, last int) []string {
	var out []string
	for bit := 0; bit <= last && bit < len(capNames); bit++ {
		if bnd&(1<<bit) == 0 {
			out = append(out, capNames[bit])
		}
	}

	return out
}

// probeImage is an empty image: the probe only needs the engine to get as far as
// applying capabilities, which it does before looking for the program to run.
const probeImage = "tidemark/privileged-probe:empty"

// probeMissing is the program the probe asks for; it does not exist in the image.
const probeMissing = "/tidemark-probe-nothing-here"

// ProbePrivileged starts a --privileged container the way kind starts its nodes and
// returns the engine's refusal if there is one. An engine that can run privileged
// containers fails later, on the missing program, which counts as success.
func ProbePrivileged(ctx context.Context) error {
	if command.Docker("image", "inspect", probeImage).Run(ctx) != nil {
		// A tar archive of two zero blocks is an empty tree.
		imp := command.Docker("import", "-", probeImage)
		imp.Stdin = bytes.NewReader(make([]byte, 1024))
		if err := imp.Run(ctx); err != nil {
			return fmt.Errorf("creating the probe image: %w", err)
		}
	}

	err := command.Docker("run", "--rm", "--privileged", "--net=none", probeImage, probeMissing).Run(ctx)
	if err == nil || strings.Contains(err.Error(), "no such file") || strings.Contains(err.Error(), "not found") {
		return nil
	}

	return fmt.Errorf("the engine cannot run privileged containers: %w", err)
}

// DetectCompat decides whether kind needs the compatibility path. It returns nil
// when the engine runs privileged containers, and the capabilities to leave out
// when it refuses them for lack of some capabilities.
func DetectCompat(ctx context.Context) (*Compat, error) {
	probeErr := ProbePrivileged(ctx)
	if probeErr == nil {
		return nil, nil
	}

	missing, ok := EngineMissingCaps()
	if !ok {
		// The engine's own process is not visible; this process usually shares
		// its bounding set (same host, same user namespace).
		missing, ok = selfMissingCaps()
	}
	if !ok || len(missing) == 0 {
		return nil, fmt.Errorf("%w\n(and no missing capability explains it; kind cannot run here)", probeErr)
	}

	return &Compat{Missing: missing}, nil
}

// selfMissingCaps reads this process's bounding set.
func selfMissingCaps() ([]string, bool) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil, false
	}
	bnd, ok := capBnd(string(status))
	if !ok {
		return nil, false
	}

	return missingCaps(bnd, lastCap()), true
}
