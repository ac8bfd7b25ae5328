package faults

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"time"

	chaosv1alpha1 "github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ZoneLabel is the node label a zone is named by.
const ZoneLabel = "topology.kubernetes.io/zone"

// controlPlaneLabel marks nodes that zone faults leave alone (see ZoneChaos).
const controlPlaneLabel = "node-role.kubernetes.io/control-plane"

// podChaos kills pods through the API or containers through the runtime.
// Both are instant: the kubelet or the StatefulSet brings them back.
func (e *Executor) podChaos(ctx context.Context, f *chaosv1alpha1.PodChaos) (*Injection, error) {
	if f.Spec.Action != chaosv1alpha1.PodKillAction && f.Spec.Action != chaosv1alpha1.ContainerKillAction {
		return nil, fmt.Errorf("PodChaos %s: action %s needs Chaos Mesh installed", f.Name, f.Spec.Action)
	}
	pods, err := e.selectPods(ctx, f.Spec.PodSelector, f.Namespace)
	if err != nil {
		return nil, fmt.Errorf("PodChaos %s: %w", f.Name, err)
	}
	inj := &Injection{Fault: fmt.Sprintf("PodChaos %s %s", f.Spec.Action, podNames(pods)), Started: time.Now()}

	for _, pod := range pods {
		switch f.Spec.Action {
		case chaosv1alpha1.PodKillAction:
			err = e.Client.Delete(ctx, &pod, client.GracePeriodSeconds(f.Spec.GracePeriod))
		case chaosv1alpha1.ContainerKillAction:
			err = e.killContainers(ctx, pod, f.Spec.ContainerNames)
		}
		if err != nil {
			return nil, fmt.Errorf("PodChaos %s on %s: %w", f.Name, pod.Name, err)
		}
	}
	e.Log.Info("fault injected", "fault", inj.Fault)
	return inj, nil
}

// killContainers kills the named containers, or the pod's first one as
// Chaos Mesh does when none is named.
func (e *Executor) killContainers(ctx context.Context, pod corev1.Pod, names []string) error {
	if len(names) == 0 {
		names = []string{pod.Spec.Containers[0].Name}
	}
	for _, name := range names {
		if err := e.Nodes.KillContainer(ctx, pod.Spec.NodeName, pod.Namespace, pod.Name, name); err != nil {
			return err
		}
	}
	return nil
}

// networkChaos carries out a partition between the nodes of the selected
// side and those of the target side: every node of the first drops all
// packets to and from the second's node addresses and pod CIDRs, and to
// and from the external targets. It cuts whole nodes, kubelet included,
// which is what a zone partition is; Chaos Mesh would cut only the pods.
func (e *Executor) networkChaos(ctx context.Context, f *chaosv1alpha1.NetworkChaos) (*Injection, error) {
	if f.Spec.Action != chaosv1alpha1.PartitionAction || (f.Spec.Direction != "" && f.Spec.Direction != chaosv1alpha1.Both) || f.Spec.Target == nil {
		return nil, fmt.Errorf("NetworkChaos %s: without Chaos Mesh only a partition in both directions with a target is supported", f.Name)
	}
	duration, err := parseDuration(f.Spec.Duration)
	if err != nil {
		return nil, fmt.Errorf("NetworkChaos %s: %w", f.Name, err)
	}
	isolated, err := e.selectNodes(ctx, f.Spec.Selector, true)
	if err != nil {
		return nil, fmt.Errorf("NetworkChaos %s selector: %w", f.Name, err)
	}
	others, err := e.selectNodes(ctx, f.Spec.Target.Selector, false)
	if err != nil {
		return nil, fmt.Errorf("NetworkChaos %s target: %w", f.Name, err)
	}
	peers := append(addressesOf(others), f.Spec.ExternalTargets...)

	inj := &Injection{Fault: fmt.Sprintf("NetworkChaos partition %v from %v", nodeNames(isolated), nodeNames(others)),
		Started: time.Now(), Duration: duration}
	inj.heal = func(ctx context.Context) error {
		for _, n := range isolated {
			if err := e.Nodes.Reconnect(ctx, n.Name); err != nil {
				return err
			}
		}
		return nil
	}
	for _, n := range isolated {
		if err := e.Nodes.Isolate(ctx, n.Name, peers); err != nil {
			return nil, joinHeal(ctx, inj, err)
		}
	}
	e.Log.Info("fault injected", "fault", inj.Fault, "duration", duration.String())
	return inj, nil
}

// zoneChaos stops or freezes every worker of a zone.
func (e *Executor) zoneChaos(ctx context.Context, f *ZoneChaos) (*Injection, error) {
	duration, err := parseDuration(f.Spec.Duration)
	if err != nil {
		return nil, fmt.Errorf("ZoneChaos %s: %w", f.Name, err)
	}
	selector := chaosv1alpha1.PodSelectorSpec{NodeSelectors: map[string]string{ZoneLabel: f.Spec.Zone}}
	nodes, err := e.selectNodes(ctx, selector, true)
	if err != nil {
		return nil, fmt.Errorf("ZoneChaos %s: %w", f.Name, err)
	}
	names := nodeNames(nodes)

	inj := &Injection{Fault: fmt.Sprintf("ZoneChaos %s %s %v", f.Spec.Action, f.Spec.Zone, names), Started: time.Now(), Duration: duration}
	switch f.Spec.Action {
	case ZoneStop:
		inj.heal = func(ctx context.Context) error { return e.Nodes.Start(ctx, names) }
		err = e.Nodes.Stop(ctx, names)
	case ZonePause:
		inj.heal = func(ctx context.Context) error { return e.Nodes.Unpause(ctx, names) }
		err = e.Nodes.Pause(ctx, names)
	default:
		return nil, fmt.Errorf("ZoneChaos %s: unknown action %q", f.Name, f.Spec.Action)
	}
	if err != nil {
		return nil, joinHeal(ctx, inj, err)
	}
	e.Log.Info("fault injected", "fault", inj.Fault, "duration", duration.String())
	return inj, nil
}

