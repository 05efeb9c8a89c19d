package config

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decoder decodes a yaml.Node into a struct strictly, collecting problems
// rather than stopping at the first, and records the line of every field path
// ("feeds[3].url") it sees, and which of them have a value other than null.
type decoder struct {
	file     string
	lines    map[string]int
	set      map[string]bool
	problems []Problem
}

func (d *decoder) addf(n *yaml.Node, path, format string, args ...any) {
	d.problems = append(d.problems, Problem{
		File:    d.file,
		Line:    n.Line,
		Field:   path,
		Message: fmt.Sprintf(format, args...),
	})
}

// failed reports whether path, or a field holding it, failed to decode, so
// that its value is not worth validating.
func (d *decoder) failed(path string) bool {
	for _, p := range d.problems {
		f := p.Field
		if f == "" || path == f || strings.HasPrefix(path, f+".") || strings.HasPrefix(path, f+"[") {
			return true
		}
	}
	return false
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // keep the zero value, which stands for the default
	}
	d.set[path] = true
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path)
		return
	}
	if u, ok := v.Addr().Interface().(yaml.Unmarshaler); ok {
		if err := u.UnmarshalYAML(n); err != nil {
			d.addf(n, path, "%v", err)
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.mapping(n, v, path)
	case reflect.Slice:
		d.sequence(n, v, path)
	case reflect.Map:
		d.dict(n, v, path)
	default:
		d.scalar(n, v, path)
	}
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	fields := yamlFields(v.Type())
	if n.Kind != yaml.MappingNode {
		d.addf(n, path, "want keys, found %s; the keys here are %s", describe(n), keyList(fields))
		return
	}
	seen := make(map[string]int)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		p := joinPath(path, k.Value)
		if d.mergeKey(k, p) {
			continue
		}
		idx := fieldIndex(fields, k.Value)
		if idx < 0 {
			d.addf(k, p, "unknown key; known keys here are %s", keyList(fields))
			continue
		}
		if !d.firstTime(k, p, seen) {
			continue
		}
		d.decode(val, v.Field(idx), p)
	}
}

// mergeKey reports (and says) that k, at p, is a YAML merge key ("<<"),
// which the config does not take.
func (d *decoder) mergeKey(k *yaml.Node, p string) bool {
	if k.ShortTag() != "!!merge" {
		return false
	}
	d.addf(k, p, "merge keys are not supported; write the keys out")
	return true
}

// firstTime reports whether the key k, at p, is the first of its name in
// its mapping (seen holds the lines of those before), and notes its line;
// a second one is a problem.
func (d *decoder) firstTime(k *yaml.Node, p string, seen map[string]int) bool {
	if line, dup := seen[k.Value]; dup {
		d.addf(k, p, "set twice (also on line %d); remove one", line)
		return false
	}
	seen[k.Value] = k.Line
	d.lines[p] = k.Line
	return true
}

// dict decodes a mapping with keys of the user's choosing into a map with
// string keys.
func (d *decoder) dict(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.addf(n, path, "want keys, found %s; write one \"name: value\" per line", describe(n))
		return
	}
	if len(n.Content) == 0 {
		return // an empty mapping stands for none, as a missing one does
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	seen := make(map[string]int)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.AliasNode {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode {
			d.addf(k, path, "want a name as key, found %s; write one \"name: value\" per line", describe(k))
			continue
		}
		p := joinPath(path, k.Value)
		if d.mergeKey(k, p) || !d.firstTime(k, p, seen) {
			continue
		}
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(val, elem, p)
		m.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), elem)
	}
	v.Set(m)
}

func (d *decoder) sequence(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.addf(n, path, "want a list, found %s; start each item on its own line with \"- \"", describe(n))
		return
	}
	if len(n.Content) == 0 {
		return // an empty list stands for none, as a missing one does
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		d.lines[p] = item.Line
		d.decode(item, s.Index(i), p)
	}
	v.Set(s)
}

func (d *decoder) scalar(n *yaml.Node, v reflect.Value, path string) {
	want, hint := "a value", ""
	switch v.Kind() {
	case reflect.String:
		want, hint = "a string", "; quote it if need be"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		want, hint = "a whole number", "; write one without quotes, e.g. 10"
	case reflect.Float32, reflect.Float64:
		want, hint = "a number", "; write one without quotes, e.g. 0.5"
	case reflect.Bool:
		want, hint = "true or false", "; write true or false"
	}
	if n.Kind != yaml.ScalarNode {
		d.addf(n, path, "want %s, found %s%s", want, describe(n), hint)
		return
	}
	if err := n.Decode(v.Addr().Interface()); err != nil {
		d.addf(n, path, "%s is not %s%s", describe(n), want, hint)
	}
}

// field is a struct field that has a YAML key.
type field struct {
	key   string
	index int
}

// yamlFields lists the fields of struct type t that have a YAML key.
func yamlFields(t reflect.Type) []field {
	var fields []field
	for i := range t.NumField() {
		if key := yamlKey(t.Field(i)); key != "" {
			fields = append(fields, field{key, i})
		}
	}
	return fields
}

// yamlKey is the YAML key of a struct field, "" if it has none.
func yamlKey(f reflect.StructField) string {
	key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if key == "-" || !f.IsExported() {
		return ""
	}
	if key == "" {
		key = strings.ToLower(f.Name)
	}
	return key
}

func fieldIndex(fields []field, key string) int {
	for _, f := range fields {
		if f.key == key {
			return f.index
		}
	}
	return -1
}

func keyList(fields []field) string {
	keys := make([]string, len(fields))
	for i, f := range fields {
		keys[i] = f.key
	}
	return strings.Join(keys, ", ")
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "keys"
	case yaml.SequenceNode:
		return "a list"
	}
	return fmt.Sprintf("%q", n.Value)
}
