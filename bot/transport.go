package bot

import (
	"net/http"
	"strconv"
	"strings"
)

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
