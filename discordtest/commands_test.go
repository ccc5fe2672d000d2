package discordtest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// apiErrorBody is an error answer, decoded.
type apiErrorBody struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Errors  json.RawMessage `json:"errors"`
}

func decodeAPIError(t *testing.T, body []byte) apiErrorBody {
	t.Helper()
	var e apiErrorBody
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("decode error body %s: %v", body, err)
	}
	return e
}

// formErrorAt reports whether a 50035 body names path ("options.1.name") and
// returns the code Discord put there.
func formErrorAt(raw json.RawMessage, path string) (string, bool) {
	var node any
	if json.Unmarshal(raw, &node) != nil {
		return "", false
	}
	if path != "" {
		for _, key := range strings.Split(path, ".") {
			m, ok := node.(map[string]any)
			if !ok {
				return "", false
			}
			if node, ok = m[key]; !ok {
				return "", false
			}
		}
	}
	m, ok := node.(map[string]any)
	if !ok {
		return "", false
	}
	list, ok := m["_errors"].([]any)
	if !ok || len(list) == 0 {
		return "", false
	}
	first, _ := list[0].(map[string]any)
	code, _ := first["code"].(string)
	return code, true
}

// newCommandServer is a Server whose command routes allow many requests
// a second, so table tests are not rate limited.
func newCommandServer(t *testing.T, opts ...Option) *Server {
	t.Helper()
	roomy := RouteLimit{Bucket: "application-commands", Limit: 1000, Period: time.Second, Sliding: true}
	for route := range defaultRouteLimits() {
		if strings.Contains(route, "/commands") {
			opts = append(opts, WithRouteLimit(route, roomy))
		}
	}
	return New(t, opts...)
}

func globalCommandsPath(srv *Server) string {
	return fmt.Sprintf("/applications/%s/commands", srv.ApplicationID())
}

func guildCommandsPath(srv *Server, guild Snowflake) string {
	return fmt.Sprintf("/applications/%s/guilds/%s/commands", srv.ApplicationID(), guild)
}

func decodeObject(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return m
}

var warnCommandBody = map[string]any{
	"name": "warn", "description": "Warn a member",
	"options": []any{
		map[string]any{"type": optUser, "name": "user", "description": "Who", "required": true},
		map[string]any{"type": optString, "name": "reason", "description": "Why", "max_length": 200},
	},
}

// contract A.2 (application commands): a created command comes back with
// every default Discord fills in, so a client can diff what it has with
// what it wants.
func TestCreatedCommandCarriesDiscordDefaults(t *testing.T) {
	srv := newCommandServer(t)
	st, body, _ := api(t, srv, "POST", globalCommandsPath(srv), warnCommandBody)
	if st != 201 {
		t.Fatalf("POST: got %d %s; want 201", st, body)
	}
	got := decodeObject(t, body)
	want := map[string]any{
		"application_id": srv.ApplicationID().String(), "type": float64(1), "name": "warn",
		"description": "Warn a member", "default_member_permissions": nil, "dm_permission": true,
		"contexts": nil, "nsfw": false, "name_localizations": nil, "description_localizations": nil,
	}
	for k, v := range want {
		gv, ok := got[k]
		if !ok || fmt.Sprint(gv) != fmt.Sprint(v) {
			t.Errorf("%s: got %v (present %v); want %v", k, gv, ok, v)
		}
	}
	if fmt.Sprint(got["integration_types"]) != "[0]" {
		t.Errorf("integration_types: got %v; want [0]", got["integration_types"])
	}
	for _, k := range []string{"id", "version"} {
		if s, _ := got[k].(string); s == "" {
			t.Errorf("%s: got %v; want a snowflake string", k, got[k])
		}
	}
	if _, ok := got["guild_id"]; ok {
		t.Errorf("guild_id present on a global command")
	}
	opts := got["options"].([]any)
	user, reason := opts[0].(map[string]any), opts[1].(map[string]any)
	if user["required"] != true || reason["required"] != nil || reason["max_length"] != float64(200) {
		t.Errorf("options: got %v; want user required, reason optional with max_length 200", opts)
	}

	// A plain GET of the list leaves out the localization dictionaries.
	st, body, _ = api(t, srv, "GET", globalCommandsPath(srv), nil)
	if st != 200 {
		t.Fatalf("GET: got %d %s", st, body)
	}
	var list []map[string]any
	_ = json.Unmarshal(body, &list)
	if len(list) != 1 || list[0]["id"] != got["id"] {
		t.Fatalf("GET: got %v; want the one command", list)
	}
	if _, ok := list[0]["name_localizations"]; ok {
		t.Errorf("GET without with_localizations: name_localizations present")
	}
	_, body, _ = api(t, srv, "GET", globalCommandsPath(srv)+"?with_localizations=true", nil)
	_ = json.Unmarshal(body, &list)
	if v, ok := list[0]["name_localizations"]; !ok || v != nil {
		t.Errorf("GET with_localizations: name_localizations got %v (present %v); want null", v, ok)
	}
}

