package discordtest

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hearthbot/hearth/discordtest/internal/cmdline"
)

// Errors a person action returns when the Discord client would not let
// the person do it; nothing is sent to the bot then. Test with errors.Is.
var (
	// ErrUnknownCommand: no command of that name is shown in the channel.
	ErrUnknownCommand = errors.New("discordtest: unknown command")
	// ErrUnknownSubcommand: a subcommand or group is missing, unknown or extra.
	ErrUnknownSubcommand = errors.New("discordtest: unknown subcommand")
	// ErrUnknownOption: the command has no option of that name.
	ErrUnknownOption = errors.New("discordtest: unknown option")
	// ErrOptionType: the value is not of the option's type, or names no
	// user, role or channel the person could pick.
	ErrOptionType = errors.New("discordtest: value does not fit the option's type")
	// ErrOptionRange: the value is outside min_value/max_value or
	// min_length/max_length.
	ErrOptionRange = errors.New("discordtest: value out of the option's range")
	// ErrNotAChoice: the option has choices and the value is none of them.
	ErrNotAChoice = errors.New("discordtest: value is not one of the option's choices")
	// ErrMissingOption: a required option was left out.
	ErrMissingOption = errors.New("discordtest: missing required option")
	// ErrChannelType: the channel's type is not among the option's channel_types.
	ErrChannelType = errors.New("discordtest: channel type not allowed for the option")
	// ErrNotPermitted: the member lacks the permissions the command or
	// the channel requires.
	ErrNotPermitted = errors.New("discordtest: member may not use this")
	// ErrNotAutocomplete: the focused option does not have autocomplete.
	ErrNotAutocomplete = errors.New("discordtest: option has no autocomplete")
	// ErrUnknownComponent: the message has no usable component with that custom_id.
	ErrUnknownComponent = errors.New("discordtest: no such component")
	// ErrComponentDisabled: the component is disabled.
	ErrComponentDisabled = errors.New("discordtest: component is disabled")
	// ErrBadSelection: the values do not fit the select menu.
	ErrBadSelection = errors.New("discordtest: selection not allowed by the select menu")
	// ErrBadModalInput: the modal cannot be submitted so.
	ErrBadModalInput = errors.New("discordtest: modal input not allowed")
)

// personPlace finds where a person acts: a guild the application is in, one of
// its text-capable channels, and a member who can see it and has need
// there. Callers hold s.mu.
func (s *Server) personPlace(guild, channel, member Snowflake, need uint64) (*Guild, *Channel, *Member, error) {
	g := s.world.guild(guild)
	if g == nil || g.Unavailable {
		return nil, nil, nil, fmt.Errorf("discordtest: no available guild %s", guild)
	}
	if s.world.botMember(g) == nil {
		return nil, nil, nil, fmt.Errorf("discordtest: the application is not in guild %s", guild)
	}
	ch := g.channel(channel)
	if ch == nil {
		return nil, nil, nil, fmt.Errorf("discordtest: no channel %s in guild %s", channel, guild)
	}
	if ch.Type == ChannelCategory {
		return nil, nil, nil, fmt.Errorf("discordtest: #%s is a category, not a channel to type in", ch.Name)
	}
	m := g.Members[member]
	if m == nil {
		return nil, nil, nil, fmt.Errorf("discordtest: user %s is not a member of guild %s", member, guild)
	}
	need |= PermViewChannel
	if perms := g.permissions(m, ch, s.world.now); perms&need != need {
		return nil, nil, nil, fmt.Errorf("%w: %s lacks %s in #%s", ErrNotPermitted, m.User.Username, permList(need&^perms), ch.Name)
	}
	return g, ch, m, nil
}

// invocation is a typed command line checked against its command.
type invocation struct {
	g        *Guild
	ch       *Channel
	m        *Member
	cmd      *command
	name     string     // command and subcommands: "admin purge"
	leaf     *cmdOption // the focused option, for autocomplete
	options  []map[string]any
	resolved resolved
}

