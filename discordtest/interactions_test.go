package discordtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/disgoorg/disgo/discord"
)

// interactionEvent is the part of INTERACTION_CREATE the tests read.
type interactionEvent struct {
	ID    Snowflake       `json:"id"`
	Token string          `json:"token"`
	Type  int             `json:"type"`
	Data  json.RawMessage `json:"data"`
	raw   json.RawMessage
}

// interactionScene is a server with a raw bot on its gateway, the first guild, its
// #general and a member without special roles.
type interactionScene struct {
	srv    *Server
	bot    *rawBot
	g      GuildView
	ch     Channel
	member MemberView
}

func newInteractionScene(t *testing.T, opts ...Option) *interactionScene {
	t.Helper()
	roomy := RouteLimit{Bucket: "roomy", Limit: 1000, Period: time.Second, Sliding: true}
	for route := range defaultRouteLimits() {
		if strings.Contains(route, "/commands") || strings.Contains(route, "/webhooks/") || strings.Contains(route, "/callback") {
			opts = append(opts, WithRouteLimit(route, roomy))
		}
	}
	srv := New(t, opts...)
	g := srv.Guilds()[0]
	sc := &interactionScene{srv: srv, g: g, ch: g.Channel("general"), member: g.Member("member1")}
	sc.bot = connectRawBot(t, srv, intentGuilds|intentGuildMessages)
	return sc
}

// register bulk-overwrites the guild's commands.
func (sc *interactionScene) register(t *testing.T, cmds ...map[string]any) {
	t.Helper()
	body := make([]any, len(cmds))
	for i, c := range cmds {
		body[i] = c
	}
	if st, resp, _ := api(t, sc.srv, "PUT", guildCommandsPath(sc.srv, sc.g.ID), body); st != 200 {
		t.Fatalf("register: got %d %s", st, resp)
	}
}

type personOutcome struct {
	reply Reply
	err   error
}

// runAsync runs a person action while the test plays the bot.
func runAsync(f func() (Reply, error)) <-chan personOutcome {
	ch := make(chan personOutcome, 1)
	go func() {
		r, err := f()
		ch <- personOutcome{r, err}
	}()
	return ch
}

func (sc *interactionScene) run(line string) <-chan personOutcome {
	return runAsync(func() (Reply, error) { return sc.srv.RunCommand(sc.g.ID, sc.ch.ID, sc.member.User.ID, line) })
}

// next takes the next INTERACTION_CREATE the bot received.
func (sc *interactionScene) next(t *testing.T) interactionEvent {
	t.Helper()
	raw := sc.bot.Wait("INTERACTION_CREATE")
	var ev interactionEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatalf("decode interaction: %v", err)
	}
	ev.raw = raw
	return ev
}

// respond posts a callback and returns its status and body.
func (sc *interactionScene) respond(t *testing.T, ev interactionEvent, body any, query string) (int, []byte) {
	t.Helper()
	st, resp, _ := api(t, sc.srv, "POST", fmt.Sprintf("/interactions/%s/%s/callback%s", ev.ID, ev.Token, query), body)
	return st, resp
}

func (sc *interactionScene) webhook(ev interactionEvent, suffix string) string {
	return fmt.Sprintf("/webhooks/%s/%s%s", sc.srv.ApplicationID(), ev.Token, suffix)
}

func waitOutcome(t *testing.T, ch <-chan personOutcome) personOutcome {
	t.Helper()
	select {
	case o := <-ch:
		return o
	case <-time.After(10 * time.Second):
		t.Fatalf("the person action did not return")
		return personOutcome{}
	}
}

func callbackWithMessage(content string, flags int) map[string]any {
	return map[string]any{"type": callbackMessage, "data": map[string]any{"content": content, "flags": flags}}
}

var pingCommandBody = map[string]any{"name": "ping", "description": "Ping"}

var modCommandBody = map[string]any{
	"name": "mod", "description": "Moderation",
	"options": []any{
		cmdOpt(optGroup, "case", "options", []any{
			cmdOpt(optSubcommand, "open", "options", []any{
				cmdOpt(optUser, "user", "required", true),
				cmdOpt(optInteger, "days", "min_value", 1, "max_value", 30),
				cmdOpt(optString, "reason", "min_length", 3, "max_length", 10),
				cmdOpt(optString, "kind", "choices", []any{map[string]any{"name": "Spam", "value": "spam"}, map[string]any{"name": "Abuse", "value": "abuse"}}),
				cmdOpt(optNumber, "score", "min_value", 0.5),
				cmdOpt(optBoolean, "silent"),
				cmdOpt(optChannel, "where", "channel_types", []any{ChannelText}),
				cmdOpt(optRole, "role"),
				cmdOpt(optMentionable, "who"),
			}),
		}),
		cmdOpt(optSubcommand, "note"),
	},
}