// contract A.2: POST of an existing name and type overwrites it with 200,
// keeping the ID; the version moves only when the definition changes.
func TestCommandCreateOfAnExistingNameOverwritesIt(t *testing.T) {
	srv := newCommandServer(t)
	_, body, _ := api(t, srv, "POST", globalCommandsPath(srv), warnCommandBody)
	first := decodeObject(t, body)
	st, body, _ := api(t, srv, "POST", globalCommandsPath(srv), warnCommandBody)
	same := decodeObject(t, body)
	if st != 200 || same["id"] != first["id"] || same["version"] != first["version"] {
		t.Fatalf("same POST: got %d id %v version %v; want 200 with id %v version %v", st, same["id"], same["version"], first["id"], first["version"])
	}
	changed := map[string]any{"name": "warn", "description": "Warn someone"}
	st, body, _ = api(t, srv, "POST", globalCommandsPath(srv), changed)
	next := decodeObject(t, body)
	if st != 200 || next["id"] != first["id"] || next["version"] == first["version"] {
		t.Fatalf("changed POST: got %d id %v version %v; want 200, same id, new version", st, next["id"], next["version"])
	}
}

// contract A.2: a guild command carries guild_id and none of the fields
// that apply only to global commands.
func TestGuildCommandCarriesGuildID(t *testing.T) {
	srv := newCommandServer(t)
	g := srv.Guilds()[0]
	st, body, _ := api(t, srv, "POST", guildCommandsPath(srv, g.ID), map[string]any{"name": "ping", "description": "Ping"})
	if st != 201 {
		t.Fatalf("POST: got %d %s; want 201", st, body)
	}
	got := decodeObject(t, body)
	if got["guild_id"] != g.ID.String() {
		t.Errorf("guild_id: got %v; want %s", got["guild_id"], g.ID)
	}
	for _, k := range []string{"dm_permission", "contexts", "integration_types"} {
		if _, ok := got[k]; ok {
			t.Errorf("%s present on a guild command", k)
		}
	}
	if cmds := srv.Commands(g.ID); len(cmds) != 1 || cmds[0].Name != "ping" {
		t.Errorf("Commands: got %v; want ping", cmds)
	}
	if cmds := srv.Commands(0); len(cmds) != 0 {
		t.Errorf("global Commands: got %v; want none", cmds)
	}
}

// contract A.2: a bulk overwrite keeps the ID of a command with the same
// name and type, deletes what it leaves out and creates the rest; a
// USER command named like a CHAT_INPUT one is a different command.
func TestCommandBulkOverwriteKeepsIDsByNameAndType(t *testing.T) {
	srv := newCommandServer(t)
	g := srv.Guilds()[0]
	path := guildCommandsPath(srv, g.ID)
	st, body, _ := api(t, srv, "PUT", path, []any{
		map[string]any{"name": "alpha", "description": "A"},
		map[string]any{"name": "beta", "description": "B"},
	})
	if st != 200 {
		t.Fatalf("PUT: got %d %s", st, body)
	}
	var before []map[string]any
	_ = json.Unmarshal(body, &before)
	ids := map[string]any{}
	for _, c := range before {
		ids[c["name"].(string)] = c["id"]
	}
	st, body, _ = api(t, srv, "PUT", path, []any{
		map[string]any{"name": "beta", "description": "B"},
		map[string]any{"name": "gamma", "description": "C"},
		map[string]any{"name": "beta", "type": 2},
	})
	if st != 200 {
		t.Fatalf("second PUT: got %d %s", st, body)
	}
	var after []map[string]any
	_ = json.Unmarshal(body, &after)
	if len(after) != 3 {
		t.Fatalf("second PUT: got %d commands; want 3", len(after))
	}
	if after[0]["id"] != ids["beta"] || after[0]["version"] != before[1]["version"] {
		t.Errorf("beta: got id %v version %v; want id %v and the same version", after[0]["id"], after[0]["version"], ids["beta"])
	}
	if after[1]["id"] == ids["alpha"] || after[2]["id"] == ids["beta"] {
		t.Errorf("gamma or the USER command reused an ID: %v", after)
	}
	_, body, _ = api(t, srv, "GET", path, nil)
	var listed []map[string]any
	_ = json.Unmarshal(body, &listed)
	for _, c := range listed {
		if c["name"] == "alpha" {
			t.Errorf("alpha survived the overwrite")
		}
	}
	if len(listed) != 3 {
		t.Errorf("GET: got %d commands; want 3", len(listed))
	}
}

