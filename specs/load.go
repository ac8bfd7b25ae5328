package specs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/tidemark/tidemark/specs/v1alpha1"
)

// MaxFileSize is the largest spec file the loader reads. A larger file is
// almost certainly not a hand-written spec, and refusing it bounds memory.
const MaxFileSize = 1 << 20

// Spec is one Database of a revision together with where it was declared.
type Spec struct {
	Database *v1alpha1.Database
	// File is relative to the repo root, with forward slashes.
	File string
	// Line is where the document starts.
	Line int
	// lines maps field paths to lines, for errors found after loading.
	lines map[string]int
}

// Revision is everything one commit of a config repo declares.
type Revision struct {
	// Specs are sorted by namespace and name.
	Specs []Spec
}

// LoadOptions say where in the repo specs live.
type LoadOptions struct {
	// Path is the folder scanned for *.yaml and *.yml, relative to the repo
	// root; "" or "." scans the whole repo. Hidden folders are skipped.
	Path string
}

// Load reads, decodes, defaults and validates every spec of the repo checked
// out at root. It returns either a whole valid revision or an ErrorList with
// every problem found, never a part of a revision.
func Load(root string, opts LoadOptions) (*Revision, error) {
	files, errs := specFiles(root, opts.Path)

	var specs []Spec
	for _, file := range files {
		found, fileErrs := loadFile(root, file)
		specs = append(specs, found...)
		errs = append(errs, fileErrs...)
	}

	for i := range specs {
		errs = append(errs, explicitZeroes(&specs[i])...)
		Default(specs[i].Database)
		errs = append(errs, validateSpec(root, &specs[i])...)
	}
	errs = append(errs, duplicateNames(specs)...)

	if err := errs.capped().orNil(); err != nil {
		return nil, err
	}

	sortSpecs(specs)
	return &Revision{Specs: specs}, nil
}

// specFiles lists the YAML files below dir, relative to root.
func specFiles(root, dir string) ([]string, ErrorList) {
	if dir == "" {
		dir = "."
	}
	if err := insideRepo(root, dir); err != nil {
		return nil, ErrorList{{File: dir, Message: err.Error()}}
	}

	var files []string
	var errs ErrorList
	start := filepath.Join(root, dir)
	walkErr := filepath.WalkDir(start, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}

		rel := relSlash(root, path)
		switch {
		case d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != start:
			return filepath.SkipDir // .git, .github and other tooling folders
		case !isYAML(d.Name()):
			return nil
		case d.Type()&fs.ModeSymlink != 0:
			errs = append(errs, Error{File: rel, Message: "spec files must not be symlinks"})
		case d.Type().IsRegular():
			files = append(files, rel)
		}
		return nil
	})
	if walkErr != nil {
		errs = append(errs, Error{File: dir, Message: fmt.Sprintf("reading folder: %v", walkErr)})
	}
	return files, errs
}

func isYAML(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

func relSlash(root, path string) string {
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return path
	}
	return filepath.ToSlash(rel)
}

// loadFile decodes every document of one file.
func loadFile(root, file string) ([]Spec, ErrorList) {
	data, err := readLimited(filepath.Join(root, filepath.FromSlash(file)))
	if err != nil {
		return nil, ErrorList{{File: file, Message: err.Error()}}
	}
	return decodeFile(file, data)
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()

	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("file is larger than %d bytes; spec files are limited to 1 MiB", MaxFileSize)
	}
	return data, nil
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// decodeFile splits a file into documents and decodes each. Empty and
// comment-only documents are skipped, so a file may hold separators and
// notes freely.
func decodeFile(file string, data []byte) ([]Spec, ErrorList) {
	// Editors on Windows write a BOM and CRLF line ends; both are harmless
	// to the meaning of a spec, so they are normalised rather than refused.
	data = bytes.TrimPrefix(data, utf8BOM)
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))

	dec := yaml.NewDecoder(bytes.NewReader(data))
	var specs []Spec
	var errs ErrorList
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// After a syntax error the stream position is unknown, so
			// the rest of the file cannot be trusted either.
			return specs, append(errs, syntaxError(file, err))
		}
		if len(doc.Content) == 0 || isNull(doc.Content[0]) {
			continue
		}

		spec, docErrs := decodeDocument(file, doc.Content[0])
		errs = append(errs, docErrs...)
		if spec != nil {
			specs = append(specs, *spec)
		}
	}
	return specs, errs
}

