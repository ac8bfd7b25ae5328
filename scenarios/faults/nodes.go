package faults

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// Nodes acts on kind's node containers through the docker CLI. On kind a
// node's name is its container's name.
type Nodes struct {
	// Docker is the docker command; "docker" when empty.
	Docker string
}

func (n Nodes) docker(ctx context.Context, args ...string) (string, error) {
	bin := n.Docker
	if bin == "" {
		bin = "docker"
	}
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("docker %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return strings.TrimSpace(string(out)), nil
}

// Exec runs a command inside a node container.
func (n Nodes) Exec(ctx context.Context, node string, command ...string) (string, error) {
	return n.docker(ctx, append([]string{"exec", node}, command...)...)
}

// Stop stops node containers at once (SIGKILL after 0 s), like a power loss.
func (n Nodes) Stop(ctx context.Context, nodes []string) error {
	_, err := n.docker(ctx, append([]string{"stop", "--time", "0"}, nodes...)...)
	return err
}

// Start starts stopped node containers; running ones are left as they are.
func (n Nodes) Start(ctx context.Context, nodes []string) error {
	_, err := n.docker(ctx, append([]string{"start"}, nodes...)...)
	return err
}

// Pause freezes node containers.
func (n Nodes) Pause(ctx context.Context, nodes []string) error {
	_, err := n.docker(ctx, append([]string{"pause"}, nodes...)...)
	return err
}

// Unpause resumes frozen node containers; ones that are not paused are
// left alone, so a heal may run twice.
func (n Nodes) Unpause(ctx context.Context, nodes []string) error {
	for _, node := range nodes {
		state, err := n.docker(ctx, "inspect", "--format", "{{.State.Paused}}", node)
		if err != nil {
			return err
		}
		if state != "true" {
			continue
		}
		if _, err := n.docker(ctx, "unpause", node); err != nil {
			return err
		}
	}
	return nil
}

// chain is the iptables chain holding a partition's rules in a node. One
// chain, jumped to first from INPUT, OUTPUT and FORWARD, so healing is
// flushing it, whatever pods came and went meanwhile.
const chain = "TIDEMARK-CHAOS"

// Isolate drops, inside node, every packet to or from the given addresses
// (node addresses and pod CIDRs). It runs before anything kube-proxy or
// the pod network installed, established connections included.
func (n Nodes) Isolate(ctx context.Context, node string, peers []string) error {
	script := []string{
		"iptables -w -N " + chain + " 2>/dev/null || iptables -w -F " + chain,
	}
	for _, hook := range []string{"INPUT", "OUTPUT", "FORWARD"} {
		script = append(script, fmt.Sprintf("iptables -w -C %s -j %s 2>/dev/null || iptables -w -I %s 1 -j %s", hook, chain, hook, chain))
	}
	for _, peer := range peers {
		script = append(script,
			fmt.Sprintf("iptables -w -A %s -s %s -j DROP", chain, peer),
			fmt.Sprintf("iptables -w -A %s -d %s -j DROP", chain, peer))
	}
	_, err := n.Exec(ctx, node, "sh", "-ec", strings.Join(script, "\n"))
	if err != nil {
		return fmt.Errorf("isolating node %s: %w", node, err)
	}
	return nil
}

// Reconnect removes what Isolate installed; a node never isolated is fine.
func (n Nodes) Reconnect(ctx context.Context, node string) error {
	script := []string{}
	for _, hook := range []string{"INPUT", "OUTPUT", "FORWARD"} {
		script = append(script, fmt.Sprintf("while iptables -w -D %s -j %s 2>/dev/null; do :; done", hook, chain))
	}
	script = append(script, "iptables -w -F "+chain+" 2>/dev/null || true", "iptables -w -X "+chain+" 2>/dev/null || true")
	_, err := n.Exec(ctx, node, "sh", "-ec", strings.Join(script, "\n"))
	if err != nil {
		return fmt.Errorf("reconnecting node %s: %w", node, err)
	}
	return nil
}

// KillContainer kills a pod's container with SIGKILL through the node's
// container runtime, as Chaos Mesh's container-kill does; the kubelet
// restarts it in the same pod.
func (n Nodes) KillContainer(ctx context.Context, node, namespace, pod, container string) error {
	id, err := n.Exec(ctx, node, "crictl", "ps", "--quiet", "--state", "running",
		"--label", "io.kubernetes.pod.namespace="+namespace,
		"--label", "io.kubernetes.pod.name="+pod,
		"--label", "io.kubernetes.container.name="+container)
	if err != nil {
		return err
	}
	if id == "" {
		return fmt.Errorf("no running container %s in pod %s/%s on %s", container, namespace, pod, node)
	}
	_, err = n.Exec(ctx, node, "crictl", "stop", "--timeout", "0", strings.Fields(id)[0])
	return err
}
