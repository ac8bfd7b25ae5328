// Package faults carries out the suite's faults. Faults are described with
// Chaos Mesh's API types (PodChaos, NetworkChaos) and, for a whole zone
// going down, with the suite's own ZoneChaos. Where Chaos Mesh's CRDs are
// installed, its objects are created and Chaos Mesh does the work;
// otherwise the Executor does it: API deletes for pod kills, the container
// runtime for container kills, and on kind the node containers (stopped,
// paused, or cut off with iptables inside them).
package faults

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	chaosv1alpha1 "github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Executor injects faults into one cluster.
type Executor struct {
	Client client.Client
	Nodes  Nodes
	Log    *slog.Logger
	// ChaosMesh is true when Chaos Mesh's CRDs are installed: PodChaos and
	// NetworkChaos objects are then created for Chaos Mesh to carry out.
	ChaosMesh bool
}

// NewExecutor returns an Executor that uses Chaos Mesh when the cluster has it.
func NewExecutor(cfg *rest.Config, c client.Client, log *slog.Logger) (*Executor, error) {
	present, err := chaosMeshInstalled(cfg)
	if err != nil {
		return nil, err
	}
	log.Info("fault executor ready", "chaosMesh", present)
	return &Executor{Client: c, Log: log, ChaosMesh: present}, nil
}

// chaosMeshInstalled asks the API server for Chaos Mesh's kinds.
func chaosMeshInstalled(cfg *rest.Config) (bool, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return false, fmt.Errorf("discovery client: %w", err)
	}
	resources, err := dc.ServerResourcesForGroupVersion(chaosv1alpha1.SchemeGroupVersion.String())
	if apierrors.IsNotFound(err) {
		return false, nil // Chaos Mesh is not installed
	}
	if err != nil {
		return false, fmt.Errorf("discovering %s: %w", chaosv1alpha1.SchemeGroupVersion, err)
	}
	kinds := map[string]bool{}
	for _, r := range resources.APIResources {
		kinds[r.Kind] = true
	}
	return kinds["PodChaos"] && kinds["NetworkChaos"], nil
}

// Injection is one fault carried out. Heal undoes it; it may be called
// more than once (at the end of the fault and again in cleanup).
type Injection struct {
	Fault    string
	Started  time.Time
	Duration time.Duration

	mu     sync.Mutex
	heal   func(context.Context) error
	healed time.Time
}

// Heal ends the fault, once; later calls return nil.
func (i *Injection) Heal(ctx context.Context) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if !i.healed.IsZero() {
		return nil
	}
	if i.heal != nil {
		if err := i.heal(ctx); err != nil {
			return fmt.Errorf("healing %s: %w", i.Fault, err)
		}
	}
	i.healed = time.Now()
	return nil
}

// Healed is when Heal succeeded, zero before.
func (i *Injection) Healed() time.Time {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.healed
}

// Due is when the fault's duration ends.
func (i *Injection) Due() time.Time { return i.Started.Add(i.Duration) }

// Inject carries out fault, which is a *PodChaos, *NetworkChaos or *ZoneChaos.
func (e *Executor) Inject(ctx context.Context, fault client.Object) (*Injection, error) {
	switch f := fault.(type) {
	case *chaosv1alpha1.PodChaos:
		if e.ChaosMesh {
			return e.viaChaosMesh(ctx, f, "PodChaos "+string(f.Spec.Action), f.Spec.Duration)
		}
		return e.podChaos(ctx, f)
	case *chaosv1alpha1.NetworkChaos:
		if e.ChaosMesh {
			return e.viaChaosMesh(ctx, f, "NetworkChaos "+string(f.Spec.Action), f.Spec.Duration)
		}
		return e.networkChaos(ctx, f)
	case *ZoneChaos:
		return e.zoneChaos(ctx, f)
	}
	return nil, fmt.Errorf("no executor for %T", fault)
}

// viaChaosMesh creates the object for Chaos Mesh; deleting it heals.
func (e *Executor) viaChaosMesh(ctx context.Context, obj client.Object, what string, duration *string) (*Injection, error) {
	d, err := parseDuration(duration)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, obj.GetName(), err)
	}
	if err := e.Client.Create(ctx, obj); err != nil {
		return nil, fmt.Errorf("creating %s %s: %w", what, obj.GetName(), err)
	}
	e.Log.Info("fault injected through Chaos Mesh", "fault", what, "object", obj.GetName())
	return &Injection{Fault: what + " " + obj.GetName(), Started: time.Now(), Duration: d,
		heal: func(ctx context.Context) error {
			return client.IgnoreNotFound(e.Client.Delete(ctx, obj))
		}}, nil
}

// parseDuration reads a Chaos Mesh duration; none means an instant fault.
func parseDuration(s *string) (time.Duration, error) {
	if s == nil || *s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(*s)
	if err != nil {
		return 0, fmt.Errorf("duration %q: %w", *s, err)
	}
	if d < 0 {
		return 0, errors.New("negative duration")
	}
	return d, nil
}
