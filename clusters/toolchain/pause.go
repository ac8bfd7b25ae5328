package toolchain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/tidemark/tidemark/clusters/internal/command"
)

// PauseVersion is the pause image kubeadm v1.34 asks for (build/pause/Makefile TAG).
const PauseVersion = "3.10.1"

// pauseSource is where the pause program's C source lives inside k8s.io/kubernetes.
const pauseSource = "build/pause/linux/pause.c"

// Pause compiles the pause program from the C source shipped inside the
// k8s.io/kubernetes module at kubeVersion, statically with gcc, as upstream's
// Makefile does. The source is read from the module cache and never copied into the
// repository. It returns the directory holding the binary "pause".
func Pause(ctx context.Context, kubeVersion string, opts Options) (string, error) {
	opts, err := opts.complete()
	if err != nil {
		return "", fmt.Errorf("building pause: %w", err)
	}
	log := opts.Logger.With("component", "pause", "version", PauseVersion)

	b := &builder{c: Component{Name: "pause", Module: "k8s.io/kubernetes", Version: kubeVersion}, opts: opts}
	if b.goRun, _, err = newGoRunner(ctx, opts.GoCommand); err != nil {
		return "", err
	}
	if err := os.MkdirAll(opts.CacheDir, 0o755); err != nil {
		return "", fmt.Errorf("creating cache %s: %w", opts.CacheDir, err)
	}
	src, err := b.download(ctx)
	if err != nil {
		return "", fmt.Errorf("building pause: %w", err)
	}

	code, err := os.ReadFile(filepath.Join(src.Dir, pauseSource))
	if err != nil {
		return "", fmt.Errorf("reading pause source: %w", err)
	}
	cc, err := command.Cmd{Name: "gcc", Args: []string{"--version"}}.Output(ctx)
	if err != nil {
		return "", fmt.Errorf("building pause needs gcc (apt-get install gcc libc6-dev): %w", err)
	}

	flags := []string{"-Os", "-Wall", "-Werror", "-static", "-DVERSION=v" + PauseVersion + "-tidemark"}
	sum := sha256.Sum256([]byte(string(code) + "\x00" + string(cc) + "\x00" + strings.Join(flags, " ")))
	outDir := filepath.Join(opts.CacheDir, "bin", "pause-"+PauseVersion+"-"+hex.EncodeToString(sum[:])[:hashLen])
	if _, err := os.Stat(filepath.Join(outDir, "pause")); err == nil {
		log.Info("binaries cached", "dir", outDir)
		return outDir, nil
	}

	return outDir, compilePause(ctx, log, string(code), flags, outDir)
}

// compilePause writes the source to a scratch directory with a writable mode (files
// in the module cache are 0444), compiles and strips it, and renames the result
// into place.
func compilePause(ctx context.Context, log *slog.Logger, code string, flags []string, outDir string) error {
	start := time.Now()
	scratch := outDir + ".partial"
	if err := os.RemoveAll(scratch); err != nil {
		return fmt.Errorf("clearing %s: %w", scratch, err)
	}
	if err := os.MkdirAll(scratch, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", scratch, err)
	}
	srcFile := filepath.Join(scratch, "pause.c")
	if err := os.WriteFile(srcFile, []byte(code), 0o644); err != nil {
		return fmt.Errorf("writing pause source: %w", err)
	}

	log.Info("building binary", "binary", "pause")
	bin := filepath.Join(scratch, "pause")
	args := append(append([]string{}, flags...), "-o", bin, srcFile)
	if err := (command.Cmd{Name: "gcc", Args: args}).Run(ctx); err != nil {
		return fmt.Errorf("compiling pause: %w", err)
	}
	if _, err := exec.LookPath("strip"); err == nil {
		if err := (command.Cmd{Name: "strip", Args: []string{bin}}).Run(ctx); err != nil {
			return fmt.Errorf("stripping pause: %w", err)
		}
	}
	if err := os.Remove(srcFile); err != nil {
		return err
	}
	if err := os.Rename(scratch, outDir); err != nil {
		return fmt.Errorf("moving pause into %s: %w", outDir, err)
	}
	log.Info("built binary", "binary", "pause", "dir", outDir, "seconds", seconds(time.Since(start)))

	return nil
}
