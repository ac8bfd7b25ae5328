package toolchain

import (
	"slices"
	"strings"
	"testing"
)

func TestStagingVersion(t *testing.T) {
	t.Parallel()

	tests := []struct{ version, want string }{
		{"v1.34.4", "v0.34.4"},
		{"v1.35.0-rc.1", "v0.35.0-rc.1"},
		{"v2.0.0", ""},
		{"1.34.4", ""},
		{"", ""},
	}

	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			t.Parallel()

			if got := stagingVersion(tt.version); got != tt.want {
				t.Errorf("stagingVersion(%q) = %q, want %q", tt.version, got, tt.want)
			}
		})
	}
}

func TestBuildFlags(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name      string
		component Component
		want      []string
	}{
		{
			name:      "kubernetes stamps client-go and component-base",
			component: Kubernetes("v1.34.4", "kubectl"),
			want: []string{"-trimpath", "-ldflags=-s -w" +
				" -X k8s.io/client-go/pkg/version.gitVersion=v1.34.4" +
				" -X k8s.io/client-go/pkg/version.gitMajor=1" +
				" -X k8s.io/client-go/pkg/version.gitMinor=34" +
				" -X k8s.io/client-go/pkg/version.gitTreeState=clean" +
				" -X k8s.io/client-go/pkg/version.buildDate=2026-02-10T12:53:36Z" +
				" -X k8s.io/component-base/version.gitVersion=v1.34.4" +
				" -X k8s.io/component-base/version.gitMajor=1" +
				" -X k8s.io/component-base/version.gitMinor=34" +
				" -X k8s.io/component-base/version.gitTreeState=clean" +
				" -X k8s.io/component-base/version.buildDate=2026-02-10T12:53:36Z"},
		},
		{
			name:      "etcd needs no stamp",
			component: Etcd("v3.6.5"),
			want:      []string{"-trimpath", "-ldflags=-s -w"},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			got := buildFlags(tt.component, "2026-02-10T12:53:36Z")
			if !slices.Equal(got, tt.want) {
				t.Errorf("buildFlags() =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestComponentValidate(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name      string
		component Component
		wantErr   string
	}{
		{name: "kubernetes", component: Kubernetes("v1.34.4", "kube-apiserver", "kubectl")},
		{name: "etcd", component: Etcd("v3.6.5")},
		{name: "bad kubernetes version", component: Kubernetes("1.34", "kubectl"), wantErr: "not a semantic version"},
		{name: "no binaries", component: Kubernetes("v1.34.4"), wantErr: "no binaries"},
		{name: "repeated binary", component: Kubernetes("v1.34.4", "kubectl", "kubectl"), wantErr: "repeated"},
		{name: "binary path", component: Kubernetes("v1.34.4", "../kubectl"), wantErr: "a path"},
		{name: "name with slash", component: Component{Name: "a/b"}, wantErr: "plain word"},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			err := tt.component.validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("validate() error = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("validate() error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
