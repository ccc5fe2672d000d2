package ratelimit

import (
	"strings"
	"testing"
	"time"
)

func TestClassifyMapsRequestsToTheirKeys(t *testing.T) {
	now := snowflakeTime(1456074443980800000).Add(time.Hour)
	cases := []struct {
		method, route, url, major string
		botAuth                   bool
		want                      routeInfo
	}{
		{"POST", "/channels/{channel.id}/messages", "/channels/1/messages", "channel.id=1", true,
			routeInfo{id: routeID{"POST", "/channels/{channel.id}/messages", ageNone}, major: "channel.id=1", botAuth: true}},
		// contract A.1.12: interaction callbacks and interaction webhooks are exempt.
		{"POST", "/interactions/{interaction.id}/{interaction.token}/callback", "/interactions/9/tok/callback", "interaction.token=tok", false,
			routeInfo{id: routeID{"POST", "/interactions/{interaction.id}/{interaction.token}/callback", ageNone}, major: "interaction.token=tok", exempt: true}},
		{"PATCH", "/webhooks/{application.id}/{interaction.token}/messages/@original", "/webhooks/5/tok/messages/@original", "interaction.token=tok", false,
			routeInfo{id: routeID{"PATCH", "/webhooks/{application.id}/{interaction.token}/messages/@original", ageNone}, major: "interaction.token=tok", exempt: true, webhook: true}},
		// A plain webhook: not exempt, fused on 404 (C.16).
		{"POST", "/webhooks/{webhook.id}/{webhook.token}", "/webhooks/7/t", "webhook.id=7", false,
			routeInfo{id: routeID{"POST", "/webhooks/{webhook.id}/{webhook.token}", ageNone}, major: "webhook.id=7", webhook: true, onWebhook: true}},
		// contract A.4 O3, C.13: every reaction change of a channel, one queue.
		{"DELETE", "/channels/{channel.id}/messages/{message.id}/reactions/{emoji}/{user.id}", "/channels/1/messages/2/reactions/x/3", "channel.id=1", true,
			routeInfo{id: routeID{"PUT|DELETE", reactionsFamily, ageNone}, major: "channel.id=1", botAuth: true}},
		{"GET", "/channels/{channel.id}/messages/{message.id}/reactions/{emoji}", "/channels/1/messages/2/reactions/x", "channel.id=1", true,
			routeInfo{id: routeID{"GET", "/channels/{channel.id}/messages/{message.id}/reactions/{emoji}", ageNone}, major: "channel.id=1", botAuth: true}},
		// contract A.4 O2: message deletes by the message's age.
		{"DELETE", deleteMessageRoute, "/channels/1/messages/1456074443980800000", "channel.id=1", true,
			routeInfo{id: routeID{"DELETE", deleteMessageRoute, ageMid}, major: "channel.id=1", botAuth: true}},
		{"DELETE", deleteMessageRoute, "/channels/1/messages/not-an-id", "channel.id=1", true,
			routeInfo{id: routeID{"DELETE", deleteMessageRoute, ageYoung}, major: "channel.id=1", botAuth: true}},
	}
	for _, c := range cases {
		got := classify(c.method, c.route, c.url, c.major, c.botAuth, now)
		if got != c.want {
			t.Errorf("classify(%s %s) = %+v; want %+v", c.method, c.url, got, c.want)
		}
	}
	old := classify("DELETE", deleteMessageRoute, "/channels/1/messages/1456074443980800000", "channel.id=1", true, now.Add(15*24*time.Hour))
	if old.id.age != ageOld {
		t.Errorf("got age %d for a message over 14 days; want old", old.id.age)
	}
}

func FuzzClassify(f *testing.F) {
	f.Add("POST", "/channels/{channel.id}/messages", "/channels/1/messages", "channel.id=1", "channel.id=2", true)
	f.Add("DELETE", deleteMessageRoute, "/channels/1/messages/99999999999999999999", "channel.id=1", "", true)
	f.Add("PUT", reactionsPrefix+"/{emoji}/@me", "/channels/1/messages/2/reactions/%F0%9F%91%8D/@me", "channel.id=1", "channel.id=3", true)
	f.Add("POST", "/webhooks/{application.id}/{interaction.token}", "/webhooks/1/t?wait=true", "interaction.token=t", "interaction.token=u", false)
	f.Add("GET", "/webhooks/", "/", "", "x", false)
	f.Fuzz(func(t *testing.T, method, route, url, major, other string, botAuth bool) {
		now := time.Unix(1767225600, 0)
		a := classify(method, route, url, major, botAuth, now)
		if b := classify(method, route, url, major, botAuth, now); a != b {
			t.Fatalf("not deterministic: %+v then %+v", a, b)
		}
		if a.major != major || a.botAuth != botAuth {
			t.Fatalf("got %+v; want the major and auth kept", a)
		}
		if a.exempt != strings.Contains(route, "{interaction.token}") {
			t.Fatalf("exempt = %v for %q", a.exempt, route)
		}
		if a.id.age != ageNone && (method != "DELETE" || route != deleteMessageRoute) {
			t.Fatalf("an age class on %s %s", method, route)
		}
		if a.id.route == reactionsFamily && !strings.HasPrefix(route, reactionsPrefix) {
			t.Fatalf("reactions family for %q", route)
		}
		// Two majors never share a queue, known hash or not.
		o := classify(method, route, url, other, botAuth, now)
		for _, hash := range []string{"", "h"} {
			ka, ko := keyFor(a, hash), keyFor(o, hash)
			if (ka == ko) != (major == other) {
				t.Fatalf("keys %+v and %+v for majors %q and %q", ka, ko, major, other)
			}
		}
		// Once the hash is known, the route no longer matters.
		if keyFor(a, "h").route != (routeID{}) {
			t.Fatal("a hashed key kept its route")
		}
		_ = a.id.String()
	})
}
