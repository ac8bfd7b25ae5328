//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// On failure: pod logs, events, Patroni's history and the nodes' logs, in
// the artifacts folder under the spec's name, once every fault is healed.
var _ = AfterEach(func(ctx SpecContext) {
	spec := CurrentSpecReport()
	healActiveFaults(ctx)
	if !spec.Failed() {
		return
	}
	dir := filepath.Join(suite.artifacts, "failures", slug(spec.FullText()))
	By("collecting artifacts into " + dir)
	collectArtifacts(ctx, dir)
}, NodeTimeout(5*time.Minute))

func healActiveFaults(ctx context.Context) {
	for _, inj := range activeFaults {
		if err := inj.Heal(ctx); err != nil {
			fmt.Fprintln(GinkgoWriter, "healing:", err)
		}
	}
	activeFaults = nil
}

func collectArtifacts(ctx context.Context, dir string) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(GinkgoWriter, "artifacts:", err)
		return
	}
	writeArtifact(dir, "pods.txt", podSummary(ctx))
	writeArtifact(dir, "events.txt", events(ctx))
	collectPodLogs(ctx, filepath.Join(dir, "logs"))
	for _, db := range scenarioDatabases {
		writeArtifact(dir, "patroni-history-"+db.name+".json", patroni(ctx, db.name, "history"))
		writeArtifact(dir, "patroni-cluster-"+db.name+".json", patroni(ctx, db.name, "cluster"))
	}
	collectNodeLogs(ctx, filepath.Join(dir, "nodes"))
}

// nodeCommands are what a failure keeps of each kind node: its kubelet's
// and containerd's journals, its containers and its packet filter.
var nodeCommands = map[string][]string{
	"kubelet.log":    {"journalctl", "--no-pager", "-u", "kubelet"},
	"containerd.log": {"journalctl", "--no-pager", "-u", "containerd"},
	"containers.txt": {"crictl", "ps", "-a"},
	"iptables.txt":   {"iptables-save"},
}

// collectNodeLogs runs nodeCommands in every node container. kind's own
// log export runs `docker exec --privileged`, which engines without every
// capability refuse, so the suite asks for what it needs itself.
func collectNodeLogs(ctx context.Context, dir string) {
	nodes, err := suite.clientset.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		fmt.Fprintln(GinkgoWriter, "node logs:", err)
		return
	}
	for _, n := range nodes.Items {
		nodeDir := filepath.Join(dir, n.Name)
		if err := os.MkdirAll(nodeDir, 0o755); err != nil {
			continue
		}
		for file, command := range nodeCommands {
			out, err := suite.executor.Nodes.Exec(ctx, n.Name, command...)
			if err != nil {
				out = err.Error()
			}
			writeArtifact(nodeDir, file, out)
		}
	}
}

func writeArtifact(dir, name, content string) {
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		fmt.Fprintln(GinkgoWriter, "artifacts:", err)
	}
}

func podSummary(ctx context.Context) string {
	pods, err := suite.clientset.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, p := range pods.Items {
		fmt.Fprintf(&b, "%s/%s\t%s\t%s\t%s\tlabels=%v\n", p.Namespace, p.Name, p.Spec.NodeName, p.Status.Phase, p.Status.PodIP, p.Labels)
	}
	return b.String()
}

func events(ctx context.Context) string {
	list, err := suite.clientset.CoreV1().Events(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err.Error()
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].LastTimestamp.Before(&list.Items[j].LastTimestamp) })
	var b strings.Builder
	for _, e := range list.Items {
		fmt.Fprintf(&b, "%s\t%s\t%s/%s\t%s\t%s\n", e.LastTimestamp.Format(time.RFC3339), e.Type, e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, e.Message)
	}
	return b.String()
}

// collectPodLogs saves every container's log in the namespace, and the
// previous instance's where a container restarted.
func collectPodLogs(ctx context.Context, dir string) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	pods, err := suite.clientset.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	for _, p := range pods.Items {
		for _, c := range p.Status.ContainerStatuses {
			writeArtifact(dir, p.Name+"-"+c.Name+".log", podLog(ctx, p.Name, c.Name, false))
			if c.RestartCount > 0 {
				writeArtifact(dir, p.Name+"-"+c.Name+".previous.log", podLog(ctx, p.Name, c.Name, true))
			}
		}
	}
}

func podLog(ctx context.Context, pod, container string, previous bool) string {
	rc, err := suite.clientset.CoreV1().Pods(namespace).GetLogs(pod, &corev1.PodLogOptions{Container: container, Previous: previous}).Stream(ctx)
	if err != nil {
		return err.Error()
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return string(b)
}

// patroni asks the first member that answers for a Patroni REST path.
func patroni(ctx context.Context, db, path string) string {
	var errs []string
	for i := range 3 {
		pod := fmt.Sprintf("%s-%d", db, i)
		out, err := suite.clientset.CoreV1().Pods(namespace).ProxyGet("http", pod, "8008", path, nil).DoRaw(ctx)
		if err == nil {
			return string(out)
		}
		errs = append(errs, pod+": "+err.Error())
	}
	return strings.Join(errs, "\n")
}

var nonAlphanumeric = regexp.MustCompile(`[^a-z0-9]+`)

func slug(s string) string {
	return strings.Trim(nonAlphanumeric.ReplaceAllString(strings.ToLower(s), "-"), "-")
}