// contract A.2: a slash command reaches the bot as an INTERACTION_CREATE
// shaped as Discord's, which disgo v0.19.6 decodes, with nested
// subcommand options and resolved users, members, roles and channels.
func TestRunCommandDispatchesADiscordShapedInteraction(t *testing.T) {
	sc := newInteractionScene(t)
	sc.register(t, modCommandBody)
	mod := sc.g.Member("mod")
	done := sc.run(fmt.Sprintf("/mod case open user:@mod days:7 reason:spam kind:Spam score:0.75 silent:true where:#general role:@Moderator who:<@%s>", sc.g.Member("admin").User.ID))
	ev := sc.next(t)
	if ev.Type != interactionCommand || ev.Token == "" {
		t.Fatalf("got type %d token %q; want 2 and a token", ev.Type, ev.Token)
	}
	var in struct {
		ApplicationID  Snowflake `json:"application_id"`
		GuildID        Snowflake `json:"guild_id"`
		ChannelID      Snowflake `json:"channel_id"`
		Version        int       `json:"version"`
		AppPermissions string    `json:"app_permissions"`
		Locale         string    `json:"locale"`
		Context        int       `json:"context"`
		Owners         map[string]Snowflake
		Channel        struct {
			ID          Snowflake `json:"id"`
			Permissions string    `json:"permissions"`
		} `json:"channel"`
		Member struct {
			User        struct{ ID Snowflake } `json:"user"`
			Permissions string                 `json:"permissions"`
		} `json:"member"`
		Data struct {
			ID      Snowflake `json:"id"`
			Name    string    `json:"name"`
			GuildID Snowflake `json:"guild_id"`
			Options []struct {
				Name    string `json:"name"`
				Type    int    `json:"type"`
				Options []struct {
					Name    string `json:"name"`
					Type    int    `json:"type"`
					Options []struct {
						Name  string `json:"name"`
						Type  int    `json:"type"`
						Value any    `json:"value"`
					} `json:"options"`
				} `json:"options"`
			} `json:"options"`
			Resolved struct {
				Users    map[string]json.RawMessage `json:"users"`
				Members  map[string]map[string]any  `json:"members"`
				Roles    map[string]json.RawMessage `json:"roles"`
				Channels map[string]json.RawMessage `json:"channels"`
			} `json:"resolved"`
		} `json:"data"`
	}
	if err := json.Unmarshal(ev.raw, &in); err != nil {
		t.Fatal(err)
	}
	if in.ApplicationID != sc.srv.ApplicationID() || in.GuildID != sc.g.ID || in.ChannelID != sc.ch.ID || in.Channel.ID != sc.ch.ID || in.Version != 1 || in.Locale == "" {
		t.Errorf("envelope: got %+v", in)
	}
	if in.Member.User.ID != sc.member.User.ID || in.Member.Permissions == "" || in.Channel.Permissions != in.Member.Permissions {
		t.Errorf("member: got %+v, channel permissions %q; want the member with its channel permissions", in.Member, in.Channel.Permissions)
	}
	if in.AppPermissions == "" || in.AppPermissions == "0" {
		t.Errorf("app_permissions: got %q; want the bot's permissions", in.AppPermissions)
	}
	if in.Data.Name != "mod" || in.Data.GuildID != sc.g.ID || len(in.Data.Options) != 1 || in.Data.Options[0].Type != optGroup {
		t.Fatalf("data: got %+v", in.Data)
	}
	sub := in.Data.Options[0].Options[0]
	if sub.Name != "open" || sub.Type != optSubcommand || len(sub.Options) != 9 {
		t.Fatalf("subcommand: got %+v", sub)
	}
	values := map[string]any{}
	for _, o := range sub.Options {
		values[o.Name] = o.Value
	}
	want := map[string]any{"user": mod.User.ID.String(), "days": float64(7), "reason": "spam", "kind": "spam", "score": 0.75,
		"silent": true, "where": sc.ch.ID.String(), "role": sc.g.Role("Moderator").ID.String(), "who": sc.g.Member("admin").User.ID.String()}
	for k, v := range want {
		if values[k] != v {
			t.Errorf("option %s: got %v; want %v", k, values[k], v)
		}
	}
	r := in.Data.Resolved
	if r.Users[mod.User.ID.String()] == nil || r.Members[mod.User.ID.String()] == nil || r.Roles[sc.g.Role("Moderator").ID.String()] == nil || r.Channels[sc.ch.ID.String()] == nil {
		t.Errorf("resolved: got %+v", r)
	}
	if m := r.Members[mod.User.ID.String()]; m["permissions"] == nil || m["user"] != nil {
		t.Errorf("resolved member: got %v; want permissions and no user", m)
	}
	i, err := discord.UnmarshalInteraction(ev.raw)
	if err != nil {
		t.Fatalf("disgo UnmarshalInteraction: %v", err)
	}
	slash := i.(discord.ApplicationCommandInteraction).SlashCommandInteractionData()
	if slash.CommandPath() != "/mod/case/open" || slash.Int("days") != 7 || slash.User("user").ID.String() != mod.User.ID.String() {
		t.Errorf("disgo: got path %s days %d user %v", slash.CommandPath(), slash.Int("days"), slash.User("user").ID)
	}
	sc.respond(t, ev, callbackWithMessage("ok", 0), "")
	if o := waitOutcome(t, done); o.err != nil || o.reply.Content != "ok" {
		t.Fatalf("reply: got %+v %v", o.reply, o.err)
	}
}

// The client refuses lines that do not fit the command; nothing reaches
// the bot.
func TestRunCommandRefusesWhatTheClientWould(t *testing.T) {
	sc := newInteractionScene(t)
	sc.register(t, modCommandBody, pingCommandBody,
		map[string]any{"name": "purge", "description": "Purge", "default_member_permissions": fmt.Sprint(PermManageMessages)},
		map[string]any{"name": "adminonly", "description": "Admins", "default_member_permissions": "0"},
		map[string]any{"name": "lewd", "description": "Age restricted", "nsfw": true})
	user := "user:@mod"
	cases := []struct {
		line string
		want error
	}{
		{"/nope", ErrUnknownCommand},
		{"/lewd", ErrUnknownCommand},
		{"/mod", ErrUnknownSubcommand},
		{"/mod case", ErrUnknownSubcommand},
		{"/mod case shut " + user, ErrUnknownSubcommand},
		{"/mod note extra", ErrUnknownSubcommand},
		{"/ping sub", ErrUnknownSubcommand},
		{"/mod case open " + user + " colour:red", ErrUnknownOption},
		{"/ping x:1", ErrUnknownOption},
		{"/mod case open days:3", ErrMissingOption},
		{"/mod case open " + user + " days:three", ErrOptionType},
		{"/mod case open " + user + " days:2.5", ErrOptionType},
		{"/mod case open " + user + " days:0", ErrOptionRange},
		{"/mod case open " + user + " days:31", ErrOptionRange},
		{"/mod case open " + user + " reason:no", ErrOptionRange},
		{"/mod case open " + user + " reason:far-too-long-reason", ErrOptionRange},
		{`/mod case open ` + user + ` reason:""`, ErrOptionRange},
		{"/mod case open " + user + " score:0.25", ErrOptionRange},
		{"/mod case open " + user + " score:NaN", ErrOptionType},
		{"/mod case open " + user + " kind:theft", ErrNotAChoice},
		{"/mod case open " + user + " silent:yes", ErrOptionType},
		{"/mod case open user:@nobody", ErrOptionType},
		{"/mod case open user:<@&1>", ErrOptionType},
		{"/mod case open " + user + " role:@Nobody", ErrOptionType},
		{"/mod case open " + user + " where:#nowhere", ErrOptionType},
		{"/mod case open " + user + " where:#announcements", ErrChannelType},
		{"/mod case open " + user + " where:#Lounge", ErrChannelType},
		{"/mod case open " + user + " where:#mod-log", ErrOptionType}, // member1 cannot see it
		{"/mod case open " + user + " who:@nobody", ErrOptionType},
		{"/purge", ErrNotPermitted},
		{"/adminonly", ErrNotPermitted},
	}
	for _, c := range cases {
		t.Run(c.line, func(t *testing.T) {
			_, err := sc.srv.RunCommand(sc.g.ID, sc.ch.ID, sc.member.User.ID, c.line)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v; want %v", err, c.want)
			}
		})
	}
	if _, err := sc.srv.RunCommand(sc.g.ID, sc.ch.ID, sc.member.User.ID, "ping"); err == nil {
		t.Errorf("a line without /: got no error")
	}
	// A moderator may purge, and the admin may use the admin-only command.
	done := runAsync(func() (Reply, error) {
		return sc.srv.RunCommand(sc.g.ID, sc.ch.ID, sc.g.Member("mod").User.ID, "/purge")
	})
	ev := sc.next(t)
	var data struct {
		Data struct{ Name string } `json:"data"`
	}
	_ = json.Unmarshal(ev.raw, &data)
	if data.Data.Name != "purge" {
		t.Fatalf("first interaction: got /%s; want /purge, nothing from the refused lines", data.Data.Name)
	}
	sc.respond(t, ev, callbackWithMessage("purged", 0), "")
	if o := waitOutcome(t, done); o.err != nil || o.reply.Content != "purged" {
		t.Fatalf("purge: got %+v %v", o.reply, o.err)
	}
}

