package toolchain

import (
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
)

// CacheEnv names the environment variable that overrides the cache root.
const CacheEnv = "TIDEMARK_CACHE"

// Options configures where and how components are built.
type Options struct {
	// CacheDir is the cache root: binaries go to CacheDir/bin, wrapper modules to
	// CacheDir/src and envtest's directory to CacheDir/testbin. It must lie outside
	// the repository, which never holds module files.
	CacheDir string

	// GoCommand is the go command to build with; its version is part of the cache key.
	GoCommand string

	// Logger receives one line when each step starts and one when it ends.
	Logger *slog.Logger
}

// DefaultOptions returns options using DefaultCacheDir, the go in PATH and slog's
// default logger.
func DefaultOptions() Options {
	return Options{CacheDir: DefaultCacheDir(), GoCommand: "go", Logger: slog.Default()}
}

// DefaultCacheDir returns $TIDEMARK_CACHE, else $HOME/.cache/tidemark, else "" when
// neither is known.
func DefaultCacheDir() string {
	if dir := os.Getenv(CacheEnv); dir != "" {
		return dir
	}

	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}

	return filepath.Join(home, ".cache", "tidemark")
}

// BindFlags registers flags for the options on fs, with the current values as defaults.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.CacheDir, "cache", o.CacheDir, "cache root for wrapper modules and binaries (env "+CacheEnv+")")
	fs.StringVar(&o.GoCommand, "go", o.GoCommand, "go command to build with")
}

// complete fills unset fields with defaults and makes CacheDir absolute, since the
// go command runs in other directories and symlinks must not depend on the caller's.
func (o Options) complete() (Options, error) {
	def := DefaultOptions()
	if o.CacheDir == "" {
		o.CacheDir = def.CacheDir
	}
	if o.GoCommand == "" {
		o.GoCommand = def.GoCommand
	}
	if o.Logger == nil {
		o.Logger = def.Logger
	}

	if o.CacheDir == "" {
		return o, errors.New("no cache directory: set " + CacheEnv + " or HOME")
	}

	abs, err := filepath.Abs(o.CacheDir)
	if err != nil {
		return o, err
	}
	o.CacheDir = abs

	return o, nil
}
