package bot

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
	"go.uber.org/zap"
)

// commandRoute is a registered command and the module that owns it.
type commandRoute struct {
	module string
	cmd    *Command
}

// handleInteraction routes one interaction into the pipeline in its own
// goroutine, or sheds it with a "busy" reply when Pipeline.Concurrency
// interactions are already running. It never blocks the gateway.
func (rt *Runtime) handleInteraction(i discord.Interaction) {
	inv, err := rt.route(i)
	if err != nil {
		rt.log.Warn("interaction not routed", zap.Uint64("interaction_id", uint64(i.ID())), zap.Error(err))
		go rt.replyQuick(i, "This command is not available right now.")
		return
	}
	select {
	case rt.sem <- struct{}{}:
	default:
		rt.metrics.shed.Inc()
		go rt.replyQuick(i, "I'm busy right now, try again in a moment.")
		return
	}
	rt.inflight.Add(1)
	go func() {
		defer rt.inflight.Done()
		defer func() { <-rt.sem }()
		ctx := rt.baseCtx
		resp, err := rt.pipeline(ctx, inv)
		inv.answer(ctx, resp, err)
	}()
}

// replyQuick answers an interaction with an ephemeral message outside
// the pipeline (shedding, unroutable interactions).
func (rt *Runtime) replyQuick(i discord.Interaction, text string) {
	resp := discord.InteractionResponse{Type: discord.InteractionResponseTypeCreateMessage,
		Data: discord.MessageCreate{Content: text, Flags: discord.MessageFlagEphemeral, AllowedMentions: pingNobody(nil)}}
	if i.Type() == discord.InteractionTypeAutocomplete {
		resp = discord.InteractionResponse{Type: discord.InteractionResponseTypeAutocompleteResult, Data: discord.AutocompleteResult{Choices: []discord.AutocompleteChoice{}}}
	}
	if err := rt.rest.CreateInteractionResponse(i.ID(), i.Token(), resp, rest.WithCtx(rt.baseCtx)); err != nil {
		rt.log.Warn("quick reply failed", zap.Error(err))
	}
}

// route builds the invocation of an interaction: which module, which
// handler, with which request.
func (rt *Runtime) route(i discord.Interaction) (*invocation, error) {
	inv := &invocation{rt: rt, i: i, created: i.CreatedAt()}
	switch it := i.(type) {
	case discord.ApplicationCommandInteraction:
		data, ok := it.Data.(discord.SlashCommandInteractionData)
		if !ok {
			return nil, errorf("interaction %d: only slash commands are routed", i.ID())
		}
		r, ok := rt.commands[data.CommandName()]
		if !ok {
			return nil, errorf("no command /%s", data.CommandName())
		}
		path, target, ok := r.target(data.SubCommandGroupName, data.SubCommandName)
		if !ok {
			return nil, errorf("no command /%s", data.CommandPath())
		}
		inv.kind, inv.module, inv.name, inv.route, inv.target = kindCommand, r.module, path, r, target
		inv.ephemeral = r.cmd.Ephemeral
		inv.req = rt.newRequest(i, r.module, path, data.Resolved)
		inv.req.deferred = func() bool {
			inv.mu.Lock()
			defer inv.mu.Unlock()
			return inv.deferred
		}
		for name, o := range data.Options {
			inv.req.options[name] = o.Value
		}
	case discord.AutocompleteInteraction:
		data := it.Data
		r, ok := rt.commands[data.CommandName]
		if !ok {
			return nil, errorf("no command /%s", data.CommandName)
		}
		path, target, ok := r.target(data.SubCommandGroupName, data.SubCommandName)
		if !ok || target.autocomplete == nil {
			return nil, errorf("no autocomplete for /%s", path)
		}
		inv.kind, inv.module, inv.name, inv.route, inv.target = kindAutocomplete, r.module, path, r, target
		inv.req = rt.newRequest(i, r.module, path, discord.ResolvedData{})
		for name, o := range data.Options {
			inv.req.options[name] = o.Value
			if o.Focused {
				inv.req.Focused = name
			}
		}
	case discord.ComponentInteraction:
		inv.kind = kindComponent
		comp, err := rt.componentRequest(i, it.Data.CustomID())
		if err != nil {
			return nil, err
		}
		comp.MessageID = it.Message.ID
		if sel, ok := it.Data.(discord.StringSelectMenuInteractionData); ok {
			comp.Values = sel.Values
		}
		inv.module, inv.name, inv.comp = comp.Module, comp.Name, comp
	case discord.ModalSubmitInteraction:
		inv.kind = kindModal
		comp, err := rt.componentRequest(i, it.Data.CustomID)
		if err != nil {
			return nil, err
		}
		comp.Fields = map[string]string{}
		for c := range it.Data.AllComponents() {
			if ti, ok := c.(discord.TextInputComponent); ok {
				comp.Fields[ti.CustomID] = ti.Value
			}
		}
		inv.module, inv.name, inv.comp = comp.Module, comp.Name, comp
	default:
		return nil, errorf("interaction type %d is not handled", i.Type())
	}
	return inv, nil
}

// target finds the command or subcommand a path names.
func (r *commandRoute) target(group, sub *string) (string, commandTarget, bool) {
	c := r.cmd
	if sub == nil {
		return c.Name, commandTarget{options: c.Options, handler: c.Handler, autocomplete: c.Autocomplete}, c.Handler != nil
	}
	subs := c.Subcommands
	path := c.Name
	if group != nil {
		path += " " + *group
		subs = nil
		for _, g := range c.Groups {
			if g.Name == *group {
				subs = g.Subcommands
			}
		}
	}
	for _, s := range subs {
		if s.Name == *sub {
			return path + " " + s.Name, commandTarget{options: s.Options, handler: s.Handler, autocomplete: s.Autocomplete}, true
		}
	}
	return "", commandTarget{}, false
}

func (rt *Runtime) newRequest(i discord.Interaction, module, path string, resolved discord.ResolvedData) *Request {
	r := &Request{Module: module, Command: path, InteractionID: i.ID(), CreatedAt: i.CreatedAt(), GuildID: guildOf(i),
		ChannelID: i.Channel().ID(), User: userOf(i.User()), Locale: string(i.Locale()),
		options: map[string]json.RawMessage{}, resolved: resolved}
	if m := i.Member(); m != nil {
		mm := memberOf(m.Member, m.User)
		r.Member, r.MemberPermissions = &mm, m.Permissions
	}
	if p := i.AppPermissions(); p != nil {
		r.AppPermissions = *p
	}
	r.followup = func(ctx context.Context, resp Response) error {
		_, err := rt.rest.CreateFollowupMessage(i.ApplicationID(), i.Token(), resp.messageCreate(resp.Ephemeral), rest.WithCtx(ctx))
		return err
	}
	return r
}

// componentRequest finds the module and component of a custom ID,
// "<module>:<name>[:<data>]".
func (rt *Runtime) componentRequest(i discord.Interaction, customID string) (*ComponentRequest, error) {
	module, rest, _ := strings.Cut(customID, ":")
	name, data, _ := strings.Cut(rest, ":")
	if _, ok := rt.components[module][name]; !ok {
		return nil, errorf("no component %q", customID)
	}
	c := &ComponentRequest{Module: module, Name: name, Data: data, InteractionID: i.ID(), CreatedAt: i.CreatedAt(),
		GuildID: guildOf(i), ChannelID: i.Channel().ID(), User: userOf(i.User())}
	if m := i.Member(); m != nil {
		mm := memberOf(m.Member, m.User)
		c.Member, c.MemberPermissions = &mm, m.Permissions
	}
	return c, nil
}