// contract A.2: PATCH replaces the fields it sends; DELETE removes the
// command, which is then unknown (10063).
func TestPatchAndDeleteCommand(t *testing.T) {
	srv := newCommandServer(t)
	_, body, _ := api(t, srv, "POST", globalCommandsPath(srv), warnCommandBody)
	id := decodeObject(t, body)["id"].(string)
	one := globalCommandsPath(srv) + "/" + id
	st, body, _ := api(t, srv, "PATCH", one, map[string]any{"description": "Warn them", "default_member_permissions": "8192"})
	got := decodeObject(t, body)
	if st != 200 || got["description"] != "Warn them" || got["default_member_permissions"] != "8192" || len(got["options"].([]any)) != 2 {
		t.Fatalf("PATCH: got %d %v; want the new description and permissions, options kept", st, got)
	}
	st, body, _ = api(t, srv, "PATCH", one, map[string]any{"name": "Bad Name"})
	if code, _ := formErrorAt(decodeAPIError(t, body).Errors, "name"); st != 400 || code != "APPLICATION_COMMAND_INVALID_NAME" {
		t.Errorf("PATCH bad name: got %d %s; want 400 APPLICATION_COMMAND_INVALID_NAME", st, body)
	}
	if st, _, _ := api(t, srv, "DELETE", one, nil); st != 204 {
		t.Fatalf("DELETE: got %d; want 204", st)
	}
	st, body, _ = api(t, srv, "GET", one, nil)
	if e := decodeAPIError(t, body); st != 404 || e.Code != 10063 {
		t.Errorf("GET deleted: got %d %d; want 404 10063", st, e.Code)
	}
}

// Command routes for another application or a guild the application is
// not in answer as Discord does.
func TestCommandRoutesCheckApplicationAndGuild(t *testing.T) {
	srv := newCommandServer(t)
	g := srv.Guilds()[0]
	cases := []struct {
		name       string
		path       string
		status     int
		code       int
		errorsPath string
	}{
		{"another application", fmt.Sprintf("/applications/%s/commands", g.ID), 404, 10002, ""},
		{"not a snowflake", "/applications/undefined/commands", 400, 50035, "application_id"},
		{"unknown guild", fmt.Sprintf("/applications/%s/guilds/%d/commands", srv.ApplicationID(), 12345678901234), 403, 50001, ""},
		{"unknown command", globalCommandsPath(srv) + "/12345678901234", 404, 10063, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, body, _ := api(t, srv, "GET", c.path, nil)
			e := decodeAPIError(t, body)
			if st != c.status || e.Code != c.code {
				t.Fatalf("got %d %d %s; want %d %d", st, e.Code, body, c.status, c.code)
			}
			if c.errorsPath != "" {
				if _, ok := formErrorAt(e.Errors, c.errorsPath); !ok {
					t.Errorf("errors: got %s; want an error at %s", e.Errors, c.errorsPath)
				}
			}
		})
	}
}

func cmdOpt(typ int, name string, extra ...any) map[string]any {
	o := map[string]any{"type": typ, "name": name, "description": "d"}
	for i := 0; i+1 < len(extra); i += 2 {
		o[extra[i].(string)] = extra[i+1]
	}
	return o
}

