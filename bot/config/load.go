package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load returns the defaults, overridden by the YAML file at path (none when path is ""), overridden
// by the HEARTH_* variables that getenv (nil: an empty environment) returns. Its error lists every
// problem found, one a line, each naming the key path, where the value came from (file and line,
// or environment variable) and what the key allows.
//
// Load keeps the sections under modules undecoded: each module decodes its own with Module.
func Load(path string, getenv func(string) string) (Config, error) {
	var data []byte
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
	}
	return load(path, data, getenv)
}

// load is Load on the file's contents; file names it in messages.
func load(file string, data []byte, getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	l := &loader{
		keys:   schema(),
		cfg:    Default(),
		file:   file,
		from:   map[string]problem{},
		failed: map[string]bool{},
	}
	l.cfg.file, l.cfg.getenv = file, getenv
	l.parse(data)
	l.environment(getenv)
	for _, k := range l.keys {
		if l.failed[k.path] {
			continue
		}
		if msg := k.check(&l.cfg); msg != "" {
			p := l.from[k.path]
			p.path, p.msg = k.path, msg
			l.ps.add(p)
		}
	}
	for _, p := range l.tokenKeys {
		p.msg = fmt.Sprintf("the bot token is never read from the file: set the environment variable %s (named by discord.token_env) instead", l.cfg.Discord.TokenEnv)
		l.ps.add(p)
	}
	if err := l.ps.err(); err != nil {
		return Config{}, err
	}
	return l.cfg, nil
}

// loader holds the state of one load.
type loader struct {
	keys      []key
	cfg       Config
	file      string
	ps        problems
	from      map[string]problem // by key path: where its value came from (path and msg empty)
	failed    map[string]bool    // key paths whose value could not be decoded
	tokenKeys []problem          // where token keys were found
}

// at returns a problem placed at line of the file.
func (l *loader) at(line int, path, msg string) problem {
	return problem{file: l.file, line: line, path: path, msg: msg}
}

// yamlLine matches the line number yaml.v3 puts at the start of its syntax errors.
var yamlLine = regexp.MustCompile(`^yaml: line ([0-9]+): `)

// parse decodes the file's one YAML document into l.cfg.
func (l *loader) parse(data []byte) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if !errors.Is(err, io.EOF) {
			l.syntax(err)
		}
		return
	}
	l.document(&doc)
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		l.ps.add(l.at(next.Line, "", "a second YAML document: the file must hold one"))
	case !errors.Is(err, io.EOF):
		l.syntax(err)
	}
}

// syntax records a YAML syntax error, at its line when it has one.
func (l *loader) syntax(err error) {
	msg := err.Error()
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	l.ps.add(l.at(line, "", msg))
}

// document decodes the sections of the top-level mapping.
func (l *loader) document(doc *yaml.Node) {
	root := doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return
		}
		root = root.Content[0]
	}
	root = resolve(root)
	if isNull(root) {
		return
	}
	names := append(sections(l.keys), "modules")
	if root.Kind != yaml.MappingNode {
		l.ps.add(l.at(root.Line, "", "the file holds "+describe(root)+"; want a mapping of the sections "+strings.Join(names, ", ")))
		return
	}
	l.mapping(root, "", func(name string, k, v *yaml.Node) {
		switch {
		case name == "modules":
			l.modules(v)
		case name == "token":
			l.tokenKeys = append(l.tokenKeys, l.at(k.Line, name, ""))
		case slices.Contains(names, name):
			l.section(name, v)
		default:
			l.ps.add(l.at(k.Line, name, "unknown key; the sections are "+strings.Join(names, ", ")))
		}
	})
}

// section decodes the keys of one of Hearth's own sections.
func (l *loader) section(name string, n *yaml.Node) {
	if isNull(n) {
		return
	}
	var known []string
	for _, k := range l.keys {
		if s, field, _ := strings.Cut(k.path, "."); s == name {
			known = append(known, field)
		}
	}
	if n.Kind != yaml.MappingNode {
		l.ps.add(l.at(n.Line, name, describe(n)+" is not a mapping of the keys "+strings.Join(known, ", ")))
		return
	}
	l.mapping(n, name, func(field string, k, v *yaml.Node) {
		path := name + "." + field
		if path == "discord.token" {
			l.tokenKeys = append(l.tokenKeys, l.at(k.Line, path, ""))
			return
		}
		i := slices.IndexFunc(l.keys, func(k key) bool { return k.path == path })
		if i < 0 {
			l.ps.add(l.at(k.Line, join(name, field), "unknown key; "+name+" has "+strings.Join(known, ", ")))
			return
		}
		if isNull(v) {
			return // "key:" with no value keeps the default
		}
		if msg := l.keys[i].set(&l.cfg, v); msg != "" {
			l.ps.add(l.at(v.Line, path, msg))
			l.failed[path] = true
			return
		}
		l.from[path] = l.at(v.Line, "", "")
	})
}

