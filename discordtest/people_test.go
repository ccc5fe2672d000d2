package discordtest

import (
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// connectShard is connectRawBot for one shard of several.
func connectShard(t *testing.T, srv *Server, intents uint64, shard, total int) *rawBot {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial(srv.GatewayURL()+"?v=10&encoding=json", nil)
	if err != nil {
		t.Fatalf("dial gateway: %v", err)
	}
	b := &rawBot{t: t, srv: srv, conn: conn}
	b.cond = sync.NewCond(&b.mu)
	var hello struct {
		Op int `json:"op"`
	}
	if err := conn.ReadJSON(&hello); err != nil || hello.Op != 10 {
		t.Fatalf("hello: got op %d, err %v; want op 10", hello.Op, err)
	}
	identify := map[string]any{"op": 2, "d": map[string]any{"token": srv.Token(), "intents": intents, "shard": []int{shard, total},
		"properties": map[string]string{"os": "linux", "browser": "rawbot", "device": "rawbot"}}}
	if err := conn.WriteJSON(identify); err != nil {
		t.Fatalf("identify: %v", err)
	}
	go b.read()
	t.Cleanup(func() {
		_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1000, "done"))
		_ = conn.Close()
	})
	b.Wait("READY")
	return b
}

// sawDispatch reports whether the bot got a dispatch of that type matching.
func (b *rawBot) sawDispatch(typ string, match func(json.RawMessage) bool) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, ev := range b.events {
		if ev.Type == typ && match(ev.Data) {
			return true
		}
	}
	return false
}

func TestPeopleActionsDispatchTheirEvents(t *testing.T) {
	srv, _ := newGuildServer(t)
	g := srv.Guilds()[0]
	b := connectRawBot(t, srv, guildTestIntents)
	type payload struct {
		GuildID Snowflake `json:"guild_id"`
		RoleID  Snowflake `json:"role_id"`
		Nick    *string   `json:"nick"`
		User    *struct {
			ID       Snowflake `json:"id"`
			Username string    `json:"username"`
		} `json:"user"`
		Role *struct {
			ID       Snowflake `json:"id"`
			Name     string    `json:"name"`
			Position int       `json:"position"`
		} `json:"role"`
	}
	var joined MemberView
	var role Role
	cases := []struct {
		name  string
		act   func() error
		event string
		check func(p payload) bool
	}{
		{"join", func() (err error) { joined, err = srv.MemberJoin(g.ID, "newcomer"); return err }, "GUILD_MEMBER_ADD",
			func(p payload) bool {
				return p.User != nil && p.User.Username == "newcomer" && p.User.ID == joined.User.ID
			}},
		{"update", func() error { return srv.UpdateMember(g.ID, joined.User.ID, "Newbie", nil) }, "GUILD_MEMBER_UPDATE",
			func(p payload) bool {
				return p.Nick != nil && *p.Nick == "Newbie" && p.User != nil && p.User.ID == joined.User.ID
			}},
		{"leave", func() error { return srv.MemberLeave(g.ID, joined.User.ID) }, "GUILD_MEMBER_REMOVE",
			func(p payload) bool { return p.User != nil && p.User.ID == joined.User.ID }},
		{"create role", func() (err error) { role, err = srv.CreateRole(g.ID, "Events", PermSendMessages, 2); return err }, "GUILD_ROLE_CREATE",
			func(p payload) bool { return p.Role != nil && p.Role.ID == role.ID && p.Role.Position == 2 }},
		{"update role", func() (err error) {
			r := role
			r.Name = "Event Team"
			role, err = srv.UpdateRole(g.ID, r)
			return err
		}, "GUILD_ROLE_UPDATE", func(p payload) bool { return p.Role != nil && p.Role.ID == role.ID && p.Role.Name == "Event Team" }},
		{"delete role", func() error { return srv.DeleteRole(g.ID, role.ID) }, "GUILD_ROLE_DELETE",
			func(p payload) bool { return p.RoleID == role.ID }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.act(); err != nil {
				t.Fatalf("got error %v; want none", err)
			}
			var p payload
			d := waitMatch(b, tc.event, func(d json.RawMessage) bool {
				p = payload{}
				return json.Unmarshal(d, &p) == nil && tc.check(p)
			})
			if p.GuildID != g.ID {
				t.Errorf("%s: got guild_id %s in %s; want %s", tc.event, p.GuildID, d, g.ID)
			}
		})
	}
	after, _ := srv.Guild(g.ID)
	if after.Role("Events").ID != 0 || after.Role("Event Team").ID != 0 || after.Member("newcomer").User.ID != 0 {
		t.Fatal("the deleted role or the departed member is still in the guild")
	}
	for i, r := range after.Roles {
		if r.Position != i {
			t.Fatalf("roles after delete: got %s at position %d; want positions 0..%d in order", r.Name, r.Position, len(after.Roles)-1)
		}
	}
}

