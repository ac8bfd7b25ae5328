package host

import (
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

// ProbePrivileged starts a throwaway --privileged container from image, the way
// kind starts its nodes, and returns the engine's refusal if there is one.
func ProbePrivileged(ctx context.Context, image string) error {
	err := command.Docker("run", "--rm", "--privileged", "--entrypoint", "/bin/true", image).Run(ctx)
	if err != nil {
		return fmt.Errorf("the engine cannot run privileged containers: %w", err)
	}

	return nil
}
