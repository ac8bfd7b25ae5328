package database

import (
	"reflect"
	"testing"

	"github.com/tidemark/tidemark/specs/v1alpha1"
)

func TestConfigPatch(t *testing.T) {
	var current dynamicConfig
	current.SynchronousMode = true
	current.PostgreSQL.Parameters = map[string]any{"work_mem": "8MB", "max_connections": float64(100), "wal_buffers": float64(1048576), "old": "x"}

	patch, changed := configPatch(current, map[string]string{"work_mem": "16MB", "max_connections": "100", "wal_buffers": "1048576"}, false)

	want := map[string]any{
		"postgresql":       map[string]any{"parameters": map[string]any{"work_mem": "16MB", "old": nil}},
		"synchronous_mode": false,
	}
	if !changed || !reflect.DeepEqual(patch, want) {
		t.Errorf("patch = %v, want %v", patch, want)
	}

	if _, changed := configPatch(current, map[string]string{"work_mem": "8MB", "max_connections": "100", "wal_buffers": "1048576", "old": "x"}, true); changed {
		t.Error("an equal configuration produced a patch")
	}
}

func TestAddReplication(t *testing.T) {
	obs := observed{primary: "db-1", members: []v1alpha1.MemberStatus{{Name: "db-0"}, {Name: "db-1"}, {Name: "db-2"}}}
	addReplication(&obs, []clusterMember{
		{Name: "db-0", Role: "sync_standby", Timeline: 4, Lag: float64(0)},
		{Name: "db-1", Role: "leader", Timeline: 4},
		{Name: "db-2", Role: "replica", Timeline: 3, Lag: "unknown"},
	})

	if obs.timeline != 4 || obs.members[0].LagBytes == nil || *obs.members[0].LagBytes != 0 {
		t.Errorf("timeline %d, db-0 lag %v", obs.timeline, obs.members[0].LagBytes)
	}
	if obs.members[1].LagBytes != nil || obs.members[2].LagBytes != nil {
		t.Error("lag reported for the primary or an unknown lag")
	}
}

func TestAllRunning(t *testing.T) {
	if !allRunning([]clusterMember{{State: "running"}, {State: "streaming"}}) {
		t.Error("running members not recognised")
	}
	if allRunning([]clusterMember{{State: "running"}, {State: "start failed"}}) {
		t.Error("a member that failed to start counted as running")
	}
}
