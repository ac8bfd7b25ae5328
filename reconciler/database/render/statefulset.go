package render

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/tidemark/tidemark/specs/v1alpha1"
)

// AppUser owns the application database "app" of every Database.
const AppUser = "app"

// PostgresUID is the uid of the postgres user in the database image; the
// image creates the user with it before PostgreSQL is installed.
const PostgresUID = 999

const zoneKey = "topology.kubernetes.io/zone"

// statefulSet runs the members. Updates are OnDelete: the controller rolls
// members itself, replicas first and the primary last, after a switchover.
func statefulSet(db *v1alpha1.Database, opts Options) *appsv1.StatefulSet {
	names := NamesOf(db)
	replicas := db.Spec.Replicas
	return &appsv1.StatefulSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"},
		ObjectMeta: objectMeta(db, names.StatefulSet()),
		Spec: appsv1.StatefulSetSpec{
			Replicas:             &replicas,
			ServiceName:          names.Members(),
			Selector:             &metav1.LabelSelector{MatchLabels: selectorLabels(db)},
			PodManagementPolicy:  appsv1.ParallelPodManagement,
			UpdateStrategy:       appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType},
			Template:             podTemplate(db, opts),
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{dataClaim(db)},
			PersistentVolumeClaimRetentionPolicy: &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
				WhenDeleted: appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
				WhenScaled:  appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
			},
		},
	}
}

func podTemplate(db *v1alpha1.Database, opts Options) corev1.PodTemplateSpec {
	podLabels := labels(db)
	podLabels[LabelCluster] = NamesOf(db).Scope()
	uid := int64(PostgresUID)
	nonRoot := true
	grace := int64(30)

	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: podLabels},
		Spec: corev1.PodSpec{
			ServiceAccountName:            NamesOf(db).ServiceAccount(),
			TerminationGracePeriodSeconds: &grace,
			SecurityContext: &corev1.PodSecurityContext{
				RunAsUser: &uid, RunAsGroup: &uid, FSGroup: &uid, RunAsNonRoot: &nonRoot,
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Affinity:                  affinity(db),
			TopologySpreadConstraints: spread(db),
			Containers:                []corev1.Container{postgresContainer(db, opts)},
			Volumes:                   volumes(db),
		},
	}
}

func postgresContainer(db *v1alpha1.Database, opts Options) corev1.Container {
	noEscalation := false
	readOnlyRoot := true
	return corev1.Container{
		Name:            "postgres",
		Image:           opts.Image,
		ImagePullPolicy: corev1.PullPolicy(opts.ImagePullPolicy),
		Command:         []string{"patroni", PatroniConfigDir + "/" + PatroniConfigFile},
		Env:             env(db),
		Ports: []corev1.ContainerPort{
			{Name: "postgresql", ContainerPort: PostgresPort, Protocol: corev1.ProtocolTCP},
			{Name: "patroni", ContainerPort: PatroniPort, Protocol: corev1.ProtocolTCP},
		},
		Resources:      db.Spec.Resources,
		ReadinessProbe: patroniProbe("/readiness", 5, 3),
		LivenessProbe:  patroniProbe("/liveness", 10, 6),
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: &noEscalation,
			ReadOnlyRootFilesystem:   &readOnlyRoot,
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
		VolumeMounts: []corev1.VolumeMount{
			{Name: "data", MountPath: DataMount},
			{Name: "patroni-config", MountPath: PatroniConfigDir, ReadOnly: true},
			{Name: "run", MountPath: SocketDir},
			{Name: "tmp", MountPath: "/tmp"},
		},
	}
}

// patroniProbe asks Patroni's REST API, which knows whether PostgreSQL is
// running and replicating, rather than PostgreSQL's port alone.
func patroniProbe(path string, period, failures int32) *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
			Path: path, Port: intstr.FromInt32(PatroniPort), Scheme: corev1.URISchemeHTTP,
		}},
		PeriodSeconds:    period,
		TimeoutSeconds:   3,
		FailureThreshold: failures,
	}
}

// env gives Patroni its per-pod settings and passwords.
func env(db *v1alpha1.Database) []corev1.EnvVar {
	names := NamesOf(db)
	return []corev1.EnvVar{
		fieldEnv("PATRONI_NAME", "metadata.name"),
		fieldEnv("PATRONI_KUBERNETES_NAMESPACE", "metadata.namespace"),
		fieldEnv("PATRONI_KUBERNETES_POD_IP", "status.podIP"),
		{Name: "PATRONI_SCOPE", Value: names.Scope()},
		{Name: "PATRONI_POSTGRESQL_LISTEN", Value: fmt.Sprintf("0.0.0.0:%d", PostgresPort)},
		{Name: "PATRONI_POSTGRESQL_CONNECT_ADDRESS", Value: fmt.Sprintf("$(PATRONI_KUBERNETES_POD_IP):%d", PostgresPort)},
		{Name: "PATRONI_RESTAPI_CONNECT_ADDRESS", Value: fmt.Sprintf("$(PATRONI_KUBERNETES_POD_IP):%d", PatroniPort)},
		{Name: "PATRONI_SUPERUSER_USERNAME", Value: SuperuserName},
		secretEnv("PATRONI_SUPERUSER_PASSWORD", names.Superuser()),
		{Name: "PATRONI_REPLICATION_USERNAME", Value: ReplicationName},
		secretEnv("PATRONI_REPLICATION_PASSWORD", names.Replication()),
		{Name: "TIDEMARK_APP_USER", Value: AppUser},
		secretEnv("TIDEMARK_APP_PASSWORD", names.App()),
	}
}

func fieldEnv(name, path string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{
		FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: path},
	}}
}

func secretEnv(name, secret string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{
		SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: "password"},
	}}
}

func volumes(db *v1alpha1.Database) []corev1.Volume {
	return []corev1.Volume{
		{Name: "patroni-config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: NamesOf(db).ConfigMap()},
		}}},
		{Name: "run", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
	}
}

func dataClaim(db *v1alpha1.Database) corev1.PersistentVolumeClaim {
	claim := corev1.PersistentVolumeClaim{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: metav1.ObjectMeta{Name: "data", Labels: labels(db)},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceStorage: db.Spec.Storage.Size},
			},
		},
	}
	if class := db.Spec.Storage.StorageClass; class != "" {
		claim.Spec.StorageClassName = &class
	}
	return claim
}

// affinity keeps members on different hosts and, when zones are listed,
// inside those zones.
func affinity(db *v1alpha1.Database) *corev1.Affinity {
	a := &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
			LabelSelector: &metav1.LabelSelector{MatchLabels: selectorLabels(db)},
			TopologyKey:   "kubernetes.io/hostname",
		}},
	}}
	if len(db.Spec.Zones) > 0 {
		a.NodeAffinity = &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{
				Key: zoneKey, Operator: corev1.NodeSelectorOpIn, Values: db.Spec.Zones,
			}}}},
		}}
	}
	return a
}

// spread puts at most one member more in any zone than in another, and
// refuses to schedule rather than pile members into one zone.
func spread(db *v1alpha1.Database) []corev1.TopologySpreadConstraint {
	if len(db.Spec.Zones) == 0 {
		return nil
	}
	return []corev1.TopologySpreadConstraint{{
		MaxSkew:           1,
		TopologyKey:       zoneKey,
		WhenUnsatisfiable: corev1.DoNotSchedule,
		LabelSelector:     &metav1.LabelSelector{MatchLabels: selectorLabels(db)},
	}}
}
