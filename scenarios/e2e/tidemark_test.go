//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// tidemarkProcess is `tidemark watch` run by the suite, as a user runs it.
type tidemarkProcess struct {
	bin, secret, listen string
	args                []string
	cmd                 *exec.Cmd
	exited              chan struct{}
	starts              int
}

// startTidemark builds tidemark and starts `tidemark watch` on repo.
func startTidemark(ctx context.Context, repo *configRepo, image, nodePorts string) *tidemarkProcess {
	p := &tidemarkProcess{bin: filepath.Join(suite.artifacts, "bin", "tidemark")}
	build := exec.CommandContext(ctx, "go", "build", "-o", p.bin, "./cmd/tidemark")
	build.Dir = moduleRoot()
	out, err := build.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "building tidemark: %s", out)

	p.secret = filepath.Join(suite.artifacts, "webhook-secret")
	Expect(os.WriteFile(p.secret, []byte("e2e-webhook-secret"), 0o600)).To(Succeed())
	p.listen = freeLoopbackAddress()
	p.args = []string{"watch",
		"--kubeconfig", os.Getenv(envKubeconfig),
		"--repo", repo.url(),
		"--sync-name", "e2e",
		"--cache-dir", filepath.Join(suite.artifacts, "git-cache"),
		"--interval", "30s",
		"--listen", p.listen,
		"--webhook-secret-file", p.secret,
		"--rw-node-ports", nodePorts,
		"--postgres-image", image,
	}
	p.start()
	return p
}

// start runs the process, its log in the artifacts folder.
func (p *tidemarkProcess) start() {
	p.starts++
	logPath := filepath.Join(suite.artifacts, fmt.Sprintf("tidemark-%d.log", p.starts))
	logFile, err := os.Create(logPath)
	Expect(err).NotTo(HaveOccurred())

	p.cmd = exec.Command(p.bin, p.args...)
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	Expect(p.cmd.Start()).To(Succeed())
	p.exited = make(chan struct{})
	go func() {
		_ = p.cmd.Wait()
		logFile.Close()
		close(p.exited)
	}()
	fmt.Fprintf(GinkgoWriter, "tidemark watch started (pid %d, log %s)\n", p.cmd.Process.Pid, logPath)

	Eventually(func() error { return get("http://" + p.listen + "/readyz") }).
		WithTimeout(time.Minute).WithPolling(500 * time.Millisecond).Should(Succeed())
}

// kill ends the process with SIGKILL: no shutdown code runs.
func (p *tidemarkProcess) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// stop ends the process as a user's Ctrl-C would.
func (p *tidemarkProcess) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.kill()
	}
}

// trigger sends the signed push notification a Git host would send.
func (p *tidemarkProcess) trigger() {
	body := []byte(`{"ref":"refs/heads/main"}`)
	mac := hmac.New(sha256.New, []byte("e2e-webhook-secret"))
	mac.Write(body)
	req, err := http.NewRequest(http.MethodPost, "http://"+p.listen+"/hooks/git", bytes.NewReader(body))
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("X-Tidemark-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	Expect(err).NotTo(HaveOccurred())
	resp.Body.Close()
	Expect(resp.StatusCode).To(BeNumerically("<", 300), "webhook answered %s", resp.Status)
}

func get(url string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return nil
}

func freeLoopbackAddress() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	defer l.Close()
	return l.Addr().String()
}

// moduleRoot is the repository root: the suite runs in scenarios/e2e.
func moduleRoot() string {
	dir, err := os.Getwd()
	Expect(err).NotTo(HaveOccurred())
	for !fileExists(filepath.Join(dir, "go.mod")) {
		parent := filepath.Dir(dir)
		Expect(parent).NotTo(Equal(dir), "no go.mod above the suite")
		dir = parent
	}
	return dir
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// tidemarkVersion names the tested code for the report.
func tidemarkVersion() string {
	out, err := exec.Command("git", "-C", moduleRoot(), "describe", "--tags", "--always", "--dirty").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}