func TestPeopleChangesAreAuditedWithThePersonAsActor(t *testing.T) {
	srv, _ := newGuildServer(t)
	g := srv.Guilds()[0]
	owner, m := g.Member("owner").User.ID, g.Member("member1").User.ID
	if err := srv.UpdateMember(g.ID, m, "Me", nil); err != nil {
		t.Fatal(err)
	}
	if err := srv.UpdateMember(g.ID, m, "Me", []Snowflake{g.Role("Moderator").ID}); err != nil {
		t.Fatal(err)
	}
	r, err := srv.CreateRole(g.ID, "Artists", 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := srv.Guild(g.ID)
	want := []struct {
		action        int
		actor, target Snowflake
	}{
		{AuditMemberUpdate, m, m},
		{AuditMemberRoleUpdate, owner, m},
		{AuditRoleCreate, owner, r.ID},
	}
	if len(after.Audit) != len(want) {
		t.Fatalf("audit log: got %d entries; want %d", len(after.Audit), len(want))
	}
	for i, w := range want {
		if a := after.Audit[i]; a.ActionType != w.action || a.UserID != w.actor || a.TargetID != w.target {
			t.Errorf("entry %d: got action %d by %s on %s; want %d by %s on %s", i, a.ActionType, a.UserID, a.TargetID, w.action, w.actor, w.target)
		}
	}
}

func TestPeopleActionErrors(t *testing.T) {
	srv, _ := newGuildServer(t)
	g := srv.Guilds()[0]
	botRole := g.Role(srv.BotUser().Username)
	cases := []struct {
		name string
		act  func() error
		want error
	}{
		{"join an unknown guild", func() error { _, err := srv.MemberJoin(1234, "someone"); return err }, ErrUnknownGuild},
		{"owner leaves", func() error { return srv.MemberLeave(g.ID, g.OwnerID) }, ErrNotAllowed},
		{"bot leaves as a member", func() error { return srv.MemberLeave(g.ID, srv.BotUser().ID) }, ErrNotAllowed},
		{"a stranger leaves", func() error { return srv.MemberLeave(g.ID, 1234) }, ErrUnknownMember},
		{"give a managed role", func() error { return srv.UpdateMember(g.ID, g.Member("member1").User.ID, "", []Snowflake{botRole.ID}) }, ErrNotAllowed},
		{"give @everyone", func() error { return srv.UpdateMember(g.ID, g.Member("member1").User.ID, "", []Snowflake{g.ID}) }, ErrUnknownRole},
		{"delete @everyone", func() error { return srv.DeleteRole(g.ID, g.ID) }, ErrNotAllowed},
		{"delete a managed role", func() error { return srv.DeleteRole(g.ID, botRole.ID) }, ErrNotAllowed},
		{"rename @everyone", func() error { _, err := srv.UpdateRole(g.ID, Role{ID: g.ID, Name: "all"}); return err }, ErrNotAllowed},
		{"remove the bot twice", func() error {
			if err := srv.RemoveBotFromGuild(g.ID); err != nil {
				return err
			}
			return srv.RemoveBotFromGuild(g.ID)
		}, ErrBotNotInGuild},
	}
	for _, tc := range cases {
		if err := tc.act(); !errors.Is(err, tc.want) {
			t.Errorf("%s: got error %v; want %v", tc.name, err, tc.want)
		}
	}
}

func TestMovingRolesChangesWhatTheBotMayDo(t *testing.T) {
	srv, _ := newGuildServer(t)
	g := srv.Guilds()[0]
	admin := g.Member("admin")
	high, err := srv.CreateRole(g.ID, "Senior", PermSendMessages, 4) // just above the bot's role
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := srv.Guild(g.ID); after.Role(srv.BotUser().Username).Position != 3 || after.Role("Admin").Position != 5 {
		t.Fatalf("positions: got bot %d, Admin %d; want 3 and 5", after.Role(srv.BotUser().Username).Position, after.Role("Admin").Position)
	}
	status, body, _ := api(t, srv, "PUT", memberPath(g, g.Member("member1"))+"/roles/"+high.ID.String(), nil)
	wantError(t, "assign a role above the bot", status, body, 403, 50013)

	bot := g.Role(srv.BotUser().Username)
	bot.Position = 5
	if _, err := srv.UpdateRole(g.ID, bot); err != nil {
		t.Fatal(err)
	}
	if status, body, _ := api(t, srv, "DELETE", memberPath(g, admin), nil); status != 204 {
		t.Fatalf("kick admin once the bot's role is on top: got %d %s; want 204", status, body)
	}
}

func TestGuildDeleteSaysWhetherTheBotWasRemoved(t *testing.T) {
	cases := []struct {
		name            string
		act             func(*Server, Snowflake) error
		wantUnavailable any // nil: the field is absent
		guildStatus     int
		guildCode       int
		routeStatus     int
		routeCode       int
		channelCode     int
	}{
		{"removed", func(s *Server, g Snowflake) error { return s.RemoveBotFromGuild(g) }, nil, 404, 10004, 403, 50001, 50001},
		{"outage", func(s *Server, g Snowflake) error { return s.GuildOutage(g, true) }, true, 404, 10004, 404, 10004, 10003},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := newGuildServer(t)
			g := srv.Guilds()[0]
			b := connectRawBot(t, srv, guildTestIntents)
			if err := tc.act(srv, g.ID); err != nil {
				t.Fatal(err)
			}
			var d map[string]any
			_ = json.Unmarshal(b.Wait("GUILD_DELETE"), &d)
			if d["id"] != g.ID.String() || d["unavailable"] != tc.wantUnavailable {
				t.Fatalf("GUILD_DELETE: got %v; want id %s and unavailable %v", d, g.ID, tc.wantUnavailable)
			}
			if _, present := d["unavailable"]; present != (tc.wantUnavailable != nil) {
				t.Fatalf("GUILD_DELETE: got %v; want the unavailable field present=%v", d, tc.wantUnavailable != nil)
			}
			base := "/guilds/" + g.ID.String()
			status, body, _ := api(t, srv, "GET", base, nil)
			wantError(t, "GET guild", status, body, tc.guildStatus, tc.guildCode)
			for _, p := range []string{"/channels", "/roles", "/members/" + g.Member("member1").User.ID.String(), "/bans", "/audit-logs"} {
				status, body, _ := api(t, srv, "GET", base+p, nil)
				wantError(t, "GET guild"+p, status, body, tc.routeStatus, tc.routeCode)
			}
			status, body, _ = api(t, srv, "DELETE", base+"/members/"+g.Member("member1").User.ID.String(), nil)
			wantError(t, "kick", status, body, tc.routeStatus, tc.routeCode)
			status, body, _ = api(t, srv, "POST", "/channels/"+g.Channel("general").ID.String()+"/messages", map[string]any{"content": "hi"})
			if errorCode(t, body) != tc.channelCode {
				t.Errorf("message: got %d %s; want code %d", status, body, tc.channelCode)
			}
			if _, ok := srv.Member(g.ID, g.Member("member1").User.ID); !ok {
				t.Fatal("a refused kick removed member1")
			}
		})
	}
}

