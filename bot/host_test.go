package bot_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/gateway"
	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/bot/bottest"
	"github.com/hearthbot/hearth/bot/bus"
	"github.com/hearthbot/hearth/bot/config"
	"github.com/hearthbot/hearth/discordtest"
	"github.com/hearthbot/hearth/store"
)

// lifecycleModule records its lifecycle calls in a shared journal.
type lifecycleModule struct {
	id      string
	journal *journal
	initErr error
	needs   bot.Needs
}

type journal struct {
	mu    sync.Mutex
	steps []string
}

func (j *journal) add(s string) {
	j.mu.Lock()
	j.steps = append(j.steps, s)
	j.mu.Unlock()
}

func (j *journal) get() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.steps)
}

func (m *lifecycleModule) ID() string { return m.id }
func (m *lifecycleModule) Init(_ context.Context, h *bot.Host) error {
	m.journal.add("init " + m.id)
	return m.initErr
}
func (m *lifecycleModule) Start(context.Context) error { m.journal.add("start " + m.id); return nil }
func (m *lifecycleModule) Stop(context.Context) error  { m.journal.add("stop " + m.id); return nil }
func (m *lifecycleModule) Needs() bot.Needs            { return m.needs }

// runRuntime runs a runtime against srv until stop is called, and
// returns Run's error.
func runRuntime(t *testing.T, srv *discordtest.Server, mods []bot.Module, cfgf func(*config.Config)) (stop func() error, rt *bot.Runtime) {
	stop, _, rt = runRuntimeDone(t, srv, mods, cfgf)
	return stop, rt
}

// runRuntimeDone is runRuntime that also returns the channel Run's
// error arrives on.
func runRuntimeDone(t *testing.T, srv *discordtest.Server, mods []bot.Module, cfgf func(*config.Config)) (stop func() error, done <-chan error, rt *bot.Runtime) {
	t.Helper()
	cfg := config.Default()
	cfg.Discord.RESTURL = srv.RESTURL()
	cfg.Admin.Addr = config.AdminOff
	cfg.Store.Path = filepath.Join(t.TempDir(), "hearth.db")
	if cfgf != nil {
		cfgf(&cfg)
	}
	st, err := store.Open(context.Background(), cfg.Store.Path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	rt, err = bot.New(bot.Options{Token: srv.Token(), Config: cfg, Store: st, Modules: mods,
		Gateway: bottest.NewFeed(srv.GatewayURL(), srv.Token())})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan error, 1)
	go func() { ch <- rt.Run(ctx) }()
	return func() error {
		cancel()
		select {
		case err := <-ch:
			return err
		case <-time.After(20 * time.Second):
			return errors.New("Run did not return within 20 s")
		}
	}, ch, rt
}

func waitReady(t *testing.T, rt *bot.Runtime) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if ok, _ := rt.Ready(context.Background()); ok {
			return
		}
		if time.Now().After(deadline) {
			_, why := rt.Ready(context.Background())
			t.Fatalf("not ready within 10 s: %s", why)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLifecycleRunsInOrderAndStopsInReverse(t *testing.T) {
	srv := discordtest.New(t)
	j := &journal{}
	mods := []bot.Module{&lifecycleModule{id: "a", journal: j}, &lifecycleModule{id: "b", journal: j}, &lifecycleModule{id: "c", journal: j}}
	stop, rt := runRuntime(t, srv, mods, nil)
	waitReady(t, rt)
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := []string{"init a", "init b", "init c", "start a", "start b", "start c", "stop c", "stop b", "stop a"}
	if got := j.get(); !slices.Equal(got, want) {
		t.Fatalf("got %v; want %v", got, want)
	}
}

func TestFailedInitStopsWhatStartedInReverseAndNamesTheModule(t *testing.T) {
	srv := discordtest.New(t)
	j := &journal{}
	mods := []bot.Module{&lifecycleModule{id: "a", journal: j}, &lifecycleModule{id: "b", journal: j, initErr: errors.New("no database")},
		&lifecycleModule{id: "c", journal: j}}
	_, done, _ := runRuntimeDone(t, srv, mods, nil)
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not fail within 10 s")
	}
	if err == nil || !strings.Contains(err.Error(), `init module "b": no database`) {
		t.Fatalf("got %v; want an error naming module b and its reason", err)
	}
	want := []string{"init a", "init b", "stop b", "stop a"}
	if got := j.get(); !slices.Equal(got, want) {
		t.Fatalf("got %v; want %v (Stop is safe after a failed Init; c never ran)", got, want)
	}
}