// contract A.2.23, A.2.24: a response in time becomes a channel message of
// type 20 from the bot through the application's webhook; the person
// sees it in the Reply, the bot gets MESSAGE_CREATE, and the callback
// answers 204.
func TestInteractionCallbackInTimeReplies(t *testing.T) {
	sc := newInteractionScene(t)
	sc.register(t, pingCommandBody)
	done := sc.run("/ping")
	ev := sc.next(t)
	if st, body := sc.respond(t, ev, callbackWithMessage("pong <@"+sc.member.User.ID.String()+">", 0), ""); st != 204 {
		t.Fatalf("callback: got %d %s; want 204", st, body)
	}
	o := waitOutcome(t, done)
	r := o.reply
	if o.err != nil || r.Type != callbackMessage || !strings.HasPrefix(r.Content, "pong") || r.Ephemeral || r.Expired || r.MessageID == 0 || r.RespondedAfter <= 0 {
		t.Fatalf("reply: got %+v %v", r, o.err)
	}
	m, ok := sc.srv.Message(r.MessageID)
	if !ok || m.Type != messageTypeChatInput || m.WebhookID != sc.srv.ApplicationID() || m.ApplicationID != sc.srv.ApplicationID() ||
		m.Interaction == nil || m.Interaction.ID != ev.ID || m.Interaction.Name != "ping" || !m.Author.Bot {
		t.Fatalf("stored message: got %+v", m)
	}
	if !slices.Contains(m.Mentions, sc.member.User.ID) {
		t.Errorf("mentions: got %v; want the member", m.Mentions)
	}
	var created struct {
		ID                  Snowflake `json:"id"`
		Type                int       `json:"type"`
		InteractionMetadata struct {
			ID   Snowflake `json:"id"`
			User struct{ ID Snowflake }
		} `json:"interaction_metadata"`
	}
	_ = json.Unmarshal(sc.bot.Wait("MESSAGE_CREATE"), &created)
	if created.ID != r.MessageID || created.Type != 20 || created.InteractionMetadata.ID != ev.ID || created.InteractionMetadata.User.ID != sc.member.User.ID {
		t.Errorf("MESSAGE_CREATE: got %+v", created)
	}
	if got, ok := sc.srv.Interaction(ev.ID); !ok || got.Content != r.Content {
		t.Errorf("Interaction: got %+v %v", got, ok)
	}
}

// contract A.2.23, A.2.24: a first response after the initial deadline on
// the server's clock is 10062, and the person sees the interaction fail.
func TestLateCallbackIsUnknownInteraction(t *testing.T) {
	clock := NewFakeClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	sc := newInteractionScene(t, WithClock(clock), WithReplyWait(200*time.Millisecond))
	sc.register(t, pingCommandBody)
	done := sc.run("/ping")
	ev := sc.next(t)
	clock.Advance(3*time.Second + time.Millisecond)
	st, body := sc.respond(t, ev, callbackWithMessage("late", 0), "")
	if e := decodeAPIError(t, body); st != 404 || e.Code != 10062 {
		t.Fatalf("late callback: got %d %s; want 404 10062", st, body)
	}
	if o := waitOutcome(t, done); !o.reply.Expired || o.reply.Type != 0 {
		t.Fatalf("reply: got %+v; want Expired", o.reply)
	}
	if r, _ := sc.srv.Interaction(ev.ID); !r.Expired {
		t.Errorf("Interaction: got %+v; want Expired", r)
	}
	if msgs := sc.srv.Messages(sc.ch.ID); len(msgs) != 0 {
		t.Errorf("channel: got %d messages; want none", len(msgs))
	}
}

// The same deadline, set short with WithInteractionTimeouts and the real
// clock (contract A.2.23).
func TestInteractionShortInitialTimeoutExpires(t *testing.T) {
	sc := newInteractionScene(t, WithInteractionTimeouts(20*time.Millisecond, time.Minute), WithReplyWait(100*time.Millisecond))
	sc.register(t, pingCommandBody)
	done := sc.run("/ping")
	ev := sc.next(t)
	o := waitOutcome(t, done)
	if !o.reply.Expired {
		t.Fatalf("reply: got %+v; want Expired", o.reply)
	}
	if st, body := sc.respond(t, ev, callbackWithMessage("late", 0), ""); st != 404 || decodeAPIError(t, body).Code != 10062 {
		t.Fatalf("late callback: got %d %s; want 404 10062", st, body)
	}
}

// contract A.2.24: an unknown interaction or a wrong token is 10062; a
// second response is 40060.
func TestInteractionCallbackRefusesUnknownAndSecondResponses(t *testing.T) {
	sc := newInteractionScene(t)
	sc.register(t, pingCommandBody)
	done := sc.run("/ping")
	ev := sc.next(t)
	wrong := ev
	wrong.Token = ev.Token[:len(ev.Token)-2] + "xx"
	if st, body := sc.respond(t, wrong, callbackWithMessage("x", 0), ""); st != 404 || decodeAPIError(t, body).Code != 10062 {
		t.Errorf("wrong token: got %d %s; want 404 10062", st, body)
	}
	unknown := ev
	unknown.ID = ev.ID + 1
	if st, body := sc.respond(t, unknown, callbackWithMessage("x", 0), ""); st != 404 || decodeAPIError(t, body).Code != 10062 {
		t.Errorf("unknown interaction: got %d %s; want 404 10062", st, body)
	}
	if st, _ := sc.respond(t, ev, callbackWithMessage("first", 0), ""); st != 204 {
		t.Fatalf("first callback: got %d", st)
	}
	if st, body := sc.respond(t, ev, callbackWithMessage("second", 0), ""); st != 400 || decodeAPIError(t, body).Code != 40060 {
		t.Errorf("second callback: got %d %s; want 400 40060", st, body)
	}
	if o := waitOutcome(t, done); o.reply.Content != "first" {
		t.Errorf("reply: got %q; want first", o.reply.Content)
	}
}

// contract A.2.25: callback types must fit the interaction: 6 and 7 only
// for components, 8 only for autocomplete, 1 never over the gateway; a
// refused type leaves the interaction unanswered. A message response is
// validated as channel messages are.
func TestCallbackTypeMustFitTheInteraction(t *testing.T) {
	sc := newInteractionScene(t)
	sc.register(t, pingCommandBody)
	done := sc.run("/ping")
	ev := sc.next(t)
	for _, typ := range []int{callbackPong, callbackDeferredUpdate, callbackUpdateMessage, callbackAutocomplete, 10, 12, 3} {
		st, body := sc.respond(t, ev, map[string]any{"type": typ, "data": map[string]any{"content": "x"}}, "")
		if e := decodeAPIError(t, body); st != 400 || e.Code != 50035 {
			t.Errorf("type %d: got %d %s; want 400 50035", typ, st, body)
		} else if _, ok := formErrorAt(e.Errors, "type"); !ok {
			t.Errorf("type %d: got errors %s; want one at type", typ, e.Errors)
		}
	}
	if st, body := sc.respond(t, ev, callbackWithMessage(strings.Repeat("x", 2001), 0), ""); st != 400 || decodeAPIError(t, body).Code != 50035 {
		t.Errorf("2001 characters: got %d %s; want 400 50035", st, body)
	}
	if st, body := sc.respond(t, ev, map[string]any{"type": callbackMessage, "data": map[string]any{}}, ""); st != 400 || decodeAPIError(t, body).Code != 50006 {
		t.Errorf("empty message: got %d %s; want 400 50006", st, body)
	}
	if st, body := sc.respond(t, ev, callbackWithMessage("fine", 0), ""); st != 204 {
		t.Fatalf("valid callback after refused ones: got %d %s; want 204", st, body)
	}
	waitOutcome(t, done)
}

