package toolchain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// buildDateLayout is the layout Kubernetes' own build scripts use for buildDate.
const buildDateLayout = "2006-01-02T15:04:05Z"

// builder carries what the steps of one component build share.
type builder struct {
	c      Component
	opts   Options
	log    *slog.Logger
	goRun  *goRunner
	src    upstreamModule
	flags  []string
	outDir string
}

// upstreamModule is what `go mod download -json` reports about the upstream module.
type upstreamModule struct {
	Path    string
	Version string
	Error   string
	Info    string
	GoMod   string
	Dir     string
	Time    time.Time `json:"-"`
}

// Build builds c's binaries and returns the directory holding them,
// CacheDir/bin/<name>-<version>-<hash>, where the hash covers the module version,
// build flags, binary list and Go toolchain. When that directory already exists it
// returns at once, so a warm call costs two quick go commands.
func Build(ctx context.Context, c Component, opts Options) (string, error) {
	if err := c.validate(); err != nil {
		return "", err
	}
	opts, err := opts.complete()
	if err != nil {
		return "", fmt.Errorf("building %s: %w", c.Name, err)
	}

	b := &builder{c: c, opts: opts, log: opts.Logger.With("component", c.Name, "version", c.Version)}
	if err := b.plan(ctx); err != nil {
		return "", fmt.Errorf("building %s %s: %w", c.Name, c.Version, err)
	}

	if b.cached() {
		b.log.Info("binaries cached", "dir", b.outDir)
		return b.outDir, nil
	}

	if err := b.buildLocked(ctx); err != nil {
		return "", fmt.Errorf("building %s %s: %w", c.Name, c.Version, err)
	}

	return b.outDir, nil
}

// plan reads the toolchain settings and the upstream module, both of which feed the
// cache key, and fixes the build flags and the output directory.
func (b *builder) plan(ctx context.Context) error {
	goRun, goEnv, err := newGoRunner(ctx, b.opts.GoCommand)
	if err != nil {
		return err
	}
	b.goRun = goRun

	if err := os.MkdirAll(b.opts.CacheDir, 0o755); err != nil {
		return fmt.Errorf("creating cache %s: %w", b.opts.CacheDir, err)
	}
	if b.src, err = b.download(ctx); err != nil {
		return err
	}

	// The build date is the upstream release time rather than now, so the flags,
	// and with them the cache key, are the same on every run.
	b.flags = buildFlags(b.c, b.src.Time.UTC().Format(buildDateLayout))
	hash := inputsHash(buildInputs{
		Module: b.c.Module, Version: b.c.Version, LocalVersion: b.c.LocalVersion,
		Binaries: b.c.Binaries, Flags: b.flags, GoEnv: goEnv,
	})
	b.outDir = filepath.Join(b.opts.CacheDir, "bin", b.c.Name+"-"+b.c.Version+"-"+hash)

	return nil
}

// buildFlags returns the go build flags: paths trimmed and symbols stripped, as in
// release builds, plus the version stamp.
func buildFlags(c Component, buildDate string) []string {
	ldflags := []string{"-s", "-w"}
	if c.Stamp != nil {
		for _, v := range c.Stamp(buildDate) {
			ldflags = append(ldflags, "-X", v)
		}
	}

	return []string{"-trimpath", "-ldflags=" + strings.Join(ldflags, " ")}
}

// download fetches the upstream module through the module proxy (a no-op when it is
// in the module cache) and reads its release time.
func (b *builder) download(ctx context.Context) (upstreamModule, error) {
	var m upstreamModule
	out, err := b.goRun.run(ctx, b.opts.CacheDir, "mod", "download", "-json", b.c.Module+"@"+b.c.Version)
	// On failure go mod download -json reports the reason in the JSON, not on stderr.
	jsonErr := json.Unmarshal(out, &m)
	if m.Error != "" {
		return m, fmt.Errorf("downloading %s@%s: %s", b.c.Module, b.c.Version, m.Error)
	}
	if err != nil {
		return m, fmt.Errorf("downloading %s@%s: %w", b.c.Module, b.c.Version, err)
	}
	if jsonErr != nil {
		return m, fmt.Errorf("reading go mod download output for %s: %w", b.c.Module, jsonErr)
	}

	info, err := os.ReadFile(m.Info)
	if err != nil {
		return m, fmt.Errorf("reading module info of %s: %w", b.c.Module, err)
	}
	var fields struct{ Time time.Time }
	if err := json.Unmarshal(info, &fields); err != nil {
		return m, fmt.Errorf("parsing module info %s: %w", m.Info, err)
	}
	m.Time = fields.Time

	return m, nil
}

