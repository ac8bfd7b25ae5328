//go:build cluster

package clustertest

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// jobSpec is one probe run as a Job.
type jobSpec struct {
	name         string
	nodeName     string
	nodeSelector map[string]string
	command      []string
	pvc          string
}

// runJob creates the Job and waits until it succeeds, failing with its logs when
// it does not.
func runJob(ctx context.Context, j jobSpec, timeout time.Duration) string {
	pod := corev1.PodSpec{
		RestartPolicy: corev1.RestartPolicyNever,
		NodeName:      j.nodeName,
		NodeSelector:  j.nodeSelector,
		Tolerations:   []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
		Containers: []corev1.Container{{
			Name: "probe", Image: agentImage, ImagePullPolicy: corev1.PullIfNotPresent, Command: j.command,
		}},
	}
	if j.pvc != "" {
		pod.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: j.pvc},
		}}}
		pod.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}
	}
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: j.name},
		Spec: batchv1.JobSpec{
			BackoffLimit: ptr.To[int32](1),
			Template:     corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"job": j.name}}, Spec: pod},
		},
	}
	_, err := cs.BatchV1().Jobs(ns).Create(ctx, job, metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred())

	Eventually(func(g Gomega) {
		got, err := cs.BatchV1().Jobs(ns).Get(ctx, j.name, metav1.GetOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got.Status.Failed).To(BeNumerically("<=", 1), "job %s failed:\n%s", j.name, jobLogs(ctx, j.name))
		g.Expect(got.Status.Succeeded).To(BeNumerically("==", 1))
	}).WithContext(ctx).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed(),
		func() string { return "job " + j.name + ":\n" + jobLogs(ctx, j.name) })

	return jobLogs(ctx, j.name)
}

// jobLogs returns the logs of the Job's pods.
func jobLogs(ctx context.Context, name string) string {
	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "job=" + name})
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, p := range pods.Items {
		fmt.Fprintf(&b, "--- %s on %s (%s)\n", p.Name, p.Spec.NodeName, p.Status.Phase)
		rc, err := cs.CoreV1().Pods(ns).GetLogs(p.Name, &corev1.PodLogOptions{}).Stream(ctx)
		if err != nil {
			fmt.Fprintln(&b, err)
			continue
		}
		data, _ := io.ReadAll(io.LimitReader(rc, 16<<10))
		rc.Close()
		b.Write(data)
	}

	return b.String()
}

// mustQuantity parses a resource quantity.
func mustQuantity(s string) resource.Quantity {
	return resource.MustParse(s)
}
