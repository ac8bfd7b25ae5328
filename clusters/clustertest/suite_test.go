//go:build cluster

// Package clustertest checks a running tidemark kind cluster end to end: nodes and
// zones, pod-to-pod traffic across every pair of nodes, a ClusterIP Service and
// cluster DNS, a PVC in every zone, a NodePort on 127.0.0.1 and a node restart.
// It needs the build tag "cluster" and a cluster: `make test-cluster` brings one up
// and passes its kubeconfig in TIDEMARK_KUBECONFIG.
package clustertest

import (
	"context"
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/tidemark/tidemark/clusters"
)

// kubeconfigEnv names the variable holding the cluster's kubeconfig.
const kubeconfigEnv = "TIDEMARK_KUBECONFIG"

var (
	cs         kubernetes.Interface
	ns         string
	agentImage string
)

func TestCluster(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "cluster")
}

var _ = BeforeSuite(func(ctx context.Context) {
	kubeconfig := os.Getenv(kubeconfigEnv)
	if kubeconfig == "" {
		Skip(kubeconfigEnv + " is not set; run `make test-cluster`")
	}
	var err error
	cs, err = clusters.Client(kubeconfig)
	Expect(err).NotTo(HaveOccurred())

	// The agent image is preloaded in every node; the pod network DaemonSet names it.
	ds, err := cs.AppsV1().DaemonSets("kube-system").Get(ctx, "tidemark-podnet", metav1.GetOptions{})
	Expect(err).NotTo(HaveOccurred(), "the cluster has no tidemark pod network")
	agentImage = ds.Spec.Template.Spec.Containers[0].Image

	created, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "clustertest-"},
	}, metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred())
	ns = created.Name
	DeferCleanup(func(ctx context.Context) {
		_ = cs.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
	})
})
