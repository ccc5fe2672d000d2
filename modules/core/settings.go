package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"
	"go.uber.org/zap"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/store"
)

// pageComponent names the Previous and Next buttons of /settings show
// with a module: their custom IDs are "core:settings:<module>:<page>".
const pageComponent = "settings"

// Discord's limits that /settings keeps to, in characters.
const (
	maxContent     = 2000 // a message's content
	maxCustomID    = 100  // a component's custom ID
	maxChoiceName  = 100  // an autocomplete choice's name, and its string value
	maxChoices     = 25   // autocomplete choices in one answer
	maxPageFields  = 25   // fields of an embed
	maxDescription = 4096 // an embed's description
	// pageBudget is what one page of /settings show may use of the 6,000
	// characters a message's embeds may hold together, with room left.
	pageBudget = 5000
	// maxValueText is how much of a value a reply or a field shows.
	maxValueText = 400
	// maxValueOption bounds the value option, so that an error quoting
	// it still fits a message.
	maxValueOption = 1500
)

// errNoStore answers a change when the bot runs without a database.
var errNoStore = &bot.UserError{Message: "Nothing can be changed: this bot runs without a database."}

// userErr builds an error the person reads.
func userErr(format string, args ...any) error {
	return &bot.UserError{Message: fmt.Sprintf(format, args...)}
}

// settingsCommand declares /settings show|set|reset.
func (m *Module) settingsCommand() bot.Command {
	module := func(desc string, required bool) bot.Option {
		return bot.Option{Name: "module", Description: desc, Type: bot.OptionString, Required: required,
			MaxLength: maxChoiceName, Autocomplete: true}
	}
	key := func(desc string, required bool) bot.Option {
		return bot.Option{Name: "key", Description: desc, Type: bot.OptionString, Required: required,
			MaxLength: maxChoiceName, Autocomplete: true}
	}
	return bot.Command{
		Name:        "settings",
		Description: "Show and change the settings of the bot's modules in this server",
		Permissions: adminPermission,
		Ephemeral:   true,
		Subcommands: []bot.Subcommand{
			{Name: "show", Description: "Every module, or one module's settings with what each allows",
				Options:      []bot.Option{module("The module whose settings to show (every module if left out)", false)},
				Handler:      m.settingsShow,
				Autocomplete: m.completeSettings},
			{Name: "set", Description: "Changes one setting of a module",
				Options: []bot.Option{
					module("The module the setting belongs to", true),
					key("The setting to change", true),
					{Name: "value", Description: "The new value (/settings show says what each setting allows)",
						Type: bot.OptionString, Required: true, MaxLength: maxValueOption},
				},
				Handler:      m.settingsSet,
				Autocomplete: m.completeSettings},
			{Name: "reset", Description: "Puts one setting, or all of a module's, back to the default",
				Options: []bot.Option{
					module("The module whose settings to reset", true),
					key("The setting to reset (every setting of the module if left out)", false),
				},
				Handler:      m.settingsReset,
				Autocomplete: m.completeSettings},
		},
	}
}

// settingsShow answers /settings show: a summary of every module, or one
// module's settings.
func (m *Module) settingsShow(ctx context.Context, r *bot.Request) (bot.Response, error) {
	name, _ := r.String("module")
	if strings.TrimSpace(name) == "" {
		states, err := m.states(ctx, r.GuildID)
		if err != nil {
			return bot.Response{}, err
		}
		return bot.Response{Embeds: []discord.Embed{summaryEmbed(states)}}, nil
	}
	id, err := m.running(name)
	if err != nil {
		return bot.Response{}, err
	}
	return m.renderSection(ctx, r.GuildID, id, 0)
}

// settingsPage answers the Previous and Next buttons of /settings show.
// Anyone who sees a button can press it, so the permission is checked
// here.
func (m *Module) settingsPage(ctx context.Context, r *bot.ComponentRequest) (bot.Response, error) {
	if !mayUse(r.MemberPermissions, adminPermission) {
		return bot.Response{}, userErr("You need the MANAGE_GUILD permission to read the settings.")
	}
	i := strings.LastIndexByte(r.Data, ':')
	if i < 0 {
		return bot.Response{}, fmt.Errorf("core: settings page button %q: no page", r.Data)
	}
	p, err := strconv.Atoi(r.Data[i+1:])
	if err != nil || p < 0 {
		return bot.Response{}, fmt.Errorf("core: settings page button %q: bad page", r.Data)
	}
	id, err := m.running(r.Data[:i])
	if err != nil {
		return bot.Response{}, err
	}
	resp, err := m.renderSection(ctx, r.GuildID, id, p)
	resp.Update = true
	return resp, err
}

