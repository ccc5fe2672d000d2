package discordtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Application command types.
const (
	commandChatInput = 1
	commandUser      = 2
	commandMessage   = 3
	commandEntry     = 4 // PRIMARY_ENTRY_POINT: needs Activities, which the emulated app has none of
)

// Application command option types.
const (
	optSubcommand  = 1
	optGroup       = 2
	optString      = 3
	optInteger     = 4
	optBoolean     = 5
	optUser        = 6
	optChannel     = 7
	optRole        = 8
	optMentionable = 9
	optNumber      = 10
	optAttachment  = 11
)

// maxSafeInteger bounds INTEGER option values and every min_value or
// max_value: Discord takes integers between -2^53+1 and 2^53-1.
const maxSafeInteger = 1<<53 - 1

// Per-scope command limits (application-commands "Registering a Command").
var commandLimits = map[int]int{commandChatInput: 100, commandUser: 15, commandMessage: 15}

// locales are the keys Discord accepts in name_localizations and
// description_localizations (reference "Locales").
var locales = []string{"id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu",
	"nl", "no", "pl", "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi", "th",
	"zh-CN", "ja", "zh-TW", "ko"}

// validChannelTypes are the channel types a CHANNEL option may restrict to.
var validChannelTypes = []int{0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15, 16}

// command is a registered application command, with the defaults Discord
// fills in.
type command struct {
	ID       Snowflake
	GuildID  Snowflake // 0 for a global command
	Version  Snowflake
	Type     int
	Name     string
	NameLoc  map[string]string // nil is null
	Desc     string
	DescLoc  map[string]string
	Options  []*cmdOption
	Perms    *uint64 // default_member_permissions; nil is null
	DM       bool    // dm_permission, global commands only
	Contexts []int   // nil is null; global commands only
	Installs []int   // integration_types; global commands only
	NSFW     bool
}

// cmdOption is one option of a command, subcommand or subcommand group.
type cmdOption struct {
	Type         int
	Name         string
	NameLoc      map[string]string
	Desc         string
	DescLoc      map[string]string
	Required     bool
	Choices      []cmdChoice
	Options      []*cmdOption
	ChannelTypes []int
	MinValue     *float64
	MaxValue     *float64
	MinLength    *int
	MaxLength    *int
	Autocomplete bool
}

// cmdChoice is one choice of a STRING, INTEGER or NUMBER option. Value is a
// string, an int64 or a float64 by the option's type.
type cmdChoice struct {
	Name    string
	NameLoc map[string]string
	Value   any
}

// hasSubcommands reports whether the command's options are subcommands or
// groups rather than parameters.
func hasSubcommands(opts []*cmdOption) bool {
	return len(opts) > 0 && (opts[0].Type == optSubcommand || opts[0].Type == optGroup)
}

func findOption(opts []*cmdOption, name string) *cmdOption {
	for _, o := range opts {
		if o.Name == name {
			return o
		}
	}
	return nil
}

// commandStore holds the application's commands by scope: 0 for the
// global ones, else the guild's ID. Each scope lists its commands in
// creation order. The Server's mutex guards it.
type commandStore struct {
	scopes map[Snowflake][]*command
}

func newCommandStore() commandStore { return commandStore{scopes: map[Snowflake][]*command{}} }

func (cs commandStore) byID(scope, id Snowflake) *command {
	for _, c := range cs.scopes[scope] {
		if c.ID == id {
			return c
		}
	}
	return nil
}

func (cs commandStore) byName(scope Snowflake, name string, typ int) *command {
	for _, c := range cs.scopes[scope] {
		if c.Name == name && c.Type == typ {
			return c
		}
	}
	return nil
}

// lookup finds the chat input command a person typing in a guild gets:
// the guild's command first, then the global one.
func (cs commandStore) lookup(guild Snowflake, name string) *command {
	if c := cs.byName(guild, name, commandChatInput); c != nil {
		return c
	}
	return cs.byName(0, name, commandChatInput)
}

// --- JSON, as Discord returns commands ---

