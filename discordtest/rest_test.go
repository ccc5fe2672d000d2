package discordtest

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var testEpoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// general returns the first guild and its #general channel.
func general(t *testing.T, srv *Server) (GuildView, Channel) {
	t.Helper()
	g := srv.Guilds()[0]
	ch := g.Channel("general")
	if ch.ID == 0 {
		t.Fatal("seeded guild has no #general")
	}
	return g, ch
}

func errorCode(t *testing.T, body []byte) int {
	t.Helper()
	var e struct {
		Code *int `json:"code"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Code == nil {
		t.Fatalf("error body %s: want Discord's {code, message} shape", body)
	}
	return *e.Code
}

func TestUnknownRouteAnswers404InDiscordShape(t *testing.T) {
	srv := New(t)
	status, body, hdr := api(t, srv, "GET", "/no/such/route", nil)
	if status != 404 || errorCode(t, body) != 0 || hdr.Get("Via") != "1.1 google" {
		t.Fatalf("got %d %s via %q; want 404 code 0 via 1.1 google", status, body, hdr.Get("Via"))
	}
}

func TestEveryAPIAnswerCarriesVia(t *testing.T) {
	// contract A.4 O4: disgo takes a 429 without Via for a Cloudflare block,
	// so every answer of the API itself must carry it.
	srv := New(t)
	for _, path := range []string{"/users/@me", "/gateway/bot", "/applications/@me", "/channels/1"} {
		_, _, hdr := api(t, srv, "GET", path, nil)
		if got := hdr.Get("Via"); got != "1.1 google" {
			t.Errorf("GET %s: got Via %q; want %q", path, got, "1.1 google")
		}
	}
}

func TestExhaustedBucketAnswersContract429(t *testing.T) {
	// contract A.1.4, A.1.6, A.1.7, A.1.9, C.1
	clock := NewFakeClock(testEpoch)
	srv := New(t, WithClock(clock), WithRouteLimit("POST /channels/{channel_id}/messages",
		RouteLimit{Bucket: "create", Limit: 2, Period: 1500 * time.Millisecond}))
	_, ch := general(t, srv)
	path := "/channels/" + ch.ID.String() + "/messages"
	for i, wantRemaining := range []string{"1", "0"} {
		status, body, hdr := api(t, srv, "POST", path, map[string]string{"content": "hi"})
		if status != 200 || hdr.Get("X-RateLimit-Remaining") != wantRemaining || hdr.Get("X-RateLimit-Limit") != "2" {
			t.Fatalf("request %d: got %d remaining %q limit %q (%s); want 200 remaining %s limit 2", i, status, hdr.Get("X-RateLimit-Remaining"), hdr.Get("X-RateLimit-Limit"), body, wantRemaining)
		}
	}
	clock.Advance(200 * time.Millisecond)
	status, body, hdr := api(t, srv, "POST", path, map[string]string{"content": "hi"})
	if status != 429 {
		t.Fatalf("third request: got %d; want 429", status)
	}
	checks := map[string]string{
		"X-RateLimit-Limit": "2", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "1.300",
		"X-RateLimit-Bucket": BucketHash("create"), "X-RateLimit-Scope": "user", "Retry-After": "2", "Via": "1.1 google",
	}
	for k, want := range checks {
		if got := hdr.Get(k); got != want {
			t.Errorf("header %s: got %q; want %q", k, got, want)
		}
	}
	if hdr.Get("X-RateLimit-Global") != "" {
		t.Errorf("got X-RateLimit-Global on a user 429; want none (A.1.5)")
	}
	reset, _ := strconv.ParseFloat(hdr.Get("X-RateLimit-Reset"), 64)
	if want := float64(testEpoch.Add(1500*time.Millisecond).UnixMilli()) / 1000; reset != want {
		t.Errorf("X-RateLimit-Reset: got %v; want %v", reset, want)
	}
	var b struct {
		Message    string  `json:"message"`
		RetryAfter float64 `json:"retry_after"`
		Global     bool    `json:"global"`
	}
	if err := json.Unmarshal(body, &b); err != nil || b.RetryAfter != 1.3 || b.Global || b.Message == "" {
		t.Fatalf("body %s: want retry_after 1.3, global false and a message", body)
	}
	clock.Advance(1300 * time.Millisecond)
	if status, _, _ := api(t, srv, "POST", path, map[string]string{"content": "hi"}); status != 200 {
		t.Fatalf("after the reset: got %d; want 200", status)
	}
	if n := srv.RateLimited("user"); n != 1 {
		t.Fatalf("RateLimited(user): got %d; want 1", n)
	}
}

func TestSameRouteOnAnotherChannelHasItsOwnCounter(t *testing.T) {
	// contract A.1.2, C.2
	clock := NewFakeClock(testEpoch)
	srv := New(t, WithClock(clock), WithRouteLimit("POST /channels/{channel_id}/messages",
		RouteLimit{Bucket: "create", Limit: 1, Period: time.Second, Sliding: true}))
	g, general := general(t, srv)
	other := g.Channel("off-topic")
	post := func(ch Channel) int {
		status, _, _ := api(t, srv, "POST", "/channels/"+ch.ID.String()+"/messages", map[string]string{"content": "x"})
		return status
	}
	if post(general) != 200 || post(general) != 429 {
		t.Fatal("want the second message in #general limited")
	}
	if got := post(other); got != 200 {
		t.Fatalf("#off-topic: got %d; want 200 while #general is exhausted", got)
	}
}

func TestRoutesSharingABucketShareItsCounter(t *testing.T) {
	// contract A.1.1, A.4 O3, C.3, C.13: reaction routes in one channel
	// share one bucket whatever the message or emoji.
	clock := NewFakeClock(testEpoch)
	srv := New(t, WithClock(clock))
	_, ch := general(t, srv)
	_, body, _ := api(t, srv, "POST", "/channels/"+ch.ID.String()+"/messages", map[string]string{"content": "react here"})
	var m struct{ ID string }
	_ = json.Unmarshal(body, &m)
	base := "/channels/" + ch.ID.String() + "/messages/" + m.ID + "/reactions/"
	status, _, hdr := api(t, srv, "PUT", base+"%F0%9F%91%8D/@me", nil)
	if status != 204 {
		t.Fatalf("PUT reaction: got %d; want 204", status)
	}
	bucket := hdr.Get("X-RateLimit-Bucket")
	status, _, hdr = api(t, srv, "DELETE", base+"%F0%9F%91%8E/@me", nil)
	if status != 429 || hdr.Get("X-RateLimit-Bucket") != bucket {
		t.Fatalf("DELETE another emoji at once: got %d bucket %q; want 429 on the same bucket %q", status, hdr.Get("X-RateLimit-Bucket"), bucket)
	}
	clock.Advance(250 * time.Millisecond)
	if status, _, _ := api(t, srv, "DELETE", base+"%F0%9F%91%8D/@me", nil); status != 204 {
		t.Fatalf("after 250ms: got %d; want 204", status)
	}
}

func TestReactionWithRawEmojiInPathIsUnknownEmoji(t *testing.T) {
	// contract A.1.22: the emoji must be URL-encoded.
	srv := New(t)
	_, ch := general(t, srv)
	_, body, _ := api(t, srv, "POST", "/channels/"+ch.ID.String()+"/messages", map[string]string{"content": "x"})
	var m struct{ ID string }
	_ = json.Unmarshal(body, &m)
	status, body, _ := api(t, srv, "PUT", "/channels/"+ch.ID.String()+"/messages/"+m.ID+"/reactions/thumbsup/@me", nil)
	if status != 404 || errorCode(t, body) != 10014 {
		t.Fatalf("got %d %s; want 404 code 10014", status, body)
	}
}

func TestFractionalResetAfterKeepsMilliseconds(t *testing.T) {
	// contract C.9
	clock := NewFakeClock(testEpoch)
	srv := New(t, WithClock(clock), WithRouteLimit("GET /users/@me", RouteLimit{Bucket: "me", Limit: 1, Period: 333 * time.Millisecond}))
	_, _, hdr := api(t, srv, "GET", "/users/@me", nil)
	if got := hdr.Get("X-RateLimit-Reset-After"); got != "0.333" {
		t.Fatalf("got Reset-After %q; want 0.333", got)
	}
	_, body, hdr := api(t, srv, "GET", "/users/@me", nil)
	if hdr.Get("Retry-After") != "1" || !strings.Contains(string(body), `"retry_after":0.333`) {
		t.Fatalf("got Retry-After %q body %s; want 1 and retry_after 0.333", hdr.Get("Retry-After"), body)
	}
}

func TestRouteWithoutHeadersIsUnlimitedButCountsGlobally(t *testing.T) {
	// contract C.10
	clock := NewFakeClock(testEpoch)
	srv := New(t, WithClock(clock), WithGlobalLimit(3, false))
	for i := 0; i < 3; i++ {
		status, _, hdr := api(t, srv, "GET", "/applications/@me", nil)
		if status != 200 || hdr.Get("X-RateLimit-Bucket") != "" {
			t.Fatalf("request %d: got %d bucket %q; want 200 and no rate-limit headers", i, status, hdr.Get("X-RateLimit-Bucket"))
		}
	}
	if status, _, _ := api(t, srv, "GET", "/applications/@me", nil); status != 429 {
		t.Fatalf("fourth request in the second: got %d; want a global 429", status)
	}
}

func TestGlobalLimitAnswersGlobal429WithoutBucketHeaders(t *testing.T) {
	// contract A.1.5, A.1.8, A.1.11, C.5, C.6
	clock := NewFakeClock(testEpoch)
	srv := New(t, WithClock(clock), WithGlobalLimit(5, true))
	ids := []string{}
	for _, g := range srv.Guilds() {
		for _, c := range g.Channels {
			if c.Type == ChannelText {
				ids = append(ids, c.ID.String())
			}
		}
	}
	var last http.Header
	var lastBody []byte
	statuses := []int{}
	for i := 0; i < 6; i++ {
		status, body, hdr := api(t, srv, "GET", "/channels/"+ids[i]+"/messages", nil)
		statuses = append(statuses, status)
		last, lastBody = hdr, body
	}
	if statuses[4] != 200 || statuses[5] != 429 {
		t.Fatalf("got statuses %v; want five 200s then a 429", statuses)
	}
	if last.Get("X-RateLimit-Global") != "true" || last.Get("X-RateLimit-Scope") != "global" || last.Get("Retry-After") != "1" {
		t.Fatalf("got headers %v; want Global true, Scope global, Retry-After 1", last)
	}
	if last.Get("X-RateLimit-Bucket") != "" || last.Get("X-RateLimit-Limit") != "" {
		t.Fatalf("got bucket headers on a global 429: %v; want none (A.1.8)", last)
	}
	if !strings.Contains(string(lastBody), `"global":true`) {
		t.Fatalf("body %s: want global true", lastBody)
	}
	if srv.RateLimited("global") != 1 {
		t.Fatalf("RateLimited(global): got %d; want 1", srv.RateLimited("global"))
	}
}

func TestInteractionCallbacksBypassTheGlobalLimit(t *testing.T) {
	// contract A.1.12, C.7: with the global limit spent, a callback is
	// not held back (here it answers 10062: no such interaction).
	clock := NewFakeClock(testEpoch)
	srv := New(t, WithClock(clock), WithGlobalLimit(1, true))
	api(t, srv, "GET", "/users/@me", nil)
	if status, _, _ := api(t, srv, "GET", "/users/@me", nil); status != 429 {
		t.Fatalf("second request: got %d; want 429", status)
	}
	status, body, _ := api(t, srv, "POST", "/interactions/123/sometoken/callback", map[string]any{"type": 4, "data": map[string]string{"content": "x"}})
	if status == 429 || errorCode(t, body) != 10062 {
		t.Fatalf("callback: got %d %s; want 404 code 10062, never a global 429", status, body)
	}
}

func TestInvalidRequestsBringTheCloudflareBanThenARevokedToken(t *testing.T) {
	// contract A.1.14, A.4 O4, C.14, C.15
	clock := NewFakeClock(testEpoch)
	srv := New(t, WithClock(clock), WithInvalidRequestLimit(5, 10*time.Minute, time.Hour))
	for i := 0; i < 5; i++ {
		req, _ := http.NewRequest("GET", srv.RESTURL()+"/users/@me", nil)
		req.Header.Set("Authorization", "Bot wrong")
		req.Header.Set("User-Agent", "DiscordBot (x, 1)")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 401 {
			t.Fatalf("bad token %d: got %v %v; want 401", i, resp.StatusCode, err)
		}
		resp.Body.Close()
	}
	if n := srv.InvalidRequests(); n != 5 {
		t.Fatalf("InvalidRequests: got %d; want 5", n)
	}
	status, body, hdr := api(t, srv, "GET", "/users/@me", nil)
	if status != 429 || hdr.Get("Via") != "" || hdr.Get("Retry-After") != "" || hdr.Get("X-RateLimit-Limit") != "" {
		t.Fatalf("during the ban: got %d via %q retry %q; want a bare 429", status, hdr.Get("Via"), hdr.Get("Retry-After"))
	}
	if errorCode(t, body) != 0 || !strings.Contains(string(body), "blocked") {
		t.Fatalf("ban body %s: want code 0 and the blocked message", body)
	}
	clock.Advance(time.Hour)
	if status, _, _ := api(t, srv, "GET", "/users/@me", nil); status != 401 {
		t.Fatalf("after the ban: got %d; want 401, the token was reset", status)
	}
}

func TestSharedScope429IsNotInvalid(t *testing.T) {
	// contract A.1.10, A.1.14, C.11
	srv := New(t, WithClock(NewFakeClock(testEpoch)))
	srv.Inject429("GET /users/@me", 1, "shared", 1337*time.Second)
	status, body, hdr := api(t, srv, "GET", "/users/@me", nil)
	if status != 429 || hdr.Get("X-RateLimit-Scope") != "shared" || hdr.Get("Retry-After") != "1337" || hdr.Get("X-RateLimit-Remaining") == "0" {
		t.Fatalf("got %d scope %q retry %q remaining %q; want a shared 429 with Retry-After 1337 and remaining above 0", status, hdr.Get("X-RateLimit-Scope"), hdr.Get("Retry-After"), hdr.Get("X-RateLimit-Remaining"))
	}
	if !strings.Contains(string(body), "The resource is being rate limited.") {
		t.Fatalf("body %s: want the shared-scope message", body)
	}
	if n := srv.InvalidRequests(); n != 0 {
		t.Fatalf("InvalidRequests: got %d; want 0", n)
	}
	if status, _, _ := api(t, srv, "GET", "/users/@me", nil); status != 200 {
		t.Fatalf("after the injected 429: got %d; want 200", status)
	}
}

func TestBucketHashChangesMidRun(t *testing.T) {
	// contract C.8
	srv := New(t, WithClock(NewFakeClock(testEpoch)))
	_, _, hdr := api(t, srv, "GET", "/users/@me", nil)
	before := hdr.Get("X-RateLimit-Bucket")
	srv.SetRouteLimit("GET /users/@me", RouteLimit{Bucket: "h2", Limit: 2, Period: 10 * time.Second})
	_, _, hdr = api(t, srv, "GET", "/users/@me", nil)
	if got := hdr.Get("X-RateLimit-Bucket"); got == before || got != BucketHash("h2") || hdr.Get("X-RateLimit-Limit") != "2" {
		t.Fatalf("got bucket %q limit %q; want %q (not %q) and limit 2", got, hdr.Get("X-RateLimit-Limit"), BucketHash("h2"), before)
	}
}

func TestInjected5xxHasNoRateLimitHeaders(t *testing.T) {
	// contract A.1.19, C.19
	srv := New(t)
	srv.Fail5xx(1)
	status, _, hdr := api(t, srv, "GET", "/users/@me", nil)
	if status < 502 || status > 504 || hdr.Get("X-RateLimit-Bucket") != "" {
		t.Fatalf("got %d bucket %q; want 502-504 without rate-limit headers", status, hdr.Get("X-RateLimit-Bucket"))
	}
	if srv.InvalidRequests() != 0 {
		t.Fatal("a 5xx was counted as invalid; want not")
	}
	srv.Fail5xx(0)
	if status, _, _ := api(t, srv, "GET", "/users/@me", nil); status != 200 {
		t.Fatalf("after turning faults off: got %d; want 200", status)
	}
}

func TestBadUserAgentIsRefusedWith40333(t *testing.T) {
	// contract A.1.20, A.4 O4
	srv := New(t)
	req, _ := http.NewRequest("GET", srv.RESTURL()+"/users/@me", nil)
	req.Header.Set("Authorization", "Bot "+srv.Token())
	req.Header.Set("User-Agent", "Go-http-client/1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e apiError
	_ = json.NewDecoder(resp.Body).Decode(&e)
	if resp.StatusCode != 403 || e.Code != 40333 {
		t.Fatalf("got %d code %d; want 403 code 40333", resp.StatusCode, e.Code)
	}
}

func TestDeleteBucketDependsOnMessageAge(t *testing.T) {
	// contract A.4 O2
	clock := NewFakeClock(testEpoch)
	srv := New(t, WithClock(clock))
	_, ch := general(t, srv)
	post := func() string {
		_, body, _ := api(t, srv, "POST", "/channels/"+ch.ID.String()+"/messages", map[string]string{"content": "x"})
		var m struct{ ID string }
		_ = json.Unmarshal(body, &m)
		return m.ID
	}
	young := post()
	clock.Advance(time.Minute)
	old := post()
	clock.Advance(time.Minute)
	_, _, hdr := api(t, srv, "DELETE", "/channels/"+ch.ID.String()+"/messages/"+young, nil)
	_, _, hdrOld := api(t, srv, "DELETE", "/channels/"+ch.ID.String()+"/messages/"+old, nil)
	if hdr.Get("X-RateLimit-Bucket") != hdrOld.Get("X-RateLimit-Bucket") {
		t.Fatalf("both over 10 s old: got buckets %q and %q; want the same", hdr.Get("X-RateLimit-Bucket"), hdrOld.Get("X-RateLimit-Bucket"))
	}
	fresh := post()
	_, _, hdrFresh := api(t, srv, "DELETE", "/channels/"+ch.ID.String()+"/messages/"+fresh, nil)
	if hdrFresh.Get("X-RateLimit-Bucket") == hdr.Get("X-RateLimit-Bucket") || hdrFresh.Get("X-RateLimit-Limit") != "5" {
		t.Fatalf("a message under 10 s old: got bucket %q limit %q; want another bucket with limit 5", hdrFresh.Get("X-RateLimit-Bucket"), hdrFresh.Get("X-RateLimit-Limit"))
	}
}

func TestMessageValidation(t *testing.T) {
	srv := New(t, WithRouteLimit("POST /channels/{channel_id}/messages", RouteLimit{Bucket: "c", Limit: 100, Period: time.Second}))
	g, ch := general(t, srv)
	path := "/channels/" + ch.ID.String() + "/messages"
	embeds := make([]map[string]string, 11)
	for i := range embeds {
		embeds[i] = map[string]string{"title": "t"}
	}
	cases := []struct {
		name   string
		body   any
		status int
		code   int
	}{
		{"2000 characters is fine", map[string]string{"content": strings.Repeat("é", 2000)}, 200, 0},
		{"2001 characters", map[string]string{"content": strings.Repeat("a", 2001)}, 400, 50035},
		{"empty", map[string]string{"content": ""}, 400, 50006},
		{"11 embeds", map[string]any{"embeds": embeds}, 400, 50035},
		{"embed title over 256", map[string]any{"embeds": []map[string]string{{"title": strings.Repeat("a", 257)}}}, 400, 50035},
		{"embed field without value", map[string]any{"embeds": []map[string]any{{"fields": []map[string]string{{"name": "n"}}}}}, 400, 50035},
		{"users parse and list together", map[string]any{"content": "x", "allowed_mentions": map[string]any{"parse": []string{"users"}, "users": []string{"1"}}}, 400, 50035},
		{"invalid JSON", []byte("{"), 400, 50109},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body, _ := api(t, srv, "POST", path, tc.body)
			if status != tc.status {
				t.Fatalf("got %d %s; want %d", status, body, tc.status)
			}
			if tc.code != 0 && errorCode(t, body) != tc.code {
				t.Fatalf("got code %d; want %d (%s)", errorCode(t, body), tc.code, body)
			}
		})
	}
	if n := len(srv.Messages(ch.ID)); n != 1 {
		t.Fatalf("stored %d messages; want only the valid one", n)
	}
	_ = g
}

func TestMissingPermissionIs50013AndChangesNothing(t *testing.T) {
	// contract A.1.15, A.1.17
	srv := New(t)
	ch := srv.Guilds()[0].Channel("announcements") // @everyone may not send there
	status, body, _ := api(t, srv, "POST", "/channels/"+ch.ID.String()+"/messages", map[string]string{"content": "x"})
	if status != 403 || errorCode(t, body) != 50013 {
		t.Fatalf("got %d %s; want 403 code 50013", status, body)
	}
	if len(srv.Messages(ch.ID)) != 0 {
		t.Fatal("a refused message was stored")
	}
	if srv.InvalidRequests() != 1 {
		t.Fatalf("InvalidRequests: got %d; want 1 (403 counts, A.1.14)", srv.InvalidRequests())
	}
}

func TestBulkDeleteRules(t *testing.T) {
	// contract A.1.21
	clock := NewFakeClock(testEpoch)
	srv := New(t, WithClock(clock), WithRouteLimit("POST /channels/{channel_id}/messages/bulk-delete", RouteLimit{Bucket: "bulk", Limit: 100, Period: time.Second}))
	_, ch := general(t, srv)
	var ids []string
	for i := 0; i < 3; i++ {
		m, err := srv.SendMessage(srv.Guilds()[0].ID, ch.ID, srv.Guilds()[0].Member("member1").User.ID, "spam")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID.String())
	}
	path := "/channels/" + ch.ID.String() + "/messages/bulk-delete"
	old := Snowflake(uint64(testEpoch.Add(-15*24*time.Hour).UnixMilli()-discordEpoch) << 22).String()
	cases := []struct {
		name string
		ids  []string
		code int
	}{
		{"one id", ids[:1], 50035},
		{"101 ids", make([]string, 101), 50035},
		{"a duplicate", []string{ids[0], ids[0]}, 50035},
		{"older than 14 days", []string{ids[0], old}, 50034},
	}
	for i := range cases[1].ids {
		cases[1].ids[i] = strconv.Itoa(1000 + i)
	}
	for _, tc := range cases {
		status, body, _ := api(t, srv, "POST", path, map[string]any{"messages": tc.ids})
		if status != 400 || errorCode(t, body) != tc.code {
			t.Errorf("%s: got %d %s; want 400 code %d", tc.name, status, body, tc.code)
		}
	}
	if status, body, _ := api(t, srv, "POST", path, map[string]any{"messages": append(ids, (Snowflake(uint64(testEpoch.UnixMilli()-discordEpoch)<<22) | 4000).String())}); status != 204 {
		t.Fatalf("valid bulk delete: got %d %s; want 204", status, body)
	}
	if n := len(srv.Messages(ch.ID)); n != 0 {
		t.Fatalf("left %d messages; want 0", n)
	}
}

func TestMessageContentIsBlankedWithoutTheIntent(t *testing.T) {
	// Discord blanks content, embeds and attachments for sessions without
	// MESSAGE_CONTENT, except messages that mention the bot.
	srv := New(t)
	g, ch := general(t, srv)
	member := g.Member("member1").User.ID
	bot := connectRawBot(t, srv, intentGuilds|intentGuildMessages)
	if _, err := srv.SendMessage(g.ID, ch.ID, member, "secret words"); err != nil {
		t.Fatal(err)
	}
	var m struct{ Content string }
	_ = json.Unmarshal(bot.Wait("MESSAGE_CREATE"), &m)
	if m.Content != "" {
		t.Fatalf("without MESSAGE_CONTENT: got content %q; want it blank", m.Content)
	}
	if _, err := srv.SendMessage(g.ID, ch.ID, member, "hey <@"+srv.ApplicationID().String()+">"); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(bot.Wait("MESSAGE_CREATE"), &m)
	if !strings.HasPrefix(m.Content, "hey") {
		t.Fatalf("a message mentioning the bot: got content %q; want it kept", m.Content)
	}
	// A second IDENTIFY within 5 s would get op 9 (contract A.3.43): a
	// second emulator holds the session with the intent.
	srv = New(t)
	g, ch = general(t, srv)
	full := connectRawBot(t, srv, intentGuilds|intentGuildMessages|IntentMessageContent)
	if _, err := srv.SendMessage(g.ID, ch.ID, g.Member("member1").User.ID, "visible"); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(full.Wait("MESSAGE_CREATE"), &m)
	if m.Content != "visible" {
		t.Fatalf("with MESSAGE_CONTENT: got %q; want %q", m.Content, "visible")
	}
}

func TestSameSeedSameWorld(t *testing.T) {
	a, b, c := New(t, WithSeed(7)), New(t, WithSeed(7)), New(t, WithSeed(8))
	ga, gb, gc := a.Guilds(), b.Guilds(), c.Guilds()
	if a.Token() != b.Token() || ga[0].ID != gb[0].ID || ga[1].Member("member3").User.ID != gb[1].Member("member3").User.ID {
		t.Fatal("two servers with seed 7 differ; want the same IDs and token")
	}
	if a.Token() == c.Token() || ga[0].ID == gc[0].ID {
		t.Fatal("seeds 7 and 8 gave the same world; want different")
	}
}

func TestSeededGuildsHaveWhatABotExpects(t *testing.T) {
	srv := New(t, WithGuilds(3), WithMembers(6))
	gs := srv.Guilds()
	if len(gs) != 3 {
		t.Fatalf("got %d guilds; want 3", len(gs))
	}
	for _, g := range gs {
		types := map[int]bool{}
		for _, c := range g.Channels {
			types[c.Type] = true
		}
		for _, want := range []int{ChannelText, ChannelVoice, ChannelAnnouncement, ChannelCategory} {
			if !types[want] {
				t.Errorf("%s: no channel of type %d", g.Name, want)
			}
		}
		if len(g.Members) != 7 || g.OwnerID != g.Member("owner").User.ID || !g.BotPresent {
			t.Errorf("%s: got %d members, owner %v, bot %v; want 6 people and the bot, owner 'owner'", g.Name, len(g.Members), g.OwnerID, g.BotPresent)
		}
	}
}

func TestPermissionsAreComputedAsDiscordDoes(t *testing.T) {
	srv := New(t)
	srv.mu.Lock()
	defer srv.mu.Unlock()
	g := srv.world.guilds[0]
	find := func(name string) *Member {
		for _, m := range g.members() {
			if m.User.Username == name {
				return m
			}
		}
		t.Fatalf("no member %s", name)
		return nil
	}
	var modlog, general *Channel
	for _, c := range g.Channels {
		switch c.Name {
		case "mod-log":
			modlog = c
		case "general":
			general = c
		}
	}
	now := srv.world.now
	cases := []struct {
		name   string
		member *Member
		ch     *Channel
		bit    uint64
		want   bool
	}{
		{"owner has all", find("owner"), modlog, PermBanMembers, true},
		{"administrator has all", find("admin"), modlog, PermManageGuild, true},
		{"@everyone overwrite hides mod-log", find("member1"), modlog, PermViewChannel, false},
		{"role overwrite shows mod-log to mods", find("mod"), modlog, PermViewChannel, true},
		{"members send in general", find("member1"), general, PermSendMessages, true},
		{"members cannot ban", find("member1"), general, PermBanMembers, false},
	}
	for _, tc := range cases {
		if got := g.permissions(tc.member, tc.ch, now)&tc.bit != 0; got != tc.want {
			t.Errorf("%s: got %v; want %v", tc.name, got, tc.want)
		}
	}
	m := find("member1")
	m.CommunicationDisabledUntil = now().Add(time.Hour)
	if g.permissions(m, general, now)&PermSendMessages != 0 || g.permissions(m, general, now)&PermViewChannel == 0 {
		t.Error("a timed-out member: want VIEW_CHANNEL kept and SEND_MESSAGES gone")
	}
}

// multipartMessage builds a message body with payload_json and one file,
// as clients send attachments.
func multipartMessage(t *testing.T, payload string, name string, data []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if err := w.WriteField("payload_json", payload); err != nil {
		t.Fatal(err)
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="files[0]"; filename="`+name+`"`)
	h.Set("Content-Type", "text/plain")
	part, err := w.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = part.Write(data)
	_ = w.Close()
	return buf.Bytes(), w.FormDataContentType()
}

