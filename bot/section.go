package bot

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/store"
)

// Section is a module's per-guild settings as /settings shows and edits
// them: dotted keys, values as text. NewGuildSettings makes one from a
// struct and registers it.
type Section interface {
	// Keys lists the keys, in declaration order.
	Keys() []SettingKey
	// Show returns the guild's value of every key.
	Show(ctx context.Context, guildID snowflake.ID) ([]SettingValue, error)
	// Set reads value for key, validates the whole section and saves it.
	// An error a person can fix is a *UserError naming the key, what was
	// wrong and what is allowed.
	Set(ctx context.Context, guildID snowflake.ID, key, value string, by store.Actor) (SettingChange, error)
	// Reset puts key, or every key when key is "", back to its default.
	Reset(ctx context.Context, guildID snowflake.ID, key string, by store.Actor) (SettingChange, error)
}

// SettingKey describes one key: its dotted name, what it does (the
// field's doc tag) and what values it takes.
type SettingKey struct {
	Key, Doc, Allowed string
}

// SettingValue is a key's value in a guild, as text; Default reports
// that it is the default.
type SettingValue struct {
	Key, Value string
	Default    bool
}

// SettingChange is a change Set or Reset made. ChangeID is its ID in the
// store's settings history; 0 when nothing changed.
type SettingChange struct {
	Key, Old, New string
	ChangeID      int64
}

// ModuleSection is a module's registered Section.
type ModuleSection struct {
	Module  string
	Section Section
}

// GuildSettings is a module's settings per guild: a struct T stored with
// store.Settings (validated, cached, with history) that /settings can
// show and edit key by key.
//
// T's fields are keys under their json tag name; a nested struct's fields
// are "outer.inner", an embedded one's are the outer struct's. A field's `doc` tag says what it does. Supported
// field types: bool, integers, float64, string, time.Duration (written
// "10m", "7d"), snowflake.ID (tag `kind:"channel"`, "role" or "user";
// written as a mention or an ID, "none" for 0), []string and
// []snowflake.ID (comma-separated; "+x" adds, "-x" removes, "none"
// empties).
type GuildSettings[T any] struct {
	module   string
	st       *store.Settings[T] // nil when the bot runs without a store
	defaults func() T
	fields   []settingField
}

// settingField is one key of T.
type settingField struct {
	key, doc, kind string
	index          []int
	typ            reflect.Type
}

// NewGuildSettings registers the module's per-guild settings: defaults
// returns a guild's settings before any change (a fresh value each call);
// validate (may be nil) checks a whole section and names the key at
// fault. Call it from Init. A field of a type /settings cannot edit is an
// error.
func NewGuildSettings[T any](h *Host, defaults func() T, validate func(*T) error) (*GuildSettings[T], error) {
	typ := reflect.TypeFor[T]()
	if typ.Kind() != reflect.Struct {
		return nil, fmt.Errorf("bot: %s: guild settings: %s is not a struct", h.module, typ)
	}
	fields, err := settingFields(typ, "", nil)
	if err != nil {
		return nil, fmt.Errorf("bot: %s: guild settings: %w", h.module, err)
	}
	g := &GuildSettings[T]{module: h.module, defaults: defaults, fields: fields}
	if h.rt.store != nil {
		g.st = store.NewSettings(h.rt.store, h.module, defaults, validate)
	}
	if h.rt.sections == nil {
		h.rt.sections = map[string]Section{}
	}
	if _, dup := h.rt.sections[h.module]; dup {
		return nil, fmt.Errorf("bot: %s: guild settings registered twice", h.module)
	}
	h.rt.sections[h.module] = g
	return g, nil
}

var (
	durationType  = reflect.TypeFor[time.Duration]()
	snowflakeType = reflect.TypeFor[snowflake.ID]()
)

func settingFields(typ reflect.Type, prefix string, index []int) ([]settingField, error) {
	var out []settingField
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		idx := append(slices.Clone(index), i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct && f.Tag.Get("json") == "" {
			// An embedded struct's fields are the outer struct's, as
			// encoding/json flattens them.
			sub, err := settingFields(f.Type, prefix, idx)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
			continue
		}
		key := prefix + name
		if f.Type.Kind() == reflect.Struct && f.Type != durationType {
			sub, err := settingFields(f.Type, key+".", idx)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
			continue
		}
		sf := settingField{key: key, doc: f.Tag.Get("doc"), kind: f.Tag.Get("kind"), index: idx, typ: f.Type}
		if sf.allowed() == "" {
			return nil, fmt.Errorf("key %q: type %s cannot be edited by /settings", key, f.Type)
		}
		out = append(out, sf)
	}
	return out, nil
}

