package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"
	"go.uber.org/zap"

	"github.com/hearthbot/hearth/bot/config"
)

// Command sync. At start-up the host compares the commands the modules
// declared with what Discord has, and PUTs them only when they differ.
// The comparison is on normalised JSON read raw from Discord: disgo's
// typed decoding turns default_member_permissions null and "0" into the
// same value, and those mean different things (everyone vs nobody).

// commandJSON is the Discord JSON of a command declaration.
func commandJSON(c *Command) map[string]any {
	j := map[string]any{"name": c.Name, "description": c.Description, "type": 1,
		"integration_types": []int{0}, "contexts": []int{0}}
	if c.AllowDMs {
		j["contexts"] = []int{0, 1}
	}
	if c.Permissions != 0 {
		j["default_member_permissions"] = strconv.FormatInt(int64(c.Permissions), 10)
	}
	var opts []any
	for _, g := range c.Groups {
		var subs []any
		for _, s := range g.Subcommands {
			subs = append(subs, subcommandJSON(s))
		}
		opts = append(opts, map[string]any{"type": 2, "name": g.Name, "description": g.Description, "options": subs})
	}
	for _, s := range c.Subcommands {
		opts = append(opts, subcommandJSON(s))
	}
	for _, o := range c.Options {
		opts = append(opts, optionJSON(o))
	}
	if len(opts) > 0 {
		j["options"] = opts
	}
	return j
}

func subcommandJSON(s Subcommand) map[string]any {
	j := map[string]any{"type": 1, "name": s.Name, "description": s.Description}
	var opts []any
	for _, o := range s.Options {
		opts = append(opts, optionJSON(o))
	}
	if len(opts) > 0 {
		j["options"] = opts
	}
	return j
}

func optionJSON(o Option) map[string]any {
	j := map[string]any{"type": int(o.Type), "name": o.Name, "description": o.Description}
	if o.Required {
		j["required"] = true
	}
	if o.Autocomplete {
		j["autocomplete"] = true
	}
	if o.MinLength > 0 {
		j["min_length"] = o.MinLength
	}
	if o.MaxLength > 0 {
		j["max_length"] = o.MaxLength
	}
	if o.MinValue != nil {
		j["min_value"] = *o.MinValue
	}
	if o.MaxValue != nil {
		j["max_value"] = *o.MaxValue
	}
	if len(o.ChannelTypes) > 0 {
		j["channel_types"] = o.ChannelTypes
	}
	if len(o.Choices) > 0 {
		var cs []any
		for _, c := range o.Choices {
			cs = append(cs, map[string]any{"name": c.Name, "value": c.Value})
		}
		j["choices"] = cs
	}
	return j
}

// normalizeCommands reduces a JSON list of commands to the fields the
// host declares, with Discord's defaults made explicit and in name
// order, so two lists compare equal exactly when Discord would behave
// the same.
func normalizeCommands(raw []byte) (string, error) {
	var cmds []map[string]any
	if err := json.Unmarshal(raw, &cmds); err != nil {
		return "", err
	}
	out := make([]map[string]any, 0, len(cmds))
	for _, c := range cmds {
		n := map[string]any{
			"name": c["name"], "description": c["description"], "type": orDefault(c["type"], 1.0),
			"default_member_permissions": c["default_member_permissions"], // nil stays nil, "0" stays "0"
			"contexts":                   c["contexts"],
			"integration_types":          orDefault(c["integration_types"], []any{0.0}),
			"nsfw":                       orDefault(c["nsfw"], false),
			"options":                    normalizeOptions(c["options"]),
		}
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b map[string]any) int { return strings.Compare(fmt.Sprint(a["name"]), fmt.Sprint(b["name"])) })
	b, err := json.Marshal(out)
	return string(b), err
}

func normalizeOptions(v any) []any {
	list, _ := v.([]any)
	out := []any{}
	for _, item := range list {
		o, _ := item.(map[string]any)
		n := map[string]any{"type": o["type"], "name": o["name"], "description": o["description"],
			"required": orDefault(o["required"], false), "autocomplete": orDefault(o["autocomplete"], false),
			"min_length": o["min_length"], "max_length": o["max_length"], "min_value": o["min_value"], "max_value": o["max_value"],
			"channel_types": orDefault(o["channel_types"], []any{}), "choices": orDefault(o["choices"], []any{}),
			"options": normalizeOptions(o["options"])}
		out = append(out, n)
	}
	return out
}

func orDefault(v, def any) any {
	if v == nil {
		return def
	}
	return v
}

// syncCommands registers the declared commands where config says:
// globally, per development guild, or not at all.
func (rt *Runtime) syncCommands(ctx context.Context) error {
	s := rt.cfg.Commands.Sync
	if s.Mode == config.SyncOff {
		return nil
	}
	var cmds []map[string]any
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range rt.commands {
			if !yield(n) {
				return
			}
		}
	})
	for _, n := range names {
		cmds = append(cmds, commandJSON(rt.commands[n].cmd))
	}
	if cmds == nil {
		cmds = []map[string]any{}
	}
	if s.Mode == config.SyncGlobal {
		return rt.syncTo(ctx, "global", rest.GetGlobalCommands.Compile(nil, rt.appID), rest.SetGlobalCommands.Compile(nil, rt.appID), cmds)
	}
	for _, g := range s.Guilds {
		id := snowflake.ID(g)
		if err := rt.syncTo(ctx, "guild "+id.String(), rest.GetGuildCommands.Compile(nil, rt.appID, id), rest.SetGuildCommands.Compile(nil, rt.appID, id), cmds); err != nil {
			return err
		}
	}
	return nil
}

// syncTo PUTs cmds to one scope unless Discord already has them.
func (rt *Runtime) syncTo(ctx context.Context, scope string, get, put *rest.CompiledEndpoint, cmds []map[string]any) error {
	var have json.RawMessage
	if err := rt.restClient.Do(get, nil, &have, rest.WithCtx(ctx)); err != nil {
		return fmt.Errorf("bot: read %s commands: %w", scope, err)
	}
	want, err := json.Marshal(cmds)
	if err != nil {
		return fmt.Errorf("bot: encode commands: %w", err)
	}
	a, errA := normalizeCommands(have)
	b, errB := normalizeCommands(want)
	if errA == nil && errB == nil && a == b {
		rt.log.Info("commands up to date", zap.String("scope", scope), zap.Int("commands", len(cmds)))
		return nil
	}
	var out json.RawMessage
	if err := rt.restClient.Do(put, cmds, &out, rest.WithCtx(ctx)); err != nil {
		return fmt.Errorf("bot: register %s commands: %w", scope, err)
	}
	rt.log.Info("commands registered", zap.String("scope", scope), zap.Int("commands", len(cmds)))
	return nil
}