func TestRemovedBotLosesItsMemberAndRole(t *testing.T) {
	srv, _ := newGuildServer(t)
	g := srv.Guilds()[0]
	if err := srv.RemoveBotFromGuild(g.ID); err != nil {
		t.Fatal(err)
	}
	after, _ := srv.Guild(g.ID)
	if after.BotPresent || after.Member(srv.BotUser().Username).User.ID != 0 || after.Role(srv.BotUser().Username).ID != 0 {
		t.Fatalf("got bot present %v, its role %+v; want both gone", after.BotPresent, after.Role(srv.BotUser().Username))
	}
	if a := after.Audit[len(after.Audit)-1]; a.ActionType != AuditMemberKick || a.UserID != g.OwnerID || a.TargetID != srv.BotUser().ID {
		t.Fatalf("audit: got %+v; want the owner kicking the bot", a)
	}
	if _, err := srv.MemberJoin(g.ID, "latecomer"); err != nil {
		t.Fatalf("people still use the guild: got %v; want no error", err)
	}
}

func TestBotAddedBackGetsTheGuildAndANewRole(t *testing.T) {
	srv, _ := newGuildServer(t)
	g := srv.Guilds()[0]
	oldRole := g.Role(srv.BotUser().Username)
	b := connectRawBot(t, srv, guildTestIntents)
	waitMatch(b, "GUILD_CREATE", hasID(g.ID)) // the one after READY
	if err := srv.AddBotBack(g.ID); err == nil {
		t.Fatal("AddBotBack while the bot is in the guild: got no error")
	}
	if err := srv.RemoveBotFromGuild(g.ID); err != nil {
		t.Fatal(err)
	}
	b.Wait("GUILD_DELETE")
	if err := srv.AddBotBack(g.ID); err != nil {
		t.Fatal(err)
	}
	var back struct {
		ID    Snowflake `json:"id"`
		Roles []struct {
			ID       Snowflake `json:"id"`
			Position int       `json:"position"`
			Managed  bool      `json:"managed"`
		} `json:"roles"`
	}
	_ = json.Unmarshal(waitMatch(b, "GUILD_CREATE", hasID(g.ID)), &back)
	after, _ := srv.Guild(g.ID)
	role := after.Role(srv.BotUser().Username)
	if !after.BotPresent || role.ID == 0 || role.ID == oldRole.ID || role.Position != 1 {
		t.Fatalf("after AddBotBack: bot present %v, role %+v; want the bot back with a new role at position 1 (the old was %d)", after.BotPresent, role, oldRole.ID)
	}
	if len(back.Roles) != len(g.Roles) {
		t.Errorf("GUILD_CREATE lists %d roles; want %d, the new managed role among them", len(back.Roles), len(g.Roles))
	}
	for _, ch := range after.Channels {
		for _, o := range ch.Overwrites {
			if o.ID == oldRole.ID || o.ID == role.ID {
				t.Errorf("#%s keeps an overwrite for the bot's role; want the old role's gone and none for the new", ch.Name)
			}
		}
	}
	if a := after.Audit[len(after.Audit)-1]; a.ActionType != AuditBotAdd || a.UserID != g.OwnerID || a.TargetID != srv.BotUser().ID {
		t.Errorf("audit: got %+v; want the owner adding the bot", a)
	}
	if status, body, _ := api(t, srv, "GET", "/guilds/"+g.ID.String(), nil); status != 200 {
		t.Fatalf("GET guild once back: got %d %s; want 200", status, body)
	}
}