// Get returns the guild's settings: what was saved, or the defaults.
// When what is stored no longer validates, it returns the defaults and
// an error wrapping store.ErrInvalidSettings. Treat slices in the value
// as read-only.
func (g *GuildSettings[T]) Get(ctx context.Context, guildID snowflake.ID) (T, error) {
	if g.st == nil {
		return g.defaults(), nil
	}
	return g.st.Get(ctx, uint64(guildID))
}

// Update changes the guild's settings with fn in one transaction (see
// store.Settings.Update); modules use it for changes they make
// themselves.
func (g *GuildSettings[T]) Update(ctx context.Context, guildID snowflake.ID, by store.Actor, fn func(*T) error) (T, store.Change, error) {
	if g.st == nil {
		return g.defaults(), store.Change{}, errNoStore
	}
	return g.st.Update(ctx, uint64(guildID), by, fn)
}

var errNoStore = errors.New("bot: settings cannot be changed: the bot runs without a store")

// Keys lists the keys.
func (g *GuildSettings[T]) Keys() []SettingKey {
	out := make([]SettingKey, len(g.fields))
	for i, f := range g.fields {
		out[i] = SettingKey{Key: f.key, Doc: f.doc, Allowed: f.allowed()}
	}
	return out
}

// Show returns every key's value in the guild.
func (g *GuildSettings[T]) Show(ctx context.Context, guildID snowflake.ID) ([]SettingValue, error) {
	v, err := g.Get(ctx, guildID)
	if err != nil && !errors.Is(err, store.ErrInvalidSettings) {
		return nil, err
	}
	d := g.defaults()
	cur, def := reflect.ValueOf(&v).Elem(), reflect.ValueOf(&d).Elem()
	out := make([]SettingValue, len(g.fields))
	for i, f := range g.fields {
		fv := cur.FieldByIndex(f.index)
		out[i] = SettingValue{Key: f.key, Value: f.format(fv), Default: reflect.DeepEqual(fv.Interface(), def.FieldByIndex(f.index).Interface())}
	}
	return out, nil
}

// Set reads value for key and saves the section.
func (g *GuildSettings[T]) Set(ctx context.Context, guildID snowflake.ID, key, value string, by store.Actor) (SettingChange, error) {
	f, err := g.field(key)
	if err != nil {
		return SettingChange{}, err
	}
	return g.change(ctx, guildID, f, by, func(fv reflect.Value) error { return f.parse(fv, value) })
}

// Reset puts key (every key when "") back to its default.
func (g *GuildSettings[T]) Reset(ctx context.Context, guildID snowflake.ID, key string, by store.Actor) (SettingChange, error) {
	if g.st == nil {
		return SettingChange{}, errNoStore
	}
	if key == "" {
		ch, err := g.st.Reset(ctx, uint64(guildID), by)
		if err != nil {
			return SettingChange{}, err
		}
		return SettingChange{Old: "(saved settings)", New: "(defaults)", ChangeID: ch.ID}, nil
	}
	f, err := g.field(key)
	if err != nil {
		return SettingChange{}, err
	}
	d := g.defaults()
	def := reflect.ValueOf(&d).Elem().FieldByIndex(f.index)
	return g.change(ctx, guildID, f, by, func(fv reflect.Value) error { fv.Set(def); return nil })
}

func (g *GuildSettings[T]) field(key string) (*settingField, error) {
	key = strings.ToLower(strings.TrimSpace(key))
	for i := range g.fields {
		if g.fields[i].key == key {
			return &g.fields[i], nil
		}
	}
	keys := make([]string, len(g.fields))
	for i, f := range g.fields {
		keys[i] = f.key
	}
	return nil, userErrorf("%s has no setting %q. Its settings are: %s.", g.module, key, strings.Join(keys, ", "))
}

