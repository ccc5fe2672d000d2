package discordtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// Intents the guild tests connect with.
const (
	testIntentGuildMessages = 1 << 9
	guildTestIntents        = 1<<0 | 1<<1 | 1<<2 | testIntentGuildMessages
)

// guildRoutes are the routes of this file's tests; newGuildServer lifts
// their limits so that a test can make many requests.
var guildRoutes = []string{
	"GET /channels/{channel_id}", "PATCH /channels/{channel_id}",
	"PUT /channels/{channel_id}/permissions/{overwrite_id}", "DELETE /channels/{channel_id}/permissions/{overwrite_id}",
	"GET /guilds/{guild_id}", "GET /guilds/{guild_id}/channels", "GET /guilds/{guild_id}/roles",
	"GET /guilds/{guild_id}/members/{user_id}", "GET /guilds/{guild_id}/members", "GET /guilds/{guild_id}/members/search",
	"PATCH /guilds/{guild_id}/members/{user_id}", "DELETE /guilds/{guild_id}/members/{user_id}",
	"PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}", "DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}",
	"GET /guilds/{guild_id}/bans", "GET /guilds/{guild_id}/bans/{user_id}", "PUT /guilds/{guild_id}/bans/{user_id}",
	"DELETE /guilds/{guild_id}/bans/{user_id}", "GET /guilds/{guild_id}/audit-logs", "POST /users/@me/channels",
	"POST /channels/{channel_id}/messages",
}

// newGuildServer starts a server on a fake clock with room in every
// limit these tests use.
func newGuildServer(t *testing.T, opts ...Option) (*Server, *FakeClock) {
	t.Helper()
	clock := NewFakeClock(testEpoch)
	all := []Option{WithClock(clock), WithGlobalLimit(10000, true)}
	for _, r := range guildRoutes {
		all = append(all, WithRouteLimit(r, RouteLimit{Bucket: r, Limit: 10000, Period: time.Second}))
	}
	return New(t, append(all, opts...)...), clock
}

