package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tidemark/tidemark/internal/gittest"
	"github.com/tidemark/tidemark/internal/testenv"
	"github.com/tidemark/tidemark/internal/webhook"
	"github.com/tidemark/tidemark/specs/v1alpha1"
)

var (
	env        *testenv.Env
	kubeconfig string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	env, err = testenv.Start(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "CLI tests need a real API server:", err)
		return 1
	}
	defer env.Stop()

	dir, err := os.MkdirTemp("", "tidemark-cli-")
	if err != nil {
		return 1
	}
	defer os.RemoveAll(dir)
	kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, env.KubeConfig(), 0o600); err != nil {
		return 1
	}
	return m.Run()
}

// tidemark runs the command line in-process and returns its output and
// exit code.
func tidemark(ctx context.Context, args ...string) (string, int) {
	var out bytes.Buffer
	err := Run(ctx, args, &out, &out)
	var exit ExitError
	switch {
	case errors.As(err, &exit):
		return out.String(), exit.Code
	case err != nil:
		return out.String() + err.Error(), 1
	}
	return out.String(), 0
}

var errorLine = regexp.MustCompile(`^[^:\s]+\.ya?ml:\d+: `)

func TestValidateNamesFileAndLineForEveryInvalidFixture(t *testing.T) {
	fixtures, _ := filepath.Glob("../../../specs/testdata/invalid-*")
	var dirs []string
	for _, f := range fixtures {
		if !strings.HasSuffix(f, ".golden") {
			dirs = append(dirs, f)
		}
	}
	if len(dirs) < 10 {
		t.Fatalf("found only %d invalid fixtures", len(dirs))
	}

	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			out, code := tidemark(context.Background(), "validate", dir)
			if code != 1 {
				t.Fatalf("exit %d, want 1:\n%s", code, out)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			for _, line := range lines[:len(lines)-1] {
				if !errorLine.MatchString(line) {
					t.Errorf("not file:line: %q", line)
				}
			}
		})
	}
}

func TestValidateAcceptsTheExampleRepo(t *testing.T) {
	out, code := tidemark(context.Background(), "validate", "../../../examples/config-repo")
	if code != 0 || !strings.Contains(out, "3 databases valid") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestApplyDiffAndStatus(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	repo := gittest.New(t)
	copyTree(t, "../../../examples/config-repo", repo.Dir)
	sha := repo.Commit("the example config repo")
	common := []string{"--kubeconfig", kubeconfig, "--repo", repo.URL(), "--cache-dir", t.TempDir(), "--sync-name", "cli"}

	out, code := tidemark(ctx, append([]string{"apply"}, common...)...)
	g.Expect(code).To(Equal(0), out)
	g.Expect(out).To(ContainSubstring("Database/shop/orders created"))
	g.Expect(out).To(ContainSubstring("revision " + sha + " applied: 5 writes"))

	out, code = tidemark(ctx, append([]string{"diff"}, common...)...)
	g.Expect(code).To(Equal(0), out)
	g.Expect(out).To(ContainSubstring("0 of 5 objects would change"))

	repo.Write("databases/shop/inventory.yaml", strings.Replace(readFile(t, repo.Dir+"/databases/shop/inventory.yaml"), "replicas: 2", "replicas: 3", 1))
	repo.Remove("databases/identity/accounts.yaml")
	repo.Commit("scale inventory, drop accounts")
	out, code = tidemark(ctx, append([]string{"diff"}, common...)...)
	g.Expect(code).To(Equal(2), out)
	g.Expect(out).To(ContainSubstring("Database/shop/inventory would be configured"))
	g.Expect(out).To(ContainSubstring("Database/identity/accounts would be pruned"))

	var db v1alpha1.Database
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "inventory"}, &db)).To(Succeed())
	g.Expect(db.Spec.Replicas).To(Equal(int32(2)), "diff changed nothing")

	out, code = tidemark(ctx, "status", "--kubeconfig", kubeconfig, "--sync-name", "cli")
	g.Expect(code).To(Equal(0), out)
	g.Expect(out).To(ContainSubstring("last applied revision:  " + sha))
	// No controller runs in this test, and status says so.
	g.Expect(out).To(MatchRegexp(`shop\s+orders\s+-\s+.*not yet observed by the controller`))
}

func TestWatchFollowsWebhookAndServesProbes(t *testing.T) {
	g := NewWithT(t)
	repo := gittest.New(t)
	repo.Write("db/one.yaml", databaseYAML("one", "watch"))
	repo.Commit("one database")

	secretFile := filepath.Join(t.TempDir(), "secret")
	g.Expect(os.WriteFile(secretFile, []byte("hook-secret\n"), 0o600)).To(Succeed())
	listen := freeAddress(t)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		_, code := tidemark(ctx, "watch", "--kubeconfig", kubeconfig, "--repo", repo.URL(), "--cache-dir", t.TempDir(),
			"--sync-name", "watch", "--interval", "1h", "--listen", listen, "--webhook-secret-file", secretFile, "--leader-elect")
		done <- code
	}()
	base := "http://" + listen

	g.Eventually(func() int { return status(base + "/readyz") }, time.Minute, 200*time.Millisecond).Should(Equal(http.StatusOK))
	g.Expect(status(base + "/healthz")).To(Equal(http.StatusOK))
	g.Expect(body(base + "/metrics")).To(ContainSubstring(`tidemark_sync_passes_total{outcome="applied",sync="watch"} 1`))

	// With a one-hour interval only the hook can bring the next commit in.
	repo.Write("db/two.yaml", databaseYAML("two", "watch"))
	repo.Commit("a second database")
	g.Expect(postHook(base, []byte("wrong"))).To(Equal(http.StatusUnauthorized))
	g.Expect(postHook(base, []byte("hook-secret"))).To(Equal(http.StatusAccepted))
	g.Eventually(func() error {
		return env.Client.Get(context.Background(), client.ObjectKey{Namespace: "watch", Name: "two"}, &v1alpha1.Database{})
	}, 30*time.Second).Should(Succeed())

	cancel()
	g.Eventually(done, time.Minute).Should(Receive(Equal(0)), "watch shuts down cleanly")
}

func databaseYAML(name, namespace string) string {
	return fmt.Sprintf("apiVersion: tidemark.dev/v1alpha1\nkind: Database\nmetadata: {name: %s, namespace: %s}\nspec: {version: \"15\", storage: {size: 1Gi}}\n", name, namespace)
}

func postHook(base string, secret []byte) int {
	payload := []byte(`{"ref":"refs/heads/main"}`)
	req, _ := http.NewRequest(http.MethodPost, base+"/hooks/git", bytes.NewReader(payload))
	req.Header.Set("X-Hub-Signature-256", webhook.Sign(secret, payload))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func status(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func body(url string) string {
	resp, err := http.Get(url)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return b.String()
}

func freeAddress(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if err := os.MkdirAll(filepath.Join(to, filepath.Dir(rel)), 0o755); err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