func TestGuildOutageEndsWithAFullGuildCreate(t *testing.T) {
	srv, _ := newGuildServer(t)
	g := srv.Guilds()[0]
	b := connectRawBot(t, srv, guildTestIntents)
	waitMatch(b, "GUILD_CREATE", hasID(g.ID)) // the one after READY
	if err := srv.GuildOutage(g.ID, true); err != nil {
		t.Fatal(err)
	}
	b.Wait("GUILD_DELETE")
	if _, err := srv.MemberJoin(g.ID, "someone"); !errors.Is(err, ErrGuildUnavailable) {
		t.Fatalf("join during the outage: got %v; want ErrGuildUnavailable", err)
	}
	if err := srv.GuildOutage(g.ID, false); err != nil {
		t.Fatal(err)
	}
	var back struct {
		ID          Snowflake         `json:"id"`
		Unavailable bool              `json:"unavailable"`
		Channels    []json.RawMessage `json:"channels"`
		Members     []json.RawMessage `json:"members"`
	}
	_ = json.Unmarshal(waitMatch(b, "GUILD_CREATE", hasID(g.ID)), &back)
	if back.Unavailable || len(back.Channels) != len(g.Channels) || len(back.Members) == 0 {
		t.Fatalf("GUILD_CREATE after the outage: got unavailable %v, %d channels, %d members; want a full guild", back.Unavailable, len(back.Channels), len(back.Members))
	}
	if status, body, _ := api(t, srv, "GET", "/guilds/"+g.ID.String(), nil); status != 200 {
		t.Fatalf("GET guild after the outage: got %d %s; want 200", status, body)
	}
}