// change applies set to the field inside one store transaction and
// reports the old and new values.
func (g *GuildSettings[T]) change(ctx context.Context, guildID snowflake.ID, f *settingField, by store.Actor, set func(reflect.Value) error) (SettingChange, error) {
	if g.st == nil {
		return SettingChange{}, errNoStore
	}
	out := SettingChange{Key: f.key}
	_, ch, err := g.st.Update(ctx, uint64(guildID), by, func(v *T) error {
		fv := reflect.ValueOf(v).Elem().FieldByIndex(f.index)
		out.Old = f.format(fv)
		// Work on a copy: the value may share slices with the cache.
		cp := reflect.New(fv.Type()).Elem()
		cp.Set(fv)
		if cp.Kind() == reflect.Slice {
			cp.Set(reflect.AppendSlice(reflect.MakeSlice(fv.Type(), 0, fv.Len()), fv))
		}
		if err := set(cp); err != nil {
			return err
		}
		fv.Set(cp)
		out.New = f.format(fv)
		return nil
	})
	if errors.Is(err, store.ErrInvalidSettings) {
		return SettingChange{}, userErrorf("%s.%s: %s was not saved: %s", g.module, f.key, out.New, invalidReason(err))
	}
	if err != nil {
		return SettingChange{}, err
	}
	out.ChangeID = ch.ID
	return out, nil
}

// invalidReason is the validation message inside a store error, without
// the prefixes the store adds.
func invalidReason(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "invalid settings: "); i >= 0 {
		return msg[i+len("invalid settings: "):]
	}
	return msg
}

// allowed says what values the field takes; "" for a type it cannot edit.
func (f settingField) allowed() string {
	switch {
	case f.typ == durationType:
		return "a duration: " + DurationHelp + "; 0 for none"
	case f.typ == snowflakeType:
		return "a " + f.kindName() + " (mention or ID), or none"
	case f.typ.Kind() == reflect.Bool:
		return "true or false (on/off, yes/no)"
	case f.typ.Kind() >= reflect.Int && f.typ.Kind() <= reflect.Int64,
		f.typ.Kind() >= reflect.Uint && f.typ.Kind() <= reflect.Uint64:
		return "a whole number"
	case f.typ.Kind() == reflect.Float64:
		return "a number"
	case f.typ.Kind() == reflect.String:
		return "text"
	case f.typ.Kind() == reflect.Slice && f.typ.Elem() == snowflakeType:
		return f.kindName() + "s (mentions or IDs), comma-separated; +x adds one, -x removes one, none empties the list"
	case f.typ.Kind() == reflect.Slice && f.typ.Elem().Kind() == reflect.String:
		return "a comma-separated list; +x adds one, -x removes one, none empties the list"
	}
	return ""
}

func (f settingField) kindName() string {
	if f.kind == "" {
		return "ID"
	}
	return f.kind
}

var mention = regexp.MustCompile(`^<(?:#|@&|@!?)(\d{1,20})>$`)

// parseID reads an ID or a mention; "none", "off" and "0" are 0.
func (f settingField) parseID(s string) (snowflake.ID, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "none", "off", "0", "":
		return 0, nil
	}
	if m := mention.FindStringSubmatch(s); m != nil {
		s = m[1]
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, userErrorf("%s: %q is not a %s; want a mention or an ID, or none.", f.key, s, f.kindName())
	}
	return snowflake.ID(n), nil
}

// parse reads s into fv.
func (f settingField) parse(fv reflect.Value, s string) error {
	s = strings.TrimSpace(s)
	switch {
	case f.typ == durationType:
		if s == "0" || strings.EqualFold(s, "none") || strings.EqualFold(s, "off") {
			fv.SetInt(0)
			return nil
		}
		d, err := ParseDuration(s)
		if err != nil {
			return userErrorf("%s: %s", f.key, err.Error())
		}
		fv.SetInt(int64(d))
	case f.typ == snowflakeType:
		id, err := f.parseID(s)
		if err != nil {
			return err
		}
		fv.SetUint(uint64(id))
	case f.typ.Kind() == reflect.Bool:
		switch strings.ToLower(s) {
		case "true", "on", "yes", "enable", "enabled", "1":
			fv.SetBool(true)
		case "false", "off", "no", "disable", "disabled", "0":
			fv.SetBool(false)
		default:
			return userErrorf("%s: %q is not true or false; want true, false, on, off, yes or no.", f.key, s)
		}
	case f.typ.Kind() >= reflect.Int && f.typ.Kind() <= reflect.Int64:
		n, err := strconv.ParseInt(s, 10, f.typ.Bits())
		if err != nil {
			return userErrorf("%s: %q is not a whole number.", f.key, s)
		}
		fv.SetInt(n)
	case f.typ.Kind() >= reflect.Uint && f.typ.Kind() <= reflect.Uint64:
		n, err := strconv.ParseUint(s, 10, f.typ.Bits())
		if err != nil {
			return userErrorf("%s: %q is not a whole number of 0 or more.", f.key, s)
		}
		fv.SetUint(n)
	case f.typ.Kind() == reflect.Float64:
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return userErrorf("%s: %q is not a number.", f.key, s)
		}
		fv.SetFloat(n)
	case f.typ.Kind() == reflect.String:
		fv.SetString(s)
	case f.typ.Kind() == reflect.Slice:
		return f.parseList(fv, s)
	}
	return nil
}

