package bot

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"
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

// stubTransport answers every request with resp (its body read from
// body) after checking the request's context, and keeps the last request.
type stubTransport struct {
	body io.ReadCloser
	last *http.Request
}

func (s *stubTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	s.last = r
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	return &http.Response{StatusCode: 200, Body: s.body, Request: r}, nil
}

func TestDeadlineTransportBoundsTheRequestAndItsBody(t *testing.T) {
	st := &stubTransport{body: io.NopCloser(strings.NewReader("{}"))}
	tr := deadlineTransport{next: st, timeout: time.Hour}
	req, _ := http.NewRequest("GET", "http://discord.invalid/api/v10/gateway", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	ctx := st.last.Context()
	if dl, ok := ctx.Deadline(); !ok || time.Until(dl) < 59*time.Minute {
		t.Errorf("got deadline %v (set %t); want about an hour from now", dl, ok)
	}
	if ctx.Err() != nil {
		t.Fatal("the context ended before the body was read")
	}
	if b, _ := io.ReadAll(resp.Body); string(b) != "{}" {
		t.Errorf("got body %q; want {}", b)
	}
	_ = resp.Body.Close()
	if ctx.Err() == nil {
		t.Error("the request's context lives on after its body was closed; want it cancelled")
	}
}

func TestDeadlineTransportKeepsAnEarlierDeadline(t *testing.T) {
	st := &stubTransport{body: http.NoBody}
	tr := deadlineTransport{next: st, timeout: time.Hour}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://discord.invalid/", nil)
	if _, err := tr.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if st.last != req {
		t.Error("the request was copied with a new context; want it passed as it was (its deadline is earlier)")
	}
	if _, err := (deadlineTransport{next: st}).RoundTrip(req); err != nil || st.last != req {
		t.Errorf("got %v with a request copied: %t; want no deadline added with no timeout", err, st.last != req)
	}
}

func TestDeadlineTransportEndsARequestThatOutlivesIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pr, pw := io.Pipe() // a body that never comes
		defer pw.Close()
		st := &stubTransport{body: pr}
		tr := deadlineTransport{next: st, timeout: 20 * time.Second}
		req, _ := http.NewRequest("GET", "http://discord.invalid/", nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(20*time.Second + time.Millisecond)
		if err := st.last.Context().Err(); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %v after 20 s; want the request's context past its deadline", err)
		}
		_ = resp.Body.Close()
	})
}