// contract A.2.24: ?with_response=true answers 200 with the callback
// object and the created message.
func TestInteractionCallbackWithResponse(t *testing.T) {
	sc := newInteractionScene(t)
	sc.register(t, pingCommandBody)
	done := sc.run("/ping")
	ev := sc.next(t)
	st, body := sc.respond(t, ev, callbackWithMessage("hi", flagEphemeral), "?with_response=true")
	if st != 200 {
		t.Fatalf("got %d %s; want 200", st, body)
	}
	var got struct {
		Interaction struct {
			ID        Snowflake `json:"id"`
			Type      int       `json:"type"`
			MessageID Snowflake `json:"response_message_id"`
			Loading   *bool     `json:"response_message_loading"`
			Ephemeral *bool     `json:"response_message_ephemeral"`
		} `json:"interaction"`
		Resource struct {
			Type    int `json:"type"`
			Message struct {
				ID      Snowflake `json:"id"`
				Content string    `json:"content"`
				Flags   int       `json:"flags"`
			} `json:"message"`
		} `json:"resource"`
	}
	_ = json.Unmarshal(body, &got)
	in, res := got.Interaction, got.Resource
	if in.ID != ev.ID || in.Type != 2 || in.MessageID == 0 || in.Loading == nil || *in.Loading || in.Ephemeral == nil || !*in.Ephemeral {
		t.Errorf("interaction: got %+v", in)
	}
	if res.Type != 4 || res.Message.ID != in.MessageID || res.Message.Content != "hi" || res.Message.Flags != flagEphemeral {
		t.Errorf("resource: got %+v", res)
	}
	var cb discord.InteractionCallbackResponse
	if err := json.Unmarshal(body, &cb); err != nil || cb.Resource == nil || cb.Resource.Message == nil {
		t.Errorf("disgo decode: %v %+v", err, cb)
	}
	waitOutcome(t, done)
}

// contract A.2.26, A.2.27: after a type-5 deferral the person sees
// "thinking" until @original is edited; the loading message is stored and
// dispatched, then updated.
func TestInteractionDeferralThenEditOfOriginal(t *testing.T) {
	sc := newInteractionScene(t)
	sc.register(t, pingCommandBody)
	done := sc.run("/ping")
	ev := sc.next(t)
	if st, body := sc.respond(t, ev, map[string]any{"type": callbackDeferredMessage}, ""); st != 204 {
		t.Fatalf("defer: got %d %s", st, body)
	}
	var loading struct {
		ID    Snowflake `json:"id"`
		Flags int       `json:"flags"`
	}
	_ = json.Unmarshal(sc.bot.Wait("MESSAGE_CREATE"), &loading)
	if loading.Flags&flagLoading == 0 {
		t.Fatalf("loading message: got flags %d; want LOADING", loading.Flags)
	}
	if r, _ := sc.srv.Interaction(ev.ID); !r.Loading || !r.Deferred || r.MessageID != loading.ID {
		t.Fatalf("while thinking: got %+v", r)
	}
	st, body, _ := api(t, sc.srv, "GET", sc.webhook(ev, "/messages/@original"), nil)
	if st != 200 || decodeObject(t, body)["flags"] != float64(flagLoading) {
		t.Fatalf("GET @original: got %d %s", st, body)
	}
	st, body, _ = api(t, sc.srv, "PATCH", sc.webhook(ev, "/messages/@original"), map[string]any{"content": "done"})
	if st != 200 || decodeObject(t, body)["content"] != "done" {
		t.Fatalf("PATCH @original: got %d %s", st, body)
	}
	o := waitOutcome(t, done)
	if r := o.reply; r.Content != "done" || !r.Deferred || r.Loading || r.Edits != 1 || r.MessageID != loading.ID {
		t.Fatalf("reply: got %+v", r)
	}
	var updated struct {
		ID      Snowflake `json:"id"`
		Content string    `json:"content"`
		Flags   int       `json:"flags"`
	}
	_ = json.Unmarshal(sc.bot.Wait("MESSAGE_UPDATE"), &updated)
	if updated.ID != loading.ID || updated.Content != "done" || updated.Flags&flagLoading != 0 {
		t.Errorf("MESSAGE_UPDATE: got %+v", updated)
	}
	if st, _, _ := api(t, sc.srv, "DELETE", sc.webhook(ev, "/messages/@original"), nil); st != 204 {
		t.Fatalf("DELETE @original: got %d", st)
	}
	if _, ok := sc.srv.Message(loading.ID); ok {
		t.Errorf("the deleted response is still stored")
	}
	sc.bot.Wait("MESSAGE_DELETE")
	if st, body, _ := api(t, sc.srv, "GET", sc.webhook(ev, "/messages/@original"), nil); st != 404 || decodeAPIError(t, body).Code != 10008 {
		t.Errorf("GET deleted @original: got %d %s; want 404 10008", st, body)
	}
}

// contract A.2.27: a type-5 deferral may carry EPHEMERAL only; the first
// followup after it edits the loading message, whose ephemeral state stays
// as the deferral set it.
func TestInteractionFirstFollowupAfterDeferralEditsTheLoadingMessage(t *testing.T) {
	sc := newInteractionScene(t)
	sc.register(t, pingCommandBody)
	done := sc.run("/ping")
	ev := sc.next(t)
	bad := map[string]any{"type": callbackDeferredMessage, "data": map[string]any{"flags": flagEphemeral | flagSuppressEmbeds}}
	if st, body := sc.respond(t, ev, bad, ""); st != 400 || decodeAPIError(t, body).Code != 50035 {
		t.Fatalf("defer with SUPPRESS_EMBEDS: got %d %s; want 400 50035", st, body)
	}
	defer5 := map[string]any{"type": callbackDeferredMessage, "data": map[string]any{"flags": flagEphemeral}}
	if st, body := sc.respond(t, ev, defer5, ""); st != 204 {
		t.Fatalf("ephemeral defer: got %d %s", st, body)
	}
	st, body, _ := api(t, sc.srv, "POST", sc.webhook(ev, ""), map[string]any{"content": "public?", "flags": 0})
	got := decodeObject(t, body)
	if st != 200 || got["flags"] != float64(flagEphemeral) {
		t.Fatalf("first followup: got %d %s; want 200 with the loading message, still ephemeral", st, body)
	}
	o := waitOutcome(t, done)
	r := o.reply
	if r.Content != "public?" || !r.Ephemeral || len(r.Followups) != 0 || r.Edits != 1 || r.MessageID.String() != got["id"] {
		t.Fatalf("reply: got %+v", r)
	}
	st, body, _ = api(t, sc.srv, "POST", sc.webhook(ev, ""), map[string]any{"content": "second"})
	if st != 200 {
		t.Fatalf("second followup: got %d %s", st, body)
	}
	r, _ = sc.srv.Interaction(ev.ID)
	if len(r.Followups) != 1 || r.Followups[0].Content != "second" || r.Followups[0].Ephemeral() {
		t.Fatalf("after a second followup: got %+v; want one public followup", r.Followups)
	}
	if msgs := sc.srv.Messages(sc.ch.ID); len(msgs) != 1 || msgs[0].Content != "second" {
		t.Errorf("channel: got %+v; want only the public followup (the ephemeral answer is not stored)", msgs)
	}
}

