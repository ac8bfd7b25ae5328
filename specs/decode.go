package specs

import (
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// A YAML document is checked against the Go type it will decode into before
// it is decoded. Decoding through JSON alone would lose line numbers and
// would silently accept duplicate keys, so the checker walks the YAML node
// tree and the Go type side by side and reports every mismatch with its line.

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// checker collects the problems of one document and the line of every field
// it saw, so later validation errors can be placed too.
type checker struct {
	file  string
	lines map[string]int
	errs  ErrorList

	// allowed restricts the keys of a struct type, for types such as
	// ObjectMeta whose server-owned fields a config repo must not set.
	allowed map[reflect.Type][]string
}

func (c *checker) fail(line int, path *field.Path, format string, args ...any) {
	c.errs = append(c.errs, Error{File: c.file, Line: line, Field: path.String(), Message: fmt.Sprintf(format, args...)})
}

// check walks node as a value of type t at path.
func (c *checker) check(node *yaml.Node, t reflect.Type, path *field.Path) {
	node = resolveAlias(node)
	c.lines[path.String()] = node.Line

	if isNull(node) {
		return // absent: defaulting and validation decide whether that is fine
	}

	if reflect.PointerTo(t).Implements(jsonUnmarshaler) && t.Kind() == reflect.Struct {
		c.checkCustom(node, t, path)
		return
	}

	switch t.Kind() {
	case reflect.Pointer:
		c.check(node, t.Elem(), path)
	case reflect.Struct:
		c.checkStruct(node, t, path)
	case reflect.Map:
		c.checkMap(node, t, path)
	case reflect.Slice:
		c.checkSlice(node, t, path)
	case reflect.Interface:
		// Free-form values accept anything YAML can express.
	default:
		c.checkScalar(node, t, path)
	}
}

// checkCustom decodes a value with its own JSON decoding (resource.Quantity,
// metav1.Time) and reports its complaint at the value's line.
func (c *checker) checkCustom(node *yaml.Node, t reflect.Type, path *field.Path) {
	var generic any
	if err := node.Decode(&generic); err != nil {
		c.fail(node.Line, path, "%v", err)
		return
	}

	raw, err := json.Marshal(generic)
	if err != nil {
		c.fail(node.Line, path, "%v", err)
		return
	}

	if err := json.Unmarshal(raw, reflect.New(t).Interface()); err != nil {
		c.fail(node.Line, path, "expected %s, got %s: %s", friendlyTypeName(t), describe(node), unwrapJSONError(err))
	}
}

func (c *checker) checkStruct(node *yaml.Node, t reflect.Type, path *field.Path) {
	if node.Kind != yaml.MappingNode {
		c.fail(node.Line, path, "expected a mapping, got %s", describe(node))
		return
	}

	fields := jsonFields(t)
	if allowed, ok := c.allowed[t]; ok {
		fields = restrict(fields, allowed)
	}

	c.eachKey(node, path, func(key string, keyNode, value *yaml.Node) {
		ft, ok := fields[key]
		if !ok {
			c.fail(keyNode.Line, path.Child(key), "unknown field; expected one of: %s", strings.Join(sortedKeys(fields), ", "))
			return
		}
		c.check(value, ft, path.Child(key))
		c.lines[path.Child(key).String()] = keyNode.Line
	})
}

func (c *checker) checkMap(node *yaml.Node, t reflect.Type, path *field.Path) {
	if node.Kind != yaml.MappingNode {
		c.fail(node.Line, path, "expected a mapping, got %s", describe(node))
		return
	}

	c.eachKey(node, path, func(key string, keyNode, value *yaml.Node) {
		if isNull(resolveAlias(value)) && t.Elem().Kind() == reflect.String {
			c.fail(keyNode.Line, path.Key(key), "expected a string, got null; quote the value or remove the key")
			return
		}
		c.check(value, t.Elem(), path.Key(key))
		c.lines[path.Key(key).String()] = keyNode.Line
	})
}

// eachKey calls fn for every key of a mapping, rejecting non-string and
// duplicate keys: YAML parsers disagree on which duplicate wins, so a
// duplicate is always a mistake worth stopping for.
func (c *checker) eachKey(node *yaml.Node, path *field.Path, fn func(key string, keyNode, value *yaml.Node)) {
	seen := map[string]int{}

	for i := 0; i+1 < len(node.Content); i += 2 {
		keyNode, value := resolveAlias(node.Content[i]), node.Content[i+1]
		if keyNode.Kind != yaml.ScalarNode || keyNode.Tag == "!!merge" {
			c.fail(keyNode.Line, path, "keys must be plain strings, got %s", describe(keyNode))
			continue
		}

		key := keyNode.Value
		if first, dup := seen[key]; dup {
			c.fail(keyNode.Line, path.Child(key), "duplicate key (first defined on line %d)", first)
			continue
		}
		seen[key] = keyNode.Line

		fn(key, keyNode, value)
	}
}

func (c *checker) checkSlice(node *yaml.Node, t reflect.Type, path *field.Path) {
	if node.Kind != yaml.SequenceNode {
		c.fail(node.Line, path, "expected a list, got %s", describe(node))
		return
	}

	for i, item := range node.Content {
		c.check(item, t.Elem(), path.Index(i))
	}
}

func (c *checker) checkScalar(node *yaml.Node, t reflect.Type, path *field.Path) {
	if node.Kind != yaml.ScalarNode {
		c.fail(node.Line, path, "expected %s, got %s", friendlyTypeName(t), describe(node))
		return
	}

	if msg := scalarMismatch(node, t); msg != "" {
		c.fail(node.Line, path, "%s", msg)
	}
}

// scalarMismatch says why a scalar cannot be a value of t, or "" when it can.
func scalarMismatch(node *yaml.Node, t reflect.Type) string {
	tag := node.ShortTag()
	want := friendlyTypeName(t)

	switch t.Kind() {
	case reflect.String:
		if tag != "!!str" {
			return fmt.Sprintf("expected %s, got %s; quote it: %q", want, describe(node), node.Value)
		}
	case reflect.Bool:
		if tag != "!!bool" {
			return fmt.Sprintf("expected %s (true or false), got %s", want, describe(node))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return intMismatch(node, t)
	case reflect.Float32, reflect.Float64:
		if tag != "!!int" && tag != "!!float" {
			return fmt.Sprintf("expected %s, got %s", want, describe(node))
		}
	default:
		if !reflect.PointerTo(t).Implements(textUnmarshaler) {
			return fmt.Sprintf("values of Go type %s are not supported", t)
		}
	}
	return ""
}

func intMismatch(node *yaml.Node, t reflect.Type) string {
	if node.ShortTag() != "!!int" {
		return fmt.Sprintf("expected %s, got %s", friendlyTypeName(t), describe(node))
	}

	n, err := strconv.ParseInt(node.Value, 0, 64)
	if err != nil {
		return fmt.Sprintf("expected %s, got %s", friendlyTypeName(t), describe(node))
	}

	bits := t.Bits()
	if bits < 64 && (n > math.MaxInt64>>(64-bits) || n < math.MinInt64>>(64-bits)) {
		return fmt.Sprintf("%d does not fit in a %d-bit integer", n, bits)
	}
	return ""
}

// jsonFields maps each JSON key of a struct to its Go type, descending into
// inline and embedded structs the way encoding/json does.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}

	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}

		if (f.Anonymous && name == "") || strings.Contains(opts, "inline") {
			for k, v := range jsonFields(f.Type) {
				fields[k] = v
			}
			continue
		}

		if name == "" {
			name = f.Name
		}
		fields[name] = f.Type
	}
	return fields
}