type commandJSON struct {
	ID                       Snowflake          `json:"id"`
	ApplicationID            Snowflake          `json:"application_id"`
	Version                  Snowflake          `json:"version"`
	DefaultMemberPermissions *string            `json:"default_member_permissions"`
	Type                     int                `json:"type"`
	Name                     string             `json:"name"`
	NameLocalizations        *map[string]string `json:"name_localizations,omitempty"`
	Description              string             `json:"description"`
	DescriptionLocalizations *map[string]string `json:"description_localizations,omitempty"`
	GuildID                  *Snowflake         `json:"guild_id,omitempty"`
	DMPermission             *bool              `json:"dm_permission,omitempty"`
	Contexts                 *[]int             `json:"contexts,omitempty"`
	IntegrationTypes         []int              `json:"integration_types,omitempty"`
	Options                  []optionJSON       `json:"options,omitempty"`
	NSFW                     bool               `json:"nsfw"`
}

type optionJSON struct {
	Type                     int                `json:"type"`
	Name                     string             `json:"name"`
	NameLocalizations        *map[string]string `json:"name_localizations,omitempty"`
	Description              string             `json:"description"`
	DescriptionLocalizations *map[string]string `json:"description_localizations,omitempty"`
	Required                 bool               `json:"required,omitempty"`
	Choices                  []choiceJSON       `json:"choices,omitempty"`
	ChannelTypes             []int              `json:"channel_types,omitempty"`
	MinValue                 *float64           `json:"min_value,omitempty"`
	MaxValue                 *float64           `json:"max_value,omitempty"`
	MinLength                *int               `json:"min_length,omitempty"`
	MaxLength                *int               `json:"max_length,omitempty"`
	Autocomplete             bool               `json:"autocomplete,omitempty"`
	Options                  []optionJSON       `json:"options,omitempty"`
}

type choiceJSON struct {
	Name              string             `json:"name"`
	NameLocalizations *map[string]string `json:"name_localizations,omitempty"`
	Value             any                `json:"value"`
}

// localized returns the field for a localization dictionary: null when
// the command has none, or nothing at all when the reader did not ask for
// them (GET without with_localizations).
func localized(m map[string]string, with bool) *map[string]string {
	if !with {
		return nil
	}
	c := m
	return &c
}

// json renders a command. withLoc includes the localization dictionaries,
// as every answer but a plain GET of the list does.
func (c *command) json(appID Snowflake, withLoc bool) commandJSON {
	j := commandJSON{ID: c.ID, ApplicationID: appID, Version: c.Version, Type: c.Type, Name: c.Name,
		NameLocalizations: localized(c.NameLoc, withLoc), Description: c.Desc,
		DescriptionLocalizations: localized(c.DescLoc, withLoc), NSFW: c.NSFW}
	if c.Perms != nil {
		p := strconv.FormatUint(*c.Perms, 10)
		j.DefaultMemberPermissions = &p
	}
	if c.GuildID != 0 {
		gid := c.GuildID
		j.GuildID = &gid
	} else {
		dm, ctx := c.DM, slices.Clone(c.Contexts)
		j.DMPermission, j.Contexts, j.IntegrationTypes = &dm, &ctx, slices.Clone(c.Installs)
	}
	for _, o := range c.Options {
		j.Options = append(j.Options, o.json(withLoc))
	}
	return j
}

func (o *cmdOption) json(withLoc bool) optionJSON {
	j := optionJSON{Type: o.Type, Name: o.Name, NameLocalizations: localized(o.NameLoc, withLoc), Description: o.Desc,
		DescriptionLocalizations: localized(o.DescLoc, withLoc), Required: o.Required, ChannelTypes: slices.Clone(o.ChannelTypes),
		MinValue: o.MinValue, MaxValue: o.MaxValue, MinLength: o.MinLength, MaxLength: o.MaxLength, Autocomplete: o.Autocomplete}
	for _, ch := range o.Choices {
		j.Choices = append(j.Choices, choiceJSON{Name: ch.Name, NameLocalizations: localized(ch.NameLoc, withLoc), Value: ch.Value})
	}
	for _, sub := range o.Options {
		j.Options = append(j.Options, sub.json(withLoc))
	}
	return j
}