// contract A.2.26: followups create messages; ephemeral ones exist only in
// the Reply and dispatch nothing; followups can be read, edited and
// deleted with the token.
func TestInteractionFollowupsAndEphemeralMessages(t *testing.T) {
	sc := newInteractionScene(t)
	sc.register(t, pingCommandBody)
	done := sc.run("/ping")
	ev := sc.next(t)
	if st, body, _ := api(t, sc.srv, "POST", sc.webhook(ev, ""), map[string]any{"content": "too early"}); st != 404 || decodeAPIError(t, body).Code != 10015 {
		t.Errorf("followup before any response: got %d %s; want 404 10015", st, body)
	}
	sc.respond(t, ev, callbackWithMessage("secret", flagEphemeral), "")
	r := waitOutcome(t, done).reply
	if !r.Ephemeral || r.Content != "secret" {
		t.Fatalf("reply: got %+v; want the ephemeral answer", r)
	}
	if _, ok := sc.srv.Message(r.MessageID); ok || len(sc.srv.Messages(sc.ch.ID)) != 0 {
		t.Fatalf("the ephemeral answer is stored in the channel")
	}
	st, body, _ := api(t, sc.srv, "POST", sc.webhook(ev, ""), map[string]any{"content": "everyone sees this"})
	public := decodeObject(t, body)
	if st != 200 {
		t.Fatalf("public followup: got %d %s", st, body)
	}
	var created struct {
		ID                  Snowflake `json:"id"`
		InteractionMetadata struct {
			Original Snowflake `json:"original_response_message_id"`
		} `json:"interaction_metadata"`
	}
	_ = json.Unmarshal(sc.bot.Wait("MESSAGE_CREATE"), &created)
	if created.ID.String() != public["id"] || created.InteractionMetadata.Original != r.MessageID {
		t.Errorf("MESSAGE_CREATE of the followup: got %+v; want original_response_message_id %s", created, r.MessageID)
	}
	st, body, _ = api(t, sc.srv, "POST", sc.webhook(ev, ""), map[string]any{"content": "psst", "flags": flagEphemeral})
	hidden := decodeObject(t, body)
	if st != 200 || hidden["flags"] != float64(flagEphemeral) {
		t.Fatalf("ephemeral followup: got %d %s", st, body)
	}
	got, _ := sc.srv.Interaction(ev.ID)
	if len(got.Followups) != 2 {
		t.Fatalf("followups: got %d; want 2", len(got.Followups))
	}
	if msgs := sc.srv.Messages(sc.ch.ID); len(msgs) != 1 {
		t.Errorf("channel: got %d messages; want only the public followup", len(msgs))
	}
	path := sc.webhook(ev, "/messages/"+hidden["id"].(string))
	if st, body, _ := api(t, sc.srv, "PATCH", path, map[string]any{"content": "edited"}); st != 200 || decodeObject(t, body)["content"] != "edited" {
		t.Errorf("PATCH ephemeral followup: got %d %s", st, body)
	}
	if st, _, _ := api(t, sc.srv, "DELETE", path, nil); st != 204 {
		t.Errorf("DELETE ephemeral followup: got %d", st)
	}
	if st, body, _ := api(t, sc.srv, "GET", path, nil); st != 404 || decodeAPIError(t, body).Code != 10008 {
		t.Errorf("GET deleted followup: got %d %s; want 404 10008", st, body)
	}
	if st, body, _ := api(t, sc.srv, "GET", sc.webhook(ev, "/messages/12345678901234"), nil); st != 404 || decodeAPIError(t, body).Code != 10008 {
		t.Errorf("GET a message of no interaction: got %d %s; want 404 10008", st, body)
	}
	got, _ = sc.srv.Interaction(ev.ID)
	if len(got.Followups) != 1 || got.Followups[0].Content != "everyone sees this" {
		t.Errorf("followups after delete: got %+v", got.Followups)
	}
	if strings.Contains(strings.Join(sc.bot.Pending(), ","), "MESSAGE_UPDATE") {
		t.Errorf("an ephemeral edit was dispatched: %v", sc.bot.Pending())
	}
}

// contract A.2.23, A.2.26: the token takes followups for the followup
// window, then answers 401 50027; a webhook that is not the application
// is 10015.
func TestInteractionFollowupTokenExpires(t *testing.T) {
	clock := NewFakeClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	sc := newInteractionScene(t, WithClock(clock))
	sc.register(t, pingCommandBody)
	done := sc.run("/ping")
	ev := sc.next(t)
	sc.respond(t, ev, callbackWithMessage("hi", 0), "")
	waitOutcome(t, done)
	clock.Advance(14 * time.Minute)
	if st, body, _ := api(t, sc.srv, "POST", sc.webhook(ev, ""), map[string]any{"content": "still fine"}); st != 200 {
		t.Fatalf("followup at 14 minutes: got %d %s", st, body)
	}
	other := fmt.Sprintf("/webhooks/%s/%s", sc.g.ID, ev.Token)
	if st, body, _ := api(t, sc.srv, "POST", other, map[string]any{"content": "x"}); st != 404 || decodeAPIError(t, body).Code != 10015 {
		t.Errorf("another webhook ID: got %d %s; want 404 10015", st, body)
	}
	clock.Advance(time.Minute + time.Millisecond)
	for _, c := range []struct{ method, suffix string }{{"POST", ""}, {"GET", "/messages/@original"}, {"PATCH", "/messages/@original"}, {"DELETE", "/messages/@original"}} {
		st, body, _ := api(t, sc.srv, c.method, sc.webhook(ev, c.suffix), map[string]any{"content": "late"})
		if st != 401 || decodeAPIError(t, body).Code != 50027 {
			t.Errorf("%s after 15 minutes: got %d %s; want 401 50027", c.method, st, body)
		}
	}
}

