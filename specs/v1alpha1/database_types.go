package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DeletionPolicy says what happens to a database's data (volumes, backups,
// credentials) when its spec is removed from the config repo.
// +kubebuilder:validation:Enum=Retain;Delete
type DeletionPolicy string

const (
	// DeletionPolicyRetain keeps the data; the Database object goes away and
	// its volumes and Secrets are reported as orphaned. It is the default.
	DeletionPolicyRetain DeletionPolicy = "Retain"

	// DeletionPolicyDelete removes the data together with the Database.
	DeletionPolicyDelete DeletionPolicy = "Delete"
)

// Phase is the coarse state of a Database, for humans and printer columns.
type Phase string

const (
	// PhasePending means the controller has not yet rendered any member.
	PhasePending Phase = "Pending"
	// PhaseProvisioning means members are being created or are not yet ready.
	PhaseProvisioning Phase = "Provisioning"
	// PhaseReady means every member is ready and a primary serves writes.
	PhaseReady Phase = "Ready"
	// PhaseDegraded means a primary serves writes but some members are not ready.
	PhaseDegraded Phase = "Degraded"
	// PhaseFailed means the spec cannot be served as written.
	PhaseFailed Phase = "Failed"
	// PhaseDeleting means the Database is being removed.
	PhaseDeleting Phase = "Deleting"
)

// DatabaseSpec is the desired state of a database cluster.
type DatabaseSpec struct {
	// Engine is the database engine. Only postgres is supported.
	// +kubebuilder:validation:Enum=postgres
	// +kubebuilder:default=postgres
	// +optional
	Engine string `json:"engine,omitempty"`

	// Version is the engine's major version, as a string ("15").
	// +kubebuilder:validation:MinLength=1
	Version string `json:"version"`

	// Replicas is the number of members, the primary included.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=9
	// +optional
	Replicas int32 `json:"replicas,omitempty"`

	// Zones lists the topology.kubernetes.io/zone values members spread over.
	// +listType=set
	// +optional
	Zones []string `json:"zones,omitempty"`

	// Storage is the volume each member keeps its data on.
	Storage StorageSpec `json:"storage"`

	// Resources are the compute requests and limits of the database container.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`

	// Replication configures how standbys follow the primary.
	// +optional
	Replication ReplicationSpec `json:"replication,omitempty"`

	// Parameters are PostgreSQL settings (postgresql.conf), values as strings.
	// +optional
	Parameters map[string]string `json:"parameters,omitempty"`

	// Backups schedules pgBackRest backups.
	// +optional
	Backups *BackupSpec `json:"backups,omitempty"`

	// Migrations points at the SQL migrations of this database in the config repo.
	// +optional
	Migrations *MigrationSpec `json:"migrations,omitempty"`

	// DeletionPolicy says whether removing the spec also removes the data.
	// +kubebuilder:default=Retain
	// +optional
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`
}

// StorageSpec describes the persistent volume of each member.
type StorageSpec struct {
	// Size of each member's volume.
	Size resource.Quantity `json:"size"`

	// StorageClass of the volumes; the cluster default when empty.
	// +optional
	StorageClass string `json:"storageClass,omitempty"`
}

// ReplicationSpec configures replication between members.
type ReplicationSpec struct {
	// Synchronous makes every commit wait for one standby (RPO 0).
	// +optional
	Synchronous bool `json:"synchronous,omitempty"`
}

// BackupSpec schedules backups and says how many to keep.
type BackupSpec struct {
	// Schedule is a five-field cron expression.
	Schedule string `json:"schedule"`

	// Retention says how many backups to keep.
	// +optional
	Retention RetentionSpec `json:"retention,omitempty"`
}

// RetentionSpec counts the backups to keep.
type RetentionSpec struct {
	// Full is the number of full backups kept.
	// +kubebuilder:validation:Minimum=1
	// +optional
	Full int32 `json:"full,omitempty"`
}

// MigrationSpec locates SQL migrations in the config repo.
type MigrationSpec struct {
	// Path is a directory of the config repo, relative to its root.
	Path string `json:"path"`
}

// MemberStatus is what the controller last saw of one member.
type MemberStatus struct {
	// Name of the member's pod.
	Name string `json:"name"`
	// Zone the member runs in.
	// +optional
	Zone string `json:"zone,omitempty"`
	// Role is primary or replica, as Patroni reports it.
	// +optional
	Role string `json:"role,omitempty"`
	// Ready is true when the member passes its readiness check.
	Ready bool `json:"ready"`
	// LagBytes is how far a replica's replay is behind the primary.
	// +optional
	LagBytes *int64 `json:"lagBytes,omitempty"`
}

// DatabaseStatus is the observed state of a database cluster.
type DatabaseStatus struct {
	// ObservedGeneration is the generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Revision is the config repo commit the observed spec came from.
	// +optional
	Revision string `json:"revision,omitempty"`

	// Phase is a one-word summary of the state.
	// +optional
	Phase Phase `json:"phase,omitempty"`

	// Primary is the pod that currently accepts writes.
	// +optional
	Primary string `json:"primary,omitempty"`

	// PrimaryZone is the zone of the primary.
	// +optional
	PrimaryZone string `json:"primaryZone,omitempty"`

	// ReadyMembers counts the members that pass their readiness check.
	// +optional
	ReadyMembers int32 `json:"readyMembers,omitempty"`

	// Ready is ReadyMembers/Replicas, for printer columns.
	// +optional
	Ready string `json:"ready,omitempty"`

	// Timeline is PostgreSQL's current timeline; it grows with each failover.
	// +optional
	Timeline int64 `json:"timeline,omitempty"`

	// Members lists what was last seen of each member.
	// +optional
	Members []MemberStatus `json:"members,omitempty"`

	// SecretNames are the Secrets holding this database's credentials.
	// +optional
	SecretNames []string `json:"secretNames,omitempty"`

	// Conditions are the standard conditions (Ready, Reconciled).
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Database is a highly available database cluster declared in a config repo.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=tdb;tdbs,categories=tidemark
// +kubebuilder:printcolumn:name="Revision",type=string,JSONPath=`.status.revision`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Primary",type=string,JSONPath=`.status.primary`
// +kubebuilder:printcolumn:name="Zone",type=string,JSONPath=`.status.primaryZone`,priority=1
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.ready`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Database struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   DatabaseSpec   `json:"spec,omitempty"`
	Status DatabaseStatus `json:"status,omitempty"`
}

// DatabaseList is a list of Databases.
//
// +kubebuilder:object:root=true
type DatabaseList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Database `json:"items"`
}