func restrict(fields map[string]reflect.Type, allowed []string) map[string]reflect.Type {
	out := make(map[string]reflect.Type, len(allowed))
	for _, k := range allowed {
		out[k] = fields[k]
	}
	return out
}

func sortedKeys(m map[string]reflect.Type) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func resolveAlias(node *yaml.Node) *yaml.Node {
	for node.Kind == yaml.AliasNode && node.Alias != nil {
		node = node.Alias
	}
	return node
}

func isNull(node *yaml.Node) bool {
	return node.Kind == yaml.ScalarNode && node.ShortTag() == "!!null"
}

// describe names what a node holds in words a config author recognises.
func describe(node *yaml.Node) string {
	switch node.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return scalarWords(node)
	}
	return "an unsupported YAML node"
}

func scalarWords(node *yaml.Node) string {
	switch node.ShortTag() {
	case "!!str":
		return fmt.Sprintf("string %q", node.Value)
	case "!!int":
		return "integer " + node.Value
	case "!!float":
		return "number " + node.Value
	case "!!bool":
		return "boolean " + node.Value
	case "!!null":
		return "null"
	case "!!timestamp":
		return "timestamp " + node.Value
	}
	return fmt.Sprintf("%s %q", node.ShortTag(), node.Value)
}

func friendlyTypeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	if t.Name() == "Quantity" {
		return "a quantity like 10Gi or 500m"
	}
	return t.String()
}

// unwrapJSONError drops encoding/json's prefix from a custom decoder's error.
func unwrapJSONError(err error) string {
	msg := err.Error()
	if _, after, ok := strings.Cut(msg, "json: "); ok {
		return after
	}
	return msg
}