// invoke checks a parsed line as the Discord client would before sending
// anything. With focused set it checks an autocomplete request: required
// options may be missing, and the focused option's text goes as typed.
// Callers hold s.mu.
func (s *Server) invoke(guild, channel, member Snowflake, l cmdline.Line, focused string) (*invocation, error) {
	g, ch, m, err := s.personPlace(guild, channel, member, PermUseApplicationCmds)
	if err != nil {
		return nil, err
	}
	inv := &invocation{g: g, ch: ch, m: m}
	cmd := s.commands.lookup(g.ID, l.Path[0])
	if cmd == nil || !s.commandShown(cmd, ch) {
		return nil, fmt.Errorf("%w /%s in guild %s", ErrUnknownCommand, l.Path[0], g.ID)
	}
	if !s.mayUse(cmd, g, ch, m) {
		return nil, fmt.Errorf("%w: /%s needs permissions %s", ErrNotPermitted, cmd.Name, permList(*cmd.Perms))
	}
	inv.cmd, inv.name = cmd, cmd.Name

	// Walk the subcommand path.
	params := cmd.Options
	var chain []*cmdOption
	if hasSubcommands(cmd.Options) {
		if len(l.Path) < 2 {
			return nil, fmt.Errorf("%w: /%s needs one of %s", ErrUnknownSubcommand, cmd.Name, optionNames(cmd.Options))
		}
		sub := findOption(cmd.Options, l.Path[1])
		if sub == nil {
			return nil, fmt.Errorf("%w %q of /%s", ErrUnknownSubcommand, l.Path[1], cmd.Name)
		}
		chain = append(chain, sub)
		if sub.Type == optGroup {
			if len(l.Path) < 3 {
				return nil, fmt.Errorf("%w: /%s %s needs one of %s", ErrUnknownSubcommand, cmd.Name, sub.Name, optionNames(sub.Options))
			}
			leaf := findOption(sub.Options, l.Path[2])
			if leaf == nil {
				return nil, fmt.Errorf("%w %q of /%s %s", ErrUnknownSubcommand, l.Path[2], cmd.Name, sub.Name)
			}
			chain = append(chain, leaf)
		} else if len(l.Path) > 2 {
			return nil, fmt.Errorf("%w %q: /%s %s has no subcommands", ErrUnknownSubcommand, l.Path[2], cmd.Name, sub.Name)
		}
		params = chain[len(chain)-1].Options
	} else if len(l.Path) > 1 {
		return nil, fmt.Errorf("%w %q: /%s has no subcommands", ErrUnknownSubcommand, l.Path[1], cmd.Name)
	}
	for _, o := range chain {
		inv.name += " " + o.Name
	}

	typed := l.Options
	if focused != "" {
		fo := findOption(params, focused)
		if fo == nil {
			return nil, fmt.Errorf("%w %q of /%s", ErrUnknownOption, focused, inv.name)
		}
		if !fo.Autocomplete {
			return nil, fmt.Errorf("%w: %q of /%s", ErrNotAutocomplete, focused, inv.name)
		}
		inv.leaf = fo
		if !slices.ContainsFunc(typed, func(o cmdline.Option) bool { return o.Name == focused }) {
			typed = append(slices.Clone(typed), cmdline.Option{Name: focused})
		}
	}
	var values []map[string]any
	for _, t := range typed {
		o := findOption(params, t.Name)
		if o == nil {
			return nil, fmt.Errorf("%w %q of /%s", ErrUnknownOption, t.Name, inv.name)
		}
		if t.Name == focused {
			values = append(values, map[string]any{"name": o.Name, "type": o.Type, "value": t.Value, "focused": true})
			continue
		}
		v, err := s.optionValue(inv, o, t.Value)
		if err != nil {
			return nil, fmt.Errorf("option %q of /%s: %w", o.Name, inv.name, err)
		}
		values = append(values, map[string]any{"name": o.Name, "type": o.Type, "value": v})
	}
	if focused == "" {
		for _, o := range params {
			if o.Required && !slices.ContainsFunc(typed, func(t cmdline.Option) bool { return t.Name == o.Name }) {
				return nil, fmt.Errorf("%w %q of /%s", ErrMissingOption, o.Name, inv.name)
			}
		}
	}

	// Nest the values under the subcommand path.
	inv.options = values
	for i := len(chain) - 1; i >= 0; i-- {
		opts := inv.options
		if opts == nil {
			opts = []map[string]any{}
		}
		inv.options = []map[string]any{{"name": chain[i].Name, "type": chain[i].Type, "options": opts}}
	}
	return inv, nil
}

