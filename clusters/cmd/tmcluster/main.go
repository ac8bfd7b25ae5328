// Command tmcluster builds tidemark's images and brings kind clusters up and down;
// `make images`, `make cluster` and `make cluster-down` call it. Stdout carries only
// the result (the node image, or the kubeconfig path); progress goes to stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/tidemark/tidemark/clusters"
	"github.com/tidemark/tidemark/clusters/host"
	"github.com/tidemark/tidemark/clusters/images"
	"github.com/tidemark/tidemark/clusters/toolchain"
)

const usage = `usage: tmcluster <command> [flags]

commands:
  images       build every image (cached by input hash) and print the node image
  up           build the images and create, or reuse, the cluster; print its kubeconfig
  down         delete the cluster
  kubeconfig   print the kubeconfig path of the cluster

flags:
`

// flags holds every command's flags; each command reads the ones it needs.
type flags struct {
	tc             toolchain.Options
	name           string
	workersPerZone int
	nodePorts      string
	nodeImage      string
	keep           bool
	kubeconfig     string
	repo           string
	load           string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "tmcluster:", err)
		os.Exit(1)
	}
}

// run parses the command line and runs the command.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd := args[0]
	f := flags{tc: toolchain.DefaultOptions()}
	f.tc.Logger = slog.New(slog.NewTextHandler(stderr, nil))

	fs := flag.NewFlagSet("tmcluster "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	f.tc.BindFlags(fs)
	fs.StringVar(&f.name, "name", clusters.DefaultName, "cluster name")
	fs.IntVar(&f.workersPerZone, "workers-per-zone", 1, "workers in each of zone-a, zone-b and zone-c")
	fs.StringVar(&f.nodePorts, "nodeports", "30080-30089", "NodePorts published on 127.0.0.1 at the same ports, first-last (\"\": none)")
	fs.BoolVar(&f.keep, "keep", false, "keep a cluster that failed to come up, for debugging")
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "use this existing cluster instead of creating one")
	fs.StringVar(&f.repo, "repo", "tidemark", "repository prefix of the images built here")
	fs.StringVar(&f.nodeImage, "node-image", "", "use this node image (a public kindest/node where a registry is reachable) instead of building one; nothing is built or loaded")
	fs.StringVar(&f.load, "load", "", "comma-separated local images to load into the nodes as well")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if _, _, err := parseRange(f.nodePorts); err != nil {
		return err
	}

	switch cmd {
	case "images":
		return cmdImages(ctx, f, stdout)
	case "up":
		return cmdUp(ctx, f, stdout)
	case "down":
		return clusters.Down(ctx, f.clusterConfig(""))
	case "kubeconfig":
		_, err := fmt.Fprintln(stdout, clusters.KubeconfigPath(f.tc.CacheDir, f.name))
		return err
	default:
		fs.Usage()
		return fmt.Errorf("unknown command %q", cmd)
	}
}

// cmdImages prepares the host and builds the images.
func cmdImages(ctx context.Context, f flags, stdout io.Writer) error {
	res, err := buildImages(ctx, f)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, res.NodeImage)

	return err
}

// cmdUp brings the cluster up, or checks the one given by -kubeconfig.
func cmdUp(ctx context.Context, f flags, stdout io.Writer) error {
	start := time.Now()
	if f.kubeconfig != "" {
		c, err := clusters.Connect(ctx, f.tc.Logger, f.kubeconfig)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(stdout, c.Kubeconfig)
		return err
	}

	if err := host.RaiseLimits(f.tc.Logger); err != nil {
		return err
	}
	cfg, err := f.upConfig(ctx)
	if err != nil {
		return err
	}
	c, err := clusters.Up(ctx, cfg)
	if err != nil {
		return err
	}
	f.tc.Logger.Info("make cluster done", "seconds", time.Since(start).Round(100*time.Millisecond).Seconds(),
		"reused", c.Reused, "kubeconfig", c.Kubeconfig)
	_, err = fmt.Fprintln(stdout, c.Kubeconfig)

	return err
}

