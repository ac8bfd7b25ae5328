//go:build cluster

package clustertest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/tidemark/tidemark/clusters"
	"github.com/tidemark/tidemark/clusters/internal/command"
)

// nodePort is published on 127.0.0.1 by `make cluster` (tmcluster -nodeport).
const nodePort = 30080

var _ = Describe("a tidemark kind cluster", Label("cluster"), Ordered, func() {
	var nodes []corev1.Node

	It("has every node Ready with a zone label, and workers in every zone", func(ctx context.Context) {
		list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		Expect(err).NotTo(HaveOccurred())
		nodes = list.Items
		Expect(len(nodes)).To(BeNumerically(">=", 4))

		workerZones := map[string]int{}
		for _, n := range nodes {
			Expect(clusters.NodeReady(&n)).To(BeTrue(), "node %s is not Ready", n.Name)
			zone := n.Labels[clusters.ZoneLabel]
			Expect(clusters.DefaultZones).To(ContainElement(zone), "node %s has zone %q", n.Name, zone)
			if _, cp := n.Labels["node-role.kubernetes.io/control-plane"]; !cp {
				workerZones[zone]++
			}
		}
		for _, z := range clusters.DefaultZones {
			Expect(workerZones[z]).To(BeNumerically(">=", 1), "no worker in %s", z)
		}
	})

	It("carries pod-to-pod traffic across every pair of nodes", func(ctx context.Context) {
		ips := startEchoServers(ctx, len(nodes))
		checkAllPairs(ctx, "pairs", nodes, ips)
	})

	It("serves a ClusterIP Service by its cluster DNS name", func(ctx context.Context) {
		createService(ctx, "echo", corev1.ServiceTypeClusterIP, 0)
		url := fmt.Sprintf("http://echo.%s.svc.cluster.local/", ns)
		out := runJob(ctx, jobSpec{name: "dns", command: []string{"tmagent", "get", "--timeout=90s", url}}, 2*time.Minute)
		Expect(out).To(ContainSubstring("OK " + url))
	})

	It("binds and writes a PVC in each zone", func(ctx context.Context) {
		for _, zone := range clusters.DefaultZones {
			checkVolume(ctx, zone)
		}
	})

	It("reaches a NodePort from 127.0.0.1", func(ctx context.Context) {
		createService(ctx, "echo-nodeport", corev1.ServiceTypeNodePort, nodePort)
		url := fmt.Sprintf("http://127.0.0.1:%d/", nodePort)
		Eventually(func(g Gomega) {
			resp, err := http.Get(url)
			g.Expect(err).NotTo(HaveOccurred())
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
			g.Expect(string(body)).To(HavePrefix("echo-"))
		}).WithContext(ctx).WithTimeout(time.Minute).WithPolling(time.Second).Should(Succeed())
	})

	It("brings a stopped and restarted node back Ready, with its pod network", func(ctx context.Context) {
		worker := pickWorker(nodes, clusters.DefaultZones[len(clusters.DefaultZones)-1])
		By("stopping and starting node container " + worker)
		Expect(command.Docker("stop", worker).Run(ctx)).To(Succeed())
		started := time.Now()
		Expect(command.Docker("start", worker).Run(ctx)).To(Succeed())

		Eventually(func(g Gomega) {
			n, err := cs.CoreV1().Nodes().Get(ctx, worker, metav1.GetOptions{})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(clusters.NodeReady(n)).To(BeTrue())
			g.Expect(readyHeartbeat(n).After(started)).To(BeTrue(), "no heartbeat since the restart")
		}).WithContext(ctx).WithTimeout(3 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())
		GinkgoWriter.Printf("node %s Ready %s after start\n", worker, time.Since(started).Round(time.Second))

		ips := waitEchoServers(ctx, len(nodes), worker, started)
		checkAllPairs(ctx, "after-restart", nodes, ips)
	})
})

// startEchoServers runs the echo server on every node and returns the pod IPs.
func startEchoServers(ctx context.Context, count int) []string {
	labels := map[string]string{"app": "echo"}
	ds := &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "echo"},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
					Containers: []corev1.Container{{
						Name: "echo", Image: agentImage, ImagePullPolicy: corev1.PullIfNotPresent,
						Command:        []string{"tmagent", "serve", "--addr=:8080"},
						Ports:          []corev1.ContainerPort{{ContainerPort: 8080}},
						ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(8080)}}},
					}},
				},
			},
		},
	}
	_, err := cs.AppsV1().DaemonSets(ns).Create(ctx, ds, metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred())

	return waitEchoServers(ctx, count, "", time.Time{})
}