// contract A.2: invalid command bodies get 50035 naming the field.
func TestCommandValidationNamesTheField(t *testing.T) {
	many := func(n int, f func(i int) any) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	long := strings.Repeat("x", 101)
	cases := []struct {
		name string
		body map[string]any
		path string
		code string
	}{
		{"upper-case name", map[string]any{"name": "Warn", "description": "d"}, "name", "APPLICATION_COMMAND_INVALID_NAME"},
		{"space in name", map[string]any{"name": "warn user", "description": "d"}, "name", "APPLICATION_COMMAND_INVALID_NAME"},
		{"name too long", map[string]any{"name": strings.Repeat("a", 33), "description": "d"}, "name", "BASE_TYPE_BAD_LENGTH"},
		{"missing name", map[string]any{"description": "d"}, "name", "BASE_TYPE_REQUIRED"},
		{"missing description", map[string]any{"name": "warn"}, "description", "BASE_TYPE_REQUIRED"},
		{"description too long", map[string]any{"name": "warn", "description": long}, "description", "BASE_TYPE_BAD_LENGTH"},
		{"26 options", map[string]any{"name": "warn", "description": "d", "options": many(26, func(i int) any { return cmdOpt(optString, fmt.Sprintf("o%d", i)) })}, "options", "BASE_TYPE_MAX_LENGTH"},
		{"26 choices", map[string]any{"name": "warn", "description": "d", "options": []any{cmdOpt(optString, "o", "choices", many(26, func(i int) any { return map[string]any{"name": fmt.Sprint(i), "value": fmt.Sprint(i)} }))}}, "options.0.choices", "BASE_TYPE_MAX_LENGTH"},
		{"duplicate option names", map[string]any{"name": "warn", "description": "d", "options": []any{cmdOpt(optString, "o"), cmdOpt(optInteger, "o")}}, "options.1.name", "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS"},
		{"required after optional", map[string]any{"name": "warn", "description": "d", "options": []any{cmdOpt(optString, "a"), cmdOpt(optString, "b", "required", true)}}, "options.1", "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID"},
		{"option name upper-case", map[string]any{"name": "warn", "description": "d", "options": []any{cmdOpt(optString, "Reason")}}, "options.0.name", "APPLICATION_COMMAND_INVALID_NAME"},
		{"option without description", map[string]any{"name": "warn", "description": "d", "options": []any{map[string]any{"type": optString, "name": "o"}}}, "options.0.description", "BASE_TYPE_REQUIRED"},
		{"unknown option type", map[string]any{"name": "warn", "description": "d", "options": []any{cmdOpt(12, "o")}}, "options.0.type", "BASE_TYPE_CHOICES"},
		{"min_length above max_length", map[string]any{"name": "warn", "description": "d", "options": []any{cmdOpt(optString, "o", "min_length", 10, "max_length", 5)}}, "options.0.min_length", "APPLICATION_COMMAND_OPTION_LENGTH_RANGE_INVALID"},
		{"max_length above 6000", map[string]any{"name": "warn", "description": "d", "options": []any{cmdOpt(optString, "o", "max_length", 6001)}}, "options.0.max_length", "NUMBER_TYPE_MAX"},
		{"min_value above max_value", map[string]any{"name": "warn", "description": "d", "options": []any{cmdOpt(optInteger, "o", "min_value", 10, "max_value", 1)}}, "options.0.min_value", "APPLICATION_COMMAND_OPTION_VALUE_RANGE_INVALID"},
		{"fractional integer bound", map[string]any{"name": "warn", "description": "d", "options": []any{cmdOpt(optInteger, "o", "min_value", 1.5)}}, "options.0.min_value", "NUMBER_TYPE_COERCE"},
		{"choice of the wrong type", map[string]any{"name": "warn", "description": "d", "options": []any{cmdOpt(optInteger, "o", "choices", []any{map[string]any{"name": "one", "value": "1"}})}}, "options.0.choices.0.value", "NUMBER_TYPE_COERCE"},
		{"autocomplete with choices", map[string]any{"name": "warn", "description": "d", "options": []any{cmdOpt(optString, "o", "autocomplete", true, "choices", []any{map[string]any{"name": "a", "value": "a"}})}}, "options.0.autocomplete", "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_CHOICES"},
		{"bad channel type", map[string]any{"name": "warn", "description": "d", "options": []any{cmdOpt(optChannel, "c", "channel_types", []any{99})}}, "options.0.channel_types.0", "BASE_TYPE_CHOICES"},
		{"subcommand beside a parameter", map[string]any{"name": "mod", "description": "d", "options": []any{cmdOpt(optSubcommand, "ban"), cmdOpt(optString, "o")}}, "options", "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID"},
		{"subcommand inside a subcommand", map[string]any{"name": "mod", "description": "d", "options": []any{cmdOpt(optSubcommand, "ban", "options", []any{cmdOpt(optSubcommand, "x")})}}, "options.0.options.0.type", "APPLICATION_COMMAND_OPTION_TYPE_INVALID"},
		{"parameter inside a group", map[string]any{"name": "mod", "description": "d", "options": []any{cmdOpt(optGroup, "ban", "options", []any{cmdOpt(optString, "x")})}}, "options.0.options.0.type", "APPLICATION_COMMAND_OPTION_TYPE_INVALID"},
		{"group inside a group", map[string]any{"name": "mod", "description": "d", "options": []any{cmdOpt(optGroup, "ban", "options", []any{cmdOpt(optGroup, "x")})}}, "options.0.options.0.type", "APPLICATION_COMMAND_OPTION_TYPE_INVALID"},
		{"user command with description", map[string]any{"name": "Report user", "type": 2, "description": "d"}, "description", "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION"},
		{"unknown command type", map[string]any{"name": "warn", "type": 9, "description": "d"}, "type", "BASE_TYPE_CHOICES"},
		{"bad default_member_permissions", map[string]any{"name": "warn", "description": "d", "default_member_permissions": "admin"}, "default_member_permissions", "NUMBER_TYPE_COERCE"},
		{"bad contexts", map[string]any{"name": "warn", "description": "d", "contexts": []any{3}}, "contexts.0", "BASE_TYPE_CHOICES"},
		{"bad locale", map[string]any{"name": "warn", "description": "d", "name_localizations": map[string]any{"xx": "warn"}}, "name_localizations.xx", "BASE_TYPE_CHOICES"},
	}
	srv := newCommandServer(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, body, _ := api(t, srv, "POST", globalCommandsPath(srv), c.body)
			e := decodeAPIError(t, body)
			if st != 400 || e.Code != 50035 {
				t.Fatalf("got %d %d %s; want 400 50035", st, e.Code, body)
			}
			if code, ok := formErrorAt(e.Errors, c.path); !ok || code != c.code {
				t.Errorf("errors: got %s; want %s at %s", e.Errors, c.code, c.path)
			}
		})
	}
	if cmds := srv.Commands(0); len(cmds) != 0 {
		t.Errorf("rejected bodies registered commands: %v", cmds)
	}
}

