package app

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/tidemark/tidemark/internal/scheme"
	"github.com/tidemark/tidemark/internal/webhook"
	"github.com/tidemark/tidemark/reconciler/database"
	"github.com/tidemark/tidemark/reconciler/database/render"
	"github.com/tidemark/tidemark/reconciler/sync"
)

type watchFlags struct {
	applyFlags
	interval          time.Duration
	listen            string
	webhookSecretFile string
	leaderElect       bool
	render            render.Options
	nodePorts         string
}

func newWatchCommand() *cobra.Command {
	flags := &watchFlags{}
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Run the daemon: follow the config repo and reconcile every Database",
		Long: `Runs the Git sync loop and the Database controller in one process. The loop
fetches the repo every --interval, or at once when POST /hooks/git arrives
with a valid HMAC-SHA256 signature, and re-applies the current revision on
every pass, which corrects drift. The same listener serves /metrics,
/healthz and /readyz (ready once a revision has been applied).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWatch(cmd.Context(), flags)
		},
	}
	flags.bind(cmd, true)
	fs := cmd.Flags()
	fs.DurationVar(&flags.interval, "interval", time.Minute, "how often to fetch and re-apply")
	fs.StringVar(&flags.listen, "listen", "127.0.0.1:8080", "address of /metrics, /healthz, /readyz and /hooks/git")
	fs.StringVar(&flags.webhookSecretFile, "webhook-secret-file", "", "file with the HMAC secret of POST /hooks/git (hooks are refused without it)")
	fs.BoolVar(&flags.leaderElect, "leader-elect", false, "elect one active replica through a Lease in --namespace")
	flags.render = render.DefaultOptions()
	fs.StringVar(&flags.render.Image, "postgres-image", flags.render.Image, "PostgreSQL + Patroni image of the members")
	fs.StringVar(&flags.render.ImagePullPolicy, "postgres-image-pull-policy", flags.render.ImagePullPolicy, "pull policy of that image")
	fs.StringVar(&flags.nodePorts, "rw-node-ports", "", "expose each rw Service on a node port from this range, like 30080-30089 (kind publishes them on 127.0.0.1)")
	return cmd
}

func runWatch(ctx context.Context, flags *watchFlags) error {
	log, err := flags.log.logger()
	if err != nil {
		return err
	}
	ctrl.SetLogger(log)

	syncer, src, err := flags.setup(ctx)
	if err != nil {
		return err
	}
	if err := syncer.EnsureNamespace(ctx); err != nil {
		return err
	}
	loop := sync.NewLoop(src, syncer, flags.interval, syncer.Logger())

	secret, err := readSecret(flags.webhookSecretFile)
	if err != nil {
		return err
	}

	mgr, err := newManager(flags, loop, secret)
	if err != nil {
		return err
	}
	ports, err := parsePortRange(flags.nodePorts)
	if err != nil {
		return err
	}
	clientset, err := kubernetes.NewForConfig(mgr.GetConfig())
	if err != nil {
		return err
	}
	reconciler := &database.Reconciler{Client: mgr.GetClient(), Render: flags.render, NodePorts: ports,
		Patroni: &database.Patroni{Clientset: clientset}}
	if err := reconciler.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the database controller: %w", err)
	}
	// The loop writes, so only the elected leader runs it.
	if err := mgr.Add(manager.RunnableFunc(loop.Run)); err != nil {
		return err
	}

	log.Info("tidemark watching", "repo", flags.source.repo+flags.source.dir, "interval", flags.interval.String(), "listen", flags.listen)
	return mgr.Start(ctx) // returns when ctx ends: SIGTERM shuts down gracefully
}

func newManager(flags *watchFlags, loop *sync.Loop, secret []byte) (ctrl.Manager, error) {
	cfg, err := flags.cluster.restConfig()
	if err != nil {
		return nil, err
	}

	// The manager exists only after its options, which hold the handlers:
	// they reach it through this variable.
	var mgr ctrl.Manager
	leading := func() bool { return isClosed(mgr.Elected()) }
	hook := &webhook.Handler{Secret: secret, Trigger: loop.Trigger, Active: leading, Log: loop.Log.WithName("webhook")}
	mgr, err = ctrl.NewManager(cfg, ctrl.Options{
		Scheme: scheme.New(),
		Metrics: metricsserver.Options{
			BindAddress: flags.listen,
			ExtraHandlers: map[string]http.Handler{
				"/hooks/git": hook,
				"/healthz":   http.HandlerFunc(ok),
				// A standby replica is ready to take over, so it is ready.
				"/readyz": readyWhen(func() bool { return loop.Synced() || !leading() }),
			},
		},
		LeaderElection:                flags.leaderElect,
		LeaderElectionID:              "tidemark-" + flags.sync.name,
		LeaderElectionNamespace:       flags.sync.namespace,
		LeaderElectionReleaseOnCancel: true,
		GracefulShutdownTimeout:       durationPtr(30 * time.Second),
	})
	if err != nil {
		return nil, fmt.Errorf("creating the controller manager: %w", err)
	}
	return mgr, nil
}

// parsePortRange reads "first-last"; "" disables node ports.
func parsePortRange(s string) (database.PortRange, error) {
	if s == "" {
		return database.PortRange{}, nil
	}
	var r database.PortRange
	if _, err := fmt.Sscanf(s, "%d-%d", &r.First, &r.Last); err != nil || !r.Enabled() || r.First < 30000 || r.Last > 32767 {
		return r, fmt.Errorf("--rw-node-ports %q: want a range like 30080-30089 inside 30000-32767", s)
	}
	return r, nil
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func ok(w http.ResponseWriter, _ *http.Request) {
	_, _ = w.Write([]byte("ok\n"))
}

// readyWhen answers 200 once ready() holds and 503 before.
func readyWhen(ready func() bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ready() {
			http.Error(w, "no revision applied yet", http.StatusServiceUnavailable)
			return
		}
		ok(w, r)
	})
}

func readSecret(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	secret, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the webhook secret: %w", err)
	}
	return trimNewline(secret), nil
}

func durationPtr(d time.Duration) *time.Duration { return &d }