// waitEchoServers waits for a Ready echo pod on each of count nodes. On node
// restarted, only a container started after since counts: until the kubelet there
// reports again, the API still shows the pod of before the restart, with its old
// address.
func waitEchoServers(ctx context.Context, count int, restarted string, since time.Time) []string {
	var ips []string
	Eventually(func(g Gomega) {
		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=echo"})
		g.Expect(err).NotTo(HaveOccurred())
		ips = nil
		for _, p := range pods.Items {
			if p.Spec.NodeName == restarted && !startedAfter(&p, since) {
				continue
			}
			if p.DeletionTimestamp == nil && p.Status.PodIP != "" && podReady(&p) {
				ips = append(ips, p.Status.PodIP)
			}
		}
		g.Expect(ips).To(HaveLen(count))
	}).WithContext(ctx).WithTimeout(3 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())

	return ips
}

// checkAllPairs runs one Job per node that fetches every echo pod.
func checkAllPairs(ctx context.Context, prefix string, nodes []corev1.Node, ips []string) {
	for i, n := range nodes {
		cmd := []string{"tmagent", "get", "--timeout=60s"}
		for _, ip := range ips {
			cmd = append(cmd, fmt.Sprintf("http://%s:8080/", ip))
		}
		out := runJob(ctx, jobSpec{name: fmt.Sprintf("%s-%d", prefix, i), nodeName: n.Name, command: cmd}, 3*time.Minute)
		Expect(strings.Count(out, "OK ")).To(Equal(len(ips)), "from %s:\n%s", n.Name, out)
	}
}

// createService exposes the echo pods.
func createService(ctx context.Context, name string, typ corev1.ServiceType, port int32) {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.ServiceSpec{
			Type:     typ,
			Selector: map[string]string{"app": "echo"},
			Ports:    []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080), NodePort: port}},
		},
	}
	_, err := cs.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred())
}

// checkVolume binds a PVC of the default class in zone and writes and reads it.
func checkVolume(ctx context.Context, zone string) {
	name := "data-" + zone
	pvc := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: mustQuantity("64Mi")}},
		},
	}
	_, err := cs.CoreV1().PersistentVolumeClaims(ns).Create(ctx, pvc, metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred())

	script := fmt.Sprintf("echo %s > /data/zone && sync && cat /data/zone", zone)
	out := runJob(ctx, jobSpec{
		name: "write-" + zone, pvc: name, command: []string{"sh", "-c", script},
		nodeSelector: map[string]string{clusters.ZoneLabel: zone},
	}, 3*time.Minute)
	Expect(out).To(ContainSubstring(zone))

	got, err := cs.CoreV1().PersistentVolumeClaims(ns).Get(ctx, name, metav1.GetOptions{})
	Expect(err).NotTo(HaveOccurred())
	Expect(got.Status.Phase).To(Equal(corev1.ClaimBound))
}

// pickWorker returns a worker in zone.
func pickWorker(nodes []corev1.Node, zone string) string {
	for _, n := range nodes {
		_, cp := n.Labels["node-role.kubernetes.io/control-plane"]
		if !cp && n.Labels[clusters.ZoneLabel] == zone {
			return n.Name
		}
	}
	Fail("no worker in " + zone)

	return ""
}

// readyHeartbeat is when the node last reported its Ready condition.
func readyHeartbeat(n *corev1.Node) time.Time {
	i := slices.IndexFunc(n.Status.Conditions, func(c corev1.NodeCondition) bool { return c.Type == corev1.NodeReady })
	if i < 0 {
		return time.Time{}
	}

	return n.Status.Conditions[i].LastHeartbeatTime.Time
}

// podReady reports whether p's Ready condition is True.
func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}

	return false
}

// startedAfter reports whether p's first container runs since t.
func startedAfter(p *corev1.Pod, t time.Time) bool {
	if len(p.Status.ContainerStatuses) == 0 {
		return false
	}
	running := p.Status.ContainerStatuses[0].State.Running

	// StartedAt has whole seconds.
	return running != nil && !running.StartedAt.Time.Before(t.Truncate(time.Second))
}
