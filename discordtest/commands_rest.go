package discordtest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
)

var (
	errUnknownApplication = errUnknown(10002, "Application")
	errTooManyCommands    = func(limit int) *apiError {
		return &apiError{Status: 400, Code: 30032, Message: fmt.Sprintf("Maximum number of application commands reached (%d)", limit)}
	}
)

// snowflakeError is what Discord answers for a path or body ID that is
// not a snowflake.
func snowflakeError(field, value string) *apiError {
	return invalidForm(field, "NUMBER_TYPE_COERCE", fmt.Sprintf("Value %q is not snowflake.", value))
}

// restCommands serves the global and guild application command routes.
func (s *Server) restCommands() {
	for _, scope := range []string{"", "/guilds/{guild_id}"} {
		base := "/applications/{application_id}" + scope + "/commands"
		s.handle("GET "+base, authBot, s.listCommands)
		s.handle("PUT "+base, authBot, s.overwriteCommands)
		s.handle("POST "+base, authBot, s.createCommand)
		s.handle("GET "+base+"/{command_id}", authBot, s.getCommand)
		s.handle("PATCH "+base+"/{command_id}", authBot, s.editCommand)
		s.handle("DELETE "+base+"/{command_id}", authBot, s.deleteCommand)
	}
}

// commandScope checks a command route's application and guild and returns
// the scope: 0 for global commands, else the guild's ID. Another
// application's ID is unknown (10002); a guild the application is not in
// is 50001. Callers hold s.mu.
func (s *Server) commandScope(c *call) (Snowflake, *apiError) {
	raw := c.r.PathValue("application_id")
	app, err := parseSnowflake(raw)
	if err != nil {
		return 0, snowflakeError("application_id", raw)
	}
	if app != s.world.appID {
		return 0, errUnknownApplication
	}
	raw = c.r.PathValue("guild_id")
	if raw == "" {
		return 0, nil
	}
	gid, err := parseSnowflake(raw)
	if err != nil {
		return 0, snowflakeError("guild_id", raw)
	}
	g := s.world.guild(gid)
	if g == nil || s.world.botMember(g) == nil {
		return 0, errMissingAccess
	}
	return gid, nil
}

// scopedCommand resolves {command_id} within the route's scope.
func (s *Server) scopedCommand(c *call) (Snowflake, *command, *apiError) {
	scope, err := s.commandScope(c)
	if err != nil {
		return 0, nil, err
	}
	raw := c.r.PathValue("command_id")
	id, perr := parseSnowflake(raw)
	if perr != nil {
		return 0, nil, snowflakeError("command_id", raw)
	}
	cmd := s.commands.byID(scope, id)
	if cmd == nil {
		return 0, nil, errUnknownCommand
	}
	return scope, cmd, nil
}

func (s *Server) listCommands(c *call) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	scope, err := s.commandScope(c)
	if err != nil {
		return 0, err
	}
	withLoc := c.r.URL.Query().Get("with_localizations") == "true"
	out := []commandJSON{}
	for _, cmd := range s.commands.scopes[scope] {
		out = append(out, cmd.json(s.world.appID, withLoc))
	}
	return 200, out
}

func (s *Server) getCommand(c *call) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, cmd, err := s.scopedCommand(c)
	if err != nil {
		return 0, err
	}
	return 200, cmd.json(s.world.appID, true)
}