// joinHeal undoes what a half-injected fault did before reporting err.
func joinHeal(ctx context.Context, inj *Injection, err error) error {
	if healErr := inj.Heal(ctx); healErr != nil {
		return fmt.Errorf("%w (and %v)", err, healErr)
	}
	return err
}

// selectPods resolves a Chaos Mesh pod selector: namespaces, labels, pod
// names, nodes, node labels and phases; mode one or all. Like Chaos Mesh,
// a selector without namespaces looks in those its pod names are under,
// else in the fault object's own.
func (e *Executor) selectPods(ctx context.Context, s chaosv1alpha1.PodSelector, own string) ([]corev1.Pod, error) {
	namespaces := s.Selector.Namespaces
	if len(namespaces) == 0 {
		namespaces = slices.Sorted(maps.Keys(s.Selector.Pods))
	}
	if len(namespaces) == 0 {
		namespaces = []string{own}
	}

	var matched []corev1.Pod
	for _, ns := range namespaces {
		var pods corev1.PodList
		if err := e.Client.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabels(s.Selector.LabelSelectors)); err != nil {
			return nil, fmt.Errorf("listing pods in %s: %w", ns, err)
		}
		for _, pod := range pods.Items {
			ok, err := e.podMatches(ctx, s.Selector, pod)
			if err != nil {
				return nil, err
			}
			if ok {
				matched = append(matched, pod)
			}
		}
	}
	if len(matched) == 0 {
		return nil, fmt.Errorf("no pod matches the selector in namespaces %v", namespaces)
	}

	switch s.Mode {
	case chaosv1alpha1.AllMode:
		return matched, nil
	case chaosv1alpha1.OneMode:
		return []corev1.Pod{matched[rand.IntN(len(matched))]}, nil
	}
	return nil, fmt.Errorf("selector mode %q needs Chaos Mesh installed", s.Mode)
}

func (e *Executor) podMatches(ctx context.Context, s chaosv1alpha1.PodSelectorSpec, pod corev1.Pod) (bool, error) {
	if names, ok := s.Pods[pod.Namespace]; ok && !slices.Contains(names, pod.Name) {
		return false, nil
	}
	if len(s.Nodes) > 0 && !slices.Contains(s.Nodes, pod.Spec.NodeName) {
		return false, nil
	}
	if len(s.PodPhaseSelectors) > 0 && !slices.Contains(s.PodPhaseSelectors, string(pod.Status.Phase)) {
		return false, nil
	}
	if len(s.NodeSelectors) == 0 {
		return true, nil
	}
	var node corev1.Node
	if err := e.Client.Get(ctx, client.ObjectKey{Name: pod.Spec.NodeName}, &node); err != nil {
		return false, fmt.Errorf("reading node of pod %s: %w", pod.Name, err)
	}
	return labels.SelectorFromSet(s.NodeSelectors).Matches(labels.Set(node.Labels)), nil
}

// selectNodes resolves the node part of a selector (node names and node
// labels). workersOnly leaves the control plane out.
func (e *Executor) selectNodes(ctx context.Context, s chaosv1alpha1.PodSelectorSpec, workersOnly bool) ([]corev1.Node, error) {
	if len(s.Nodes) == 0 && len(s.NodeSelectors) == 0 {
		return nil, fmt.Errorf("without Chaos Mesh a network or zone fault selects nodes (nodes or nodeSelectors)")
	}
	var list corev1.NodeList
	if err := e.Client.List(ctx, &list, client.MatchingLabels(s.NodeSelectors)); err != nil {
		return nil, fmt.Errorf("listing nodes: %w", err)
	}
	var nodes []corev1.Node
	for _, n := range list.Items {
		_, controlPlane := n.Labels[controlPlaneLabel]
		if (len(s.Nodes) > 0 && !slices.Contains(s.Nodes, n.Name)) || (workersOnly && controlPlane) {
			continue
		}
		nodes = append(nodes, n)
	}
	if len(nodes) == 0 {
		return nil, fmt.Errorf("no node matches nodes %v, labels %v", s.Nodes, s.NodeSelectors)
	}
	return nodes, nil
}

// addressesOf lists what a partition must drop for these nodes: their
// internal addresses and their pod CIDRs.
func addressesOf(nodes []corev1.Node) []string {
	var out []string
	for _, n := range nodes {
		for _, a := range n.Status.Addresses {
			if a.Type == corev1.NodeInternalIP {
				out = append(out, a.Address)
			}
		}
		out = append(out, n.Spec.PodCIDRs...)
	}
	return out
}

func nodeNames(nodes []corev1.Node) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = n.Name
	}
	return out
}

func podNames(pods []corev1.Pod) []string {
	out := make([]string, len(pods))
	for i, p := range pods {
		out[i] = p.Name
	}
	return out
}