// A bot message with components, answered to /panel.
func (sc *interactionScene) panel(t *testing.T, components []any) (Snowflake, Reply) {
	t.Helper()
	done := sc.run("/panel")
	ev := sc.next(t)
	sc.respond(t, ev, map[string]any{"type": callbackMessage, "data": map[string]any{"content": "panel", "components": components}}, "")
	r := waitOutcome(t, done).reply
	if r.MessageID == 0 {
		t.Fatalf("panel: got %+v", r)
	}
	sc.bot.Wait("MESSAGE_CREATE")
	return r.MessageID, r
}

var panelCommandBody = map[string]any{"name": "panel", "description": "Show a panel"}

func componentRow(children ...any) map[string]any {
	return map[string]any{"type": componentActionRow, "components": children}
}

func buttonComponent(customID string, extra ...any) map[string]any {
	b := map[string]any{"type": componentButton, "style": 1, "label": customID, "custom_id": customID}
	for i := 0; i+1 < len(extra); i += 2 {
		b[extra[i].(string)] = extra[i+1]
	}
	return b
}

// Clicking a button sends a component interaction with the message; an
// UPDATE_MESSAGE answer edits that message, which the person sees.
func TestClickButtonAndUpdateMessage(t *testing.T) {
	sc := newInteractionScene(t)
	sc.register(t, panelCommandBody)
	msgID, _ := sc.panel(t, []any{
		componentRow(buttonComponent("yes"), buttonComponent("off", "disabled", true), map[string]any{"type": componentButton, "style": buttonLink, "label": "site", "url": "https://example.com"}),
		map[string]any{"type": componentContainer, "components": []any{
			map[string]any{"type": componentSection, "components": []any{map[string]any{"type": componentTextDisplay, "content": "x"}}, "accessory": buttonComponent("deep")},
		}},
	})
	clicker := sc.g.Member("member2").User.ID
	click := func(id string) (Reply, error) {
		return sc.srv.ClickButton(sc.g.ID, sc.ch.ID, clicker, msgID, id)
	}
	if _, err := click("off"); !errors.Is(err, ErrComponentDisabled) {
		t.Errorf("disabled button: got %v; want ErrComponentDisabled", err)
	}
	for _, id := range []string{"nope", "site"} {
		if _, err := click(id); !errors.Is(err, ErrUnknownComponent) {
			t.Errorf("button %q: got %v; want ErrUnknownComponent", id, err)
		}
	}
	done := runAsync(func() (Reply, error) { return click("deep") })
	ev := sc.next(t)
	var in struct {
		Type int `json:"type"`
		Data struct {
			CustomID      string `json:"custom_id"`
			ComponentType int    `json:"component_type"`
			ID            int    `json:"id"`
		} `json:"data"`
		Message struct{ ID Snowflake } `json:"message"`
		Member  struct {
			User struct{ ID Snowflake }
		} `json:"member"`
	}
	_ = json.Unmarshal(ev.raw, &in)
	if in.Type != interactionComponent || in.Data.CustomID != "deep" || in.Data.ComponentType != componentButton || in.Data.ID == 0 ||
		in.Message.ID != msgID || in.Member.User.ID != clicker {
		t.Fatalf("component interaction: got %+v", in)
	}
	if i, err := discord.UnmarshalInteraction(ev.raw); err != nil || i.(discord.ComponentInteraction).ButtonInteractionData().CustomID() != "deep" {
		t.Fatalf("disgo decode: %v", err)
	}
	st, body := sc.respond(t, ev, map[string]any{"type": callbackUpdateMessage, "data": map[string]any{"content": "clicked", "components": []any{}}}, "")
	if st != 204 {
		t.Fatalf("update: got %d %s", st, body)
	}
	r := waitOutcome(t, done).reply
	if r.Type != callbackUpdateMessage || r.Content != "clicked" || r.MessageID != msgID || len(r.Components) != 0 {
		t.Fatalf("reply: got %+v", r)
	}
	if m, _ := sc.srv.Message(msgID); m.Content != "clicked" || m.EditedAt.IsZero() {
		t.Errorf("stored message: got %+v", m)
	}
	sc.bot.Wait("MESSAGE_UPDATE")
	if _, err := click("deep"); !errors.Is(err, ErrUnknownComponent) {
		t.Errorf("button removed by the update: got %v; want ErrUnknownComponent", err)
	}
}

// A component's answer can reply with a new message (type 19 referencing
// the panel) or defer an update and edit @original, the panel, later.
func TestButtonRepliesAndDeferredUpdate(t *testing.T) {
	sc := newInteractionScene(t)
	sc.register(t, panelCommandBody)
	msgID, _ := sc.panel(t, []any{componentRow(buttonComponent("a"), buttonComponent("b"))})
	done := runAsync(func() (Reply, error) { return sc.srv.ClickButton(sc.g.ID, sc.ch.ID, sc.member.User.ID, msgID, "a") })
	ev := sc.next(t)
	sc.respond(t, ev, callbackWithMessage("you clicked a", 0), "")
	r := waitOutcome(t, done).reply
	m, ok := sc.srv.Message(r.MessageID)
	if !ok || m.Type != messageTypeReply || m.ReferenceID != msgID || m.Interaction == nil || m.Interaction.InteractedMessageID != msgID {
		t.Fatalf("reply message: got %+v", m)
	}
	done = runAsync(func() (Reply, error) { return sc.srv.ClickButton(sc.g.ID, sc.ch.ID, sc.member.User.ID, msgID, "b") })
	ev = sc.next(t)
	if st, body := sc.respond(t, ev, map[string]any{"type": callbackDeferredUpdate}, ""); st != 204 {
		t.Fatalf("deferred update: got %d %s", st, body)
	}
	if st, body, _ := api(t, sc.srv, "PATCH", sc.webhook(ev, "/messages/@original"), map[string]any{"content": "b done"}); st != 200 {
		t.Fatalf("PATCH @original: got %d %s", st, body)
	}
	r = waitOutcome(t, done).reply
	if r.Type != callbackDeferredUpdate || !r.Deferred || r.Content != "b done" || r.MessageID != msgID || r.Edits != 1 {
		t.Fatalf("reply: got %+v", r)
	}
}

// Buttons on an ephemeral message work for the person who sees it only.
func TestButtonOnEphemeralMessage(t *testing.T) {
	sc := newInteractionScene(t)
	sc.register(t, panelCommandBody)
	done := sc.run("/panel")
	ev := sc.next(t)
	sc.respond(t, ev, map[string]any{"type": callbackMessage, "data": map[string]any{"content": "confirm?", "flags": flagEphemeral, "components": []any{componentRow(buttonComponent("confirm"))}}}, "")
	r := waitOutcome(t, done).reply
	if _, err := sc.srv.ClickButton(sc.g.ID, sc.ch.ID, sc.g.Member("member2").User.ID, r.MessageID, "confirm"); err == nil {
		t.Fatalf("another member clicked an ephemeral message's button")
	}
	done = runAsync(func() (Reply, error) {
		return sc.srv.ClickButton(sc.g.ID, sc.ch.ID, sc.member.User.ID, r.MessageID, "confirm")
	})
	ev = sc.next(t)
	sc.respond(t, ev, map[string]any{"type": callbackUpdateMessage, "data": map[string]any{"content": "confirmed", "components": []any{}}}, "")
	got := waitOutcome(t, done).reply
	if got.Content != "confirmed" || !got.Ephemeral {
		t.Fatalf("reply: got %+v", got)
	}
	if first, _ := sc.srv.Interaction(r.InteractionID); first.Content != "confirmed" {
		t.Errorf("the ephemeral message was not updated: %+v", first)
	}
}

