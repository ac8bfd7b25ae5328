package render

import (
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/tidemark/tidemark/specs/v1alpha1"
)

// Paths inside the database image and the member pods.
const (
	PatroniConfigDir  = "/etc/patroni"
	PatroniConfigFile = "patroni.yml"
	DataMount         = "/var/lib/postgresql/data"
	DataDir           = DataMount + "/pgdata"
	SocketDir         = "/var/run/postgresql"
	// PostBootstrap is the image's script that creates the application
	// role and database once, on the first primary.
	PostBootstrap = "/usr/local/bin/tidemark-post-bootstrap"
)

// Database users tidemark creates; their passwords live in Secrets.
const (
	SuperuserName   = "postgres"
	ReplicationName = "replicator"
)

// baseParameters are needed for streaming replication and pg_rewind; a spec
// cannot override them (specs refuses the reserved ones).
var baseParameters = map[string]string{
	"wal_level":             "replica",
	"hot_standby":           "on",
	"wal_log_hints":         "on",
	"max_wal_senders":       "10",
	"max_replication_slots": "10",
	"password_encryption":   "scram-sha-256",
}

func patroniConfigMap(db *v1alpha1.Database, opts Options) (*corev1.ConfigMap, error) {
	content, err := yaml.Marshal(patroniConfig(db, opts))
	if err != nil {
		return nil, fmt.Errorf("rendering Patroni's configuration: %w", err)
	}
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: objectMeta(db, NamesOf(db).ConfigMap()),
		Data:       map[string]string{PatroniConfigFile: string(content)},
	}, nil
}

// patroniConfig is Patroni's YAML configuration. Per-pod values (name,
// addresses, passwords) come from the environment, so one file serves all
// members. The bootstrap section only takes effect when the cluster is
// first initialised; later parameter changes go through Patroni's REST API.
func patroniConfig(db *v1alpha1.Database, opts Options) map[string]any {
	return map[string]any{
		"kubernetes": map[string]any{
			"use_endpoints": true,
			"scope_label":   LabelCluster,
			"role_label":    LabelRole,
			"labels":        selectorLabels(db),
			"ports":         []any{map[string]any{"name": "postgresql", "port": PostgresPort}},
		},
		"bootstrap": map[string]any{
			"dcs": map[string]any{
				"ttl":                     opts.TTL,
				"loop_wait":               opts.LoopWait,
				"retry_timeout":           opts.RetryTimeout,
				"maximum_lag_on_failover": 1 << 20,
				"synchronous_mode":        db.Spec.Replication.Synchronous,
				"postgresql": map[string]any{
					"use_pg_rewind": true,
					"use_slots":     true,
					"parameters":    Parameters(db),
				},
			},
			"initdb":         []any{map[string]any{"encoding": "UTF8"}, "data-checksums"},
			"post_bootstrap": PostBootstrap,
		},
		"postgresql": map[string]any{
			"data_dir": DataDir,
			"bin_dir":  "/usr/lib/postgresql/" + db.Spec.Version + "/bin",
			"pgpass":   "/tmp/pgpass",
			// Without a fast checkpoint a new replica's base backup waits
			// for the primary's next scheduled one, up to five minutes.
			"basebackup": []any{map[string]any{"checkpoint": "fast"}},
			"parameters": map[string]any{
				"unix_socket_directories": SocketDir,
			},
			"pg_hba": []any{
				"local all all trust",
				"host replication " + ReplicationName + " all scram-sha-256",
				"host all all all scram-sha-256",
			},
		},
		"restapi": map[string]any{"listen": fmt.Sprintf("0.0.0.0:%d", PatroniPort)},
	}
}

// Parameters are the PostgreSQL settings of db: tidemark's base ones, then
// the spec's.
func Parameters(db *v1alpha1.Database) map[string]string {
	params := maps.Clone(baseParameters)
	maps.Copy(params, db.Spec.Parameters)
	return params
}
