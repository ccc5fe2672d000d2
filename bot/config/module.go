package config

import (
	"encoding"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Module decodes the section modules.<id> into into, a non-nil pointer, usually to a struct the
// module filled with its defaults. The decoding is strict: a key that into has no field for is an
// error naming modules.<id>.<key>. Fields are matched by their yaml tags, as yaml.v3 does
// (a field without a tag is its lower-cased name), and decoded by yaml.v3, so a field type may
// implement yaml.Unmarshaler. When the section is absent, into keeps its defaults.
//
// Then the environment overrides: for each field of a struct (and of nested structs), the variable
// HEARTH_MODULES_<ID>_<KEY>, such as HEARTH_MODULES_MODERATION_LOG_CHANNEL for the key log_channel
// of the module moderation, replaces the value. It is written as in YAML ("30s", "[1, 2]"),
// except for a string field, whose value it is as is.
//
// Module does not check the values' ranges: that is the module's own Validate.
func (c Config) Module(id string, into any) error {
	rv := reflect.ValueOf(into)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("config: modules.%s: decoding needs a non-nil pointer, not %T", id, into)
	}
	path := join("modules", id)
	var ps problems
	if n := c.modules[id]; n != nil && !isNull(n) {
		budget := maxChecked
		checkKeys(n, rv.Type().Elem(), path, &budget, func(line int, path, msg string) {
			ps.add(problem{file: c.file, line: line, path: path, msg: msg})
		})
		if err := n.Decode(into); err != nil {
			ps = append(ps, c.decodeProblems(path, err)...)
		}
	}
	if c.getenv != nil {
		envOverrides(rv.Elem(), []string{"modules", id}, c.getenv, &ps)
	}
	return ps.err()
}

// maxChecked bounds how many nodes checkKeys visits, which aliases could otherwise multiply;
// yaml.v3's decoding rejects such documents anyway.
const maxChecked = 100_000

var (
	unmarshalerType     = reflect.TypeFor[yaml.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	timeType            = reflect.TypeFor[time.Time]()
)

// decodesItself reports whether values of t decode themselves, so their keys are theirs to check.
func decodesItself(t reflect.Type) bool {
	return t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) ||
		t.Implements(textUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType) ||
		t == timeType
}

// fieldsOf returns the yaml keys of the struct type t with their fields, following yaml.v3's rules,
// and the element type of an inline map if t has one (nil otherwise).
func fieldsOf(t reflect.Type) (fields map[string]reflect.StructField, inlineMap reflect.Type) {
	fields = map[string]reflect.StructField{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(","+opts+",", ",inline,") {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch ft.Kind() {
			case reflect.Struct:
				inner, innerMap := fieldsOf(ft)
				for k, v := range inner {
					v.Index = append([]int{i}, v.Index...)
					fields[k] = v
				}
				if innerMap != nil {
					inlineMap = innerMap
				}
			case reflect.Map:
				inlineMap = ft.Elem()
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = f
	}
	return fields, inlineMap
}

// checkKeys reports each key of n that t has no place for, with its path; report gets the line of
// the key. Values of other mistaken types are left to yaml.v3's decoding to report.
func checkKeys(n *yaml.Node, t reflect.Type, path string, budget *int, report func(line int, path, msg string)) {
	n = resolve(n)
	if *budget--; *budget < 0 {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if decodesItself(t) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return
		}
		fields, inlineMap := fieldsOf(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := resolve(n.Content[i]), n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				continue // yaml.v3 reports it
			}
			if f, ok := fields[k.Value]; ok {
				checkKeys(v, f.Type, join(path, k.Value), budget, report)
				continue
			}
			if inlineMap != nil {
				checkKeys(v, inlineMap, join(path, k.Value), budget, report)
				continue
			}
			if k.ShortTag() == "!!merge" {
				report(k.Line, join(path, k.Value), "merge keys are not supported: write the keys out")
				continue
			}
			report(k.Line, join(path, k.Value), "unknown key; "+path+" has "+known(fields))
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			checkKeys(n.Content[i+1], t.Elem(), join(path, resolve(n.Content[i]).Value), budget, report)
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, item := range n.Content {
			checkKeys(item, t.Elem(), path+"["+strconv.Itoa(i)+"]", budget, report)
		}
	}
}

// known lists the keys of fields, sorted, for a message.
func known(fields map[string]reflect.StructField) string {
	if len(fields) == 0 {
		return "no keys"
	}
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// typeErrorLine matches the line number yaml.v3 puts at the start of each decoding error.
var typeErrorLine = regexp.MustCompile(`^line ([0-9]+): `)

// decodeProblems turns yaml.v3's decoding error for the section at path into problems.
func (c Config) decodeProblems(path string, err error) []problem {
	var msgs []string
	if te, ok := err.(*yaml.TypeError); ok {
		msgs = te.Errors
	} else {
		msgs = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	ps := make([]problem, 0, len(msgs))
	for _, m := range msgs {
		p := problem{file: c.file, path: path, msg: m}
		if sub := typeErrorLine.FindStringSubmatch(m); sub != nil {
			p.line, _ = strconv.Atoi(sub[1])
			p.msg = m[len(sub[0]):]
		}
		ps = append(ps, p)
	}
	return ps
}

// envOverrides sets each field of the struct v (and of nested structs) whose variable is set.
// path is the key path of v.
func envOverrides(v reflect.Value, path []string, getenv func(string) string, ps *problems) {
	if v.Kind() != reflect.Struct || decodesItself(v.Type()) {
		return
	}
	fields, _ := fieldsOf(v.Type())
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		f := fields[name]
		fv, err := v.FieldByIndexErr(f.Index)
		if err != nil || !fv.CanSet() {
			continue // behind a nil embedded pointer, or unexported
		}
		fpath := append(path[:len(path):len(path)], name)
		if fv.Kind() == reflect.Struct && !decodesItself(fv.Type()) {
			envOverrides(fv, fpath, getenv, ps)
			continue
		}
		env := envName(fpath...)
		s := getenv(env)
		if s == "" {
			continue
		}
		n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
		if fv.Kind() != reflect.String {
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(s), &doc); err != nil || len(doc.Content) == 0 {
				ps.add(problem{env: env, msg: fmt.Sprintf("%q is not a YAML value", s)})
				continue
			}
			n = doc.Content[0]
		}
		if err := n.Decode(fv.Addr().Interface()); err != nil {
			msg := strings.TrimPrefix(err.Error(), "yaml: ")
			if te, ok := err.(*yaml.TypeError); ok {
				msg = typeErrorLine.ReplaceAllString(strings.Join(te.Errors, "; "), "")
			}
			ps.add(problem{env: env, msg: msg})
		}
	}
}