// Select menus take values among their options, as many as min_values and
// max_values allow; entity selects resolve what was picked.
func TestSelectMenu(t *testing.T) {
	sc := newInteractionScene(t)
	sc.register(t, panelCommandBody)
	options := []any{map[string]any{"label": "Red", "value": "red"}, map[string]any{"label": "Blue", "value": "blue"}, map[string]any{"label": "Green", "value": "green"}}
	msgID, _ := sc.panel(t, []any{
		componentRow(map[string]any{"type": componentStringSel, "custom_id": "colour", "options": options, "min_values": 1, "max_values": 2}),
		componentRow(map[string]any{"type": componentRoleSel, "custom_id": "roles"}),
		componentRow(map[string]any{"type": componentChannelSel, "custom_id": "chan", "channel_types": []any{ChannelText}}),
	})
	pick := func(id string, values ...string) (Reply, error) {
		return sc.srv.SelectMenu(sc.g.ID, sc.ch.ID, sc.member.User.ID, msgID, id, values)
	}
	cases := []struct {
		id     string
		values []string
	}{
		{"colour", nil},
		{"colour", []string{"red", "blue", "green"}},
		{"colour", []string{"purple"}},
		{"colour", []string{"red", "red"}},
		{"roles", []string{"@Nobody"}},
		{"chan", []string{"#announcements"}},
	}
	for _, c := range cases {
		if _, err := pick(c.id, c.values...); !errors.Is(err, ErrBadSelection) {
			t.Errorf("%s %v: got %v; want ErrBadSelection", c.id, c.values, err)
		}
	}
	done := runAsync(func() (Reply, error) { return pick("colour", "blue", "red") })
	ev := sc.next(t)
	var in struct {
		Data struct {
			CustomID      string   `json:"custom_id"`
			ComponentType int      `json:"component_type"`
			Values        []string `json:"values"`
		} `json:"data"`
	}
	_ = json.Unmarshal(ev.raw, &in)
	if in.Data.CustomID != "colour" || in.Data.ComponentType != componentStringSel || !slices.Equal(in.Data.Values, []string{"blue", "red"}) {
		t.Fatalf("string select: got %+v", in.Data)
	}
	sc.respond(t, ev, callbackWithMessage("picked", flagEphemeral), "")
	waitOutcome(t, done)

	done = runAsync(func() (Reply, error) { return pick("roles", "@Moderator") })
	ev = sc.next(t)
	i, err := discord.UnmarshalInteraction(ev.raw)
	if err != nil {
		t.Fatalf("disgo decode: %v", err)
	}
	roles := i.(discord.ComponentInteraction).RoleSelectMenuInteractionData()
	if len(roles.Values) != 1 || roles.Values[0].String() != sc.g.Role("Moderator").ID.String() || len(roles.Resolved.Roles) != 1 {
		t.Fatalf("role select: got %+v", roles)
	}
	sc.respond(t, ev, map[string]any{"type": callbackDeferredUpdate}, "")
	sc.srv.Interaction(ev.ID)
	if st, _, _ := api(t, sc.srv, "PATCH", sc.webhook(ev, "/messages/@original"), map[string]any{"content": "roles set"}); st != 200 {
		t.Fatalf("PATCH @original: got %d", st)
	}
	if r := waitOutcome(t, done).reply; r.Content != "roles set" {
		t.Fatalf("reply: got %+v", r)
	}
}

var feedbackModalBody = map[string]any{"type": callbackModal, "data": map[string]any{
	"custom_id": "feedback", "title": "Feedback",
	"components": []any{
		map[string]any{"type": componentLabel, "label": "What happened?", "component": map[string]any{
			"type": componentTextInput, "custom_id": "what", "style": 2, "min_length": 5, "max_length": 50}},
		componentRow(map[string]any{"type": componentTextInput, "custom_id": "extra", "style": 1, "label": "Anything else?", "required": false}),
	},
}}

// A command answered with a modal: the person fills it in within its
// limits, the bot gets a modal submit with the values and answers it.
func TestModalRoundTrip(t *testing.T) {
	sc := newInteractionScene(t)
	sc.register(t, map[string]any{"name": "report", "description": "Report something"})
	done := sc.run("/report")
	ev := sc.next(t)
	bad := map[string]any{"type": callbackModal, "data": map[string]any{"custom_id": "x", "title": strings.Repeat("t", 46), "components": feedbackModalBody["data"].(map[string]any)["components"]}}
	if st, body := sc.respond(t, ev, bad, ""); st != 400 || decodeAPIError(t, body).Code != 50035 {
		t.Fatalf("46-character title: got %d %s; want 400 50035", st, body)
	}
	if st, body := sc.respond(t, ev, feedbackModalBody, ""); st != 204 {
		t.Fatalf("modal: got %d %s", st, body)
	}
	shown := waitOutcome(t, done).reply
	if shown.Type != callbackModal || shown.Modal == nil || shown.Modal.CustomID != "feedback" || shown.Modal.Title != "Feedback" || shown.MessageID != 0 {
		t.Fatalf("reply: got %+v", shown)
	}
	submit := func(member Snowflake, values map[string]string) (Reply, error) {
		return sc.srv.SubmitModal(sc.g.ID, sc.ch.ID, member, shown, values)
	}
	for name, values := range map[string]map[string]string{
		"too short":     {"what": "bad"},
		"too long":      {"what": strings.Repeat("x", 51)},
		"missing":       {"extra": "hello"},
		"unknown input": {"what": "a long story", "colour": "red"},
	} {
		if _, err := submit(sc.member.User.ID, values); !errors.Is(err, ErrBadModalInput) {
			t.Errorf("%s: got %v; want ErrBadModalInput", name, err)
		}
	}
	if _, err := submit(sc.g.Member("member2").User.ID, map[string]string{"what": "a long story"}); !errors.Is(err, ErrBadModalInput) {
		t.Errorf("another member: got %v; want ErrBadModalInput", err)
	}
	submitted := runAsync(func() (Reply, error) { return submit(sc.member.User.ID, map[string]string{"what": "a long story"}) })
	ev2 := sc.next(t)
	i, err := discord.UnmarshalInteraction(ev2.raw)
	if err != nil {
		t.Fatalf("disgo decode: %v", err)
	}
	ms := i.(discord.ModalSubmitInteraction)
	if ms.Data.CustomID != "feedback" || ms.Data.Text("what") != "a long story" || ms.Data.Text("extra") != "" {
		t.Fatalf("modal submit: got %+v", ms.Data)
	}
	if st, body := sc.respond(t, ev2, feedbackModalBody, ""); st != 400 {
		t.Errorf("a modal answering a modal submit: got %d %s; want 400", st, body)
	}
	if st, body := sc.respond(t, ev2, map[string]any{"type": callbackUpdateMessage, "data": map[string]any{"content": "x"}}, ""); st != 400 {
		t.Errorf("UPDATE_MESSAGE for a modal opened by a command: got %d %s; want 400", st, body)
	}
	sc.respond(t, ev2, callbackWithMessage("thanks", flagEphemeral), "")
	if r := waitOutcome(t, submitted).reply; r.Content != "thanks" || !r.Ephemeral {
		t.Fatalf("reply to the submit: got %+v", r)
	}
	if _, err := submit(sc.member.User.ID, map[string]string{"what": "again and again"}); !errors.Is(err, ErrBadModalInput) {
		t.Errorf("second submit: got %v; want ErrBadModalInput", err)
	}
	if st, body, _ := api(t, sc.srv, "POST", sc.webhook(ev, ""), map[string]any{"content": "x"}); st != 404 || decodeAPIError(t, body).Code != 10015 {
		t.Errorf("followup to the modal's command: got %d %s; want 404 10015", st, body)
	}
}

