package scenarios

import (
	"strings"
	"testing"
	"time"
)

func TestOverrideChangesOnlyNamedEntries(t *testing.T) {
	base := DefaultTimeouts()
	got, err := base.Override("failover=90s, rejoin=5m")
	if err != nil {
		t.Fatal(err)
	}
	if got.Get("failover") != 90*time.Second || got.Get("rejoin") != 5*time.Minute || got.Get("ready") != base.Get("ready") {
		t.Errorf("got %v", got)
	}
	if base.Get("failover") != 60*time.Second {
		t.Error("Override changed the table it was called on")
	}
}

func TestOverrideRejectsTyposAndBadDurations(t *testing.T) {
	for spec, want := range map[string]string{
		"failovr=90s":   `unknown timeout "failovr"`,
		"failover":      "is not name=duration",
		"failover=-1s":  "is not a positive duration",
		"failover=soon": "is not a positive duration",
	} {
		_, err := DefaultTimeouts().Override(spec)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", spec, err, want)
		}
	}
}
