package specs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"
	"unicode"

	"github.com/robfig/cron/v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/tidemark/tidemark/specs/v1alpha1"
)

// MaxNameLength keeps every derived object name (StatefulSet pods, Services
// with -rw/-ro suffixes, controller-revision labels) within the 63
// characters Kubernetes allows for labels.
const MaxNameLength = 40

// SupportedVersions are the PostgreSQL major versions the database image carries.
var SupportedVersions = []string{"15"}

// reservedParameters are set by tidemark and Patroni themselves; letting a
// spec override them would break replication, failover or connectivity.
var reservedParameters = []string{
	"archive_command", "archive_mode", "config_file", "data_directory", "hba_file", "hot_standby",
	"ident_file", "listen_addresses", "port", "primary_conninfo", "primary_slot_name", "restore_command",
	"synchronous_standby_names", "unix_socket_directories", "wal_level",
}

// PreloadLibraries are the libraries of the database image that can be
// named in shared_preload_libraries. PostgreSQL does not start when it
// cannot load one, so any other name would take every member down as
// Patroni restarts them; sepgsql ships but needs SELinux, which the
// members do not have.
var PreloadLibraries = []string{"auth_delay", "auto_explain", "passwordcheck", "pg_prewarm", "pg_stat_statements"}

// maxStorage is far beyond any real volume and far below int64 overflow,
// where the API server would silently clamp the value.
var maxStorage = resource.MustParse("1Pi")

var parameterName = regexp.MustCompile(`^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$`)

// Validate checks one defaulted Database on its own, without the repo it
// came from. Field paths follow the Kubernetes convention.
func Validate(db *v1alpha1.Database) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateMeta(db)...)
	errs = append(errs, validateEngine(&db.Spec)...)
	errs = append(errs, validateTopology(&db.Spec)...)
	errs = append(errs, validateStorage(&db.Spec)...)
	errs = append(errs, validateResources(&db.Spec)...)
	errs = append(errs, validateParameters(&db.Spec)...)
	errs = append(errs, validateBackups(&db.Spec)...)
	errs = append(errs, validateDeletionPolicy(&db.Spec)...)
	return errs
}

var specPath = field.NewPath("spec")

func validateMeta(db *v1alpha1.Database) field.ErrorList {
	meta := field.NewPath("metadata")
	var errs field.ErrorList

	if db.Name == "" {
		errs = append(errs, field.Required(meta.Child("name"), ""))
	} else {
		for _, msg := range validation.IsDNS1035Label(db.Name) {
			errs = append(errs, field.Invalid(meta.Child("name"), db.Name, msg))
		}
		if len(db.Name) > MaxNameLength {
			errs = append(errs, field.TooLong(meta.Child("name"), db.Name, MaxNameLength))
		}
	}

	if db.Namespace == "" {
		errs = append(errs, field.Required(meta.Child("namespace"), "every Database names its namespace explicitly"))
	} else {
		for _, msg := range validation.IsDNS1123Label(db.Namespace) {
			errs = append(errs, field.Invalid(meta.Child("namespace"), db.Namespace, msg))
		}
	}
	return errs
}

func validateEngine(spec *v1alpha1.DatabaseSpec) field.ErrorList {
	var errs field.ErrorList
	if spec.Engine != DefaultEngine {
		errs = append(errs, field.NotSupported(specPath.Child("engine"), spec.Engine, []string{DefaultEngine}))
	}
	if spec.Version == "" {
		errs = append(errs, field.Required(specPath.Child("version"), `the major version, like "15"`))
	} else if !slices.Contains(SupportedVersions, spec.Version) {
		errs = append(errs, field.NotSupported(specPath.Child("version"), spec.Version, SupportedVersions))
	}
	return errs
}

func validateTopology(spec *v1alpha1.DatabaseSpec) field.ErrorList {
	var errs field.ErrorList
	if spec.Replicas < 1 || spec.Replicas > 9 {
		errs = append(errs, field.Invalid(specPath.Child("replicas"), spec.Replicas, "must be between 1 and 9"))
	}
	if spec.Replication.Synchronous && spec.Replicas < 2 {
		errs = append(errs, field.Invalid(specPath.Child("replication", "synchronous"), true,
			"synchronous replication needs at least 2 replicas"))
	}

	seen := map[string]bool{}
	for i, zone := range spec.Zones {
		p := specPath.Child("zones").Index(i)
		if seen[zone] {
			errs = append(errs, field.Duplicate(p, zone))
		}
		seen[zone] = true
		for _, msg := range validation.IsValidLabelValue(zone) {
			errs = append(errs, field.Invalid(p, zone, msg))
		}
		if zone == "" {
			errs = append(errs, field.Invalid(p, zone, "must not be empty"))
		}
	}
	return errs
}

