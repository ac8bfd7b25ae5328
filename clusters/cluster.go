package clusters

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/kind/pkg/cluster"
	kindexec "sigs.k8s.io/kind/pkg/exec"

	"github.com/tidemark/tidemark/clusters/internal/command"
)

// Cluster is a cluster ready for use.
type Cluster struct {
	Name       string
	Kubeconfig string
	// Reused is true when an existing healthy cluster was kept.
	Reused bool
}

// provider returns kind's docker provider logging through log.
func provider(c Config) *cluster.Provider {
	return cluster.NewProvider(cluster.ProviderWithDocker(), cluster.ProviderWithLogger(kindLogger{c.Logger}))
}

// Up creates the cluster, or reuses it when one of that name exists and is
// healthy. An existing broken cluster is reported, not replaced: deleting it is
// the caller's decision. On a failed creation kind deletes the nodes unless
// cfg.Keep is set.
func Up(ctx context.Context, cfg Config) (*Cluster, error) {
	cfg, err := cfg.complete()
	if err != nil {
		return nil, err
	}
	p := provider(cfg)
	kubeconfig := KubeconfigPath(cfg.CacheDir, cfg.Name)

	names, err := p.List()
	if err != nil {
		return nil, fmt.Errorf("listing kind clusters: %w", err)
	}
	if slices.Contains(names, cfg.Name) {
		if err := reuse(ctx, p, cfg, kubeconfig); err != nil {
			return nil, err
		}
		return &Cluster{Name: cfg.Name, Kubeconfig: kubeconfig, Reused: true}, nil
	}

	if err := create(ctx, p, cfg, kubeconfig); err != nil {
		return nil, err
	}

	return &Cluster{Name: cfg.Name, Kubeconfig: kubeconfig}, nil
}

// create runs kind's create and then waits for every node, not just the control
// plane, and loads the application images.
func create(ctx context.Context, p *cluster.Provider, cfg Config, kubeconfig string) error {
	if err := os.MkdirAll(filepath.Dir(kubeconfig), 0o755); err != nil {
		return fmt.Errorf("creating kubeconfig dir: %w", err)
	}
	nodes := len(cfg.kindConfig().Nodes)
	cfg.Logger.Info("creating cluster", "name", cfg.Name, "nodes", nodes, "zones", cfg.Zones, "image", cfg.NodeImage)
	start := time.Now()

	// kind's library takes no context; it bounds its own waits.
	err := p.Create(cfg.Name,
		cluster.CreateWithV1Alpha4Config(cfg.kindConfig()),
		cluster.CreateWithKubeconfigPath(kubeconfig),
		cluster.CreateWithRetain(cfg.Keep),
		cluster.CreateWithWaitForReady(cfg.ReadyTimeout),
		cluster.CreateWithDisplayUsage(false),
		cluster.CreateWithDisplaySalutation(false),
	)
	if err != nil {
		return fmt.Errorf("creating cluster %s: %w%s%s", cfg.Name, err, commandOutput(err), keepHint(cfg))
	}

	cfg.Logger.Info("kind created the nodes; waiting for all of them to be Ready",
		"seconds", seconds(time.Since(start)))
	if err := afterCreate(ctx, p, cfg, kubeconfig); err != nil {
		if !cfg.Keep {
			cfg.Logger.Info("deleting the failed cluster", "name", cfg.Name)
			_ = p.Delete(cfg.Name, kubeconfig)
		}
		return fmt.Errorf("cluster %s: %w%s", cfg.Name, err, keepHint(cfg))
	}
	cfg.Logger.Info("cluster ready", "name", cfg.Name, "kubeconfig", kubeconfig, "seconds", seconds(time.Since(start)))

	return nil
}

// afterCreate waits for all nodes and loads images.
func afterCreate(ctx context.Context, p *cluster.Provider, cfg Config, kubeconfig string) error {
	if err := waitNodesReady(ctx, cfg.Logger, kubeconfig, cfg.ReadyTimeout); err != nil {
		return err
	}

	return loadImages(ctx, p, cfg)
}

// keepHint tells how to look at a failed cluster.
func keepHint(cfg Config) string {
	if cfg.Keep {
		return fmt.Sprintf(" (kept for debugging: docker ps --filter label=io.x-k8s.kind.cluster=%s)", cfg.Name)
	}

	return " (deleted; keep it for debugging with -keep)"
}

// reuse checks an existing cluster: every node container running, the API
// answering and every node Ready. It rewrites the kubeconfig, since the API
// server's host port may change when the node containers restart.
func reuse(ctx context.Context, p *cluster.Provider, cfg Config, kubeconfig string) error {
	broken := func(err error) error {
		return fmt.Errorf("cluster %s exists but is not healthy: %w\n"+
			"a stopped or paused node comes back with `docker start` or `docker unpause` and its container name; "+
			"otherwise delete the cluster, and the data of its databases, with `make cluster-down` "+
			"(or tmcluster down -name %s) and run `make cluster` again",
			cfg.Name, err, cfg.Name)
	}

	if err := nodesRunning(ctx, p, cfg); err != nil {
		return broken(err)
	}
	if err := p.ExportKubeConfig(cfg.Name, kubeconfig, false); err != nil {
		return broken(fmt.Errorf("writing kubeconfig: %w", err))
	}
	if err := waitNodesReady(ctx, cfg.Logger, kubeconfig, time.Minute); err != nil {
		return broken(err)
	}
	cfg.Logger.Info("reusing healthy cluster", "name", cfg.Name, "kubeconfig", kubeconfig)

	return loadImages(ctx, p, cfg)
}

