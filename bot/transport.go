package bot

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// deadlineTransport gives each request at most timeout (none when 0),
// answer body and retries included, as http.Client.Timeout does. The
// client's own Timeout costs a goroutine, a timer and two channels a
// request when its transport is not an *http.Transport, as ours is not:
// a few percent of the CPU of an interaction under load.
type deadlineTransport struct {
	next    http.RoundTripper
	timeout time.Duration
}

func (t deadlineTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.timeout <= 0 {
		return t.next.RoundTrip(r)
	}
	if dl, ok := r.Context().Deadline(); ok && time.Until(dl) <= t.timeout {
		return t.next.RoundTrip(r)
	}
	ctx, cancel := context.WithTimeout(r.Context(), t.timeout)
	resp, err := t.next.RoundTrip(r.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose ends a request's context once its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// countingTransport counts every REST answer by route and status, for
// /metrics (the limiter counts 429s by scope).
type countingTransport struct {
	next http.RoundTripper
	m    *metrics
}

// routeLabel turns a request path into a template, so labels stay few
// and no token reaches the metrics: /api/v10/channels/123/messages →
// /channels/{id}/messages; the segment after interactions/{id} or
// webhooks/{id} is a token. It runs on every request: no regexp.
func routeLabel(r *http.Request) string {
	p := r.URL.Path
	if i := strings.Index(p, "/api/v"); i >= 0 {
		if j := strings.IndexByte(p[i+6:], '/'); j >= 0 {
			p = p[i+6+j:]
		}
	}
	var b strings.Builder
	b.Grow(len(r.Method) + 1 + len(p))
	b.WriteString(r.Method)
	b.WriteByte(' ')
	prev, prevID := "", false
	for seg := range strings.SplitSeq(strings.TrimPrefix(p, "/"), "/") {
		b.WriteByte('/')
		switch {
		case prevID && (prev == "interactions" || prev == "webhooks"):
			b.WriteString("{token}")
			prev, prevID = "", false
			continue
		case len(seg) >= 5 && allDigits(seg):
			b.WriteString("{id}")
			prevID = true
			continue
		}
		b.WriteString(seg)
		prev, prevID = seg, false
	}
	return b.String()
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (t countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		t.m.restRequests.WithLabelValues(routeLabel(r), "error").Inc()
		return resp, err
	}
	t.m.restRequests.WithLabelValues(routeLabel(r), strconv.Itoa(resp.StatusCode)).Inc()
	return resp, nil
}