// apiReason is api with an X-Audit-Log-Reason header, URL-encoded as
// Discord wants it.
func apiReason(t *testing.T, srv *Server, method, path, reason string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatalf("encode body: %v", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, srv.RESTURL()+path, rd)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Authorization", "Bot "+srv.Token())
	req.Header.Set("User-Agent", "DiscordBot (https://example.invalid, 1.0)")
	req.Header.Set("X-Audit-Log-Reason", url.PathEscape(reason))
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// wantError fails unless the answer is that status and JSON code.
func wantError(t *testing.T, what string, status int, body []byte, wantStatus, wantCode int) {
	t.Helper()
	if status != wantStatus || errorCode(t, body) != wantCode {
		t.Errorf("%s: got %d %s; want %d code %d", what, status, body, wantStatus, wantCode)
	}
}

// formErrorField returns the top-level keys under "errors" of a 50035.
func formErrorField(t *testing.T, body []byte) []string {
	t.Helper()
	var e struct {
		Errors map[string]json.RawMessage `json:"errors"`
	}
	_ = json.Unmarshal(body, &e)
	var keys []string
	for k := range e.Errors {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// waitMatch takes dispatches of a type until one satisfies match.
func waitMatch(b *rawBot, typ string, match func(json.RawMessage) bool) json.RawMessage {
	b.t.Helper()
	for {
		if d := b.Wait(typ); match(d) {
			return d
		}
	}
}

func hasID(id Snowflake) func(json.RawMessage) bool {
	return func(d json.RawMessage) bool {
		var v struct {
			ID Snowflake `json:"id"`
		}
		return json.Unmarshal(d, &v) == nil && v.ID == id
	}
}

func memberPath(g GuildView, m MemberView) string {
	return "/guilds/" + g.ID.String() + "/members/" + m.User.ID.String()
}

func lastAudit(t *testing.T, srv *Server, guild Snowflake) AuditEntry {
	t.Helper()
	g, _ := srv.Guild(guild)
	if len(g.Audit) == 0 {
		t.Fatal("audit log is empty; want an entry")
	}
	return g.Audit[len(g.Audit)-1]
}

func TestMemberTimeoutIsAtMost28Days(t *testing.T) {
	srv, clock := newGuildServer(t)
	g := srv.Guilds()[0]
	target := g.Member("member1")
	path := memberPath(g, target)
	cases := []struct {
		name   string
		until  any
		status int
		want   time.Time
	}{
		{"28 days", clock.Now().Add(28 * 24 * time.Hour).Format(time.RFC3339), 200, clock.Now().Add(28 * 24 * time.Hour)},
		{"28 days and 1 s", clock.Now().Add(28*24*time.Hour + time.Second).Format(time.RFC3339), 400, clock.Now().Add(28 * 24 * time.Hour)},
		{"10 minutes", clock.Now().Add(10 * time.Minute).Format(time.RFC3339Nano), 200, clock.Now().Add(10 * time.Minute)},
		{"null clears", nil, 200, time.Time{}},
		{"not a date", "tomorrow", 400, time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body, _ := api(t, srv, "PATCH", path, map[string]any{"communication_disabled_until": tc.until})
			if status != tc.status {
				t.Fatalf("got %d %s; want %d", status, body, tc.status)
			}
			if status == 400 {
				if code := errorCode(t, body); code != 50035 {
					t.Errorf("got code %d; want 50035", code)
				}
				if f := formErrorField(t, body); !slices.Equal(f, []string{"communication_disabled_until"}) {
					t.Errorf("got error fields %v; want [communication_disabled_until]", f)
				}
			}
			m, _ := srv.Member(g.ID, target.User.ID)
			if !m.CommunicationDisabledUntil.Equal(tc.want) {
				t.Errorf("timeout: got %v; want %v", m.CommunicationDisabledUntil, tc.want)
			}
		})
	}
}

func TestMemberTimeoutRefusedAboveTheBotOrForAdministrators(t *testing.T) {
	srv, clock := newGuildServer(t)
	g := srv.Guilds()[0]
	helper, err := srv.CreateRole(g.ID, "Helper", PermAdministrator, 1) // below the bot, yet an administrator
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.UpdateMember(g.ID, g.Member("member2").User.ID, "", []Snowflake{helper.ID}); err != nil {
		t.Fatal(err)
	}
	until := clock.Now().Add(time.Hour).Format(time.RFC3339)
	for _, name := range []string{"owner", "admin", "member2", srv.BotUser().Username} {
		t.Run(name, func(t *testing.T) {
			m := g.Member(name)
			status, body, _ := api(t, srv, "PATCH", memberPath(g, m), map[string]any{"communication_disabled_until": until})
			wantError(t, "timeout", status, body, 403, 50013)
			if after, _ := srv.Member(g.ID, m.User.ID); !after.CommunicationDisabledUntil.IsZero() {
				t.Errorf("timeout: got %v; want none (world unchanged)", after.CommunicationDisabledUntil)
			}
		})
	}
}

func TestHierarchyGuardsEveryMemberAction(t *testing.T) {
	srv, _ := newGuildServer(t)
	g := srv.Guilds()[0]
	memberRole := g.Role("Member").ID.String()
	actions := []struct {
		name, method, suffix string
		body                 any
	}{
		{"kick", "DELETE", "", nil},
		{"ban", "PUT", "/bans/", map[string]any{}},
		{"add role", "PUT", "/roles/" + memberRole, nil},
		{"remove role", "DELETE", "/roles/" + memberRole, nil},
		{"nick", "PATCH", "", map[string]any{"nick": "renamed"}},
		{"roles", "PATCH", "", map[string]any{"roles": []string{memberRole}}},
	}
	for _, target := range []string{"owner", "admin"} {
		for _, a := range actions {
			t.Run(target+" "+a.name, func(t *testing.T) {
				m := g.Member(target)
				path := memberPath(g, m) + a.suffix
				if a.suffix == "/bans/" {
					path = "/guilds/" + g.ID.String() + "/bans/" + m.User.ID.String()
				}
				status, body, _ := api(t, srv, a.method, path, a.body)
				wantError(t, a.name, status, body, 403, 50013)
				after, ok := srv.Member(g.ID, m.User.ID)
				if !ok || after.Nick != m.Nick || !slices.Equal(after.Roles, m.Roles) {
					t.Errorf("member after refusal: got %+v (present %v); want unchanged %+v", after, ok, m)
				}
			})
		}
	}
	if gv, _ := srv.Guild(g.ID); len(gv.Bans) != 0 || len(gv.Audit) != 0 {
		t.Fatalf("got %d bans and %d audit entries; want none after refusals", len(gv.Bans), len(gv.Audit))
	}
	// The bot outranks a plain member: the same actions succeed.
	m := g.Member("member1")
	if status, body, _ := api(t, srv, "PATCH", memberPath(g, m), map[string]any{"nick": "renamed"}); status != 200 {
		t.Fatalf("nick on member1: got %d %s; want 200", status, body)
	}
	if status, body, _ := api(t, srv, "DELETE", memberPath(g, m), nil); status != 204 {
		t.Fatalf("kick member1: got %d %s; want 204", status, body)
	}
	if _, ok := srv.Member(g.ID, m.User.ID); ok {
		t.Fatal("member1 is still in the guild after a kick")
	}
}

func TestMemberRoleRules(t *testing.T) {
	srv, _ := newGuildServer(t)
	g := srv.Guilds()[0]
	b := connectRawBot(t, srv, guildTestIntents)
	m := g.Member("member2")
	base := memberPath(g, m) + "/roles/"
	cases := []struct {
		name   string
		role   string
		status int
		code   int
	}{
		{"above the bot", g.Role("Admin").ID.String(), 403, 50013},
		{"the bot's own rank", g.Role(srv.BotUser().Username).ID.String(), 403, 50013},
		{"@everyone", g.ID.String(), 404, 10011},
		{"unknown", "123456789012345678", 404, 10011},
		{"not a snowflake", "abc", 400, 50035},
	}
	for _, tc := range cases {
		status, body, _ := api(t, srv, "PUT", base+tc.role, nil)
		wantError(t, tc.name, status, body, tc.status, tc.code)
	}
	mod := g.Role("Moderator").ID
	if status, body := apiReason(t, srv, "PUT", base+mod.String(), "promoted", nil); status != 204 {
		t.Fatalf("add Moderator: got %d %s; want 204", status, body)
	}
	var ev struct {
		GuildID Snowflake   `json:"guild_id"`
		Roles   []Snowflake `json:"roles"`
		User    struct {
			ID Snowflake `json:"id"`
		} `json:"user"`
	}
	_ = json.Unmarshal(b.Wait("GUILD_MEMBER_UPDATE"), &ev)
	if ev.GuildID != g.ID || ev.User.ID != m.User.ID || !slices.Contains(ev.Roles, mod) {
		t.Fatalf("GUILD_MEMBER_UPDATE: got %+v; want member2 of guild %s with Moderator", ev, g.ID)
	}
	a := lastAudit(t, srv, g.ID)
	if a.ActionType != AuditMemberRoleUpdate || a.TargetID != m.User.ID || a.Reason != "promoted" || len(a.Changes) != 1 || a.Changes[0].Key != "$add" {
		t.Fatalf("audit: got %+v; want a 25 $add for member2 with reason promoted", a)
	}
	if status, body, _ := api(t, srv, "DELETE", base+mod.String(), nil); status != 204 {
		t.Fatalf("remove Moderator: got %d %s; want 204", status, body)
	}
	if after, _ := srv.Member(g.ID, m.User.ID); slices.Contains(after.Roles, mod) {
		t.Fatalf("roles: got %v; want Moderator removed", after.Roles)
	}
}

func TestPatchMemberNickAndRoles(t *testing.T) {
	srv, _ := newGuildServer(t)
	g := srv.Guilds()[0]
	m := g.Member("member1")
	path := memberPath(g, m)
	status, body, _ := api(t, srv, "PATCH", path, map[string]any{"nick": strings.Repeat("n", 33)})
	wantError(t, "33-character nick", status, body, 400, 50035)
	status, body, _ = api(t, srv, "PATCH", path, map[string]any{"roles": []string{g.Role(srv.BotUser().Username).ID.String()}})
	wantError(t, "managed role", status, body, 403, 50013)
	status, body, _ = api(t, srv, "PATCH", path, map[string]any{"mute": true})
	wantError(t, "mute outside voice", status, body, 403, 50013) // the bot has no MUTE_MEMBERS

	status, body = apiReason(t, srv, "PATCH", path, "be nice", map[string]any{"nick": "Nice", "roles": []string{g.Role("Moderator").ID.String()}})
	if status != 200 {
		t.Fatalf("nick and roles: got %d %s; want 200", status, body)
	}
	var got struct {
		Nick  string      `json:"nick"`
		Roles []Snowflake `json:"roles"`
	}
	_ = json.Unmarshal(body, &got)
	if got.Nick != "Nice" || !slices.Equal(got.Roles, []Snowflake{g.Role("Moderator").ID}) {
		t.Fatalf("answer: got %+v; want nick Nice and roles [Moderator]", got)
	}
	gv, _ := srv.Guild(g.ID)
	var types []int
	for _, a := range gv.Audit {
		types = append(types, a.ActionType)
		if a.Reason != "be nice" || a.UserID != srv.BotUser().ID {
			t.Errorf("audit %d: got reason %q by %s; want %q by the bot", a.ActionType, a.Reason, a.UserID, "be nice")
		}
	}
	if !slices.Equal(types, []int{AuditMemberUpdate, AuditMemberRoleUpdate}) {
		t.Fatalf("audit types: got %v; want [24 25]", types)
	}
}

func TestBanNeedsBanMembers(t *testing.T) {
	srv, _ := newGuildServer(t, WithBotPermissions(DefaultBotPermissions&^PermBanMembers))
	g := srv.Guilds()[0]
	m := g.Member("member1")
	bans := "/guilds/" + g.ID.String() + "/bans"
	status, body, _ := api(t, srv, "PUT", bans+"/"+m.User.ID.String(), map[string]any{"delete_message_seconds": 60})
	wantError(t, "ban", status, body, 403, 50013)
	status, body, _ = api(t, srv, "GET", bans, nil)
	wantError(t, "list bans", status, body, 403, 50013)
	if _, ok := srv.Member(g.ID, m.User.ID); !ok {
		t.Fatal("member1 left the guild after a refused ban")
	}
	if gv, _ := srv.Guild(g.ID); len(gv.Bans) != 0 {
		t.Fatalf("got %d bans; want 0", len(gv.Bans))
	}
}

func TestBanDeletesRecentMessagesAndDispatches(t *testing.T) {
	srv, clock := newGuildServer(t)
	g := srv.Guilds()[0]
	b := connectRawBot(t, srv, guildTestIntents)
	m := g.Member("member1")
	general, offTopic := g.Channel("general").ID, g.Channel("off-topic").ID
	send := func(ch Snowflake, who MemberView) Message {
		t.Helper()
		msg, err := srv.SendMessage(g.ID, ch, who.User.ID, "hello")
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	old := send(general, m)
	clock.Advance(2 * time.Hour)
	recent1, recent2, other := send(general, m), send(general, m), send(offTopic, m)
	bystander := send(general, g.Member("member2"))

	path := "/guilds/" + g.ID.String() + "/bans/" + m.User.ID.String()
	for _, secs := range []int{-1, 604801} {
		status, body, _ := api(t, srv, "PUT", path, map[string]any{"delete_message_seconds": secs})
		wantError(t, "delete_message_seconds", status, body, 400, 50035)
		if f := formErrorField(t, body); !slices.Equal(f, []string{"delete_message_seconds"}) {
			t.Errorf("got error fields %v; want [delete_message_seconds]", f)
		}
	}
	if _, ok := srv.Member(g.ID, m.User.ID); !ok {
		t.Fatal("a refused ban removed the member")
	}

	if status, body := apiReason(t, srv, "PUT", path, "spam links", map[string]any{"delete_message_seconds": 3600}); status != 204 {
		t.Fatalf("ban: got %d %s; want 204", status, body)
	}
	for _, msg := range []Message{recent1, recent2, other} {
		if _, ok := srv.Message(msg.ID); ok {
			t.Errorf("message %s sent an hour before the ban: still there; want deleted", msg.ID)
		}
	}
	for _, msg := range []Message{old, bystander} {
		if _, ok := srv.Message(msg.ID); !ok {
			t.Errorf("message %s: deleted; want kept", msg.ID)
		}
	}
	var bulk struct {
		IDs       []Snowflake `json:"ids"`
		ChannelID Snowflake   `json:"channel_id"`
	}
	_ = json.Unmarshal(b.Wait("MESSAGE_DELETE_BULK"), &bulk)
	if bulk.ChannelID != general || !slices.Equal(bulk.IDs, []Snowflake{recent1.ID, recent2.ID}) {
		t.Errorf("MESSAGE_DELETE_BULK: got %+v; want both recent messages of #general", bulk)
	}
	if d := b.Wait("MESSAGE_DELETE"); !hasID(other.ID)(d) {
		t.Errorf("MESSAGE_DELETE: got %s; want the #off-topic message %s", d, other.ID)
	}
	var banAdd struct {
		GuildID Snowflake `json:"guild_id"`
		User    struct {
			ID Snowflake `json:"id"`
		} `json:"user"`
	}
	_ = json.Unmarshal(b.Wait("GUILD_BAN_ADD"), &banAdd)
	if banAdd.GuildID != g.ID || banAdd.User.ID != m.User.ID {
		t.Errorf("GUILD_BAN_ADD: got %+v; want member1 in %s", banAdd, g.ID)
	}
	b.Wait("GUILD_MEMBER_REMOVE")

	status, body, _ := api(t, srv, "GET", path, nil)
	var ban struct {
		Reason *string `json:"reason"`
	}
	_ = json.Unmarshal(body, &ban)
	if status != 200 || ban.Reason == nil || *ban.Reason != "spam links" {
		t.Fatalf("GET ban: got %d %s; want 200 with reason %q", status, body, "spam links")
	}
	if a := lastAudit(t, srv, g.ID); a.ActionType != AuditMemberBanAdd || a.Reason != "spam links" {
		t.Fatalf("audit: got %+v; want 22 with the reason", a)
	}

	if status, body := apiReason(t, srv, "DELETE", path, "appeal accepted", nil); status != 204 {
		t.Fatalf("unban: got %d %s; want 204", status, body)
	}
	b.Wait("GUILD_BAN_REMOVE")
	if a := lastAudit(t, srv, g.ID); a.ActionType != AuditMemberBanRemove || a.Reason != "appeal accepted" {
		t.Fatalf("audit: got %+v; want 23 with the reason", a)
	}
	status, body, _ = api(t, srv, "GET", path, nil)
	wantError(t, "GET lifted ban", status, body, 404, 10026)
	status, body, _ = api(t, srv, "DELETE", path, nil)
	wantError(t, "DELETE lifted ban", status, body, 404, 10026)
}

func TestBanListPages(t *testing.T) {
	srv, _ := newGuildServer(t)
	g := srv.Guilds()[0]
	var ids []Snowflake
	for _, name := range []string{"member1", "member2", "member3", "member4"} {
		id := g.Member(name).User.ID
		ids = append(ids, id)
		if status, body, _ := api(t, srv, "PUT", "/guilds/"+g.ID.String()+"/bans/"+id.String(), nil); status != 204 {
			t.Fatalf("ban %s: got %d %s; want 204", name, status, body)
		}
	}
	slices.Sort(ids)
	cases := []struct {
		query string
		want  []Snowflake
	}{
		{"", ids},
		{"?limit=2", ids[:2]},
		{"?after=" + ids[1].String(), ids[2:]},
		{"?before=" + ids[3].String() + "&limit=2", ids[1:3]},
	}
	for _, tc := range cases {
		status, body, _ := api(t, srv, "GET", "/guilds/"+g.ID.String()+"/bans"+tc.query, nil)
		var bans []struct {
			User struct {
				ID Snowflake `json:"id"`
			} `json:"user"`
		}
		_ = json.Unmarshal(body, &bans)
		var got []Snowflake
		for _, b := range bans {
			got = append(got, b.User.ID)
		}
		if status != 200 || !slices.Equal(got, tc.want) {
			t.Errorf("bans%s: got %d %v; want 200 %v", tc.query, status, got, tc.want)
		}
	}
}

func TestAuditLogRecordsTheEncodedReason(t *testing.T) {
	srv, _ := newGuildServer(t)
	g := srv.Guilds()[0]
	b := connectRawBot(t, srv, guildTestIntents)
	reason := "Spam: 3 links / 100% ✅"
	m := g.Member("member3")
	if status, body := apiReason(t, srv, "DELETE", memberPath(g, m), reason, nil); status != 204 {
		t.Fatalf("kick: got %d %s; want 204", status, body)
	}
	var ev struct {
		ActionType int       `json:"action_type"`
		Reason     string    `json:"reason"`
		GuildID    Snowflake `json:"guild_id"`
	}
	_ = json.Unmarshal(b.Wait("GUILD_AUDIT_LOG_ENTRY_CREATE"), &ev)
	if ev.ActionType != AuditMemberKick || ev.Reason != reason || ev.GuildID != g.ID {
		t.Fatalf("GUILD_AUDIT_LOG_ENTRY_CREATE: got %+v; want a kick with reason %q", ev, reason)
	}
	if status, body, _ := api(t, srv, "PATCH", memberPath(g, g.Member("member4")), map[string]any{"nick": "four"}); status != 200 {
		t.Fatalf("nick: got %d %s; want 200", status, body)
	}

	type entry struct {
		ID         Snowflake `json:"id"`
		ActionType int       `json:"action_type"`
		UserID     Snowflake `json:"user_id"`
		TargetID   string    `json:"target_id"`
		Reason     string    `json:"reason"`
	}
	read := func(query string) []entry {
		t.Helper()
		status, body, _ := api(t, srv, "GET", "/guilds/"+g.ID.String()+"/audit-logs"+query, nil)
		if status != 200 {
			t.Fatalf("audit-logs%s: got %d %s; want 200", query, status, body)
		}
		var log struct {
			Entries []entry           `json:"audit_log_entries"`
			Users   []json.RawMessage `json:"users"`
			Hooks   []json.RawMessage `json:"webhooks"`
		}
		_ = json.Unmarshal(body, &log)
		if log.Hooks == nil || len(log.Users) == 0 && len(log.Entries) > 0 {
			t.Fatalf("audit-logs%s: got %s; want webhooks [] and the users of the entries", query, body)
		}
		return log.Entries
	}
	all := read("")
	if len(all) != 2 || all[0].ActionType != AuditMemberUpdate || all[1].ActionType != AuditMemberKick {
		t.Fatalf("audit log: got %+v; want the nick change then the kick, newest first", all)
	}
	if all[1].Reason != reason || all[1].TargetID != m.User.ID.String() || all[1].UserID != srv.BotUser().ID {
		t.Fatalf("kick entry: got %+v; want reason %q, target member3, by the bot", all[1], reason)
	}
	cases := []struct {
		query string
		want  int
	}{
		{"?action_type=20", 1},
		{"?limit=1", 1},
		{"?user_id=" + g.Member("owner").User.ID.String(), 0},
		{"?user_id=" + srv.BotUser().ID.String(), 2},
		{"?before=" + all[0].ID.String(), 1},
		{"?after=" + all[1].ID.String(), 1},
	}
	for _, tc := range cases {
		if got := read(tc.query); len(got) != tc.want {
			t.Errorf("audit-logs%s: got %d entries; want %d", tc.query, len(got), tc.want)
		}
	}
	for _, q := range []string{"?limit=0", "?limit=101", "?action_type=x"} {
		status, body, _ := api(t, srv, "GET", "/guilds/"+g.ID.String()+"/audit-logs"+q, nil)
		wantError(t, "audit-logs"+q, status, body, 400, 50035)
	}
}

func TestAuditLogNeedsViewAuditLog(t *testing.T) {
	srv, _ := newGuildServer(t, WithBotPermissions(DefaultBotPermissions&^PermViewAuditLog))
	g := srv.Guilds()[0]
	status, body, _ := api(t, srv, "GET", "/guilds/"+g.ID.String()+"/audit-logs", nil)
	wantError(t, "audit-logs", status, body, 403, 50013)
}

func TestMemberListNeedsTheGuildMembersIntent(t *testing.T) {
	t.Run("not approved", func(t *testing.T) {
		srv, _ := newGuildServer(t, WithPrivilegedIntents(0))
		g := srv.Guilds()[0]
		status, body, _ := api(t, srv, "GET", "/guilds/"+g.ID.String()+"/members?limit=10", nil)
		wantError(t, "list members", status, body, 403, 50001)
		if status, body, _ := api(t, srv, "GET", memberPath(g, g.Member("member1")), nil); status != 200 {
			t.Errorf("one member: got %d %s; want 200 (no intent needed)", status, body)
		}
	})
	t.Run("approved", func(t *testing.T) {
		srv, _ := newGuildServer(t)
		g := srv.Guilds()[0]
		var all []Snowflake
		for _, m := range g.Members {
			all = append(all, m.User.ID)
		}
		slices.Sort(all)
		cases := []struct {
			query string
			want  []Snowflake
		}{
			{"", all[:1]},
			{"?limit=1000", all},
			{"?limit=3&after=" + all[2].String(), all[3:6]},
		}
		for _, tc := range cases {
			status, body, _ := api(t, srv, "GET", "/guilds/"+g.ID.String()+"/members"+tc.query, nil)
			var ms []struct {
				User struct {
					ID Snowflake `json:"id"`
				} `json:"user"`
			}
			_ = json.Unmarshal(body, &ms)
			var got []Snowflake
			for _, m := range ms {
				got = append(got, m.User.ID)
			}
			if status != 200 || !slices.Equal(got, tc.want) {
				t.Errorf("members%s: got %d %v; want 200 %v", tc.query, status, got, tc.want)
			}
		}
		for _, q := range []string{"?limit=0", "?limit=1001", "?after=x"} {
			status, body, _ := api(t, srv, "GET", "/guilds/"+g.ID.String()+"/members"+q, nil)
			wantError(t, "members"+q, status, body, 400, 50035)
		}
	})
}

func TestMemberSearchMatchesUsernameOrNickPrefix(t *testing.T) {
	srv, _ := newGuildServer(t)
	g := srv.Guilds()[0]
	if err := srv.UpdateMember(g.ID, g.Member("member2").User.ID, "Zed", nil); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		query string
		want  []string
	}{
		{"?query=ADM&limit=10", []string{"admin"}},
		{"?query=zed&limit=10", []string{"member2"}},
		{"?query=member", []string{"member1"}},
		{"?query=member&limit=3", []string{"member1", "member2", "member3"}},
		{"?query=nobody&limit=10", nil},
	}
	for _, tc := range cases {
		status, body, _ := api(t, srv, "GET", "/guilds/"+g.ID.String()+"/members/search"+tc.query, nil)
		var ms []struct {
			User struct {
				Username string `json:"username"`
			} `json:"user"`
		}
		_ = json.Unmarshal(body, &ms)
		var got []string
		for _, m := range ms {
			got = append(got, m.User.Username)
		}
		if status != 200 || !slices.Equal(got, tc.want) {
			t.Errorf("search%s: got %d %v; want 200 %v", tc.query, status, got, tc.want)
		}
	}
	for _, q := range []string{"", "?limit=5", "?query=a&limit=1001"} {
		status, body, _ := api(t, srv, "GET", "/guilds/"+g.ID.String()+"/members/search"+q, nil)
		wantError(t, "search"+q, status, body, 400, 50035)
	}
}

func TestChannelPermissionOverwrites(t *testing.T) {
	srv, _ := newGuildServer(t)
	g := srv.Guilds()[0]
	b := connectRawBot(t, srv, guildTestIntents)
	ch := g.Channel("general")
	member := g.Role("Member").ID
	path := "/channels/" + ch.ID.String() + "/permissions/"
	refusals := []struct {
		name   string
		target string
		body   any
		status int
		code   int
	}{
		{"a permission the bot lacks", member.String(), map[string]any{"type": 0, "allow": uitoa(PermManageChannels)}, 403, 50013},
		{"denying one the bot lacks", member.String(), map[string]any{"type": 0, "deny": uitoa(PermMentionEveryone)}, 403, 50013},
		{"unknown role", "123456789012345678", map[string]any{"type": 0, "allow": "0"}, 404, 10011},
		{"bad type", member.String(), map[string]any{"type": 2}, 400, 50035},
		{"no type", member.String(), map[string]any{"allow": "0"}, 400, 50035},
	}
	for _, tc := range refusals {
		status, body, _ := api(t, srv, "PUT", path+tc.target, tc.body)
		wantError(t, tc.name, status, body, tc.status, tc.code)
	}
	if after, _ := srv.Guild(g.ID); len(after.Channel("general").Overwrites) != 0 {
		t.Fatalf("overwrites after refusals: got %+v; want none", after.Channel("general").Overwrites)
	}

	allow := PermSendMessages | PermAddReactions
	if status, body := apiReason(t, srv, "PUT", path+member.String(), "members talk", map[string]any{"type": 0, "allow": uitoa(allow), "deny": uitoa(PermAttachFiles)}); status != 204 {
		t.Fatalf("PUT overwrite: got %d %s; want 204", status, body)
	}
	var upd struct {
		ID  Snowflake       `json:"id"`
		Ows []overwriteJSON `json:"permission_overwrites"`
	}
	_ = json.Unmarshal(waitMatch(b, "CHANNEL_UPDATE", hasID(ch.ID)), &upd)
	want := []overwriteJSON{{ID: member, Type: 0, Allow: uitoa(allow), Deny: uitoa(PermAttachFiles)}}
	if !slices.Equal(upd.Ows, want) {
		t.Fatalf("CHANNEL_UPDATE overwrites: got %+v; want %+v", upd.Ows, want)
	}
	if a := lastAudit(t, srv, g.ID); a.ActionType != AuditChannelOverwriteCreate || a.TargetID != ch.ID || a.Reason != "members talk" {
		t.Fatalf("audit: got %+v; want 13 on #general with the reason", a)
	}
	if status, body, _ := api(t, srv, "PUT", path+member.String(), map[string]any{"type": 0, "allow": uitoa(PermSendMessages)}); status != 204 {
		t.Fatalf("edit overwrite: got %d %s; want 204", status, body)
	}
	if a := lastAudit(t, srv, g.ID); a.ActionType != AuditChannelOverwriteEdit {
		t.Fatalf("audit: got %d; want 14", a.ActionType)
	}
	if status, body, _ := api(t, srv, "DELETE", path+member.String(), nil); status != 204 {
		t.Fatalf("DELETE overwrite: got %d %s; want 204", status, body)
	}
	waitMatch(b, "CHANNEL_UPDATE", hasID(ch.ID))
	if a := lastAudit(t, srv, g.ID); a.ActionType != AuditChannelOverwriteDelete {
		t.Fatalf("audit: got %d; want 15", a.ActionType)
	}
	status, body, _ := api(t, srv, "DELETE", path+member.String(), nil)
	wantError(t, "DELETE missing overwrite", status, body, 404, 10009)
	// A member overwrite granting what the bot has in the parent category.
	modlog := g.Channel("mod-log")
	status, body, _ = api(t, srv, "PUT", "/channels/"+modlog.ID.String()+"/permissions/"+srv.BotUser().ID.String(), map[string]any{"type": 1, "allow": uitoa(PermViewChannel)})
	if status != 204 {
		t.Fatalf("member overwrite for the bot: got %d %s; want 204", status, body)
	}
}

func TestOverwritesNeedManageRoles(t *testing.T) {
	srv, _ := newGuildServer(t, WithBotPermissions(DefaultBotPermissions&^PermManageRoles))
	g := srv.Guilds()[0]
	ch := g.Channel("general")
	status, body, _ := api(t, srv, "PUT", "/channels/"+ch.ID.String()+"/permissions/"+g.Role("Member").ID.String(), map[string]any{"type": 0, "allow": uitoa(PermSendMessages)})
	wantError(t, "PUT overwrite", status, body, 403, 50013)
	status, body, _ = api(t, srv, "PATCH", "/channels/"+ch.ID.String(), map[string]any{"permission_overwrites": []any{}})
	wantError(t, "PATCH overwrites", status, body, 403, 50013)
}

func TestEditChannel(t *testing.T) {
	t.Run("without MANAGE_CHANNELS", func(t *testing.T) {
		srv, _ := newGuildServer(t)
		ch := srv.Guilds()[0].Channel("general")
		status, body, _ := api(t, srv, "PATCH", "/channels/"+ch.ID.String(), map[string]any{"name": "renamed"})
		wantError(t, "PATCH", status, body, 403, 50013)
		if after, _ := srv.Guild(srv.Guilds()[0].ID); after.Channel("general").ID != ch.ID {
			t.Fatal("a refused PATCH renamed #general")
		}
	})
	srv, _ := newGuildServer(t, WithBotPermissions(DefaultBotPermissions|PermManageChannels))
	g := srv.Guilds()[0]
	b := connectRawBot(t, srv, guildTestIntents)
	ch := g.Channel("general")
	path := "/channels/" + ch.ID.String()
	invalid := []struct {
		name  string
		body  any
		field string
	}{
		{"slowmode too long", map[string]any{"rate_limit_per_user": 21601}, "rate_limit_per_user"},
		{"negative slowmode", map[string]any{"rate_limit_per_user": -1}, "rate_limit_per_user"},
		{"empty name", map[string]any{"name": ""}, "name"},
		{"long topic", map[string]any{"topic": strings.Repeat("t", 1025)}, "topic"},
		{"parent not a category", map[string]any{"parent_id": g.Channel("off-topic").ID.String()}, "parent_id"},
	}
	for _, tc := range invalid {
		status, body, _ := api(t, srv, "PATCH", path, tc.body)
		wantError(t, tc.name, status, body, 400, 50035)
		if f := formErrorField(t, body); !slices.Equal(f, []string{tc.field}) {
			t.Errorf("%s: got error fields %v; want [%s]", tc.name, f, tc.field)
		}
	}
	status, body := apiReason(t, srv, "PATCH", path, "tidy", map[string]any{"name": "lobby", "topic": "Welcome", "rate_limit_per_user": 21600, "nsfw": true})
	if status != 200 {
		t.Fatalf("PATCH: got %d %s; want 200", status, body)
	}
	var got channelJSON
	_ = json.Unmarshal(waitMatch(b, "CHANNEL_UPDATE", hasID(ch.ID)), &got)
	if *got.Name != "lobby" || *got.Topic != "Welcome" || *got.RateLimitPerUser != 21600 || !*got.NSFW {
		t.Fatalf("CHANNEL_UPDATE: got %+v; want the new name, topic, slowmode and nsfw", got)
	}
	a := lastAudit(t, srv, g.ID)
	if a.ActionType != AuditChannelUpdate || a.Reason != "tidy" || len(a.Changes) != 4 {
		t.Fatalf("audit: got %+v; want 11 with 4 changes and the reason", a)
	}
	status, body, _ = api(t, srv, "GET", path, nil)
	if status != 200 || !bytes.Contains(body, []byte(`"name":"lobby"`)) {
		t.Fatalf("GET channel: got %d %s; want 200 named lobby", status, body)
	}
}

func TestGuildReads(t *testing.T) {
	srv, _ := newGuildServer(t)
	g := srv.Guilds()[0]
	base := "/guilds/" + g.ID.String()
	status, body, _ := api(t, srv, "GET", base+"?with_counts=true", nil)
	var guild struct {
		ID    Snowflake `json:"id"`
		Count *int      `json:"approximate_member_count"`
	}
	_ = json.Unmarshal(body, &guild)
	if status != 200 || guild.ID != g.ID || guild.Count == nil || *guild.Count != len(g.Members) {
		t.Fatalf("GET guild with counts: got %d %s; want 200 with approximate_member_count %d", status, body, len(g.Members))
	}
	if _, body, _ := api(t, srv, "GET", base, nil); bytes.Contains(body, []byte("approximate_member_count")) {
		t.Fatalf("GET guild: got %s; want no counts without with_counts", body)
	}
	for _, tc := range []struct {
		path string
		n    int
	}{{"/channels", len(g.Channels)}, {"/roles", len(g.Roles)}} {
		status, body, _ := api(t, srv, "GET", base+tc.path, nil)
		var list []json.RawMessage
		_ = json.Unmarshal(body, &list)
		if status != 200 || len(list) != tc.n {
			t.Errorf("GET %s: got %d with %d items; want 200 with %d", tc.path, status, len(list), tc.n)
		}
	}
	status, body, _ = api(t, srv, "GET", "/guilds/123456789012345678", nil)
	wantError(t, "unknown guild", status, body, 404, 10004)
	status, body, _ = api(t, srv, "GET", "/guilds/123456789012345678/roles", nil)
	wantError(t, "unknown guild roles", status, body, 404, 10004)
	status, body, _ = api(t, srv, "GET", base+"/members/123456789012345678", nil)
	wantError(t, "unknown user", status, body, 404, 10013)
}

func TestDMChannel(t *testing.T) {
	srv, _ := newGuildServer(t)
	g := srv.Guilds()[0]
	u := g.Member("member1").User.ID
	var first, second struct {
		ID         Snowflake `json:"id"`
		Type       int       `json:"type"`
		Recipients []struct {
			ID Snowflake `json:"id"`
		} `json:"recipients"`
	}
	status, body, _ := api(t, srv, "POST", "/users/@me/channels", map[string]any{"recipient_id": u.String()})
	_ = json.Unmarshal(body, &first)
	if status != 200 || first.Type != ChannelDM || len(first.Recipients) != 1 || first.Recipients[0].ID != u {
		t.Fatalf("create DM: got %d %s; want 200 a DM with member1", status, body)
	}
	_, body, _ = api(t, srv, "POST", "/users/@me/channels", map[string]any{"recipient_id": u.String()})
	_ = json.Unmarshal(body, &second)
	if second.ID != first.ID {
		t.Fatalf("second create: got channel %s; want the same %s", second.ID, first.ID)
	}
	msgs := "/channels/" + first.ID.String() + "/messages"
	if status, body, _ := api(t, srv, "POST", msgs, map[string]any{"content": "hi"}); status != 200 {
		t.Fatalf("DM message: got %d %s; want 200", status, body)
	}
	srv.SetRefusesDMs(u, true)
	status, body, _ = api(t, srv, "POST", msgs, map[string]any{"content": "hi again"})
	wantError(t, "DM to a user refusing DMs", status, body, 403, 50007)
	srv.SetRefusesDMs(u, false)
	if status, body, _ := api(t, srv, "POST", msgs, map[string]any{"content": "hi again"}); status != 200 {
		t.Fatalf("DM after accepting again: got %d %s; want 200", status, body)
	}
	status, body, _ = api(t, srv, "POST", "/users/@me/channels", map[string]any{"recipient_id": "123456789012345678"})
	wantError(t, "unknown recipient", status, body, 404, 10013)
	status, body, _ = api(t, srv, "POST", "/users/@me/channels", map[string]any{})
	wantError(t, "no recipient", status, body, 400, 50035)
}

func TestEditGuildVerificationLevel(t *testing.T) {
	srv, _ := newGuildServer(t, WithBotPermissions(DefaultBotPermissions|PermManageGuild),
		WithRouteLimit("PATCH /guilds/{guild_id}", RouteLimit{Bucket: "guild-edit", Limit: 100, Period: time.Second}))
	g := srv.Guilds()[0]
	b := connectRawBot(t, srv, guildTestIntents)
	path := "/guilds/" + g.ID.String()
	for _, tc := range []struct {
		name   string
		body   any
		status int
		code   int
	}{
		{"level above 4", map[string]any{"verification_level": 5}, 400, 50035},
		{"level not a number", map[string]any{"verification_level": "high"}, 400, 50035},
		{"name too short", map[string]any{"name": "x"}, 400, 50035},
	} {
		status, body, _ := api(t, srv, "PATCH", path, tc.body)
		wantError(t, tc.name, status, body, tc.status, tc.code)
	}
	if status, body := apiReason(t, srv, "PATCH", path, "raid", map[string]any{"verification_level": 3}); status != 200 {
		t.Fatalf("PATCH guild: got %d %s; want 200", status, body)
	}
	var upd struct {
		ID    Snowflake `json:"id"`
		Level int       `json:"verification_level"`
	}
	_ = json.Unmarshal(waitMatch(b, "GUILD_UPDATE", hasID(g.ID)), &upd)
	if upd.Level != 3 {
		t.Fatalf("GUILD_UPDATE verification_level: got %d; want 3", upd.Level)
	}
	if after, _ := srv.Guild(g.ID); after.VerificationLevel != 3 {
		t.Fatalf("state: got level %d; want 3", after.VerificationLevel)
	}
	if a := lastAudit(t, srv, g.ID); a.ActionType != AuditGuildUpdate || a.Reason != "raid" {
		t.Fatalf("audit: got %+v; want 1 with the reason", a)
	}

	without, _ := newGuildServer(t) // the default bot has no MANAGE_GUILD
	wg := without.Guilds()[0]
	status, body, _ := api(t, without, "PATCH", "/guilds/"+wg.ID.String(), map[string]any{"verification_level": 3})
	wantError(t, "PATCH without MANAGE_GUILD", status, body, 403, 50013)
}