// renderSection shows page p of a running module's settings, with
// Previous and Next buttons when there is more than one page.
func (m *Module) renderSection(ctx context.Context, guild snowflake.ID, id string, p int) (bot.Response, error) {
	on, err := m.enabled(ctx, guild, id)
	if err != nil {
		return bot.Response{}, err
	}
	v := sectionView{Module: id, On: on, Notes: m.host.ModuleDegraded(id)}
	if sec := m.sections()[id]; sec != nil {
		v.HasSettings = true
		vals, err := sec.Show(ctx, guild)
		if err != nil {
			return bot.Response{}, fmt.Errorf("core: show the settings of %s: %w", id, err)
		}
		byKey := make(map[string]bot.SettingValue, len(vals))
		for _, val := range vals {
			byKey[val.Key] = val
		}
		for _, k := range sec.Keys() {
			val := byKey[k.Key]
			v.Keys = append(v.Keys, keyView{SettingKey: k, Value: val.Value, Default: val.Default})
		}
	}
	pages := sectionPages(v)
	p = min(p, len(pages)-1)
	resp := bot.Response{Embeds: []discord.Embed{pages[p]}}
	if len(pages) > 1 {
		// Custom IDs differ on one message: Previous on page 0 points to 0.
		prevID := m.host.CustomID(pageComponent, id, strconv.Itoa(max(p-1, 0)))
		nextID := m.host.CustomID(pageComponent, id, strconv.Itoa(p+1))
		if len(prevID) <= maxCustomID && len(nextID) <= maxCustomID {
			prev := discord.NewSecondaryButton("Previous", prevID).WithDisabled(p == 0)
			next := discord.NewSecondaryButton("Next", nextID).WithDisabled(p >= len(pages)-1)
			resp.Components = []discord.LayoutComponent{discord.NewActionRow(prev, next)}
		}
	}
	return resp, nil
}

// settingsSet answers /settings set: it changes one key and reports it.
func (m *Module) settingsSet(ctx context.Context, r *bot.Request) (bot.Response, error) {
	if m.switches == nil {
		return bot.Response{}, errNoStore
	}
	name, _ := r.String("module")
	key, _ := r.String("key")
	value, _ := r.String("value")
	id, sec, err := m.settingsOf(name)
	if err != nil {
		return bot.Response{}, err
	}
	ch, err := sec.Set(ctx, r.GuildID, key, value, actor(r))
	if err != nil {
		return bot.Response{}, settingError(err, "core: set %s.%s", id, key)
	}
	m.record(ctx, r, id, ch.Key, ch.Old, ch.New, ch.ChangeID)
	if ch.Old == ch.New {
		return bot.Response{Content: fmt.Sprintf("%s.%s is already %s.", id, ch.Key, clip(ch.New, maxValueText))}, nil
	}
	return bot.Response{Content: fmt.Sprintf("%s.%s: %s → %s", id, ch.Key, clip(ch.Old, maxValueText), clip(ch.New, maxValueText))}, nil
}

// settingsReset answers /settings reset: one key, or the whole section,
// back to the defaults.
func (m *Module) settingsReset(ctx context.Context, r *bot.Request) (bot.Response, error) {
	if m.switches == nil {
		return bot.Response{}, errNoStore
	}
	name, _ := r.String("module")
	key, _ := r.String("key")
	key = strings.TrimSpace(key)
	id, sec, err := m.settingsOf(name)
	if err != nil {
		return bot.Response{}, err
	}
	ch, err := sec.Reset(ctx, r.GuildID, key, actor(r))
	if err != nil {
		return bot.Response{}, settingError(err, "core: reset %s.%s", id, key)
	}
	m.record(ctx, r, id, ch.Key, ch.Old, ch.New, ch.ChangeID)
	switch {
	case key == "" && ch.ChangeID == 0:
		return bot.Response{Content: fmt.Sprintf("%s's settings are already the defaults.", id)}, nil
	case key == "":
		return bot.Response{Content: fmt.Sprintf("%s: every setting is back to its default.", id)}, nil
	case ch.Old == ch.New:
		return bot.Response{Content: fmt.Sprintf("%s.%s is already at its default, %s.", id, ch.Key, clip(ch.New, maxValueText))}, nil
	}
	return bot.Response{Content: fmt.Sprintf("%s.%s: %s → %s (default)", id, ch.Key, clip(ch.Old, maxValueText), clip(ch.New, maxValueText))}, nil
}