// syntaxError turns a YAML parser error into an Error with its line.
func syntaxError(file string, err error) Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if _, err := fmt.Sscanf(msg, "line %d:", &line); err == nil {
		msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
	}
	return Error{File: file, Line: line, Message: "invalid YAML: " + msg}
}

// decodeDocument checks one document against the Database type and decodes it.
func decodeDocument(file string, node *yaml.Node) (*Spec, ErrorList) {
	if errs := checkKind(file, node); len(errs) > 0 {
		return nil, errs
	}

	c := &checker{
		file:  file,
		lines: map[string]int{},
		allowed: map[reflect.Type][]string{
			reflect.TypeFor[metav1.ObjectMeta](): {"name", "namespace", "labels", "annotations"},
			reflect.TypeFor[v1alpha1.Database](): {"apiVersion", "kind", "metadata", "spec"},
		},
	}
	c.check(node, reflect.TypeFor[v1alpha1.Database](), nil)
	if len(c.errs) > 0 {
		return nil, c.errs
	}

	db, err := decodeChecked(node)
	if err != nil {
		return nil, ErrorList{{File: file, Line: node.Line, Message: err.Error()}}
	}
	return &Spec{Database: db, File: file, Line: node.Line, lines: c.lines}, nil
}

// decodeChecked decodes a document the checker accepted. It goes through
// JSON so that types with their own JSON decoding (quantities) decode as the
// API server would decode them.
func decodeChecked(node *yaml.Node) (*v1alpha1.Database, error) {
	var generic any
	if err := node.Decode(&generic); err != nil {
		return nil, err
	}

	raw, err := json.Marshal(generic)
	if err != nil {
		return nil, err
	}

	db := &v1alpha1.Database{}
	if err := json.Unmarshal(raw, db); err != nil {
		return nil, err
	}
	return db, nil
}

// checkKind makes sure a document is a Database before its fields are
// checked, so a stray manifest gets one clear message instead of many.
func checkKind(file string, node *yaml.Node) ErrorList {
	if node.Kind != yaml.MappingNode {
		return ErrorList{{File: file, Line: node.Line, Message: "expected a Database document (a mapping), got " + describe(node)}}
	}

	apiVersion, apiLine := scalarField(node, "apiVersion")
	kind, kindLine := scalarField(node, "kind")

	var errs ErrorList
	if apiVersion != v1alpha1.GroupVersion.String() {
		errs = append(errs, Error{File: file, Line: lineOr(apiLine, node.Line), Field: "apiVersion",
			Message: expectedValue(v1alpha1.GroupVersion.String(), apiVersion, apiLine)})
	}
	if kind != "Database" {
		errs = append(errs, Error{File: file, Line: lineOr(kindLine, node.Line), Field: "kind",
			Message: expectedValue("Database", kind, kindLine)})
	}
	return errs
}

// expectedValue words a wrong or missing apiVersion or kind; every document
// of a config repo must be a Database.
func expectedValue(want, got string, line int) string {
	if line == 0 {
		return fmt.Sprintf("required: every document of a config repo is a %q Database", want)
	}
	return fmt.Sprintf("expected %q, got %q: every document of a config repo is a Database", want, got)
}

func scalarField(mapping *yaml.Node, key string) (string, int) {
	for i := 0; i+1 < len(mapping.Content); i += 2 {
		if mapping.Content[i].Value == key {
			value := resolveAlias(mapping.Content[i+1])
			return value.Value, value.Line
		}
	}
	return "", 0
}

func lineOr(line, fallback int) int {
	if line > 0 {
		return line
	}
	return fallback
}

// errorAt places a validation error found on the typed object at the line
// of the closest field the document actually wrote.
func (s *Spec) errorAt(err *field.Error) Error {
	return Error{File: s.File, Line: s.lineOf(err.Field), Field: err.Field, Message: fieldMessage(err)}
}

func (s *Spec) lineOf(path string) int {
	for p := path; p != ""; p = parentPath(p) {
		if line, ok := s.lines[p]; ok {
			return line
		}
	}
	return s.Line
}

// parentPath drops the last element of a field path: a.b[c] → a.b → a → "".
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

// fieldMessage is the Kubernetes wording of a validation error without the
// field path, which Error prints separately.
func fieldMessage(err *field.Error) string {
	return err.ErrorBody()
}