// createCommand answers POST: 201 for a new command, 200 when one with
// the same name and type existed and was overwritten (keeping its ID).
func (s *Server) createCommand(c *call) (int, any) {
	var raw json.RawMessage
	if err := c.decode(&raw); err != nil {
		return 0, err
	}
	f, aerr := decodeFields(raw, "")
	if aerr != nil {
		return 0, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	scope, aerr := s.commandScope(c)
	if aerr != nil {
		return 0, aerr
	}
	cmd, aerr := parseCommand(f, "", scope == 0)
	if aerr != nil {
		return 0, aerr
	}
	cmd.GuildID = scope
	if old := s.commands.byName(scope, cmd.Name, cmd.Type); old != nil {
		s.replaceCommand(old, cmd)
		return 200, old.json(s.world.appID, true)
	}
	if n := s.countCommands(scope, cmd.Type); n >= commandLimits[cmd.Type] {
		return 0, errTooManyCommands(commandLimits[cmd.Type])
	}
	cmd.ID = s.world.newID()
	cmd.Version = s.world.newID()
	s.commands.scopes[scope] = append(s.commands.scopes[scope], cmd)
	s.notify()
	return 201, cmd.json(s.world.appID, true)
}

// replaceCommand overwrites old with the definition of cmd, keeping the
// ID, and bumps the version only when something changed.
func (s *Server) replaceCommand(old, cmd *command) {
	id, version := old.ID, old.Version
	changed := !sameDefinition(old, cmd)
	*old = *cmd
	old.ID, old.Version = id, version
	if changed {
		old.Version = s.world.newID()
	}
	s.notify()
}

func (s *Server) countCommands(scope Snowflake, typ int) int {
	n := 0
	for _, c := range s.commands.scopes[scope] {
		if c.Type == typ {
			n++
		}
	}
	return n
}

// overwriteCommands answers PUT: the body replaces every command of the
// scope. A command with a known id, or else with the same name and type
// as an existing one, keeps that command's ID (and its version when
// nothing changed); the rest are new, and commands left out are deleted.
func (s *Server) overwriteCommands(c *call) (int, any) {
	var items []json.RawMessage
	if len(c.body) == 0 {
		return 0, &apiError{Status: 400, Code: 50109, Message: "The request body contains invalid JSON."}
	}
	if err := json.Unmarshal(c.body, &items); err != nil {
		var probe any
		if json.Unmarshal(c.body, &probe) != nil {
			return 0, &apiError{Status: 400, Code: 50109, Message: "The request body contains invalid JSON."}
		}
		return 0, invalidForm("", "BASE_TYPE_ARRAY", "Must be an array.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	scope, aerr := s.commandScope(c)
	if aerr != nil {
		return 0, aerr
	}
	type entry struct {
		cmd *command
		id  Snowflake // requested ID, 0 when none
	}
	var entries []entry
	counts := map[int]int{}
	for i, raw := range items {
		path := fmt.Sprint(i)
		f, err := decodeFields(raw, path)
		if err != nil {
			return 0, err
		}
		cmd, err := parseCommand(f, path, scope == 0)
		if err != nil {
			return 0, err
		}
		cmd.GuildID = scope
		for _, e := range entries {
			if e.cmd.Name == cmd.Name && e.cmd.Type == cmd.Type {
				return 0, invalidForm(path, "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique")
			}
		}
		var id Snowflake
		if rawID, ok := f["id"]; ok && !isNull(rawID) {
			if err := json.Unmarshal(rawID, &id); err != nil {
				return 0, snowflakeError(path+".id", string(rawID))
			}
		}
		counts[cmd.Type]++
		if counts[cmd.Type] > commandLimits[cmd.Type] {
			return 0, errTooManyCommands(commandLimits[cmd.Type])
		}
		entries = append(entries, entry{cmd, id})
	}
	var kept []*command
	used := map[Snowflake]bool{}
	for _, e := range entries {
		var prev *command
		if e.id != 0 {
			if p := s.commands.byID(scope, e.id); p != nil && p.Type == e.cmd.Type && !used[p.ID] {
				prev = p
			}
		}
		if prev == nil {
			if p := s.commands.byName(scope, e.cmd.Name, e.cmd.Type); p != nil && !used[p.ID] {
				prev = p
			}
		}
		if prev != nil {
			used[prev.ID] = true
			s.replaceCommand(prev, e.cmd)
			kept = append(kept, prev)
			continue
		}
		e.cmd.ID, e.cmd.Version = s.world.newID(), s.world.newID()
		kept = append(kept, e.cmd)
	}
	out := []commandJSON{}
	for _, cmd := range kept {
		out = append(out, cmd.json(s.world.appID, true))
	}
	stored := slices.Clone(kept)
	slices.SortFunc(stored, func(a, b *command) int { return cmp.Compare(a.ID, b.ID) })
	s.commands.scopes[scope] = stored
	s.notify()
	return 200, out
}

// editCommand answers PATCH: the keys sent replace the command's values
// entirely; the result is validated as a whole. A new name may not clash
// with another command of the same type.
func (s *Server) editCommand(c *call) (int, any) {
	var raw json.RawMessage
	if err := c.decode(&raw); err != nil {
		return 0, err
	}
	patch, aerr := decodeFields(raw, "")
	if aerr != nil {
		return 0, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	scope, cmd, aerr := s.scopedCommand(c)
	if aerr != nil {
		return 0, aerr
	}
	merged := cmd.inputFields()
	for k, v := range patch {
		if k == "type" || k == "id" {
			continue // the type of a command never changes
		}
		merged[k] = v
	}
	next, aerr := parseCommand(merged, "", scope == 0)
	if aerr != nil {
		return 0, aerr
	}
	next.GuildID = scope
	if other := s.commands.byName(scope, next.Name, next.Type); other != nil && other != cmd {
		return 0, invalidForm("name", "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique")
	}
	s.replaceCommand(cmd, next)
	return 200, cmd.json(s.world.appID, true)
}

func (s *Server) deleteCommand(c *call) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	scope, cmd, aerr := s.scopedCommand(c)
	if aerr != nil {
		return 0, aerr
	}
	s.commands.scopes[scope] = slices.DeleteFunc(s.commands.scopes[scope], func(x *command) bool { return x == cmd })
	s.notify()
	return 204, nil
}

// Command is a registered application command, for tests to inspect.
type Command struct {
	ID      Snowflake
	GuildID Snowflake // 0 for a global command
	Version Snowflake
	Type    int
	Name    string
	// DefaultMemberPermissions is nil when every member may use the command.
	DefaultMemberPermissions *uint64
	// JSON is the command as GET answers it, localizations included.
	JSON json.RawMessage
}

// Commands returns the commands registered in a guild, or the global ones
// for guild 0, oldest first.
func (s *Server) Commands(guild Snowflake) []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Command
	for _, c := range s.commands.scopes[guild] {
		j, _ := json.Marshal(c.json(s.world.appID, true))
		cc := Command{ID: c.ID, GuildID: c.GuildID, Version: c.Version, Type: c.Type, Name: c.Name, JSON: j}
		if c.Perms != nil {
			p := *c.Perms
			cc.DefaultMemberPermissions = &p
		}
		out = append(out, cc)
	}
	return out
}
