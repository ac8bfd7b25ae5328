package host

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestMissingCaps(t *testing.T) {
	cases := []struct {
		name   string
		status string
		want   []string
	}{
		{"all", "Name:\tx\nCapBnd:\t000001ffffffffff\n", nil},
		{"no sys_resource", "CapBnd:\t000001fffeffffff\n", []string{"SYS_RESOURCE"}},
		{"no net_admin nor sys_resource", "CapBnd:\t000001fffeffefff\n", []string{"NET_ADMIN", "SYS_RESOURCE"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bnd, ok := capBnd(tc.status)
			if !ok {
				t.Fatal("CapBnd not parsed")
			}
			if got := missingCaps(bnd, 40); !slices.Equal(got, tc.want) {
				t.Errorf("missingCaps = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestWrapperRewritesPrivileged runs the generated wrapper against a fake docker
// that prints its arguments.
func TestWrapperRewritesPrivileged(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	fakeDir := t.TempDir()
	fake := "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done\n"
	if err := os.WriteFile(filepath.Join(fakeDir, "docker"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", fakeDir+string(os.PathListSeparator)+os.Getenv("PATH"))

	wrapDir, err := Compat{Missing: []string{"SYS_RESOURCE"}}.InstallWrapper(filepath.Join(t.TempDir(), "bin"))
	if err != nil {
		t.Fatal(err)
	}
	wrapper := filepath.Join(wrapDir, "docker")

	cases := []struct {
		args        []string
		want, avoid []string
	}{
		{[]string{"run", "--privileged", "-d", "img"}, []string{"--cap-drop=SYS_RESOURCE", "--device-cgroup-rule=a *:* rwm", "img"}, []string{"--privileged"}},
		{[]string{"exec", "--privileged", "node", "true"}, []string{"node", "true"}, []string{"--privileged", "--cap-add=ALL"}},
		{[]string{"inspect", "--privileged"}, []string{"--privileged"}, []string{"--cap-add=ALL"}},
	}
	for _, tc := range cases {
		out, err := exec.Command(wrapper, tc.args...).Output()
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		for _, w := range tc.want {
			if !slices.Contains(lines, w) {
				t.Errorf("%v: missing %q in %q", tc.args, w, lines)
			}
		}
		for _, a := range tc.avoid {
			if slices.Contains(lines, a) {
				t.Errorf("%v: unexpected %q in %q", tc.args, a, lines)
			}
		}
	}
}
