package images

import (
	"bytes"
	"fmt"
	"text/template"
)

// cniManifest runs the node agent's pod network on every node. kind reads it from
// /kind/manifests/default-cni.yaml on the first control plane and, because of the
// marker comments, fills in the pod subnet with Go's text/template and adds
// CONTROL_PLANE_ENDPOINT to the DaemonSet's environment. The agent talks to the API
// server there rather than through the kubernetes Service, whose address means
// nothing until kube-proxy runs: before that, traffic to it would leave the
// cluster by the node's default route. The image tags are filled in here first,
// with other delimiters, so kind's own placeholders stay.
const cniManifest = `# would you kindly template this file
# would you kindly patch this file
# tidemark pod network: the Debian CNI plugins (ptp, host-local, portmap) with each
# node's .spec.podCIDR, and routes to every other node's pod CIDR via its address,
# kept by a DaemonSet so they come back after a node restarts.
apiVersion: v1
kind: ServiceAccount
metadata:
  name: tidemark-podnet
  namespace: kube-system
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: tidemark-podnet
rules:
- apiGroups: [""]
  resources: [nodes]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: tidemark-podnet
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: tidemark-podnet
subjects:
- kind: ServiceAccount
  name: tidemark-podnet
  namespace: kube-system
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: tidemark-podnet
  namespace: kube-system
  labels: {app: tidemark-podnet}
spec:
  selector:
    matchLabels: {app: tidemark-podnet}
  template:
    metadata:
      labels: {app: tidemark-podnet}
    spec:
      serviceAccountName: tidemark-podnet
      hostNetwork: true
      priorityClassName: system-node-critical
      tolerations:
      - operator: Exists
      containers:
      - name: podnet
        image: [[ .Agent ]]
        imagePullPolicy: IfNotPresent
        args: [podnet, --cni-dir=/host/etc/cni/net.d, --pod-subnet={{ .PodSubnet }}]
        env:
        - name: NODE_NAME
          valueFrom: {fieldRef: {fieldPath: spec.nodeName}}
        securityContext:
          capabilities: {add: [NET_ADMIN, NET_RAW]}
        resources:
          requests: {cpu: 10m, memory: 20Mi}
        volumeMounts:
        - {name: cni-conf, mountPath: /host/etc/cni/net.d}
        - {name: xtables-lock, mountPath: /run/xtables.lock}
      volumes:
      - name: cni-conf
        hostPath: {path: /etc/cni/net.d, type: DirectoryOrCreate}
      - name: xtables-lock
        hostPath: {path: /run/xtables.lock, type: FileOrCreate}
`

// storageManifest is rancher/local-path-provisioner as the default StorageClass.
// WaitForFirstConsumer puts each volume on the node, and so in the zone, of the
// first pod that uses it. The helper pods that create and remove volume folders
// run the agent image, which has a shell.
const storageManifest = `# tidemark storage: local-path-provisioner, default StorageClass "standard".
apiVersion: v1
kind: Namespace
metadata:
  name: local-path-storage
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: local-path-provisioner
  namespace: local-path-storage
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: tidemark-local-path-provisioner
rules:
- apiGroups: [""]
  resources: [nodes, persistentvolumeclaims, configmaps, pods, pods/log]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [pods]
  verbs: [create, delete]
- apiGroups: [""]
  resources: [persistentvolumes]
  verbs: [get, list, watch, create, patch, update, delete]
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
- apiGroups: [storage.k8s.io]
  resources: [storageclasses]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: tidemark-local-path-provisioner
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: tidemark-local-path-provisioner
subjects:
- kind: ServiceAccount
  name: local-path-provisioner
  namespace: local-path-storage
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: local-path-provisioner
  namespace: local-path-storage
spec:
  replicas: 1
  selector:
    matchLabels: {app: local-path-provisioner}
  template:
    metadata:
      labels: {app: local-path-provisioner}
    spec:
      serviceAccountName: local-path-provisioner
      priorityClassName: system-cluster-critical
      tolerations:
      - {key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}
      - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoSchedule}
      nodeSelector:
        node-role.kubernetes.io/control-plane: ""
      containers:
      - name: local-path-provisioner
        image: {{ .LocalPath }}
        imagePullPolicy: IfNotPresent
        args:
        - --debug
        - start
        - --helper-image={{ .Agent }}
        - --config=/etc/config/config.json
        - --service-account-name=local-path-provisioner
        - --configmap-name=local-path-config
        - --provisioner-name=rancher.io/local-path
        env:
        - name: POD_NAMESPACE
          valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
        volumeMounts:
        - {name: config, mountPath: /etc/config/}
      volumes:
      - name: config
        configMap: {name: local-path-config}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: rancher.io/local-path
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Delete
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: local-path-config
  namespace: local-path-storage
data:
  config.json: |-
    {"nodePathMap": [{"node": "DEFAULT_PATH_FOR_NON_LISTED_NODES", "paths": ["/var/local-path-provisioner"]}]}
  setup: |-
    #!/bin/sh
    set -eu
    mkdir -m 0777 -p "$VOL_DIR"
  teardown: |-
    #!/bin/sh
    set -eu
    rm -rf "$VOL_DIR"
  helperPod.yaml: |-
    apiVersion: v1
    kind: Pod
    metadata:
      name: helper-pod
    spec:
      priorityClassName: system-node-critical
      tolerations:
      - {key: node.kubernetes.io/disk-pressure, operator: Exists, effect: NoSchedule}
      containers:
      - name: helper-pod
        image: {{ .Agent }}
        imagePullPolicy: IfNotPresent
        command: [/bin/sh]
`

// manifests renders the CNI and storage manifests with this build's image tags.
func (p *pipeline) manifests() (cni, storage []byte, err error) {
	data := struct{ Agent, LocalPath string }{p.res.AgentImage, p.localPathImage}
	// [[ ]] delimiters leave kind's {{ .PodSubnet }} for kind.
	if cni, err = render(cniManifest, "[[", "]]", data); err != nil {
		return nil, nil, err
	}
	if storage, err = render(storageManifest, "{{", "}}", data); err != nil {
		return nil, nil, err
	}

	return cni, storage, nil
}

// render executes a manifest template.
func render(text, left, right string, data any) ([]byte, error) {
	t, err := template.New("manifest").Delims(left, right).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("parsing manifest: %w", err)
	}
	var out bytes.Buffer
	if err := t.Execute(&out, data); err != nil {
		return nil, fmt.Errorf("rendering manifest: %w", err)
	}

	return out.Bytes(), nil
}