func validateStorage(spec *v1alpha1.DatabaseSpec) field.ErrorList {
	p := specPath.Child("storage")
	var errs field.ErrorList

	size := spec.Storage.Size
	switch _, fits := size.AsInt64(); {
	case size.IsZero():
		errs = append(errs, field.Required(p.Child("size"), "a positive volume size for each member, like 10Gi"))
	case size.Sign() < 0:
		errs = append(errs, field.Invalid(p.Child("size"), size.String(), "must be positive"))
	case !fits || size.Cmp(maxStorage) > 0:
		errs = append(errs, field.Invalid(p.Child("size"), size.String(), "must be at most "+maxStorage.String()))
	}

	if class := spec.Storage.StorageClass; class != "" {
		for _, msg := range validation.IsDNS1123Subdomain(class) {
			errs = append(errs, field.Invalid(p.Child("storageClass"), class, msg))
		}
	}
	return errs
}

func validateResources(spec *v1alpha1.DatabaseSpec) field.ErrorList {
	p := specPath.Child("resources")
	var errs field.ErrorList

	for _, list := range []struct {
		name string
		res  corev1.ResourceList
	}{{"requests", spec.Resources.Requests}, {"limits", spec.Resources.Limits}} {
		for name, q := range list.res {
			if name != corev1.ResourceCPU && name != corev1.ResourceMemory {
				errs = append(errs, field.NotSupported(p.Child(list.name).Key(string(name)), string(name), []string{"cpu", "memory"}))
			} else if q.Sign() < 0 {
				errs = append(errs, field.Invalid(p.Child(list.name).Key(string(name)), q.String(), "must not be negative"))
			}
		}
	}

	for name, request := range spec.Resources.Requests {
		if limit, ok := spec.Resources.Limits[name]; ok && request.Cmp(limit) > 0 {
			errs = append(errs, field.Invalid(p.Child("requests").Key(string(name)), request.String(),
				fmt.Sprintf("must not exceed the limit %s", limit.String())))
		}
	}
	return errs
}

func validateParameters(spec *v1alpha1.DatabaseSpec) field.ErrorList {
	var errs field.ErrorList
	for _, name := range sortedParameterNames(spec.Parameters) {
		p := specPath.Child("parameters").Key(name)
		switch {
		case !parameterName.MatchString(name):
			errs = append(errs, field.Invalid(p, name, "is not a PostgreSQL parameter name"))
		case slices.Contains(reservedParameters, name):
			errs = append(errs, field.Forbidden(p, "is managed by tidemark and Patroni and cannot be set"))
		case strings.ContainsFunc(spec.Parameters[name], unicode.IsControl):
			// A line break would let a value smuggle another setting into
			// postgresql.conf.
			errs = append(errs, field.Invalid(p, spec.Parameters[name], "must not contain line breaks or control characters"))
		case name == "shared_preload_libraries":
			errs = append(errs, validatePreload(p, spec.Parameters[name])...)
		}
	}
	return errs
}

// validatePreload checks each library of a shared_preload_libraries list
// (comma-separated, optionally quoted or prefixed with $libdir/).
func validatePreload(p *field.Path, value string) field.ErrorList {
	var errs field.ErrorList
	for _, item := range strings.Split(value, ",") {
		lib := strings.Trim(strings.TrimSpace(item), `"'`)
		lib = strings.TrimPrefix(lib, "$libdir/")
		if lib != "" && !slices.Contains(PreloadLibraries, lib) {
			errs = append(errs, field.NotSupported(p, lib, PreloadLibraries))
		}
	}
	return errs
}