// cached reports whether every binary is already in the output directory. The
// directory only appears, by rename, once all binaries in it are built.
func (b *builder) cached() bool {
	for _, bin := range b.c.Binaries {
		if _, err := os.Stat(filepath.Join(b.outDir, bin.Name)); err != nil {
			return false
		}
	}

	return true
}

// buildLocked builds while holding the wrapper module's lock, since concurrent go
// commands would rewrite the same go.mod.
func (b *builder) buildLocked(ctx context.Context) error {
	srcDir := filepath.Join(b.opts.CacheDir, "src", b.c.Name+"-"+b.c.Version)
	if err := os.MkdirAll(srcDir, 0o755); err != nil {
		return fmt.Errorf("creating wrapper module dir: %w", err)
	}
	unlock, err := lockFile(ctx, srcDir+".lock", b.log)
	if err != nil {
		return err
	}
	defer unlock()

	// Another process may have finished the same build while this one waited.
	if b.cached() {
		b.log.Info("binaries cached", "dir", b.outDir)
		return nil
	}

	return b.build(ctx, srcDir)
}

// build writes the wrapper module, resolves its modules, builds every binary into a
// scratch directory and renames that into place.
func (b *builder) build(ctx context.Context, srcDir string) error {
	start := time.Now()
	if err := b.writeWrapper(srcDir); err != nil {
		return err
	}

	// Resolving first keeps download time out of the per-binary compile times.
	err := b.timed("resolving modules", "resolved modules", []any{"dir", srcDir}, func() error {
		_, err := b.goRun.run(ctx, srcDir, append([]string{"list", "-deps"}, b.packages()...)...)
		return err
	})
	if err != nil {
		return err
	}

	scratch := b.outDir + ".partial"
	if err := os.RemoveAll(scratch); err != nil {
		return fmt.Errorf("clearing %s: %w", scratch, err)
	}
	if err := os.MkdirAll(scratch, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", scratch, err)
	}

	for _, bin := range b.c.Binaries {
		if err := b.buildBinary(ctx, srcDir, scratch, bin); err != nil {
			return err
		}
	}

	if err := os.Rename(scratch, b.outDir); err != nil {
		return fmt.Errorf("moving binaries into %s: %w", b.outDir, err)
	}
	b.log.Info("built component", "dir", b.outDir, "seconds", seconds(time.Since(start)))

	return nil
}

// writeWrapper writes the wrapper go.mod, and seeds go.sum from the upstream module
// the first time so that most checksums need no lookup. The go command adds the rest.
func (b *builder) writeWrapper(srcDir string) error {
	upstream, err := os.ReadFile(b.src.GoMod)
	if err != nil {
		return fmt.Errorf("reading upstream go.mod: %w", err)
	}
	gomod, err := wrapperGoMod(upstream, b.c)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(srcDir, "go.mod"), gomod, 0o644); err != nil {
		return fmt.Errorf("writing wrapper go.mod: %w", err)
	}

	gosum := filepath.Join(srcDir, "go.sum")
	if _, err := os.Stat(gosum); err == nil {
		return nil
	}
	seed, err := os.ReadFile(filepath.Join(b.src.Dir, "go.sum"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading upstream go.sum: %w", err)
	}
	// Files in the module cache are read-only; write a fresh file with our own mode.
	if err := os.WriteFile(gosum, seed, 0o644); err != nil {
		return fmt.Errorf("writing wrapper go.sum: %w", err)
	}

	return nil
}

// buildBinary builds one main package into dir.
func (b *builder) buildBinary(ctx context.Context, srcDir, dir string, bin Binary) error {
	out := filepath.Join(dir, bin.Name)

	return b.timed("building binary", "built binary", []any{"binary", bin.Name}, func() error {
		args := append(append([]string{"build"}, b.flags...), "-o", out, bin.Package)
		if _, err := b.goRun.run(ctx, srcDir, args...); err != nil {
			return fmt.Errorf("building %s: %w", bin.Name, err)
		}
		return nil
	})
}

// packages returns the main packages of all binaries.
func (b *builder) packages() []string {
	pkgs := make([]string, 0, len(b.c.Binaries))
	for _, bin := range b.c.Binaries {
		pkgs = append(pkgs, bin.Package)
	}

	return pkgs
}

// timed logs startMsg, runs fn, and logs doneMsg with the duration. A failed step is
// not logged here: its error is returned and reported by the caller.
func (b *builder) timed(startMsg, doneMsg string, attrs []any, fn func() error) error {
	b.log.Info(startMsg, attrs...)
	start := time.Now()
	if err := fn(); err != nil {
		return err
	}
	b.log.Info(doneMsg, append(attrs, "seconds", seconds(time.Since(start)))...)

	return nil
}

// seconds rounds d to tenths of a second for log lines.
func seconds(d time.Duration) float64 {
	return math.Round(d.Seconds()*10) / 10
}