// sameDefinition reports whether two commands define the same thing,
// ignoring ID and version: a PUT or POST that changes nothing keeps the
// version.
func sameDefinition(a, b *command) bool {
	x, y := *a, *b
	x.ID, x.Version, y.ID, y.Version = 0, 0, 0, 0
	ja, _ := json.Marshal(x.json(0, true))
	jb, _ := json.Marshal(y.json(0, true))
	return bytes.Equal(ja, jb)
}

// --- Parsing and validation, as Discord answers a bad body: 50035 with
// the path of the first wrong field ---

// fields is a JSON object read key by key, so PATCH can tell an absent
// key from a null one.
type fields map[string]json.RawMessage

// invalidForm is a 50035 at a dotted path; an empty path puts the error
// on the body itself.
func invalidForm(path, code, message string) *apiError {
	if path == "" {
		return &apiError{Status: 400, Code: 50035, Message: "Invalid Form Body",
			Errors: map[string]any{"_errors": []map[string]string{{"code": code, "message": message}}}}
	}
	return formError(path, code, message)
}

func fieldPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func decodeFields(raw json.RawMessage, path string) (fields, *apiError) {
	var f fields
	if err := json.Unmarshal(raw, &f); err != nil || f == nil {
		return nil, invalidForm(path, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
	}
	return f, nil
}

func isNull(raw json.RawMessage) bool { return raw == nil || string(bytes.TrimSpace(raw)) == "null" }

// str reads a string key; nil when absent or null.
func (f fields) str(path, key string) (*string, *apiError) {
	raw, ok := f[key]
	if !ok || isNull(raw) {
		return nil, nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, invalidForm(fieldPath(path, key), "BASE_TYPE_STRING", fmt.Sprintf("Could not interpret %q as string.", string(raw)))
	}
	return &v, nil
}

func (f fields) boolean(path, key string) (*bool, *apiError) {
	raw, ok := f[key]
	if !ok || isNull(raw) {
		return nil, nil
	}
	var v bool
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, invalidForm(fieldPath(path, key), "BASE_TYPE_BOOLEAN", "Must be either true or false.")
	}
	return &v, nil
}

// integer reads an integer key, as a JSON number or a string of digits.
func (f fields) integer(path, key string) (*int64, *apiError) {
	raw, ok := f[key]
	if !ok || isNull(raw) {
		return nil, nil
	}
	v, ok := parseJSONInt(raw)
	if !ok {
		return nil, invalidForm(fieldPath(path, key), "NUMBER_TYPE_COERCE", fmt.Sprintf("Value %q is not int.", strings.Trim(string(raw), `"`)))
	}
	return &v, nil
}

func parseJSONInt(raw json.RawMessage) (int64, bool) {
	s := strings.TrimSpace(string(raw))
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err == nil {
		return v, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > math.MaxInt64/2 {
		return 0, false
	}
	return int64(f), true
}

func (f fields) number(path, key string) (*float64, *apiError) {
	raw, ok := f[key]
	if !ok || isNull(raw) {
		return nil, nil
	}
	var v float64
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, invalidForm(fieldPath(path, key), "NUMBER_TYPE_COERCE", fmt.Sprintf("Value %q is not a valid number.", string(raw)))
	}
	return &v, nil
}

// list reads an array key into its raw elements; ok is false when absent
// or null.
func (f fields) list(path, key string) ([]json.RawMessage, bool, *apiError) {
	raw, ok := f[key]
	if !ok || isNull(raw) {
		return nil, false, nil
	}
	var v []json.RawMessage
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, false, invalidForm(fieldPath(path, key), "BASE_TYPE_ARRAY", "Must be an array.")
	}
	return v, true, nil
}

// intSet reads a list of distinct integers, each one of allowed, with at
// least one element.
func (f fields) intSet(path, key string, allowed []int) ([]int, bool, *apiError) {
	items, ok, err := f.list(path, key)
	if err != nil || !ok {
		return nil, ok, err
	}
	if len(items) == 0 {
		return nil, false, invalidForm(fieldPath(path, key), "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length.")
	}
	var out []int
	for i, raw := range items {
		v, ok := parseJSONInt(raw)
		if !ok || !slices.Contains(allowed, int(v)) {
			return nil, false, invalidForm(fmt.Sprintf("%s.%d", fieldPath(path, key), i), "BASE_TYPE_CHOICES", fmt.Sprintf("Value must be one of %s.", intList(allowed)))
		}
		if slices.Contains(out, int(v)) {
			return nil, false, invalidForm(fieldPath(path, key), "BASE_TYPE_BAD_SET", "Duplicate value in set.")
		}
		out = append(out, int(v))
	}
	return out, true, nil
}