// parseList replaces, extends (+x) or shrinks (-x) a list.
func (f settingField) parseList(fv reflect.Value, s string) error {
	item := func(x string) (reflect.Value, error) {
		if f.typ.Elem() == snowflakeType {
			id, err := f.parseID(x)
			if err == nil && id == 0 {
				err = userErrorf("%s: %q is not a %s.", f.key, x, f.kindName())
			}
			return reflect.ValueOf(id), err
		}
		return reflect.ValueOf(x).Convert(f.typ.Elem()), nil
	}
	if strings.EqualFold(s, "none") || s == "" {
		fv.Set(reflect.MakeSlice(f.typ, 0, 0))
		return nil
	}
	if op := s[0]; op == '+' || op == '-' {
		v, err := item(strings.TrimSpace(s[1:]))
		if err != nil {
			return err
		}
		idx := -1
		for i := range fv.Len() {
			if fv.Index(i).Interface() == v.Interface() {
				idx = i
			}
		}
		switch {
		case op == '+' && idx < 0:
			fv.Set(reflect.Append(fv, v))
		case op == '-' && idx < 0:
			return userErrorf("%s: %s is not in the list.", f.key, strings.TrimSpace(s[1:]))
		case op == '-':
			fv.Set(reflect.AppendSlice(fv.Slice(0, idx), fv.Slice(idx+1, fv.Len())))
		}
		return nil
	}
	out := reflect.MakeSlice(f.typ, 0, 4)
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		v, err := item(part)
		if err != nil {
			return err
		}
		out = reflect.Append(out, v)
	}
	fv.Set(out)
	return nil
}

// format writes a value as /settings shows it.
func (f settingField) format(fv reflect.Value) string {
	switch {
	case f.typ == durationType:
		if fv.Int() == 0 {
			return "0 (none)"
		}
		return FormatDuration(time.Duration(fv.Int()))
	case f.typ == snowflakeType:
		return f.formatID(snowflake.ID(fv.Uint()))
	case f.typ.Kind() == reflect.Slice:
		if fv.Len() == 0 {
			return "none"
		}
		parts := make([]string, fv.Len())
		for i := range fv.Len() {
			if f.typ.Elem() == snowflakeType {
				parts[i] = f.formatID(snowflake.ID(fv.Index(i).Uint()))
			} else {
				parts[i] = fmt.Sprint(fv.Index(i).Interface())
			}
		}
		return strings.Join(parts, ", ")
	case f.typ.Kind() == reflect.String:
		if fv.String() == "" {
			return `""`
		}
	}
	return fmt.Sprint(fv.Interface())
}

func (f settingField) formatID(id snowflake.ID) string {
	if id == 0 {
		return "none"
	}
	switch f.kind {
	case "channel":
		return "<#" + id.String() + ">"
	case "role":
		return "<@&" + id.String() + ">"
	case "user":
		return "<@" + id.String() + ">"
	}
	return id.String()
}

// Sections lists every module's registered settings, by module ID.
func (h *Host) Sections() []ModuleSection {
	out := make([]ModuleSection, 0, len(h.rt.sections))
	for m, s := range h.rt.sections {
		out = append(out, ModuleSection{Module: m, Section: s})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Module < out[j].Module })
	return out
}

// Modules lists the IDs of the modules running (initialised, not
// skipped), in start order.
func (h *Host) Modules() []string {
	var out []string
	for _, ms := range h.rt.modules {
		if ms.inited {
			out = append(out, ms.m.ID())
		}
	}
	return out
}
