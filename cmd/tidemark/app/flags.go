package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/pflag"
	"go.uber.org/zap/zapcore"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/tidemark/tidemark/internal/scheme"
	"github.com/tidemark/tidemark/reconciler/source"
	"github.com/tidemark/tidemark/reconciler/sync"
)

// clusterFlags say which cluster to talk to.
type clusterFlags struct {
	kubeconfig string
	context    string
	qps        float32
}

func (f *clusterFlags) bind(fs *pflag.FlagSet) {
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster)")
	fs.StringVar(&f.context, "context", "", "kubeconfig context to use")
	fs.Float32Var(&f.qps, "kube-api-qps", 0, "client-side limit of API requests per second; 0 leaves limiting to the server's priority and fairness")
}

func (f *clusterFlags) restConfig() (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = f.kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: f.context}

	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("loading the cluster connection: %w", err)
	}
	cfg.UserAgent = "tidemark/" + version

	// client-go's default of 5 requests a second would make a first apply
	// of 1,000 Databases take minutes; the API server protects itself with
	// priority and fairness, as it does for controller-runtime's clients.
	cfg.QPS, cfg.Burst = -1, 0
	if f.qps > 0 {
		cfg.QPS, cfg.Burst = f.qps, int(2*f.qps)+1
	}
	return cfg, nil
}

func (f *clusterFlags) client() (client.Client, *rest.Config, error) {
	cfg, err := f.restConfig()
	if err != nil {
		return nil, nil, err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme.New()})
	if err != nil {
		return nil, nil, fmt.Errorf("connecting to %s: %w", cfg.Host, err)
	}
	return c, cfg, nil
}

// sourceFlags say where the config repo is.
type sourceFlags struct {
	repo, branch, tag, commit string
	dir                       string
	tokenFile                 string
	sshKeyFile                string
	knownHostsFile            string
	cacheDir                  string
	timeout                   time.Duration
}

func (f *sourceFlags) bind(fs *pflag.FlagSet) {
	fs.StringVar(&f.repo, "repo", "", "config repo URL: file://, https:// or ssh://")
	fs.StringVar(&f.branch, "branch", "", "branch to follow (default main)")
	fs.StringVar(&f.tag, "tag", "", "tag to apply instead of a branch")
	fs.StringVar(&f.commit, "commit", "", "commit SHA to apply instead of a branch")
	fs.StringVar(&f.dir, "dir", "", "a plain folder to apply instead of a repo (revision \"local\")")
	fs.StringVar(&f.tokenFile, "token-file", "", "file holding an HTTPS access token (or set TIDEMARK_GIT_TOKEN)")
	fs.StringVar(&f.sshKeyFile, "ssh-key-file", "", "private key for ssh:// repos")
	fs.StringVar(&f.knownHostsFile, "known-hosts-file", "", "known_hosts for ssh:// repos; required with ssh")
	fs.StringVar(&f.cacheDir, "cache-dir", defaultCacheDir(), "where the repo cache lives")
	fs.DurationVar(&f.timeout, "git-timeout", source.DefaultTimeout, "limit for each network step of a fetch")
}

func defaultCacheDir() string {
	if dir := os.Getenv("TIDEMARK_CACHE"); dir != "" {
		return filepath.Join(dir, "git")
	}
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "tidemark", "git")
	}
	return filepath.Join(os.TempDir(), "tidemark-git")
}

// source returns where revisions come from: a fetcher or a plain folder.
func (f *sourceFlags) source() (sync.Source, error) {
	switch {
	case f.dir != "" && f.repo != "":
		return nil, fmt.Errorf("--dir and --repo exclude each other")
	case f.dir != "":
		return folderSource(f.dir), nil
	case f.repo == "":
		return nil, fmt.Errorf("say where the config repo is: --repo URL or --dir FOLDER")
	}

	auth, err := f.auth()
	if err != nil {
		return nil, err
	}
	return source.New(source.Options{
		URL:      f.repo,
		Ref:      source.Ref{Branch: f.branch, Tag: f.tag, Commit: f.commit},
		Auth:     auth,
		CacheDir: filepath.Join(f.cacheDir, cacheKey(f.repo)),
		Timeout:  f.timeout,
	})
}

func (f *sourceFlags) auth() (source.Auth, error) {
	var auth source.Auth
	auth.Token = os.Getenv("TIDEMARK_GIT_TOKEN")

	files := []struct {
		path string
		into *[]byte
	}{{f.sshKeyFile, &auth.SSHKey}, {f.knownHostsFile, &auth.KnownHosts}}
	for _, file := range files {
		if file.path == "" {
			continue
		}
		data, err := os.ReadFile(file.path)
		if err != nil {
			return auth, fmt.Errorf("reading %s: %w", file.path, err)
		}
		*file.into = data
	}

	if f.tokenFile != "" {
		token, err := os.ReadFile(f.tokenFile)
		if err != nil {
			return auth, fmt.Errorf("reading the token file: %w", err)
		}
		auth.Token = string(trimNewline(token))
	}
	return auth, nil
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// folderSource serves a plain folder as revision "local".
type folderSource string

func (d folderSource) Fetch(context.Context) (source.Revision, error) {
	if _, err := os.Stat(string(d)); err != nil {
		return source.Revision{}, err
	}
	return source.Revision{SHA: "local", Dir: string(d)}, nil
}

// syncFlags say how a revision is applied.
type syncFlags struct {
	name        string
	namespace   string
	path        string
	concurrency int
	installCRD  bool
}

func (f *syncFlags) bind(fs *pflag.FlagSet, installCRD bool) {
	fs.StringVar(&f.name, "sync-name", sync.DefaultName, "name of this sync; objects are labelled with it and only its own are pruned")
	fs.StringVar(&f.namespace, "namespace", sync.DefaultNamespace, "namespace of the sync's state ConfigMap")
	fs.StringVar(&f.path, "path", "", "folder of the repo that holds the specs (default: the whole repo)")
	fs.IntVar(&f.concurrency, "concurrency", sync.DefaultConcurrency, "API writes in flight at once")
	fs.BoolVar(&f.installCRD, "install-crd", installCRD, "apply the Database CRD before syncing")
}

func (f *syncFlags) options() sync.Options {
	return sync.Options{Name: f.name, Namespace: f.namespace, Path: f.path, Concurrency: f.concurrency}
}

// logFlags configure structured logs.
type logFlags struct {
	level  string
	format string
}

func (f *logFlags) bind(fs *pflag.FlagSet) {
	fs.StringVar(&f.level, "log-level", "info", "debug, info or error")
	fs.StringVar(&f.format, "log-format", "json", "json or console")
}

func (f *logFlags) logger() (logr.Logger, error) {
	var level zapcore.Level
	if err := level.UnmarshalText([]byte(f.level)); err != nil {
		return logr.Logger{}, fmt.Errorf("--log-level: %w", err)
	}
	if f.format != "json" && f.format != "console" {
		return logr.Logger{}, fmt.Errorf("--log-format must be json or console, not %q", f.format)
	}
	// Stack traces only for panics: an expected failure, such as a rejected
	// revision, is explained by its message.
	return zap.New(zap.Level(level), zap.UseDevMode(f.format == "console"), zap.WriteTo(os.Stderr),
		zap.StacktraceLevel(zapcore.DPanicLevel)), nil
}

// cacheKey names a repo's cache folder after its URL, so two repos never
// share a cache and the URL (which may hold a user name) is not a path.
func cacheKey(url string) string {
	sum := sha256.Sum256([]byte(url))
	return hex.EncodeToString(sum[:8])
}