func intList(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return "{" + strings.Join(s, ", ") + "}"
}

// localizations reads a name_localizations-like dictionary: keys are
// locales, values obey the same length (and for names, the same pattern)
// as the field they localize.
func (f fields) localizations(path, key string, maxLen int, chatName bool) (map[string]string, *apiError) {
	raw, ok := f[key]
	if !ok || isNull(raw) {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, invalidForm(fieldPath(path, key), "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
	}
	for loc, v := range m {
		p := fieldPath(fieldPath(path, key), loc)
		if !slices.Contains(locales, loc) {
			return nil, invalidForm(p, "BASE_TYPE_CHOICES", "Value must be one of the available locales.")
		}
		if n := utf8.RuneCountInString(v); n < 1 || n > maxLen {
			return nil, invalidForm(p, "BASE_TYPE_BAD_LENGTH", fmt.Sprintf("Must be between 1 and %d in length.", maxLen))
		}
		if chatName && !validChatName(v) {
			return nil, invalidForm(p, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
		}
	}
	return m, nil
}

// validChatName checks a CHAT_INPUT command or option name against
// ^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$, lower-case wherever a
// letter has a lower-case form.
func validChatName(name string) bool {
	n := 0
	for _, r := range name {
		n++
		ok := r == '-' || r == '_' || r == '\'' || unicode.IsLetter(r) || unicode.IsNumber(r) ||
			unicode.Is(unicode.Devanagari, r) || unicode.Is(unicode.Thai, r)
		if !ok || unicode.ToLower(r) != r {
			return false
		}
	}
	return n >= 1 && n <= 32
}

// parseName reads a required name: 1 to 32 characters, and for chat
// input names the pattern above.
func (f fields) parseName(path string, chat bool) (string, *apiError) {
	name, err := f.str(path, "name")
	if err != nil {
		return "", err
	}
	p := fieldPath(path, "name")
	if name == nil {
		return "", invalidForm(p, "BASE_TYPE_REQUIRED", "This field is required")
	}
	if n := utf8.RuneCountInString(*name); n < 1 || n > 32 {
		return "", invalidForm(p, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.")
	}
	if chat && !validChatName(*name) {
		return "", invalidForm(p, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
	}
	return *name, nil
}

// parseDescription reads a required 1-100 character description.
func (f fields) parseDescription(path string) (string, *apiError) {
	d, err := f.str(path, "description")
	if err != nil {
		return "", err
	}
	p := fieldPath(path, "description")
	if d == nil {
		return "", invalidForm(p, "BASE_TYPE_REQUIRED", "This field is required")
	}
	if n := utf8.RuneCountInString(*d); n < 1 || n > 100 {
		return "", invalidForm(p, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
	}
	return *d, nil
}

// parseCommand validates one command body and fills Discord's defaults.
// global says whether it is registered globally, where dm_permission,
// contexts and integration_types apply.
func parseCommand(f fields, path string, global bool) (*command, *apiError) {
	c := &command{Type: commandChatInput, DM: true}
	if t, err := f.integer(path, "type"); err != nil {
		return nil, err
	} else if t != nil {
		c.Type = int(*t)
	}
	switch c.Type {
	case commandChatInput, commandUser, commandMessage:
	case commandEntry:
		return nil, invalidForm(fieldPath(path, "type"), "APPLICATION_COMMAND_TYPE_INVALID", "Primary entry point commands need an application with Activities enabled.")
	default:
		return nil, invalidForm(fieldPath(path, "type"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4}.")
	}
	chat := c.Type == commandChatInput
	var err *apiError
	if c.Name, err = f.parseName(path, chat); err != nil {
		return nil, err
	}
	if c.NameLoc, err = f.localizations(path, "name_localizations", 32, chat); err != nil {
		return nil, err
	}
	if chat {
		if c.Desc, err = f.parseDescription(path); err != nil {
			return nil, err
		}
		if c.DescLoc, err = f.localizations(path, "description_localizations", 100, false); err != nil {
			return nil, err
		}
		items, ok, err := f.list(path, "options")
		if err != nil {
			return nil, err
		}
		if ok {
			if c.Options, err = parseOptions(items, fieldPath(path, "options"), 0); err != nil {
				return nil, err
			}
		}
	} else {
		// Context menu commands have an empty description and no options.
		if d, err := f.str(path, "description"); err != nil {
			return nil, err
		} else if d != nil && *d != "" {
			return nil, invalidForm(fieldPath(path, "description"), "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION", "Context menu commands cannot have a description")
		}
		if items, _, err := f.list(path, "options"); err != nil {
			return nil, err
		} else if len(items) > 0 {
			return nil, invalidForm(fieldPath(path, "options"), "APPLICATION_COMMAND_CONTEXT_MENU_OPTIONS", "Context menu commands cannot have options")
		}
	}
	if c.Perms, err = parsePermissions(f, path); err != nil {
		return nil, err
	}
	if nsfw, err := f.boolean(path, "nsfw"); err != nil {
		return nil, err
	} else if nsfw != nil {
		c.NSFW = *nsfw
	}
	if !global {
		return c, nil
	}
	if dm, err := f.boolean(path, "dm_permission"); err != nil {
		return nil, err
	} else if dm != nil {
		c.DM = *dm
	}
	if c.Contexts, _, err = f.intSet(path, "contexts", []int{0, 1, 2}); err != nil {
		return nil, err
	}
	installs, ok, err := f.intSet(path, "integration_types", []int{0, 1})
	if err != nil {
		return nil, err
	}
	c.Installs = []int{0} // the emulated application is configured for guild installs only
	if ok {
		c.Installs = installs
	}
	return c, nil
}

// parsePermissions reads default_member_permissions: null, a string of
// digits or an integer, within the 54 permission bits Discord accepts.
func parsePermissions(f fields, path string) (*uint64, *apiError) {
	raw, ok := f["default_member_permissions"]
	if !ok || isNull(raw) {
		return nil, nil
	}
	p := fieldPath(path, "default_member_permissions")
	s := strings.TrimSpace(string(raw))
	if strings.HasPrefix(s, `"`) {
		_ = json.Unmarshal(raw, &s)
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return nil, invalidForm(p, "NUMBER_TYPE_COERCE", fmt.Sprintf("Value %q is not int.", s))
	}
	if v > 1<<54-1 {
		return nil, invalidForm(p, "NUMBER_TYPE_MAX", "int value should be less than or equal to 18014398509481983.")
	}
	return &v, nil
}

// parseOptions validates an options array at a nesting level: 0 for a
// command's options, 1 inside a subcommand group (subcommands only), 2
// inside a subcommand (parameters only).
func parseOptions(items []json.RawMessage, path string, level int) ([]*cmdOption, *apiError) {
	if len(items) > 25 {
		return nil, invalidForm(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
	}
	var out []*cmdOption
	for i, raw := range items {
		o, err := parseOption(raw, fmt.Sprintf("%s.%d", path, i), level)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	subs, params, optionalSeen := 0, 0, false
	for i, o := range out {
		p := fmt.Sprintf("%s.%d", path, i)
		for _, prev := range out[:i] {
			if prev.Name == o.Name {
				return nil, invalidForm(fieldPath(p, "name"), "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", fmt.Sprintf("Option name %s is already used in these options", o.Name))
			}
		}
		isSub := o.Type == optSubcommand || o.Type == optGroup
		switch {
		case level == 1 && o.Type != optSubcommand:
			return nil, invalidForm(fieldPath(p, "type"), "APPLICATION_COMMAND_OPTION_TYPE_INVALID", "Sub-command groups may only contain sub-commands")
		case level == 2 && isSub:
			return nil, invalidForm(fieldPath(p, "type"), "APPLICATION_COMMAND_OPTION_TYPE_INVALID", "Sub-commands cannot contain sub-commands or sub-command groups")
		}
		if isSub {
			subs++
			continue
		}
		params++
		if !o.Required {
			optionalSeen = true
		} else if optionalSeen {
			return nil, invalidForm(p, "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", "Required options must be placed before non-required options")
		}
	}
	if subs > 0 && params > 0 {
		return nil, invalidForm(path, "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Sub-command and sub-command group option types are mutually exclusive to all other types")
	}
	return out, nil
}

// parseOption validates one option. Keys that do not apply to its type
// are dropped, as Discord drops them.
func parseOption(raw json.RawMessage, path string, level int) (*cmdOption, *apiError) {
	f, err := decodeFields(raw, path)
	if err != nil {
		return nil, err
	}
	o := &cmdOption{}
	t, err := f.integer(path, "type")
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, invalidForm(fieldPath(path, "type"), "BASE_TYPE_REQUIRED", "This field is required")
	}
	if o.Type = int(*t); o.Type < optSubcommand || o.Type > optAttachment {
		return nil, invalidForm(fieldPath(path, "type"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}.")
	}
	if o.Name, err = f.parseName(path, true); err != nil {
		return nil, err
	}
	if o.NameLoc, err = f.localizations(path, "name_localizations", 32, true); err != nil {
		return nil, err
	}
	if o.Desc, err = f.parseDescription(path); err != nil {
		return nil, err
	}
	if o.DescLoc, err = f.localizations(path, "description_localizations", 100, false); err != nil {
		return nil, err
	}
	switch o.Type {
	case optSubcommand, optGroup:
		items, _, err := f.list(path, "options")
		if err != nil {
			return nil, err
		}
		next := 2
		if o.Type == optGroup {
			next = 1
		}
		if o.Options, err = parseOptions(items, fieldPath(path, "options"), next); err != nil {
			return nil, err
		}
		return o, nil
	}
	if req, err := f.boolean(path, "required"); err != nil {
		return nil, err
	} else if req != nil {
		o.Required = *req
	}
	switch o.Type {
	case optString, optInteger, optNumber:
		if err := o.parseChoices(f, path); err != nil {
			return nil, err
		}
		if ac, err := f.boolean(path, "autocomplete"); err != nil {
			return nil, err
		} else if ac != nil && *ac {
			if len(o.Choices) > 0 {
				return nil, invalidForm(fieldPath(path, "autocomplete"), "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_CHOICES", "Autocomplete options cannot have choices")
			}
			o.Autocomplete = true
		}
	case optChannel:
		if o.ChannelTypes, _, err = f.intSet(path, "channel_types", validChannelTypes); err != nil {
			return nil, err
		}
	}
	switch o.Type {
	case optString:
		return o, o.parseLengths(f, path)
	case optInteger, optNumber:
		return o, o.parseBounds(f, path)
	}
	return o, nil
}

func (o *cmdOption) parseChoices(f fields, path string) *apiError {
	items, _, err := f.list(path, "choices")
	if err != nil {
		return err
	}
	if len(items) > 25 {
		return invalidForm(fieldPath(path, "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
	}
	for i, raw := range items {
		p := fmt.Sprintf("%s.%d", fieldPath(path, "choices"), i)
		cf, err := decodeFields(raw, p)
		if err != nil {
			return err
		}
		name, err := cf.str(p, "name")
		if err != nil {
			return err
		}
		if name == nil {
			return invalidForm(fieldPath(p, "name"), "BASE_TYPE_REQUIRED", "This field is required")
		}
		if n := utf8.RuneCountInString(*name); n < 1 || n > 100 {
			return invalidForm(fieldPath(p, "name"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
		}
		loc, err := cf.localizations(p, "name_localizations", 100, false)
		if err != nil {
			return err
		}
		value, err := choiceValue(cf, p, o.Type)
		if err != nil {
			return err
		}
		o.Choices = append(o.Choices, cmdChoice{Name: *name, NameLoc: loc, Value: value})
	}
	return nil
}

// choiceValue reads a choice's value, typed by its option: a string of
// at most 100 characters, an integer or a number.
func choiceValue(f fields, path string, typ int) (any, *apiError) {
	p := fieldPath(path, "value")
	raw, ok := f["value"]
	if !ok || isNull(raw) {
		return nil, invalidForm(p, "BASE_TYPE_REQUIRED", "This field is required")
	}
	switch typ {
	case optString:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, invalidForm(p, "BASE_TYPE_STRING", fmt.Sprintf("Could not interpret %q as string.", string(raw)))
		}
		if utf8.RuneCountInString(s) > 100 {
			return nil, invalidForm(p, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
		}
		return s, nil
	case optInteger:
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil || strings.HasPrefix(strings.TrimSpace(string(raw)), `"`) {
			return nil, invalidForm(p, "NUMBER_TYPE_COERCE", fmt.Sprintf("Value %q is not int.", string(raw)))
		}
		v, err := n.Int64()
		if err != nil {
			return nil, invalidForm(p, "NUMBER_TYPE_COERCE", fmt.Sprintf("Value %q is not int.", string(raw)))
		}
		if v > maxSafeInteger || v < -maxSafeInteger {
			return nil, invalidForm(p, "NUMBER_TYPE_MAX", "int value should be between -9007199254740991 and 9007199254740991.")
		}
		return v, nil
	default:
		var v float64
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, invalidForm(p, "NUMBER_TYPE_COERCE", fmt.Sprintf("Value %q is not a valid number.", string(raw)))
		}
		return v, nil
	}
}

// parseLengths reads min_length (0-6000) and max_length (1-6000) of a
// STRING option; min may not exceed max.
func (o *cmdOption) parseLengths(f fields, path string) *apiError {
	lo, err := f.integer(path, "min_length")
	if err != nil {
		return err
	}
	hi, err := f.integer(path, "max_length")
	if err != nil {
		return err
	}
	if lo != nil {
		if *lo < 0 || *lo > 6000 {
			return invalidForm(fieldPath(path, "min_length"), "NUMBER_TYPE_MAX", "int value should be between 0 and 6000.")
		}
		v := int(*lo)
		o.MinLength = &v
	}
	if hi != nil {
		if *hi < 1 || *hi > 6000 {
			return invalidForm(fieldPath(path, "max_length"), "NUMBER_TYPE_MAX", "int value should be between 1 and 6000.")
		}
		v := int(*hi)
		o.MaxLength = &v
	}
	if o.MinLength != nil && o.MaxLength != nil && *o.MinLength > *o.MaxLength {
		return invalidForm(fieldPath(path, "min_length"), "APPLICATION_COMMAND_OPTION_LENGTH_RANGE_INVALID", "min_length must be less than or equal to max_length")
	}
	return nil
}

// parseBounds reads min_value and max_value of an INTEGER (whole numbers)
// or NUMBER option, within ±2^53; min may not exceed max.
func (o *cmdOption) parseBounds(f fields, path string) *apiError {
	for _, key := range []string{"min_value", "max_value"} {
		v, err := f.number(path, key)
		if err != nil {
			return err
		}
		if v == nil {
			continue
		}
		p := fieldPath(path, key)
		if o.Type == optInteger && *v != math.Trunc(*v) {
			return invalidForm(p, "NUMBER_TYPE_COERCE", fmt.Sprintf("Value \"%v\" is not int.", *v))
		}
		if math.IsNaN(*v) || math.Abs(*v) > 1<<53 || (o.Type == optInteger && math.Abs(*v) > maxSafeInteger) {
			return invalidForm(p, "NUMBER_TYPE_MAX", "Value should be between -9007199254740991 and 9007199254740991.")
		}
		if key == "min_value" {
			o.MinValue = v
		} else {
			o.MaxValue = v
		}
	}
	if o.MinValue != nil && o.MaxValue != nil && *o.MinValue > *o.MaxValue {
		return invalidForm(fieldPath(path, "min_value"), "APPLICATION_COMMAND_OPTION_VALUE_RANGE_INVALID", "min_value must be less than or equal to max_value")
	}
	return nil
}

// inputFields renders a stored command back into request keys, so PATCH
// can overlay the keys it sends and validate the result as a whole.
func (c *command) inputFields() fields {
	b, _ := json.Marshal(c.json(0, true))
	var f fields
	_ = json.Unmarshal(b, &f)
	for _, k := range []string{"id", "application_id", "version", "guild_id"} {
		delete(f, k)
	}
	return f
}