func sortedParameterNames(params map[string]string) []string {
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

func validateBackups(spec *v1alpha1.DatabaseSpec) field.ErrorList {
	if spec.Backups == nil {
		return nil
	}

	p := specPath.Child("backups")
	var errs field.ErrorList
	schedule := spec.Backups.Schedule
	if schedule == "" {
		errs = append(errs, field.Required(p.Child("schedule"), `a cron expression, like "0 3 * * *"`))
	} else if strings.HasPrefix(schedule, "TZ=") || strings.HasPrefix(schedule, "CRON_TZ=") {
		errs = append(errs, field.Invalid(p.Child("schedule"), schedule, "time zones are not supported here: schedules run in UTC, as Kubernetes CronJobs do"))
	} else if _, err := cronParser.Parse(schedule); err != nil {
		errs = append(errs, field.Invalid(p.Child("schedule"), spec.Backups.Schedule, "not a five-field cron expression: "+err.Error()))
	}
	if spec.Backups.Retention.Full < 1 {
		errs = append(errs, field.Invalid(p.Child("retention", "full"), spec.Backups.Retention.Full, "must be at least 1"))
	}
	return errs
}

func validateDeletionPolicy(spec *v1alpha1.DatabaseSpec) field.ErrorList {
	policies := []string{string(v1alpha1.DeletionPolicyRetain), string(v1alpha1.DeletionPolicyDelete)}
	if !slices.Contains(policies, string(spec.DeletionPolicy)) {
		return field.ErrorList{field.NotSupported(specPath.Child("deletionPolicy"), spec.DeletionPolicy, policies)}
	}
	return nil
}

// explicitZeroes refuses zeroes a spec wrote out where leaving the field out
// means a default: `replicas: 0` must not silently become one member.
func explicitZeroes(s *Spec) ErrorList {
	if _, written := s.lines["spec.replicas"]; written && s.Database.Spec.Replicas == 0 {
		return ErrorList{s.errorAt(field.Invalid(specPath.Child("replicas"), 0, "must be between 1 and 9"))}
	}
	return nil
}

// validateSpec runs Validate and the checks that need the repo itself.
func validateSpec(root string, s *Spec) ErrorList {
	fieldErrs := Validate(s.Database)
	if m := s.Database.Spec.Migrations; m != nil {
		fieldErrs = append(fieldErrs, validateMigrationsPath(root, m.Path)...)
	}

	errs := make(ErrorList, 0, len(fieldErrs))
	for _, e := range fieldErrs {
		errs = append(errs, s.errorAt(e))
	}
	return errs
}

func validateMigrationsPath(root, dir string) field.ErrorList {
	p := specPath.Child("migrations", "path")
	if dir == "" {
		return field.ErrorList{field.Required(p, "a folder of the config repo, like migrations/orders")}
	}
	if err := insideRepo(root, dir); err != nil {
		return field.ErrorList{field.Invalid(p, dir, err.Error())}
	}

	clean := path.Clean(filepath.ToSlash(dir))
	if clean == "." || slices.Contains(strings.Split(clean, "/"), ".git") {
		return field.ErrorList{field.Invalid(p, dir, "must be a folder of its own inside the repo, not its root or .git")}
	}

	entries, err := os.ReadDir(filepath.Join(root, filepath.FromSlash(dir)))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return field.ErrorList{field.Invalid(p, dir, "no such folder in the config repo")}
	case errors.Is(err, syscall.ENOTDIR):
		return field.ErrorList{field.Invalid(p, dir, "is a file; expected a folder")}
	case err != nil:
		return field.ErrorList{field.Invalid(p, dir, err.Error())}
	case len(entries) == 0:
		// Git keeps no empty folders: the daemon would not find this one.
		return field.ErrorList{field.Invalid(p, dir, "is empty; Git does not keep empty folders, so add a migration or a .keep file")}
	}
	return nil
}

// insideRepo refuses a repo-relative path that is absolute, climbs out of
// the repo, or passes through a symlink anywhere along the way: a symlink
// in a config repo could make tidemark read files outside the revision.
func insideRepo(root, rel string) error {
	if path.IsAbs(rel) || filepath.IsAbs(rel) {
		return errors.New("must be relative to the config repo root")
	}

	clean := path.Clean(filepath.ToSlash(rel))
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return errors.New("leaves the config repo")
	}
	if clean == "." {
		return nil
	}

	current := root
	for _, part := range strings.Split(clean, "/") {
		current = filepath.Join(current, part)
		info, err := os.Lstat(current)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // existence is checked by the caller where it matters
		}
		if err != nil {
			return err
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("passes through the symlink %s", relSlash(root, current))
		}
	}
	return nil
}

// duplicateNames rejects two specs that declare the same namespace/name,
// naming both places.
func duplicateNames(specs []Spec) ErrorList {
	first := map[string]Spec{}
	var errs ErrorList
	for _, s := range specs {
		key := s.Database.Namespace + "/" + s.Database.Name
		if prev, ok := first[key]; ok {
			errs = append(errs, Error{File: s.File, Line: s.lineOf("metadata.name"), Field: "metadata.name",
				Message: fmt.Sprintf("Database %s is already declared at %s:%d", key, prev.File, prev.lineOf("metadata.name"))})
			continue
		}
		first[key] = s
	}
	return errs
}

func sortSpecs(specs []Spec) {
	sort.Slice(specs, func(i, j int) bool {
		a, b := specs[i].Database, specs[j].Database
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
}