func optionNames(opts []*cmdOption) string {
	var names []string
	for _, o := range opts {
		names = append(names, o.Name)
	}
	return strings.Join(names, ", ")
}

// commandShown reports whether the client lists a command in a guild
// channel: a global command must allow the guild context and guild
// installs, and an age-restricted command shows only in NSFW channels.
func (s *Server) commandShown(cmd *command, ch *Channel) bool {
	if cmd.GuildID == 0 {
		if cmd.Contexts != nil && !slices.Contains(cmd.Contexts, 0) {
			return false
		}
		if !slices.Contains(cmd.Installs, 0) {
			return false
		}
	}
	return !cmd.NSFW || ch.NSFW
}

// mayUse applies default_member_permissions: the member needs every bit
// in the channel; "0" leaves the command to administrators.
func (s *Server) mayUse(cmd *command, g *Guild, ch *Channel, m *Member) bool {
	if cmd.Perms == nil {
		return true
	}
	if *cmd.Perms == 0 {
		return m.User.ID == g.OwnerID || g.basePermissions(m)&PermAdministrator != 0
	}
	return g.permissions(m, ch, s.world.now)&*cmd.Perms == *cmd.Perms
}

// optionValue converts typed text to an option's JSON value, checking it
// as the client does, and records what it resolves.
func (s *Server) optionValue(inv *invocation, o *cmdOption, text string) (any, error) {
	g, ch, m := inv.g, inv.ch, inv.m
	switch o.Type {
	case optString:
		if len(o.Choices) > 0 {
			return pickChoice(o, text, func(v any) bool { return v == text })
		}
		n := utf8.RuneCountInString(text)
		lo, hi := 1, 6000
		if o.MinLength != nil && *o.MinLength > lo {
			lo = *o.MinLength
		}
		if o.MaxLength != nil {
			hi = *o.MaxLength
		}
		if n < lo || n > hi {
			return nil, fmt.Errorf("%w: %d characters, want %d to %d", ErrOptionRange, n, lo, hi)
		}
		return text, nil
	case optInteger:
		v, err := strconv.ParseInt(text, 10, 64)
		if len(o.Choices) > 0 {
			return pickChoice(o, text, func(c any) bool { return err == nil && c == v })
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %q is not an integer", ErrOptionType, text)
		}
		if v > maxSafeInteger || v < -maxSafeInteger {
			return nil, fmt.Errorf("%w: %d is beyond ±2^53", ErrOptionRange, v)
		}
		if err := checkBounds(o, float64(v)); err != nil {
			return nil, err
		}
		return v, nil
	case optNumber:
		v, err := strconv.ParseFloat(text, 64)
		ok := err == nil && !math.IsNaN(v) && !math.IsInf(v, 0)
		if len(o.Choices) > 0 {
			return pickChoice(o, text, func(c any) bool { return ok && c == v })
		}
		if !ok {
			return nil, fmt.Errorf("%w: %q is not a number", ErrOptionType, text)
		}
		if math.Abs(v) > 1<<53 {
			return nil, fmt.Errorf("%w: %v is beyond ±2^53", ErrOptionRange, v)
		}
		if err := checkBounds(o, v); err != nil {
			return nil, err
		}
		return v, nil
	case optBoolean:
		switch text {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, fmt.Errorf("%w: %q is not true or false", ErrOptionType, text)
	case optUser:
		u, err := s.userRef(g, text)
		if err != nil {
			return nil, err
		}
		inv.resolved.addUser(s, g, ch, u)
		return u.ID, nil
	case optRole:
		r, err := roleRef(g, text)
		if err != nil {
			return nil, err
		}
		inv.resolved.addRole(r)
		return r.ID, nil
	case optMentionable:
		if u, err := s.userRef(g, text); err == nil {
			inv.resolved.addUser(s, g, ch, u)
			return u.ID, nil
		}
		r, err := roleRef(g, text)
		if err != nil {
			return nil, fmt.Errorf("%w: %q is neither a user nor a role of the guild", ErrOptionType, text)
		}
		inv.resolved.addRole(r)
		return r.ID, nil
	case optChannel:
		c, err := channelRef(g, text)
		if err != nil {
			return nil, err
		}
		if g.permissions(m, c, s.world.now)&PermViewChannel == 0 {
			return nil, fmt.Errorf("%w: %s cannot see #%s", ErrOptionType, m.User.Username, c.Name)
		}
		if len(o.ChannelTypes) > 0 && !slices.Contains(o.ChannelTypes, c.Type) {
			return nil, fmt.Errorf("%w: #%s has type %d, want one of %v", ErrChannelType, c.Name, c.Type, o.ChannelTypes)
		}
		inv.resolved.addChannel(s, g, m, c)
		return c.ID, nil
	}
	return nil, fmt.Errorf("%w: attachments cannot be typed", ErrOptionType)
}

// pickChoice finds the choice a person picked: by the name the client
// shows, or by its value.
func pickChoice(o *cmdOption, text string, matches func(any) bool) (any, error) {
	for _, c := range o.Choices {
		if c.Name == text {
			return c.Value, nil
		}
	}
	for _, c := range o.Choices {
		if matches(c.Value) {
			return c.Value, nil
		}
	}
	var names []string
	for _, c := range o.Choices {
		names = append(names, c.Name)
	}
	return nil, fmt.Errorf("%w: %q, want one of %s", ErrNotAChoice, text, strings.Join(names, ", "))
}

func checkBounds(o *cmdOption, v float64) error {
	if o.MinValue != nil && v < *o.MinValue {
		return fmt.Errorf("%w: %v is below the minimum %v", ErrOptionRange, v, *o.MinValue)
	}
	if o.MaxValue != nil && v > *o.MaxValue {
		return fmt.Errorf("%w: %v is above the maximum %v", ErrOptionRange, v, *o.MaxValue)
	}
	return nil
}

// mentionID reads <prefix ID> or a bare ID.
func mentionID(text string, prefixes ...string) (Snowflake, bool) {
	for _, p := range prefixes {
		if inner, ok := strings.CutPrefix(text, p); ok {
			if inner, ok = strings.CutSuffix(inner, ">"); ok {
				id, err := parseSnowflake(inner)
				return id, err == nil
			}
		}
	}
	id, err := parseSnowflake(text)
	return id, err == nil
}

// userRef reads @username, <@id>, <@!id> or an ID.
func (s *Server) userRef(g *Guild, text string) (*User, error) {
	if name, ok := strings.CutPrefix(text, "@"); ok {
		for _, m := range g.members() {
			if m.User.Username == name {
				return m.User, nil
			}
		}
		return nil, fmt.Errorf("%w: no member @%s in the guild", ErrOptionType, name)
	}
	if strings.HasPrefix(text, "<@&") {
		return nil, fmt.Errorf("%w: %s is a role, not a user", ErrOptionType, text)
	}
	id, ok := mentionID(text, "<@!", "<@")
	if !ok || s.world.users[id] == nil {
		return nil, fmt.Errorf("%w: %q is not a user", ErrOptionType, text)
	}
	return s.world.users[id], nil
}

// roleRef reads @RoleName, @everyone, <@&id> or an ID of a guild role.
func roleRef(g *Guild, text string) (*Role, error) {
	if text == "@everyone" {
		return g.role(g.ID), nil
	}
	if name, ok := strings.CutPrefix(text, "@"); ok {
		for _, r := range g.Roles {
			if r.Name == name {
				return r, nil
			}
		}
		return nil, fmt.Errorf("%w: no role @%s in the guild", ErrOptionType, name)
	}
	id, ok := mentionID(text, "<@&")
	if !ok || g.role(id) == nil {
		return nil, fmt.Errorf("%w: %q is not a role of the guild", ErrOptionType, text)
	}
	return g.role(id), nil
}

// channelRef reads #name, <#id> or an ID of a guild channel.
func channelRef(g *Guild, text string) (*Channel, error) {
	if name, ok := strings.CutPrefix(text, "#"); ok {
		for _, c := range g.Channels {
			if c.Name == name {
				return c, nil
			}
		}
		return nil, fmt.Errorf("%w: no channel #%s in the guild", ErrOptionType, name)
	}
	id, ok := mentionID(text, "<#")
	if !ok || g.channel(id) == nil {
		return nil, fmt.Errorf("%w: %q is not a channel of the guild", ErrOptionType, text)
	}
	return g.channel(id), nil
}

// RunCommand types a slash command line as a member in a guild channel,
// such as `/warn user:@member1 reason:"spam links"`, and returns what the
// member sees of the bot's answer. The line is checked against the
// registered command (the guild's first, then the global one) as the
// Discord client checks it: an unknown command, subcommand or option, a
// value of the wrong type, out of range or not among the choices, a
// missing required option, a channel of a type the option excludes, or a
// command the member's permissions hide each return an error (see the
// Err variables) and send nothing.
//
// Values are typed as in the client: STRING as is; INTEGER and NUMBER as
// numbers; BOOLEAN as true or false; a choice by its name or its value;
// USER as @username, <@id> or an ID; ROLE as @RoleName, @everyone, <@&id>
// or an ID; MENTIONABLE as either; CHANNEL as #name, <#id> or an ID.
//
// Otherwise INTERACTION_CREATE goes to the guild's shard, and RunCommand
// waits in real time for the first callback, and after a deferral for
// @original to be edited or a followup to arrive, at most the reply wait
// (WithReplyWait). Without a first callback the Reply is Expired.
func (s *Server) RunCommand(guild, channel, member Snowflake, line string) (Reply, error) {
	id, _, err := s.StartCommand(guild, channel, member, line)
	if err != nil {
		return Reply{}, err
	}
	return s.await(id), nil
}

// Autocomplete types a command line with the cursor in the option named
// focused, whose command option must have autocomplete, and returns the
// suggestions the bot answers with (Reply.Choices). The focused value goes
// as typed text, possibly empty; the other options are checked as
// RunCommand checks them, except that required ones may be missing.
func (s *Server) Autocomplete(guild, channel, member Snowflake, line, focused string) (Reply, error) {
	l, err := cmdline.Parse(line)
	if err != nil {
		return Reply{}, fmt.Errorf("discordtest: %w", err)
	}
	if focused == "" {
		return Reply{}, fmt.Errorf("%w: no focused option", ErrUnknownOption)
	}
	s.mu.Lock()
	inv, err := s.invoke(guild, channel, member, l, focused)
	if err != nil {
		s.mu.Unlock()
		return Reply{}, err
	}
	p := s.newPending(interactionAutocomplete, inv.g, inv.ch, inv.m)
	p.focusedType = inv.leaf.Type
	data := map[string]any{"id": inv.cmd.ID, "name": inv.cmd.Name, "type": commandChatInput, "version": inv.cmd.Version,
		"options": inv.options}
	if inv.cmd.GuildID != 0 {
		data["guild_id"] = inv.cmd.GuildID
	}
	payload := s.interactionBase(p, inv.g, inv.ch, inv.m)
	payload["data"] = data
	s.dispatch(p, payload)
	s.mu.Unlock()
	return s.await(p.id), nil
}