func TestGatewayGetsExactlyTheUnionOfIntentsOfModulesThatDidNotSkip(t *testing.T) {
	srv := discordtest.New(t)
	j := &journal{}
	mods := []bot.Module{
		&lifecycleModule{id: "messages", journal: j, needs: bot.Needs{Intents: gateway.IntentGuildMessages | gateway.IntentMessageContent}},
		&lifecycleModule{id: "members", journal: j, needs: bot.Needs{Intents: gateway.IntentGuildMembers}, initErr: bot.ErrSkip},
		&lifecycleModule{id: "reactions", journal: j, needs: bot.Needs{Intents: gateway.IntentGuildMessageReactions}},
	}
	stop, rt := runRuntime(t, srv, mods, nil)
	defer stop()
	waitReady(t, rt)
	sessions := srv.GatewaySessions()
	if len(sessions) != 1 {
		t.Fatalf("got %d sessions; want 1", len(sessions))
	}
	want := uint64(gateway.IntentGuilds | gateway.IntentGuildMessages | gateway.IntentMessageContent | gateway.IntentGuildMessageReactions)
	if sessions[0].Intents != want {
		t.Fatalf("identified with intents %b; want %b (GUILD_MEMBERS belongs to a skipped module)", sessions[0].Intents, want)
	}
	if got := j.get(); !slices.Contains(got, "init members") || slices.Contains(got, "start members") {
		t.Fatalf("got %v; want the skipped module initialised but not started", got)
	}
}

func TestUnchangedCommandsAreNotPutAgain(t *testing.T) {
	// A fake clock, moved between the runs: a second IDENTIFY within 5 s
	// would be refused (contract A.3.43).
	clock := discordtest.NewFakeClock(time.Now())
	srv := discordtest.New(t, discordtest.WithClock(clock))
	mods := func() []bot.Module {
		return []bot.Module{&testModule{id: "demo", commands: []bot.Command{
			{Name: "hello", Description: "Says hello", Options: []bot.Option{
				{Name: "who", Description: "Whom", Type: bot.OptionUser},
				{Name: "times", Description: "How often", Type: bot.OptionInteger, MinValue: bot.Float(1), MaxValue: bot.Float(5)},
			}, Handler: reply("hi")},
			{Name: "purge", Description: "Deletes", Permissions: discord.PermissionManageMessages, Handler: reply("ok")},
		}}}
	}
	for run := 1; run <= 2; run++ {
		stop, rt := runRuntime(t, srv, mods(), nil)
		waitReady(t, rt)
		if err := stop(); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		clock.Advance(6 * time.Second)
	}
	if n := len(srv.RequestsTo("PUT /applications/{application_id}/commands")); n != 1 {
		t.Fatalf("got %d PUTs over two runs; want 1 (the second run found them unchanged)", n)
	}
	if n := len(srv.RequestsTo("GET /applications/{application_id}/commands")); n != 2 {
		t.Fatalf("got %d GETs; want one per run", n)
	}
}

