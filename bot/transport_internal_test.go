package bot

import (
	"net/http"
	"net/url"
	"testing"
)

func TestRouteLabelHidesIDsAndTokens(t *testing.T) {
	for path, want := range map[string]string{
		"/api/v10/channels/123456789/messages":                        "POST /channels/{id}/messages",
		"/api/v10/interactions/1234567/aW50ZXJhY3Rpb24/callback":      "POST /interactions/{id}/{token}/callback",
		"/api/v10/webhooks/1234567/tok.en-x/messages/7654321":         "POST /webhooks/{id}/{token}/messages/{id}",
		"/api/v10/webhooks/1234567/tok/messages/@original":            "POST /webhooks/{id}/{token}/messages/@original",
		"/api/v10/guilds/12345678/members/87654321/roles/11112222333": "POST /guilds/{id}/members/{id}/roles/{id}",
		"/api/v10/gateway/bot":                                        "POST /gateway/bot",
		"/api/v10/channels/123/messages":                              "POST /channels/123/messages",
	} {
		if got := routeLabel(&http.Request{Method: "POST", URL: &url.URL{Path: path}}); got != want {
			t.Errorf("routeLabel(%s) = %q; want %q", path, got, want)
		}
	}
}

func BenchmarkRouteLabel(b *testing.B) {
	r := &http.Request{Method: "POST", URL: &url.URL{Path: "/api/v10/interactions/1234567/aW50ZXJhY3Rpb24/callback"}}
	for b.Loop() {
		_ = routeLabel(r)
	}
}
