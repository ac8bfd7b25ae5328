package host

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
)

// limit is a kernel setting that multi-node kind clusters run out of: every node
// runs systemd, the kubelet and containerd, each holding inotify instances.
type limit struct {
	path string
	min  int
}

// limits follow kind's known-issues page for "too many open files".
var limits = []limit{
	{"/proc/sys/fs/inotify/max_user_watches", 524288},
	{"/proc/sys/fs/inotify/max_user_instances", 512},
}

// RaiseLimits raises each limit that is too low, and returns an error naming the
// sysctl command to run when it cannot (not root, or a read-only /proc/sys).
func RaiseLimits(log *slog.Logger) error {
	var problems []string
	for _, l := range limits {
		if err := l.ensure(log); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("kernel limits too low for a multi-node cluster:\n  %s", strings.Join(problems, "\n  "))
	}

	return nil
}

// ensure raises l if it is below its minimum.
func (l limit) ensure(log *slog.Logger) error {
	data, err := os.ReadFile(l.path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", l.path, err)
	}
	cur, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return fmt.Errorf("reading %s: %w", l.path, err)
	}
	if cur >= l.min {
		return nil
	}

	name := strings.ReplaceAll(strings.TrimPrefix(l.path, "/proc/sys/"), "/", ".")
	if err := os.WriteFile(l.path, []byte(strconv.Itoa(l.min)), 0o644); err != nil {
		return fmt.Errorf("%s is %d, below %d, and raising it failed (%v); run: sudo sysctl -w %s=%d",
			name, cur, l.min, err, name, l.min)
	}
	log.Info("raised kernel limit", "sysctl", name, "from", cur, "to", l.min)

	return nil
}
