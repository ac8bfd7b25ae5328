package database

import (
	"reflect"
	"testing"
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