var searchCommandBody = map[string]any{"name": "search", "description": "Search", "options": []any{
	cmdOpt(optString, "query", "required", true, "autocomplete", true),
	cmdOpt(optInteger, "page", "autocomplete", true),
	cmdOpt(optInteger, "limit", "max_value", 10),
}}

// Autocomplete sends type 4 with the focused option marked and takes up
// to 25 choices of the option's type.
func TestAutocomplete(t *testing.T) {
	sc := newInteractionScene(t)
	sc.register(t, searchCommandBody)
	ask := func(line, focused string) <-chan personOutcome {
		return runAsync(func() (Reply, error) {
			return sc.srv.Autocomplete(sc.g.ID, sc.ch.ID, sc.member.User.ID, line, focused)
		})
	}
	if _, err := sc.srv.Autocomplete(sc.g.ID, sc.ch.ID, sc.member.User.ID, "/search limit:3", "limit"); !errors.Is(err, ErrNotAutocomplete) {
		t.Errorf("focus on a plain option: got %v; want ErrNotAutocomplete", err)
	}
	if _, err := sc.srv.Autocomplete(sc.g.ID, sc.ch.ID, sc.member.User.ID, "/search limit:30", "query"); !errors.Is(err, ErrOptionRange) {
		t.Errorf("another option out of range: got %v; want ErrOptionRange", err)
	}
	done := ask(`/search query:"ca" limit:3`, "query")
	ev := sc.next(t)
	var in struct {
		Type int `json:"type"`
		Data struct {
			Options []struct {
				Name    string `json:"name"`
				Value   any    `json:"value"`
				Focused bool   `json:"focused"`
			} `json:"options"`
		} `json:"data"`
	}
	_ = json.Unmarshal(ev.raw, &in)
	if in.Type != interactionAutocomplete || len(in.Data.Options) != 2 || !in.Data.Options[0].Focused || in.Data.Options[0].Value != "ca" || in.Data.Options[1].Focused {
		t.Fatalf("autocomplete interaction: got %+v", in)
	}
	i, err := discord.UnmarshalInteraction(ev.raw)
	if err != nil || i.(discord.AutocompleteInteraction).Data.Focused().Name != "query" {
		t.Fatalf("disgo decode: %v", err)
	}
	many := make([]any, 26)
	for k := range many {
		many[k] = map[string]any{"name": fmt.Sprint(k), "value": fmt.Sprint(k)}
	}
	if st, body := sc.respond(t, ev, map[string]any{"type": callbackAutocomplete, "data": map[string]any{"choices": many}}, ""); st != 400 || decodeAPIError(t, body).Code != 50035 {
		t.Fatalf("26 choices: got %d %s; want 400 50035", st, body)
	}
	if st, body := sc.respond(t, ev, callbackWithMessage("no", 0), ""); st != 400 {
		t.Fatalf("a message for autocomplete: got %d %s; want 400", st, body)
	}
	choices := []any{map[string]any{"name": "Cats", "value": "cats"}, map[string]any{"name": "Cars", "value": "cars"}}
	if st, body := sc.respond(t, ev, map[string]any{"type": callbackAutocomplete, "data": map[string]any{"choices": choices}}, ""); st != 204 {
		t.Fatalf("choices: got %d %s", st, body)
	}
	r := waitOutcome(t, done).reply
	if r.Type != callbackAutocomplete || !slices.Equal(r.Choices, []Choice{{"Cats", "cats"}, {"Cars", "cars"}}) {
		t.Fatalf("reply: got %+v", r)
	}

	// The focused option may not be typed yet; integer choices need
	// integers.
	done = ask("/search query:cats", "page")
	ev = sc.next(t)
	_ = json.Unmarshal(ev.raw, &in)
	if len(in.Data.Options) != 2 || in.Data.Options[1].Name != "page" || !in.Data.Options[1].Focused || in.Data.Options[1].Value != "" {
		t.Fatalf("focus on an untyped option: got %+v", in.Data.Options)
	}
	wrong := []any{map[string]any{"name": "One", "value": "1"}}
	if st, body := sc.respond(t, ev, map[string]any{"type": callbackAutocomplete, "data": map[string]any{"choices": wrong}}, ""); st != 400 {
		t.Fatalf("string choice for an integer: got %d %s; want 400", st, body)
	}
	sc.respond(t, ev, map[string]any{"type": callbackAutocomplete, "data": map[string]any{"choices": []any{map[string]any{"name": "One", "value": 1}}}}, "")
	if r := waitOutcome(t, done).reply; len(r.Choices) != 1 || r.Choices[0].Value != int64(1) {
		t.Fatalf("integer choices: got %+v", r.Choices)
	}
}

// A reply with a file (multipart callback) shows the file in the Reply,
// ephemeral or not.
func TestReplyCarriesTheFilesOfTheAnswer(t *testing.T) {
	sc := newInteractionScene(t)
	sc.register(t, pingCommandBody)
	done := sc.run("/ping")
	ev := sc.next(t)
	body, ct := multipartMessage(t, `{"type":4,"data":{"content":"the export","flags":64}}`, "audit.json", []byte(`{"entries":[]}`))
	if st, out := postRaw(t, sc.srv, fmt.Sprintf("/interactions/%s/%s/callback", ev.ID, ev.Token), body, ct); st != 204 {
		t.Fatalf("multipart callback: got %d %s; want 204", st, out)
	}
	o := waitOutcome(t, done)
	if o.err != nil || o.reply.Content != "the export" || !o.reply.Ephemeral || len(o.reply.Attachments) != 1 {
		t.Fatalf("reply: got %+v, %v; want the ephemeral content and one file", o.reply, o.err)
	}
	if a := o.reply.Attachments[0]; a.Filename != "audit.json" || string(a.Data) != `{"entries":[]}` || a.Size != len(a.Data) {
		t.Fatalf("attachment: got %+v", a)
	}
}
