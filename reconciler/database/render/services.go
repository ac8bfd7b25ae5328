package render

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/tidemark/tidemark/specs/v1alpha1"
)

// readWriteService has no selector: Patroni writes its Endpoints, naming the
// leader it elected and nothing else. A selector on the role label would
// match two pods when a frozen old leader keeps its stale label.
func readWriteService(db *v1alpha1.Database, opts Options) *corev1.Service {
	svc := service(db, NamesOf(db).ReadWrite(), nil)
	if opts.NodePort != 0 {
		svc.Spec.Type = corev1.ServiceTypeNodePort
		svc.Spec.Ports[0].NodePort = opts.NodePort
	}
	return svc
}

// patroniConfigService keeps Patroni's config Endpoints from being
// garbage-collected as orphans; nothing connects to it.
func patroniConfigService(db *v1alpha1.Database) *corev1.Service {
	svc := service(db, NamesOf(db).PatroniConfig(), nil)
	svc.Spec.ClusterIP = corev1.ClusterIPNone
	svc.Spec.Ports = nil
	return svc
}

// readOnlyService balances over the members Patroni labels as replicas.
func readOnlyService(db *v1alpha1.Database) *corev1.Service {
	selector := selectorLabels(db)
	selector[LabelRole] = "replica"
	return service(db, NamesOf(db).ReadOnly(), selector)
}

// membersService is the StatefulSet's headless Service: stable DNS names
// for every member, ready or not, so replicas can find each other early.
func membersService(db *v1alpha1.Database) *corev1.Service {
	svc := service(db, NamesOf(db).Members(), selectorLabels(db))
	svc.Spec.ClusterIP = corev1.ClusterIPNone
	svc.Spec.PublishNotReadyAddresses = true
	svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{
		Name: "patroni", Port: PatroniPort, TargetPort: intstr.FromInt32(PatroniPort), Protocol: corev1.ProtocolTCP,
	})
	return svc
}

func service(db *v1alpha1.Database, name string, selector map[string]string) *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: objectMeta(db, name),
		Spec: corev1.ServiceSpec{
			Selector: selector,
			Ports: []corev1.ServicePort{{
				Name: "postgresql", Port: PostgresPort, TargetPort: intstr.FromInt32(PostgresPort), Protocol: corev1.ProtocolTCP,
			}},
		},
	}
}