func postRaw(t *testing.T, srv *Server, path string, body []byte, contentType string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.RESTURL()+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bot "+srv.Token())
	req.Header.Set("User-Agent", "DiscordBot (test, 1)")
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func TestMultipartAttachmentsAreStored(t *testing.T) {
	srv := New(t)
	_, ch := general(t, srv)
	body, ct := multipartMessage(t, `{"content":"the log"}`, "log.txt", []byte("line one\n"))
	status, out := postRaw(t, srv, "/channels/"+ch.ID.String()+"/messages", body, ct)
	if status != 200 {
		t.Fatalf("got %d %s; want 200", status, out)
	}
	var m struct {
		Content     string `json:"content"`
		Attachments []struct {
			Filename string `json:"filename"`
			Size     int    `json:"size"`
		} `json:"attachments"`
	}
	_ = json.Unmarshal(out, &m)
	if m.Content != "the log" || len(m.Attachments) != 1 || m.Attachments[0].Filename != "log.txt" || m.Attachments[0].Size != 9 {
		t.Fatalf("got %+v; want the content and log.txt of 9 bytes", m)
	}
	stored := srv.Messages(ch.ID)
	if len(stored) != 1 || string(stored[0].Attachments[0].Data) != "line one\n" {
		t.Fatalf("stored %+v; want the file's bytes kept", stored)
	}
}

func TestAttachmentsNeedAttachFiles(t *testing.T) {
	srv := New(t, WithBotPermissions(DefaultBotPermissions&^PermAttachFiles))
	srv.mu.Lock()
	srv.world.guilds[0].role(srv.world.guilds[0].ID).Permissions &^= PermAttachFiles // @everyone too
	srv.mu.Unlock()
	_, ch := general(t, srv)
	body, ct := multipartMessage(t, `{"content":"x"}`, "a.txt", []byte("a"))
	if status, out := postRaw(t, srv, "/channels/"+ch.ID.String()+"/messages", body, ct); status != 403 || errorCode(t, out) != 50013 {
		t.Fatalf("got %d %s; want 403 code 50013", status, out)
	}
}

func TestAllowedMentionsDecideWhoIsPinged(t *testing.T) {
	srv := New(t, WithRouteLimit("POST /channels/{channel_id}/messages", RouteLimit{Bucket: "c", Limit: 100, Period: time.Second}))
	g, ch := general(t, srv)
	m1, m2 := g.Member("member1").User.ID, g.Member("member2").User.ID
	mod := g.Role("Moderator").ID
	content := "<@" + m1.String() + "> <@" + m2.String() + "> <@&" + mod.String() + ">"
	cases := []struct {
		name    string
		allowed any
		want    []Snowflake
	}{
		{"no allowed_mentions pings all", nil, []Snowflake{m1, m2, g.Member("mod").User.ID}},
		{"parse nothing pings nobody", map[string]any{"parse": []string{}}, nil},
		{"one listed user", map[string]any{"users": []string{m2.String()}}, []Snowflake{m2}},
		{"users but not roles", map[string]any{"parse": []string{"users"}}, []Snowflake{m1, m2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]any{"content": content}
			if tc.allowed != nil {
				body["allowed_mentions"] = tc.allowed
			}
			status, out, _ := api(t, srv, "POST", "/channels/"+ch.ID.String()+"/messages", body)
			if status != 200 {
				t.Fatalf("got %d %s", status, out)
			}
			var m struct{ ID Snowflake }
			_ = json.Unmarshal(out, &m)
			stored, _ := srv.Message(m.ID)
			if len(stored.Mentions) != 2 {
				t.Errorf("mentions: got %v; want both users whatever allowed_mentions says", stored.Mentions)
			}
			if !slices.Equal(stored.Pinged, tc.want) {
				t.Errorf("pinged: got %v; want %v", stored.Pinged, tc.want)
			}
		})
	}
}
