package images

import (
	"strings"
	"testing"
)

func TestComponentSpec(t *testing.T) {
	p := &pipeline{bins: binaries{kube: "/k", etcd: "/e", coredns: "/c", pause: "/p"}, rootfsImage: "tidemark/rootfs:1"}
	cases := []struct{ ref, wantDockerfile, wantSrc string }{
		{"registry.k8s.io/kube-apiserver:v1.34.4", "COPY bin /usr/local/bin/kube-apiserver", "/k/kube-apiserver"},
		{"registry.k8s.io/kube-proxy:v1.34.4", "FROM tidemark/rootfs:1", "/k/kube-proxy"},
		{"registry.k8s.io/coredns/coredns:v1.12.1", `ENTRYPOINT ["/coredns"]`, "/c/coredns"},
		{"registry.k8s.io/pause:3.10.1", `ENTRYPOINT ["/pause"]`, "/p/pause"},
		{"registry.k8s.io/etcd:3.6.5-0", "COPY bin /usr/local/bin/etcd", "/e/etcd"},
	}
	for _, tc := range cases {
		s, err := p.componentSpec(tc.ref)
		if err != nil {
			t.Fatalf("%s: %v", tc.ref, err)
		}
		if !strings.Contains(s.Dockerfile, tc.wantDockerfile) || s.Files[0].Src != tc.wantSrc || s.Ref != tc.ref {
			t.Errorf("%s: got %+v", tc.ref, s)
		}
	}
	if _, err := p.componentSpec("registry.k8s.io/unknown:v1"); err == nil {
		t.Error("unknown image accepted")
	}
}

func TestNormalize(t *testing.T) {
	cases := map[string]string{
		"busybox":                           "docker.io/library/busybox",
		"tidemark/agent:abc":                "docker.io/tidemark/agent:abc",
		"registry.k8s.io/pause:3.10.1":      "registry.k8s.io/pause:3.10.1",
		"localhost/x:1":                     "localhost/x:1",
		"registry.k8s.io/coredns/coredns:1": "registry.k8s.io/coredns/coredns:1",
	}
	for in, want := range cases {
		if got := normalize(in); got != want {
			t.Errorf("normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestManifestsKeepKindTemplate(t *testing.T) {
	p := &pipeline{res: Result{AgentImage: "tidemark/agent:a"}, localPathImage: "tidemark/local-path-provisioner:b"}
	cni, storage, err := p.manifests()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"would you kindly template this file", "{{ .PodSubnet }}", "image: tidemark/agent:a"} {
		if !strings.Contains(string(cni), want) {
			t.Errorf("CNI manifest lacks %q", want)
		}
	}
	for _, want := range []string{"image: tidemark/local-path-provisioner:b", "--helper-image=tidemark/agent:a", "WaitForFirstConsumer"} {
		if !strings.Contains(string(storage), want) {
			t.Errorf("storage manifest lacks %q", want)
		}
	}
}

func TestImageHashFollowsInputs(t *testing.T) {
	a := imageSpec{Dockerfile: "FROM scratch", Files: []ctxFile{{Dst: "bin", Key: "/cache/bin/x-1/x", Mode: 0o755}}}
	b := a
	b.Files = []ctxFile{{Dst: "bin", Key: "/cache/bin/x-2/x", Mode: 0o755}}
	ha, _ := a.hash()
	hb, _ := b.hash()
	ha2, _ := a.hash()
	if ha == hb || ha != ha2 {
		t.Errorf("hashes: %s %s %s", ha, hb, ha2)
	}
}
