package faults

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion of the suite's own fault kinds: Chaos Mesh has no kind for
// a whole zone going down on kind, so the suite defines one in the same
// style (metadata, a spec with a duration) and executes it itself.
var GroupVersion = schema.GroupVersion{Group: "e2e.tidemark.dev", Version: "v1alpha1"}

// ZoneChaosAction is what happens to every worker node of the zone.
type ZoneChaosAction string

const (
	// ZoneStop stops the node containers: processes die, as in a power
	// loss; on heal they boot again and the kubelet restarts the pods.
	ZoneStop ZoneChaosAction = "zone-stop"
	// ZonePause freezes the node containers: nothing dies, nothing
	// answers, as in a hung hypervisor; on heal they resume where they were.
	ZonePause ZoneChaosAction = "zone-pause"
)

// ZoneChaos takes every worker node of one zone down for Duration. The
// control plane is left alone even when it carries the zone's label: it
// plays the part of a managed, regional control plane, and taking it down
// would be an outage of the whole cluster, not of a zone.
type ZoneChaos struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec ZoneChaosSpec `json:"spec"`
}

// ZoneChaosSpec says which zone goes down, how, and for how long.
type ZoneChaosSpec struct {
	// Zone is a topology.kubernetes.io/zone value.
	Zone   string          `json:"zone"`
	Action ZoneChaosAction `json:"action"`
	// Duration in Go/Chaos Mesh syntax ("30s"); the zone comes back after it.
	Duration *string `json:"duration,omitempty"`
}

// NewZoneChaos returns a ZoneChaos with its kind set.
func NewZoneChaos(name, zone string, action ZoneChaosAction, duration string) *ZoneChaos {
	return &ZoneChaos{
		TypeMeta:   metav1.TypeMeta{APIVersion: GroupVersion.String(), Kind: "ZoneChaos"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       ZoneChaosSpec{Zone: zone, Action: action, Duration: &duration},
	}
}

// DeepCopyObject implements runtime.Object.
func (z *ZoneChaos) DeepCopyObject() runtime.Object {
	out := *z
	z.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	if z.Spec.Duration != nil {
		d := *z.Spec.Duration
		out.Spec.Duration = &d
	}
	return &out
}
