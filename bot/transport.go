package bot

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// countingTransport counts every REST answer by route and status, for
// /metrics (the limiter counts 429s by scope).
type countingTransport struct {
	next http.RoundTripper
	m    *metrics
}

var (
	idSegment    = regexp.MustCompile(`/\d{5,}`)
	tokenSegment = regexp.MustCompile(`/(interactions/\{id\}|webhooks/\{id\})/[^/]+`)
)

// routeLabel turns a request path into a template, so labels stay few
// and no token reaches the metrics: /api/v10/channels/123/messages →
// /channels/{id}/messages.
func routeLabel(r *http.Request) string {
	p := r.URL.Path
	if i := strings.Index(p, "/api/v"); i >= 0 {
		if j := strings.IndexByte(p[i+6:], '/'); j >= 0 {
			p = p[i+6+j:]
		}
	}
	p = idSegment.ReplaceAllString(p, "/{id}")
	p = tokenSegment.ReplaceAllString(p, "/$1/{token}")
	return r.Method + " " + p
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