// contract A.2: a bulk overwrite with two commands of one name and type
// is refused whole, at the index of the second, and changes nothing.
func TestCommandBulkOverwriteRefusesDuplicateNames(t *testing.T) {
	srv := newCommandServer(t)
	api(t, srv, "PUT", globalCommandsPath(srv), []any{map[string]any{"name": "keep", "description": "d"}})
	st, body, _ := api(t, srv, "PUT", globalCommandsPath(srv), []any{
		map[string]any{"name": "a", "description": "d"},
		map[string]any{"name": "a", "description": "other"},
	})
	e := decodeAPIError(t, body)
	if code, _ := formErrorAt(e.Errors, "1"); st != 400 || e.Code != 50035 || code != "APPLICATION_COMMANDS_DUPLICATE_NAME" {
		t.Fatalf("got %d %s; want 400 50035 APPLICATION_COMMANDS_DUPLICATE_NAME at 1", st, body)
	}
	st, body, _ = api(t, srv, "PUT", globalCommandsPath(srv), []any{
		map[string]any{"name": "ok", "description": "d"},
		map[string]any{"name": "Bad", "description": "d"},
	})
	if code, _ := formErrorAt(decodeAPIError(t, body).Errors, "1.name"); st != 400 || code != "APPLICATION_COMMAND_INVALID_NAME" {
		t.Fatalf("got %d %s; want 400 APPLICATION_COMMAND_INVALID_NAME at 1.name", st, body)
	}
	if cmds := srv.Commands(0); len(cmds) != 1 || cmds[0].Name != "keep" {
		t.Errorf("after refused PUTs: got %v; want only keep", cmds)
	}
}

// An application has at most 100 CHAT_INPUT commands per scope (30032).
func TestCommandLimitPerScope(t *testing.T) {
	srv := newCommandServer(t)
	var body []any
	for i := 0; i < 101; i++ {
		body = append(body, map[string]any{"name": fmt.Sprintf("c%d", i), "description": "d"})
	}
	st, resp, _ := api(t, srv, "PUT", globalCommandsPath(srv), body)
	if e := decodeAPIError(t, resp); st != 400 || e.Code != 30032 {
		t.Fatalf("101 commands: got %d %s; want 400 30032", st, resp)
	}
	if st, resp, _ := api(t, srv, "PUT", globalCommandsPath(srv), body[:100]); st != 200 {
		t.Fatalf("100 commands: got %d %s; want 200", st, resp)
	}
	st, resp, _ = api(t, srv, "POST", globalCommandsPath(srv), map[string]any{"name": "one-more", "description": "d"})
	if e := decodeAPIError(t, resp); st != 400 || e.Code != 30032 {
		t.Fatalf("POST 101st: got %d %s; want 400 30032", st, resp)
	}
}
