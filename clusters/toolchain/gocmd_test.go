package toolchain

import "testing"

func TestProxyOnly(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		goproxy string
		want    string
		wantErr bool
	}{
		{name: "go default", goproxy: "https://proxy.golang.org,direct", want: "https://proxy.golang.org"},
		{name: "proxy only", goproxy: "https://proxy.golang.org", want: "https://proxy.golang.org"},
		{
			name:    "two proxies",
			goproxy: "https://a.example|https://b.example,direct",
			want:    "https://a.example|https://b.example",
		},
		{
			name:    "direct in the middle",
			goproxy: "https://a.example,direct|https://b.example",
			want:    "https://a.example|https://b.example",
		},
		{name: "direct first", goproxy: "direct,https://a.example", want: "https://a.example"},
		{name: "off is kept", goproxy: "off", want: "off"},
		{name: "only direct", goproxy: "direct", wantErr: true},
		{name: "empty", goproxy: "", wantErr: true},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			got, err := proxyOnly(tt.goproxy)
			if (err != nil) != tt.wantErr {
				t.Fatalf("proxyOnly(%q) error = %v, wantErr %v", tt.goproxy, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("proxyOnly(%q) = %q, want %q", tt.goproxy, got, tt.want)
			}
		})
	}
}