// settingError passes a *bot.UserError on, cut to fit a message, and
// wraps any other error with what was being done.
func settingError(err error, format string, args ...any) error {
	var ue *bot.UserError
	if errors.As(err, &ue) {
		return &bot.UserError{Message: clip(ue.Message, maxContent)}
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// actor is the person behind a change, with the command as the reason
// the settings history shows.
func actor(r *bot.Request) store.Actor {
	return store.Actor{UserID: uint64(r.User.ID), Reason: "/" + r.Command}
}

// record reports a change that happened (changeID != 0) to the audit
// trail, with the person who made it and the invocation's correlation
// ID (taken from ctx). The change stands when that fails; it is logged.
func (m *Module) record(ctx context.Context, r *bot.Request, module, key, from, to string, changeID int64) {
	if changeID == 0 {
		return
	}
	err := m.host.RecordSetting(ctx, bot.SettingChanged{GuildID: r.GuildID, Module: module, Key: key,
		Old: from, New: to, ActorID: r.User.ID, ChangeID: changeID})
	if err != nil {
		r.Log.Warn("a settings change was made but not reported to the audit trail",
			zap.String("module", module), zap.String("key", key), zap.Int64("change_id", changeID), zap.Error(err))
	}
}

// completeSettings suggests modules and keys for /settings: for show,
// every running module; for set and reset, those with settings, and the
// keys of the module already chosen, each with what it allows.
func (m *Module) completeSettings(_ context.Context, r *bot.Request) ([]bot.Choice, error) {
	typed, _ := r.String(r.Focused)
	typed = normalize(typed)
	secs := m.sections()
	var out []bot.Choice
	switch r.Focused {
	case "module":
		for _, id := range m.host.Modules() {
			sec := secs[id]
			if (sec == nil && r.Command != "settings show") || !strings.Contains(id, typed) {
				continue
			}
			n := 0
			if sec != nil {
				n = len(sec.Keys())
			}
			out = appendChoice(out, id+" ("+settingsCount(n)+")", id)
		}
	case "key":
		name, _ := r.String("module")
		sec := secs[normalize(name)]
		if sec == nil {
			return nil, nil
		}
		for _, k := range sec.Keys() {
			if strings.Contains(k.Key, typed) {
				out = appendChoice(out, k.Key+" — "+k.Allowed, k.Key)
			}
		}
	}
	return out[:min(len(out), maxChoices)], nil
}

// appendChoice adds a choice, its name cut to Discord's limit; a value
// too long to send is left out.
func appendChoice(out []bot.Choice, name, value string) []bot.Choice {
	if utf8.RuneCountInString(value) > maxChoiceName {
		return out
	}
	return append(out, bot.Choice{Name: clip(name, maxChoiceName), Value: value})
}

// sections returns the registered settings of the running modules, by
// module ID.
func (m *Module) sections() map[string]bot.Section {
	running := m.host.Modules()
	out := map[string]bot.Section{}
	for _, s := range m.host.Sections() {
		if slices.Contains(running, s.Module) {
			out[s.Module] = s.Section
		}
	}
	return out
}

// running finds a running module by name, or says which modules there
// are.
func (m *Module) running(name string) (string, error) {
	id := normalize(name)
	mods := m.host.Modules()
	if slices.Contains(mods, id) {
		return id, nil
	}
	return "", userErr("There is no module %q. Modules: %s.", clip(strings.TrimSpace(name), maxChoiceName), strings.Join(mods, ", "))
}

// settingsOf finds a running module's settings by name, or says which
// modules have settings.
func (m *Module) settingsOf(name string) (string, bot.Section, error) {
	id := normalize(name)
	secs := m.sections()
	if sec, ok := secs[id]; ok {
		return id, sec, nil
	}
	with := make([]string, 0, len(secs))
	for _, mod := range m.host.Modules() {
		if secs[mod] != nil {
			with = append(with, mod)
		}
	}
	isModule := slices.Contains(m.host.Modules(), id)
	quoted := clip(strings.TrimSpace(name), maxChoiceName)
	switch {
	case isModule && len(with) == 0:
		return "", nil, userErr("%s has no settings, nor has any other module.", id)
	case isModule:
		return "", nil, userErr("%s has no settings. Modules with settings: %s.", id, strings.Join(with, ", "))
	case len(with) == 0:
		return "", nil, userErr("There is no module %q, and no module has settings.", quoted)
	}
	return "", nil, userErr("There is no module %q. Modules with settings: %s.", quoted, strings.Join(with, ", "))
}

// moduleState is one running module as the summary shows it.
type moduleState struct {
	ID string
	On bool
	// Settings is how many keys the module's settings have; 0: none.
	Settings int
	// Reduced reports that the module turned something off (Degraded).
	Reduced bool
}

// states lists the running modules, in start order, with their state in
// the guild.
func (m *Module) states(ctx context.Context, guild snowflake.ID) ([]moduleState, error) {
	secs := m.sections()
	var out []moduleState
	for _, id := range m.host.Modules() {
		on, err := m.enabled(ctx, guild, id)
		if err != nil {
			return nil, err
		}
		s := moduleState{ID: id, On: on, Reduced: len(m.host.ModuleDegraded(id)) > 0}
		if sec := secs[id]; sec != nil {
			s.Settings = len(sec.Keys())
		}
		out = append(out, s)
	}
	return out, nil
}

// summaryTitle is the title of the summary of /settings show and
// /module list.
const summaryTitle = "Modules in this server"

// summaryEmbed lists the modules, one a line: on or off here, how many
// settings, and whether it runs in reduced mode.
func summaryEmbed(states []moduleState) discord.Embed {
	const hint = "\n/settings show module:<name> shows a module's settings; /module enable and /module disable turn one on or off here."
	var b strings.Builder
	for i, s := range states {
		line := fmt.Sprintf("**%s** — %s · %s", s.ID, onOff(s.On), settingsCount(s.Settings))
		if s.Reduced {
			line += " · reduced mode"
		}
		line += "\n"
		if b.Len()+len(line)+len(hint)+32 > maxDescription {
			fmt.Fprintf(&b, "… and %d more\n", len(states)-i)
			break
		}
		b.WriteString(line)
	}
	b.WriteString(hint)
	return discord.Embed{Title: summaryTitle, Description: b.String()}
}

// sectionView is one module's settings as /settings show renders them.
type sectionView struct {
	Module string
	On     bool
	// HasSettings reports that the module registered settings.
	HasSettings bool
	// Notes are what the module turned off (Degraded).
	Notes []string
	Keys  []keyView
}

// keyView is one key with its value in the guild.
type keyView struct {
	bot.SettingKey
	Value   string
	Default bool
}

// sectionFooter is the last line of every page of a module's settings.
const sectionFooter = "Change one with /settings set; /settings reset puts it back."

// sectionPages renders a module's settings as embeds, one a page: the
// state and the reduced-mode notes on the first, then one field a key,
// at most maxPageFields and pageBudget characters a page.
func sectionPages(v sectionView) []discord.Embed {
	title := v.Module + " settings"
	var desc strings.Builder
	if v.On {
		desc.WriteString("On in this server.")
	} else {
		desc.WriteString("Off in this server: its commands are refused and its events are not delivered to it here.")
	}
	for _, n := range v.Notes {
		line := "\nReduced mode: " + clip(n, 300)
		if desc.Len()+len(line) > maxDescription/2 {
			desc.WriteString("\n…")
			break
		}
		desc.WriteString(line)
	}
	if !v.HasSettings {
		desc.WriteString("\n" + v.Module + " has no settings.")
	}

	// Leave room for the footer and its page numbers on every page.
	fixed := utf8.RuneCountInString(title) + utf8.RuneCountInString(sectionFooter) + 32
	used := fixed + utf8.RuneCountInString(desc.String())
	pages := [][]discord.EmbedField{nil}
	for _, k := range v.Keys {
		f := keyField(k)
		size := utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
		cur := pages[len(pages)-1]
		if len(cur) == maxPageFields || (len(cur) > 0 && used+size > pageBudget) {
			pages = append(pages, nil)
			used = fixed
		}
		pages[len(pages)-1] = append(pages[len(pages)-1], f)
		used += size
	}

	out := make([]discord.Embed, len(pages))
	for i, fields := range pages {
		e := discord.Embed{Title: title, Fields: fields}
		if i == 0 {
			e.Description = desc.String()
		}
		if v.HasSettings {
			footer := sectionFooter
			if len(pages) > 1 {
				footer = fmt.Sprintf("Page %d of %d · %s", i+1, len(pages), footer)
			}
			e.Footer = &discord.EmbedFooter{Text: footer}
		}
		out[i] = e
	}
	return out
}

// keyField is one key as a field: its name, then its value (and whether
// it is the default), what it does and what it allows, within Discord's
// 256 and 1,024 characters.
func keyField(k keyView) discord.EmbedField {
	val := clip(k.Value, maxValueText)
	if val == "" {
		val = `""`
	}
	if k.Default {
		val += " (default)"
	}
	lines := []string{val}
	if k.Doc != "" {
		lines = append(lines, clip(k.Doc, 300))
	}
	if k.Allowed != "" {
		lines = append(lines, "Allowed: "+clip(k.Allowed, 250))
	}
	return discord.EmbedField{Name: clip(k.Key, 256), Value: strings.Join(lines, "\n")}
}

// settingsCount says how many settings a module has.
func settingsCount(n int) string {
	switch n {
	case 0:
		return "no settings"
	case 1:
		return "1 setting"
	}
	return strconv.Itoa(n) + " settings"
}

// onOff names a switch's state.
func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// normalize is a module ID or key as typed, the way they are written.
func normalize(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// clip cuts s to at most n characters, ending it with "…" when cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
