package clusters

import (
	"fmt"
	"log/slog"

	kindlog "sigs.k8s.io/kind/pkg/log"
)

// kindLogger adapts slog to kind's logger: V(0) is kind's user-facing progress,
// higher levels are debug output.
type kindLogger struct{ log *slog.Logger }

var _ kindlog.Logger = kindLogger{}

func (l kindLogger) Warn(message string)                      { l.log.Warn(message) }
func (l kindLogger) Warnf(format string, args ...any)         { l.log.Warn(fmt.Sprintf(format, args...)) }
func (l kindLogger) Error(message string)                     { l.log.Error(message) }
func (l kindLogger) Errorf(format string, args ...any)        { l.log.Error(fmt.Sprintf(format, args...)) }
func (l kindLogger) V(level kindlog.Level) kindlog.InfoLogger { return kindInfo{l.log, level} }

// kindInfo logs kind's V(0) messages at info and drops the rest.
type kindInfo struct {
	log   *slog.Logger
	level kindlog.Level
}

func (i kindInfo) Enabled() bool { return i.level == 0 }

func (i kindInfo) Info(message string) {
	if i.Enabled() {
		i.log.Info(message, "source", "kind")
	}
}

func (i kindInfo) Infof(format string, args ...any) {
	if i.Enabled() {
		i.log.Info(fmt.Sprintf(format, args...), "source", "kind")
	}
}