func TestHostChecksOptionsAndPermissionsAgain(t *testing.T) {
	// Discord enforces the registered schema; the host checks the
	// declaration again, in case what is registered is older or laxer.
	h := bottest.New(t, []bot.Module{&testModule{id: "demo", commands: []bot.Command{
		{Name: "say", Description: "Says", Options: []bot.Option{
			{Name: "text", Description: "What", Type: bot.OptionString, Required: true, MaxLength: 5},
			{Name: "count", Description: "How many", Type: bot.OptionInteger, MinValue: bot.Float(1), MaxValue: bot.Float(3)},
		}, Permissions: discord.PermissionManageMessages, Handler: reply("said")},
	}}}, bottest.WithConfig(func(c *config.Config) { c.Commands.Sync = config.Sync{Mode: config.SyncOff} }))
	// What Discord has: the same command, laxer.
	lax := `[{"name":"say","description":"Says","options":[{"type":3,"name":"text","description":"What","required":true},{"type":4,"name":"count","description":"How many"}]}]`
	if err := registerRaw(h.Emulator, lax); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		member, line, want string
	}{
		{"mod", `/say text:hello`, "said"},
		{"mod", `/say text:toolong`, `Option "text" must be at most 5 characters; got 7.`},
		{"mod", `/say text:hi count:9`, `Option "count" must be between 1 and 3; got 9.`},
		{"member1", `/say text:hi`, "You need the MANAGE_MESSAGES permission to use /say here."},
	}
	for _, tc := range cases {
		r := person(t, h, tc.member, tc.line)
		if r.Content != tc.want {
			t.Errorf("%s %s: got %q; want %q", tc.member, tc.line, r.Content, tc.want)
		}
		if tc.want != "said" && !r.Ephemeral {
			t.Errorf("%s %s: the refusal is public; want ephemeral", tc.member, tc.line)
		}
	}
}

func TestModuleTurnedOffInAGuildIsRefused(t *testing.T) {
	h := bottest.New(t, []bot.Module{&testModule{id: "demo", commands: []bot.Command{{Name: "hello", Description: "Hi", Handler: reply("hi")}}}})
	if err := h.Store.SetModuleEnabled(context.Background(), uint64(h.Guild().ID), "demo", false); err != nil {
		t.Fatal(err)
	}
	r := person(t, h, "member1", "/hello")
	if r.Content != "The demo module is turned off in this server." || !r.Ephemeral {
		t.Fatalf("got %+v; want the module-off message, ephemeral", r)
	}
}

