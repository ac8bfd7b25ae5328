package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// conflistName sorts first in /etc/cni/net.d, which is the one containerd uses.
const conflistName = "10-tidemark.conflist"

// podnetConfig is what one sync needs.
type podnetConfig struct {
	node      string
	cniDir    string
	podSubnet string
	client    kubernetes.Interface
	log       *slog.Logger
}

// podnet syncs every interval until ctx ends. Everything it sets up is lost when
// the node container restarts, and redone when the DaemonSet pod starts again;
// routes to a node whose address changed are replaced on the next sync.
func podnet(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("podnet", flag.ContinueOnError)
	cfg := podnetConfig{node: os.Getenv("NODE_NAME"), log: slog.New(slog.NewTextHandler(stderr, nil))}
	fs.StringVar(&cfg.cniDir, "cni-dir", "/etc/cni/net.d", "where the CNI config is written")
	fs.StringVar(&cfg.podSubnet, "pod-subnet", "10.244.0.0/16", "the cluster's pod network, not masqueraded")
	interval := fs.Duration("interval", 10*time.Second, "time between syncs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.node == "" {
		return errors.New("NODE_NAME is not set")
	}

	rc, err := rest.InClusterConfig()
	if err != nil {
		return fmt.Errorf("reading in-cluster config: %w", err)
	}
	// kind sets the control plane's own address; the kubernetes Service works only
	// once kube-proxy has programmed the node, which may be after we start.
	if ep := os.Getenv("CONTROL_PLANE_ENDPOINT"); ep != "" {
		rc.Host = "https://" + ep
	}
	if cfg.client, err = kubernetes.NewForConfig(rc); err != nil {
		return err
	}

	for {
		if err := cfg.sync(ctx); err != nil {
			cfg.log.Error("sync failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(*interval):
		}
	}
}

// sync writes the CNI config and sets routes and masquerading.
func (c *podnetConfig) sync(ctx context.Context) error {
	nodes, err := c.client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing nodes: %w", err)
	}

	var errs []error
	for i := range nodes.Items {
		n := &nodes.Items[i]
		if n.Name == c.node {
			errs = append(errs, c.writeConflist(n.Spec.PodCIDR))
			continue
		}
		errs = append(errs, c.route(n))
	}
	errs = append(errs, c.masquerade())

	return errors.Join(errs...)
}

// writeConflist writes the CNI config for this node's pod CIDR when it changed.
// host-local keeps its state under /run, so a restarted node starts with every
// address free instead of leaking the ones of pods that died with it.
func (c *podnetConfig) writeConflist(podCIDR string) error {
	if podCIDR == "" {
		return fmt.Errorf("node %s has no pod CIDR yet", c.node)
	}
	conf := map[string]any{
		"cniVersion": "0.4.0",
		"name":       "tidemark",
		"plugins": []any{
			map[string]any{
				"type": "ptp", "mtu": 1500, "ipMasq": false,
				"ipam": map[string]any{
					"type": "host-local", "dataDir": "/run/cni-ipam-state",
					"routes": []any{map[string]string{"dst": "0.0.0.0/0"}},
					"ranges": []any{[]any{map[string]string{"subnet": podCIDR}}},
				},
			},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
		},
	}
	data, _ := json.MarshalIndent(conf, "", "  ")
	path := filepath.Join(c.cniDir, conflistName)
	if old, err := os.ReadFile(path); err == nil && string(old) == string(data) {
		return nil
	}

	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("writing CNI config: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing CNI config: %w", err)
	}
	c.log.Info("wrote CNI config", "path", path, "podCIDR", podCIDR)

	return nil
}

// route points n's pod CIDR at n's internal address.
func (c *podnetConfig) route(n *corev1.Node) error {
	ip := internalIP(n)
	if n.Spec.PodCIDR == "" || ip == "" {
		return nil
	}

	return runQuiet("ip", "route", "replace", n.Spec.PodCIDR, "via", ip)
}

// masquerade makes traffic from pods to anything outside the pod network leave
// with the node's address. -C checks before -A appends, so the rule exists once.
func (c *podnetConfig) masquerade() error {
	rule := []string{"POSTROUTING", "-s", c.podSubnet, "!", "-d", c.podSubnet,
		"-m", "comment", "--comment", "tidemark-podnet", "-j", "MASQUERADE"}
	if runQuiet("iptables", append([]string{"-w", "-t", "nat", "-C"}, rule...)...) == nil {
		return nil
	}
	c.log.Info("adding masquerade rule", "podSubnet", c.podSubnet)

	return runQuiet("iptables", append([]string{"-w", "-t", "nat", "-A"}, rule...)...)
}

// internalIP returns the node's first InternalIP.
func internalIP(n *corev1.Node) string {
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP && !strings.Contains(a.Address, ":") {
			return a.Address
		}
	}

	return ""
}

// runQuiet runs a command and returns its output in the error.
func runQuiet(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}

	return nil
}