// buildImages makes sure an engine answers, decides on the compatibility path
// (installing the docker wrapper for kind when it is needed) and runs the pipeline.
func buildImages(ctx context.Context, f flags) (*images.Result, error) {
	compat, err := prepareHost(ctx, f)
	if err != nil {
		return nil, err
	}

	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}

	return images.Build(ctx, images.Options{Toolchain: f.tc, Repo: f.repo, Compat: compat, ModuleRoot: root,
		Apps: []images.AppImage{images.DatabaseImage()}})
}

// prepareHost makes sure a Docker engine answers and, where it cannot run
// privileged containers, puts the docker wrapper first in PATH for kind.
func prepareHost(ctx context.Context, f flags) (*host.Compat, error) {
	log := f.tc.Logger
	cache, err := filepath.Abs(f.tc.CacheDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return nil, err
	}
	if _, err := host.EnsureEngine(ctx, log, filepath.Join(cache, "dockerd.log")); err != nil {
		return nil, err
	}

	compat, err := host.DetectCompat(ctx)
	if err != nil || compat == nil {
		return nil, err
	}
	dir, err := compat.InstallWrapper(filepath.Join(cache, "host", "bin"))
	if err != nil {
		return nil, err
	}
	if err := host.UseWrapper(dir); err != nil {
		return nil, err
	}
	log.Info("engine cannot run privileged containers; using the docker wrapper",
		"missing", compat.Missing, "wrapper", filepath.Join(dir, "docker"))
	return compat, nil
}

// upConfig builds the images and names them in the cluster config, or, with
// -node-image, takes that image as it is: on a machine with a registry the
// engine pulls it, and the database image is whatever tidemark is told.
func (f flags) upConfig(ctx context.Context) (clusters.Config, error) {
	if f.nodeImage != "" {
		if _, err := prepareHost(ctx, f); err != nil {
			return clusters.Config{}, err
		}
		return f.clusterConfig(f.nodeImage), nil
	}

	res, err := buildImages(ctx, f)
	if err != nil {
		return clusters.Config{}, err
	}
	cfg := f.clusterConfig(res.NodeImage)
	cfg.Images = append(cfg.Images, res.AppImages...)
	return cfg, nil
}

// clusterConfig turns the flags into a cluster config.
func (f flags) clusterConfig(nodeImage string) clusters.Config {
	cfg := clusters.Config{
		Name: f.name, NodeImage: nodeImage, WorkersPerZone: f.workersPerZone,
		CacheDir: f.tc.CacheDir, Keep: f.keep, Logger: f.tc.Logger,
	}
	if f.load != "" {
		cfg.Images = strings.Split(f.load, ",")
	}
	cfg.PortMappings = f.portMappings()

	return cfg
}

// portMappings publishes every port of -nodeports; a malformed range
// publishes none, which checkFlags reports before anything is built.
func (f flags) portMappings() []clusters.PortMapping {
	first, last, err := parseRange(f.nodePorts)
	if err != nil {
		return nil
	}
	var mappings []clusters.PortMapping
	for port := first; port > 0 && port <= last; port++ {
		mappings = append(mappings, clusters.PortMapping{ContainerPort: port, HostPort: port})
	}
	return mappings
}

// parseRange reads "first-last" inside the NodePort range; "" is no range.
func parseRange(s string) (first, last int32, err error) {
	if s == "" {
		return 0, 0, nil
	}
	if _, err := fmt.Sscanf(s, "%d-%d", &first, &last); err != nil || first < 30000 || last > 32767 || last < first {
		return 0, 0, fmt.Errorf("-nodeports %q: want first-last inside 30000-32767", s)
	}
	return first, last, nil
}

// moduleRoot finds the tidemark module's directory by walking up to go.mod, so
// the agent builds from the working tree wherever make runs us.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run tmcluster inside the tidemark module (no go.mod found)")
		}
		dir = parent
	}
}
