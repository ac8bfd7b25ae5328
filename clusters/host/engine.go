// Package host prepares the machine for kind: a Docker engine that answers, the
// compatibility path for engines that cannot run privileged containers, and the
// kernel limits that multi-node clusters need.
package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/tidemark/tidemark/clusters/internal/command"
)

// engineWait bounds how long a freshly started dockerd may take to answer.
const engineWait = 60 * time.Second

// EngineVersion returns the server version of the Docker engine, or an error when
// no engine answers (no client, no daemon, or no permission on its socket).
func EngineVersion(ctx context.Context) (string, error) {
	out, err := command.Docker("version", "--format", "{{.Server.Version}}").Output(ctx)
	if err != nil {
		return "", fmt.Errorf("no Docker engine answers: %w", err)
	}

	return strings.TrimSpace(string(out)), nil
}

// EnsureEngine makes sure a Docker engine answers. When none does it installs
// Debian's docker.io (if dockerd is missing) and starts dockerd, through systemd
// when systemd runs, else as a background process logging to logFile.
func EnsureEngine(ctx context.Context, log *slog.Logger, logFile string) (string, error) {
	if v, err := EngineVersion(ctx); err == nil {
		log.Info("docker engine answers", "version", v)
		return v, nil
	}

	if err := installDocker(ctx, log); err != nil {
		return "", err
	}
	if err := startDockerd(ctx, log, logFile); err != nil {
		return "", err
	}

	return waitForEngine(ctx, log)
}

// installDocker installs docker.io from Debian when dockerd or the client is missing.
func installDocker(ctx context.Context, log *slog.Logger) error {
	_, dErr := exec.LookPath("dockerd")
	_, cErr := exec.LookPath("docker")
	if dErr == nil && cErr == nil {
		return nil
	}
	if os.Geteuid() != 0 {
		return errors.New("docker is not installed and installing it needs root: run `sudo apt-get install docker.io`")
	}

	log.Info("installing docker.io from Debian (no Docker engine found)")
	start := time.Now()
	env := []string{"DEBIAN_FRONTEND=noninteractive"}
	if err := (command.Cmd{Name: "apt-get", Args: []string{"update"}, Env: env}).Run(ctx); err != nil {
		return fmt.Errorf("installing docker.io: %w", err)
	}
	install := command.Cmd{Name: "apt-get", Args: []string{"install", "-y", "--no-install-recommends", "docker.io"}, Env: env}
	if err := install.Run(ctx); err != nil {
		return fmt.Errorf("installing docker.io: %w", err)
	}
	log.Info("installed docker.io", "seconds", since(start))

	return nil
}

// startDockerd starts the engine. Containers and CI runners often have no systemd,
// so a plain background dockerd is the fallback.
func startDockerd(ctx context.Context, log *slog.Logger, logFile string) error {
	if os.Geteuid() != 0 {
		return errors.New("no Docker engine answers and starting dockerd needs root: run `sudo systemctl start docker` " +
			"or add yourself to the docker group")
	}
	if systemdRuns() {
		log.Info("starting docker through systemd")
		return command.Cmd{Name: "systemctl", Args: []string{"start", "docker"}}.Run(ctx)
	}

	log.Info("starting dockerd in the background", "log", logFile)
	f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("opening dockerd log: %w", err)
	}
	defer f.Close()

	// Not CommandContext: the daemon must outlive this process.
	cmd := exec.Command("dockerd")
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting dockerd: %w", err)
	}

	return cmd.Process.Release()
}

// systemdRuns reports whether systemd is PID 1 here.
func systemdRuns() bool {
	_, err := os.Stat("/run/systemd/system")
	return err == nil
}

// waitForEngine polls until the engine answers or engineWait passes.
func waitForEngine(ctx context.Context, log *slog.Logger) (string, error) {
	deadline := time.Now().Add(engineWait)
	for {
		v, err := EngineVersion(ctx)
		if err == nil {
			log.Info("docker engine answers", "version", v)
			return v, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("dockerd started but did not answer within %s: %w", engineWait, err)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// since is the time since start in tenths of seconds, for log lines.
func since(start time.Time) float64 {
	return float64(time.Since(start).Milliseconds()/100) / 10
}