func TestFullPipelineShedsWithABusyReply(t *testing.T) {
	release := make(chan struct{})
	h := bottest.New(t, []bot.Module{&testModule{id: "demo", commands: []bot.Command{
		{Name: "hold", Description: "Holds the only slot", Handler: func(ctx context.Context, _ *bot.Request) (bot.Response, error) {
			<-release
			return bot.Response{Content: "released"}, nil
		}},
		{Name: "quick", Description: "Quick", Handler: reply("quick")},
	}}}, bottest.WithConfig(func(c *config.Config) { c.Pipeline.Concurrency = 1 }),
		bottest.WithEmulator(discordtest.WithReplyWait(10*time.Second)))
	g := h.Guild()
	first := make(chan discordtest.Reply, 1)
	go func() {
		r, _ := h.Emulator.RunCommand(g.ID, g.Channel("general").ID, g.Member("member1").User.ID, "/hold")
		first <- r
	}()
	// Wait until /hold occupies the slot: its interaction has been sent.
	if !h.Emulator.WaitFor(5*time.Second, func() bool {
		for _, p := range h.Emulator.GatewayPayloads() {
			if p.Type == "INTERACTION_CREATE" {
				return true
			}
		}
		return false
	}) {
		t.Fatal("the first interaction was never sent")
	}
	time.Sleep(50 * time.Millisecond) // let the runtime take the slot
	r := person(t, h, "member2", "/quick")
	if !strings.Contains(r.Content, "busy") || !r.Ephemeral {
		t.Fatalf("with the only slot held: got %+v; want an ephemeral busy reply", r)
	}
	close(release)
	if r := <-first; !strings.Contains(r.Content, "released") {
		t.Fatalf("the held command: got %+v; want it answered after release", r)
	}
	// The slot frees once the held command's answer is sent: retry briefly.
	deadline := time.Now().Add(3 * time.Second)
	for {
		r := person(t, h, "member2", "/quick")
		if r.Content == "quick" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after release: got %+v; want quick", r)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestInteractionReplayedLateIsDeferredAtOnce(t *testing.T) {
	// An interaction replayed after a RESUME can arrive when its creation
	// time is already past the auto-defer point: the host defers at once,
	// by the interaction's snowflake time, not by when it arrived.
	clock := discordtest.NewFakeClock(time.Now().Add(-2500 * time.Millisecond))
	h := bottest.New(t, []bot.Module{&testModule{id: "demo", commands: []bot.Command{
		{Name: "work", Description: "Works 400 ms", Handler: func(context.Context, *bot.Request) (bot.Response, error) {
			time.Sleep(400 * time.Millisecond)
			return bot.Response{Content: "worked"}, nil
		}},
	}}}, bottest.WithEmulator(discordtest.WithClock(clock)))
	r := person(t, h, "member1", "/work")
	if !r.Deferred || r.Content != "worked" {
		t.Fatalf("got %+v; want a deferral then the answer as an edit", r)
	}
	if r.RespondedAfter > 300*time.Millisecond {
		t.Fatalf("deferred after %v; want at once (the interaction was already 2.5 s old)", r.RespondedAfter)
	}
}

// busModule subscribes to message events.
type busModule struct {
	policy bus.Policy
	got    chan bot.MessageCreated
	block  chan struct{}
	panics bool
}

func (m *busModule) ID() string { return fmt.Sprintf("listener%d", m.policy) }
func (m *busModule) Init(_ context.Context, h *bot.Host) error {
	return bot.Subscribe(h, bot.TopicMessageCreated, "messages", m.policy, func(ctx context.Context, e bot.MessageCreated) error {
		if m.panics {
			panic("listener panics")
		}
		if m.block != nil {
			<-m.block
		}
		m.got <- e
		return nil
	})
}
func (m *busModule) Needs() bot.Needs {
	return bot.Needs{Intents: gateway.IntentGuildMessages | gateway.IntentMessageContent}
}

func TestMessagesReachSubscribersWithTheirOrigin(t *testing.T) {
	m := &busModule{policy: bus.Backpressure, got: make(chan bot.MessageCreated, 10)}
	h := bottest.New(t, []bot.Module{m, &testModule{id: "demo", commands: []bot.Command{{Name: "hello", Description: "Hi", Handler: reply("hi")}}}})
	g := h.Guild()
	if _, err := h.Emulator.SendMessage(g.ID, g.Channel("general").ID, g.Member("member1").User.ID, "hello bot"); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-m.got:
		if e.Content != "hello bot" || !e.Origin.Human() || e.Author.Username != "member1" {
			t.Fatalf("got %+v; want member1's message, from a human", e)
		}
		if want := g.Member("member1").Roles; len(want) == 0 || fmt.Sprint(e.AuthorRoles) != fmt.Sprint(want) {
			t.Fatalf("author roles: got %v; want member1's %v", e.AuthorRoles, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no MessageCreated within 5 s")
	}
	person(t, h, "member1", "/hello") // the bot's own reply is a message too
	select {
	case e := <-m.got:
		if !e.Origin.FromSelf || e.Content != "hi" {
			t.Fatalf("got %+v; want the bot's own message marked FromSelf", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no MessageCreated for the bot's reply within 5 s")
	}
}

func TestASlowOrPanickingSubscriberDoesNotStopCommandsOrOtherSubscribers(t *testing.T) {
	stuck := &busModule{policy: bus.DropOldest, got: make(chan bot.MessageCreated, 1000), block: make(chan struct{})}
	defer close(stuck.block)
	crash := &busModule{policy: bus.DropOldest, got: make(chan bot.MessageCreated, 1), panics: true}
	healthy := &busModule{policy: bus.Backpressure, got: make(chan bot.MessageCreated, 1000)}
	crash2 := &idModule{Module: crash, id: "crasher"}
	h := bottest.New(t, []bot.Module{&idModule{Module: stuck, id: "stuck"}, crash2, &idModule{Module: healthy, id: "healthy"},
		&testModule{id: "demo", commands: []bot.Command{{Name: "hello", Description: "Hi", Handler: reply("hi")}}}})
	g := h.Guild()
	for i := 0; i < 400; i++ {
		if _, err := h.Emulator.SendMessage(g.ID, g.Channel("general").ID, g.Member("member1").User.ID, fmt.Sprint("m", i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 400; i++ {
		select {
		case e := <-healthy.got:
			if e.Content != fmt.Sprint("m", i) {
				t.Fatalf("healthy subscriber: message %d is %q; want m%d (in order, none lost)", i, e.Content, i)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("healthy subscriber got %d of 400 messages", i)
		}
	}
	if r := person(t, h, "member1", "/hello"); r.Content != "hi" {
		t.Fatalf("with a stuck and a crashing subscriber: got %+v; want commands answered", r)
	}
}

// idModule gives a module another ID.
type idModule struct {
	bot.Module
	id string
}

func (m *idModule) ID() string { return m.id }
func (m *idModule) Needs() bot.Needs {
	if n, ok := m.Module.(bot.Needer); ok {
		return n.Needs()
	}
	return bot.Needs{}
}

func TestNoSessionStartsLeftIsRefusedSayingWhenTheyReset(t *testing.T) {
	clock := discordtest.NewFakeClock(time.Now())
	srv := discordtest.New(t, discordtest.WithClock(clock), discordtest.WithSessionStartLimit(1))
	stop, rt := runRuntime(t, srv, nil, nil)
	waitReady(t, rt)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	clock.Advance(6 * time.Second) // past the identify window, not the 24 h one
	_, done, _ := runRuntimeDone(t, srv, nil, nil)
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "no gateway sessions left today (session_start_limit: 0 of 1); they reset in 23h59m") {
			t.Fatalf("got %v; want the refusal with the reset time", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not refuse within 10 s")
	}
}

func TestRepliesPingNobodyUnlessAsked(t *testing.T) {
	h := bottest.New(t, []bot.Module{&testModule{id: "demo", commands: []bot.Command{
		{Name: "poke", Description: "Mentions", Handler: func(_ context.Context, r *bot.Request) (bot.Response, error) {
			u, _, _ := r.UserOption("who")
			return bot.Response{Content: "hey <@" + u.ID.String() + "> and @everyone"}, nil
		}, Options: []bot.Option{{Name: "who", Description: "Whom", Type: bot.OptionUser, Required: true}}},
	}}})
	r := person(t, h, "admin", "/poke who:@member2")
	msg, ok := h.Emulator.Message(r.MessageID)
	if !ok || !strings.Contains(msg.Content, "hey <@") {
		t.Fatalf("got %+v; want the reply stored in the channel", msg)
	}
	if len(msg.Mentions) != 1 || len(msg.Pinged) != 0 || msg.MentionEveryone {
		t.Fatalf("mentions %v, pinged %v, everyone %v; want the mention shown and nobody pinged", msg.Mentions, msg.Pinged, msg.MentionEveryone)
	}
}

func TestMetricsAndHealthEndpoints(t *testing.T) {
	h := bottest.New(t, []bot.Module{&testModule{id: "demo", commands: []bot.Command{{Name: "hello", Description: "Hi", Handler: reply("hi")}}}})
	person(t, h, "member1", "/hello")
	srv := httptest.NewServer(h.Runtime.AdminHandler())
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// The reply reached the emulator; the bot counts the answer a moment
	// later, when it has read it.
	var status int
	var body string
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		status, body = get("/metrics")
		if strings.Contains(body, "callback") || time.Now().After(deadline) {
			break
		}
	}
	for _, want := range []string{
		`hearth_command_duration_seconds_bucket{command="hello",outcome="ok"`,
		`hearth_gateway_events_total{type="INTERACTION_CREATE"} 1`,
		`hearth_rest_requests_total{route="POST /interactions/{id}/{token}/callback",status="204"} 1`,
		`hearth_interactions_shed_total 0`,
		`hearth_cache_hits_total`,
		`hearth_rest_invalid_requests 0`,
		`hearth_rest_token_invalid 0`,
	} {
		if status != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics: want a line with %q", want)
		}

	}
	if strings.Contains(body, h.Emulator.Token()) {
		t.Error("/metrics shows the token")
	}
	if status, body := get("/readyz"); status != 200 || !strings.HasPrefix(body, "ready") {
		t.Errorf("/readyz: got %d %q; want 200 ready", status, body)
	}
	if status, _ := get("/healthz"); status != 200 {
		t.Errorf("/healthz: got %d; want 200", status)
	}
}

func TestHostResolvesTheBotsOwnPermissionsFromTheCache(t *testing.T) {
	var host *bot.Host
	h := bottest.New(t, []bot.Module{&testModule{id: "demo", init: func(hh *bot.Host) error { host = hh; return nil }}})
	g := h.Guild()
	perms, err := host.BotPermissions(snowflake.ID(g.ID), snowflake.ID(g.Channel("general").ID))
	if err != nil {
		t.Fatal(err)
	}
	if !perms.Has(discord.PermissionBanMembers | discord.PermissionSendMessages) {
		t.Fatalf("#general: got %v; want the bot role's BAN_MEMBERS and SEND_MESSAGES", perms)
	}
	news, err := host.BotPermissions(snowflake.ID(g.ID), snowflake.ID(g.Channel("announcements").ID))
	if err != nil {
		t.Fatal(err)
	}
	if news.Has(discord.PermissionSendMessages) {
		t.Fatal("#announcements: got SEND_MESSAGES; want it denied by the @everyone overwrite")
	}
	info, ok := host.Guild(snowflake.ID(g.ID))
	if !ok || info.OwnerID != snowflake.ID(g.OwnerID) || len(info.Roles) != len(g.Roles) {
		t.Fatalf("got %+v, %v; want the guild with its owner and %d roles", info, ok, len(g.Roles))
	}
	role := func(name string) []snowflake.ID { return []snowflake.ID{snowflake.ID(g.Role(name).ID)} }
	bot, mod, admin := host.BotID(), snowflake.ID(g.Member("mod").User.ID), snowflake.ID(g.Member("admin").User.ID)
	cases := []struct {
		name   string
		actor  snowflake.ID
		roles  []snowflake.ID
		target snowflake.ID
		troles []snowflake.ID
		want   bool
	}{
		{"the bot over a moderator", bot, info.BotRoles, mod, role("Moderator"), true},
		{"the bot under an admin", bot, info.BotRoles, admin, role("Admin"), false},
		{"nobody over the owner", admin, role("Admin"), info.OwnerID, nil, false},
		{"the owner over an admin", info.OwnerID, nil, admin, role("Admin"), true},
	}
	for _, c := range cases {
		if got := info.Outranks(c.actor, c.roles, c.target, c.troles); got != c.want {
			t.Errorf("%s: got %v; want %v", c.name, got, c.want)
		}
	}
}

// hostModule keeps its Host for a test to call.
type hostModule struct{ host *bot.Host }

func (m *hostModule) ID() string                                { return "hosted" }
func (m *hostModule) Init(_ context.Context, h *bot.Host) error { m.host = h; return nil }

func TestRESTLatencyIsMeasuredOnceForManyCallers(t *testing.T) {
	m := &hostModule{}
	h := bottest.New(t, []bot.Module{m})
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if d, err := m.host.RESTLatency(context.Background()); err != nil || d <= 0 {
				t.Errorf("RESTLatency: %s, %v", d, err)
			}
		}()
	}
	wg.Wait()
	if n := len(h.Emulator.RequestsTo("GET /gateway")); n != 1 {
		t.Fatalf("GET /gateway sent %d times for 50 callers; want 1 (the route allows 5 per 5 s)", n)
	}
}