// nodesRunning checks every node container of the cluster runs, and warns when it
// runs another node image than the one just built.
func nodesRunning(ctx context.Context, p *cluster.Provider, cfg Config) error {
	nodes, err := p.ListNodes(cfg.Name)
	if err != nil {
		return fmt.Errorf("listing nodes: %w", err)
	}
	if len(nodes) == 0 {
		return errors.New("it has no node containers")
	}
	for _, n := range nodes {
		out, err := command.Docker("inspect", "--format", "{{.State.Status}} {{.Config.Image}}", n.String()).Output(ctx)
		if err != nil {
			return fmt.Errorf("inspecting node %s: %w", n, err)
		}
		state, image, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
		if state != "running" {
			return fmt.Errorf("node container %s is %s", n, state)
		}
		if image != cfg.NodeImage {
			cfg.Logger.Warn("node runs an older node image; recreate the cluster to use the new one",
				"node", n.String(), "running", image, "built", cfg.NodeImage)
		}
	}

	return nil
}

// validName refuses a cluster name that is not a DNS label: the name is
// also a folder of the cache, and "..", "." or "a/b" would point Down's
// clean-up at the cache itself or beyond it.
func validName(name string) error {
	if msgs := validation.IsDNS1123Label(name); len(msgs) > 0 {
		return fmt.Errorf("cluster name %q: %s", name, strings.Join(msgs, "; "))
	}
	return nil
}

// Down deletes the cluster and its kubeconfig. Deleting a cluster that does not
// exist is not an error.
func Down(ctx context.Context, cfg Config) error {
	if cfg.Name == "" {
		cfg.Name = DefaultName
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := validName(cfg.Name); err != nil {
		return err
	}
	p := provider(cfg)
	kubeconfig := KubeconfigPath(cfg.CacheDir, cfg.Name)

	start := time.Now()
	if err := p.Delete(cfg.Name, kubeconfig); err != nil {
		return fmt.Errorf("deleting cluster %s: %w", cfg.Name, err)
	}
	if err := os.RemoveAll(filepath.Dir(kubeconfig)); err != nil {
		return fmt.Errorf("removing kubeconfig of %s: %w", cfg.Name, err)
	}
	cfg.Logger.Info("cluster deleted", "name", cfg.Name, "seconds", seconds(time.Since(start)))

	return nil
}

// Connect checks a cluster given by kubeconfig (a real cluster): the API answers
// and the nodes are Ready. It creates nothing.
func Connect(ctx context.Context, log *slog.Logger, kubeconfig string) (*Cluster, error) {
	if err := waitNodesReady(ctx, log, kubeconfig, 30*time.Second); err != nil {
		return nil, fmt.Errorf("cluster at %s: %w", kubeconfig, err)
	}

	return &Cluster{Name: filepath.Base(kubeconfig), Kubeconfig: kubeconfig, Reused: true}, nil
}

// Client returns a clientset for kubeconfig.
func Client(kubeconfig string) (kubernetes.Interface, error) {
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("reading kubeconfig %s: %w", kubeconfig, err)
	}

	return kubernetes.NewForConfig(rc)
}

// waitNodesReady polls until every node reports Ready, logging what it waits for
// every ten seconds.
func waitNodesReady(ctx context.Context, log *slog.Logger, kubeconfig string, timeout time.Duration) error {
	cs, err := Client(kubeconfig)
	if err != nil {
		return err
	}
	start := time.Now()
	deadline, nextLog := start.Add(timeout), start.Add(10*time.Second)
	for {
		notReady, err := notReadyNodes(ctx, cs)
		if err == nil && len(notReady) == 0 {
			return nil
		}
		if time.Now().After(nextLog) {
			log.Info("waiting for nodes", "notReady", notReady, "err", err, "seconds", seconds(time.Since(start)))
			nextLog = time.Now().Add(10 * time.Second)
		}
		if time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("API server does not answer: %w", err)
			}
			return fmt.Errorf("nodes not Ready after %s: %s", timeout, strings.Join(notReady, ", "))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// notReadyNodes lists the nodes whose Ready condition is not True.
func notReadyNodes(ctx context.Context, cs kubernetes.Interface) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	if len(nodes.Items) == 0 {
		return []string{"(no nodes registered)"}, nil
	}
	var out []string
	for _, n := range nodes.Items {
		if !NodeReady(&n) {
			out = append(out, n.Name)
		}
	}

	return out, nil
}

// NodeReady reports whether n's Ready condition is True.
func NodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}

	return false
}

// seconds rounds d to tenths of a second for log lines.
func seconds(d time.Duration) float64 {
	return float64(d.Milliseconds()/100) / 10
}

// commandOutput returns the tail of the output of the node command behind a kind
// error: kind's own message names the command but not what it printed.
func commandOutput(err error) string {
	runErr := kindexec.RunErrorForError(err)
	if runErr == nil || len(runErr.Output) == 0 {
		return ""
	}

	return "\n" + command.Tail(string(runErr.Output), 25) + "\n"
}