// modules keeps the sections under modules, checking only that each is a mapping.
func (l *loader) modules(n *yaml.Node) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		l.ps.add(l.at(n.Line, "modules", describe(n)+" is not a mapping of module IDs to their sections"))
		return
	}
	l.mapping(n, "modules", func(id string, k, v *yaml.Node) {
		path := join("modules", id)
		if id == "" {
			l.ps.add(l.at(k.Line, path, "a module ID cannot be empty"))
			return
		}
		if !isNull(v) && v.Kind != yaml.MappingNode {
			l.ps.add(l.at(v.Line, path, describe(v)+" is not a mapping of the module's keys"))
			return
		}
		if l.cfg.modules == nil {
			l.cfg.modules = map[string]*yaml.Node{}
		}
		l.cfg.modules[id] = v
	})
}

// mapping calls f for each key of the mapping n, at path, with the value's aliases resolved. It
// reports keys that are not strings, duplicated keys and merge keys itself.
func (l *loader) mapping(n *yaml.Node, path string, f func(name string, k, v *yaml.Node)) {
	first := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			l.ps.add(l.at(k.Line, path, describe(k)+" is not a key: a key is a name"))
			continue
		}
		if k.ShortTag() == "!!merge" {
			l.ps.add(l.at(k.Line, join(path, k.Value), "merge keys are not supported: write the keys out"))
			continue
		}
		if line, dup := first[k.Value]; dup {
			l.ps.add(l.at(k.Line, join(path, k.Value), "a second time: the first is at line "+strconv.Itoa(line)))
			continue
		}
		first[k.Value] = k.Line
		f(k.Value, k, v)
	}
}

// environment applies the HEARTH_* variables of Hearth's own keys.
func (l *loader) environment(getenv func(string) string) {
	for _, k := range l.keys {
		name := envName(strings.Split(k.path, ".")...)
		v := getenv(name)
		if v == "" {
			continue
		}
		n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
		if msg := k.set(&l.cfg, n); msg != "" {
			l.ps.add(problem{env: name, msg: msg})
			l.failed[k.path] = true
			continue
		}
		l.from[k.path] = problem{env: name}
	}
}

// envName returns the variable that overrides the key at path: HEARTH_, then the parts
// upper-cased, joined by _, with every character other than a letter or digit made _.
func envName(path ...string) string {
	var b strings.Builder
	b.WriteString("HEARTH")
	for _, p := range path {
		b.WriteByte('_')
		for _, r := range strings.ToUpper(p) {
			if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
				b.WriteRune(r)
			} else {
				b.WriteByte('_')
			}
		}
	}
	return b.String()
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// isNull reports whether n is null: "key:" with no value, ~ or null.
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// plainKey matches the keys a path shows unquoted.
var plainKey = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// join returns path.key, quoting a key that holds anything but letters, digits, _, . and -.
func join(path, key string) string {
	if !plainKey.MatchString(key) {
		key = strconv.Quote(key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// problem is one thing wrong with the configuration.
type problem struct {
	file string // the file the value is in, with line; "" when from elsewhere
	line int    // the line in file; 0 when unknown
	env  string // the environment variable the value came from, if it did
	path string // the key path, such as discord.shards; "" for the file as a whole
	msg  string // what is wrong
}

// Error formats p as `config: where: path: msg`.
func (p problem) Error() string {
	var b strings.Builder
	b.WriteString("config: ")
	switch {
	case p.env != "":
		b.WriteString(p.env + ": ")
	case p.line > 0 && p.file != "":
		b.WriteString(p.file + ":" + strconv.Itoa(p.line) + ": ")
	case p.line > 0:
		b.WriteString("line " + strconv.Itoa(p.line) + ": ")
	case p.file != "":
		b.WriteString(p.file + ": ")
	}
	if p.path != "" && p.env == "" {
		b.WriteString(p.path + ": ")
	}
	b.WriteString(p.msg)
	return b.String()
}

// problems collects problems.
type problems []problem

func (ps *problems) add(p problem) { *ps = append(*ps, p) }

// err returns the problems as one error, those in the file first in line order, or nil.
func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	sorted := slices.Clone(ps)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if (a.line == 0) != (b.line == 0) {
			return b.line == 0
		}
		return a.line < b.line
	})
	errs := make([]error, len(sorted))
	for i, p := range sorted {
		errs[i] = p
	}
	return errors.Join(errs...)
}
