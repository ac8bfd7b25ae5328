package render

import "github.com/tidemark/tidemark/specs/v1alpha1"

// Ports of a member.
const (
	PostgresPort = 5432
	PatroniPort  = 8008
)

// Label keys on every object of a database.
const (
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	LabelDatabase  = "tidemark.dev/database"
	// LabelCluster is Patroni's scope label: Patroni finds its members by it.
	LabelCluster = "tidemark.dev/cluster"
	// LabelRole is the label Patroni keeps on each pod: master or replica.
	LabelRole = "role"
	// LabelClientOf marks pods allowed to connect to a database.
	LabelClientOf = "tidemark.dev/client-of"
	// TidemarkName is the LabelName of tidemark's own pods, which may
	// reach Patroni's REST API.
	TidemarkName = "tidemark"
)

// Names derives every object name of one database. Patroni names its leader
// Endpoints after its scope, so the scope is the rw Service's name: that is
// how the rw Service always points at the leader Patroni elected.
type Names struct{ db string }

// NamesOf returns the names of a Database's objects.
func NamesOf(db *v1alpha1.Database) Names { return Names{db: db.Name} }

func (n Names) Scope() string          { return n.db + "-rw" }
func (n Names) ReadWrite() string      { return n.db + "-rw" }
func (n Names) ReadOnly() string       { return n.db + "-ro" }
func (n Names) Members() string        { return n.db + "-members" }
func (n Names) PatroniConfig() string  { return n.db + "-rw-config" }
func (n Names) StatefulSet() string    { return n.db }
func (n Names) ServiceAccount() string { return n.db + "-patroni" }
func (n Names) ConfigMap() string      { return n.db + "-patroni" }
func (n Names) Superuser() string      { return n.db + "-superuser" }
func (n Names) Replication() string    { return n.db + "-replication" }
func (n Names) App() string            { return n.db + "-app" }