func TestAddBotToGuildReachesTheGuildsShard(t *testing.T) {
	srv, clock := newGuildServer(t, WithShards(2), WithMaxConcurrency(2))
	shards := []*rawBot{connectShard(t, srv, guildTestIntents, 0, 2), connectShard(t, srv, guildTestIntents, 1, 2)}
	var added []GuildView
	seen := map[int]bool{}
	for i := 0; len(seen) < 2 && i < 20; i++ {
		clock.Advance(time.Millisecond) // the shard follows the ID's timestamp
		gv, err := srv.AddBotToGuild("New Guild")
		if err != nil {
			t.Fatal(err)
		}
		added = append(added, gv)
		seen[int(gv.ID>>22)%2] = true
	}
	if len(seen) < 2 {
		t.Fatal("every new guild landed on one shard")
	}
	// Each shard gets its guilds' GUILD_CREATE; waiting for the last one
	// of each shard means any misrouted earlier one would have arrived.
	last := map[int]GuildView{}
	for _, gv := range added {
		last[int(gv.ID>>22)%2] = gv
	}
	for shard, gv := range last {
		waitMatch(shards[shard], "GUILD_CREATE", hasID(gv.ID))
	}
	for _, gv := range added {
		home := int(gv.ID>>22) % 2
		if shards[1-home].sawDispatch("GUILD_CREATE", hasID(gv.ID)) {
			t.Errorf("guild %s of shard %d: GUILD_CREATE also reached shard %d", gv.ID, home, 1-home)
		}
	}
	gv := added[0]
	if !gv.BotPresent || gv.Member("owner").User.ID != srv.Guilds()[0].OwnerID || len(gv.Channels) == 0 {
		t.Fatalf("new guild: got %+v; want the bot, the seeded owner and channels", gv)
	}
	if a := gv.Audit[len(gv.Audit)-1]; a.ActionType != AuditBotAdd || a.UserID != gv.OwnerID {
		t.Fatalf("audit: got %+v; want the owner adding the bot", a)
	}
	status, body, _ := api(t, srv, "GET", "/guilds/"+gv.ID.String()+"/roles", nil)
	var roles []json.RawMessage
	_ = json.Unmarshal(body, &roles)
	if status != 200 || len(roles) != len(gv.Roles) {
		t.Fatalf("GET roles of the new guild: got %d %s; want 200 with %d roles", status, body, len(gv.Roles))
	}
	if !slices.ContainsFunc(srv.Guilds(), func(x GuildView) bool { return x.ID == gv.ID }) {
		t.Fatal("Guilds() does not list the new guild")
	}
}
