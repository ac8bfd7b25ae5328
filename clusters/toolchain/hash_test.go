package toolchain

import (
	"regexp"
	"testing"
)

func TestInputsHash(t *testing.T) {
	t.Parallel()

	base := func() buildInputs {
		return buildInputs{
			Module:       "k8s.io/kubernetes",
			Version:      "v1.34.4",
			LocalVersion: "v0.34.4",
			Binaries: []Binary{
				{Name: "kube-apiserver", Package: "k8s.io/kubernetes/cmd/kube-apiserver"},
				{Name: "kubectl", Package: "k8s.io/kubernetes/cmd/kubectl"},
			},
			Flags: []string{"-trimpath", "-ldflags=-s -w"},
			GoEnv: map[string]string{"GOVERSION": "go1.26.8", "GOOS": "linux", "GOARCH": "amd64"},
		}
	}
	baseHash := inputsHash(base())

	if !regexp.MustCompile(`^[0-9a-f]{12}$`).MatchString(baseHash) {
		t.Fatalf("inputsHash() = %q, want 12 lowercase hex digits", baseHash)
	}

	tests := []struct {
		name     string
		change   func(*buildInputs)
		wantSame bool
	}{
		{name: "unchanged", change: func(*buildInputs) {}, wantSame: true},
		{name: "binaries reordered", change: func(in *buildInputs) {
			in.Binaries[0], in.Binaries[1] = in.Binaries[1], in.Binaries[0]
		}, wantSame: true},
		{name: "go env built in another order", change: func(in *buildInputs) {
			in.GoEnv = map[string]string{"GOARCH": "amd64", "GOOS": "linux", "GOVERSION": "go1.26.8"}
		}, wantSame: true},
		{name: "module version", change: func(in *buildInputs) { in.Version = "v1.34.5" }},
		{name: "local version", change: func(in *buildInputs) { in.LocalVersion = "v0.34.5" }},
		{name: "module", change: func(in *buildInputs) { in.Module = "k8s.io/other" }},
		{name: "binary added", change: func(in *buildInputs) {
			in.Binaries = append(in.Binaries, Binary{Name: "kubeadm", Package: "k8s.io/kubernetes/cmd/kubeadm"})
		}},
		{name: "binary removed", change: func(in *buildInputs) { in.Binaries = in.Binaries[:1] }},
		{name: "binary package", change: func(in *buildInputs) { in.Binaries[1].Package = "k8s.io/kubectl/cmd" }},
		{name: "build flag", change: func(in *buildInputs) { in.Flags = append(in.Flags, "-race") }},
		{name: "ldflags", change: func(in *buildInputs) { in.Flags[1] = "-ldflags=-s" }},
		{name: "go version", change: func(in *buildInputs) { in.GoEnv["GOVERSION"] = "go1.26.9" }},
		{name: "target arch", change: func(in *buildInputs) { in.GoEnv["GOARCH"] = "arm64" }},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			in := base()
			tt.change(&in)
			got := inputsHash(in)
			if (got == baseHash) != tt.wantSame {
				t.Errorf("inputsHash() = %s, base %s; want same = %v", got, baseHash, tt.wantSame)
			}
		})
	}
}

func TestInputsHashKeepsCallersBinaryOrder(t *testing.T) {
	t.Parallel()

	in := buildInputs{Binaries: []Binary{{Name: "b"}, {Name: "a"}}}
	inputsHash(in)
	if in.Binaries[0].Name != "b" {
		t.Errorf("inputsHash() reordered the caller's binaries: %v", in.Binaries)
	}
}
