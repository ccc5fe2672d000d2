package ratelimit

import (
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"
)

func TestParseSecondsKeepsEveryDigitAndNeverRoundsDown(t *testing.T) {
	// contract A.1.4, C.9: Reset-After and retry_after are fractional
	// seconds; disgo truncated 0.5 to 0 and 1.9 to 1.
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0.333", 333 * time.Millisecond, true},
		{"0.5", 500 * time.Millisecond, true},
		{"1.9", 1900 * time.Millisecond, true},
		{"64.57", 64570 * time.Millisecond, true},
		{"1336.57", 1336570 * time.Millisecond, true},
		{"1", time.Second, true},
		{"2", 2 * time.Second, true},
		{"0.001", time.Millisecond, true},
		{"0.0005", 500 * time.Microsecond, true},
		{"0.0000000001", time.Nanosecond, true}, // past the ninth decimal: rounded up
		{"0.000000000", 0, true},
		{"5.", 5 * time.Second, true},
		{".5", 500 * time.Millisecond, true},
		{"99999999999", maxSeconds * time.Second, true}, // clamped
		{"", 0, false},
		{".", 0, false},
		{"-1", 0, false},
		{"+1", 0, false},
		{"1e3", 0, false},
		{"1.2.3", 0, false},
		{"NaN", 0, false},
		{" 1", 0, false},
		{"0,5", 0, false},
	}
	for _, c := range cases {
		got, ok := parseSeconds(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("parseSeconds(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestParseHeadersReadsWhatDiscordSends(t *testing.T) {
	date := time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC)
	cases := []struct {
		name  string
		hdr   map[string]string
		check func(t *testing.T, h limitHeaders)
	}{
		{"a bucket's headers (A.1.4)", map[string]string{
			"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "4", "X-RateLimit-Reset": "1470173023.123",
			"X-RateLimit-Reset-After": "1.000", "X-RateLimit-Bucket": "abcd1234"},
			func(t *testing.T, h limitHeaders) {
				if !h.hasLimit || h.limit != 5 || !h.hasRemaining || h.remaining != 4 || h.bucket != "abcd1234" ||
					h.resetAfter != time.Second || !h.reset.Equal(time.Unix(1470173023, 123e6)) || !h.any {
					t.Errorf("got %+v", h)
				}
			}},
		{"a global 429 (A.1.8)", map[string]string{"Retry-After": "2", "X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"},
			func(t *testing.T, h limitHeaders) {
				if !h.global || h.scope != "global" || h.retryAfter != 2*time.Second || h.bucket != "" || h.fromEdge() {
					t.Errorf("got %+v", h)
				}
			}},
		{"a shared 429 (A.1.10)", map[string]string{"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "9",
			"X-RateLimit-Reset-After": "64.57", "Retry-After": "1337", "X-RateLimit-Scope": "shared", "X-RateLimit-Bucket": "b"},
			func(t *testing.T, h limitHeaders) {
				if h.scope != "shared" || h.global || h.remaining != 9 || h.retryAfter != 1337*time.Second {
					t.Errorf("got %+v", h)
				}
			}},
		{"Cloudflare (A.4 O4): nothing", map[string]string{"Content-Type": "text/html"},
			func(t *testing.T, h limitHeaders) {
				if !h.fromEdge() {
					t.Errorf("got %+v; want it read as the edge's", h)
				}
			}},
		{"Reset without Reset-After is measured against Date", map[string]string{
			"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatFloat(float64(date.Add(2250*time.Millisecond).UnixMilli())/1000, 'f', 3, 64),
			"Date": date.Format(http.TimeFormat)},
			func(t *testing.T, h limitHeaders) {
				// A local clock an hour off changes nothing.
				if d, ok := h.resetIn(date.Add(time.Hour)); !ok || d != 2250*time.Millisecond {
					t.Errorf("got %v, %v; want 2.25 s from the server's Date", d, ok)
				}
			}},
		{"garbage counts as absent", map[string]string{"X-RateLimit-Limit": "five", "X-RateLimit-Remaining": "-1",
			"X-RateLimit-Reset-After": "soon"},
			func(t *testing.T, h limitHeaders) {
				if h.hasLimit || h.hasRemaining || h.hasResetAfter || !h.any {
					t.Errorf("got %+v", h)
				}
				if _, ok := h.resetIn(date); ok {
					t.Error("got a reset from garbage")
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hdr := http.Header{}
			for k, v := range c.hdr {
				hdr.Set(k, v)
			}
			c.check(t, parseHeaders(hdr))
		})
	}
}

func TestParseErrorBodyNeverFails(t *testing.T) {
	cases := []struct {
		body  string
		retry time.Duration
		code  int
		glob  bool
	}{
		{`{"message":"You are being rate limited.","retry_after":1.3,"global":true}`, 1300 * time.Millisecond, 0, true},
		{`{"message":"The resource is being rate limited.","retry_after":1336.57,"global":false,"code":40062}`, 1336570 * time.Millisecond, 40062, false},
		{`{"retry_after":1.5e0}`, 1500 * time.Millisecond, 0, false},
		{`{"code":0,"message":"You are being blocked from accessing our API temporarily"}`, 0, 0, false},
		{`{"code":40333,"message":"internal network error"}`, 0, 40333, false},
		{`<html><body>error code: 1015</body></html>`, 0, 0, false},
		{``, 0, 0, false},
		{`{"retry_after":"soon"}`, 0, 0, false},
		{`{"retry_after":-4}`, 0, 0, false},
	}
	for _, c := range cases {
		b := parseErrorBody([]byte(c.body))
		if b.retryAfter != c.retry || b.code != c.code || b.global != c.glob {
			t.Errorf("parseErrorBody(%q) = %+v; want retry %v, code %d, global %v", c.body, b, c.retry, c.code, c.glob)
		}
	}
}

var plainSeconds = regexp.MustCompile(`^[0-9]{1,6}(\.[0-9]{1,9})?$`)

func FuzzParseHeaders(f *testing.F) {
	f.Add("5", "4", "1470173023.123", "1.000", "2", "abcd", "user", "true", "Thu, 01 Jan 2026 00:00:10 GMT", []byte(`{"retry_after":1.3}`))
	f.Add("", "", "", "0.333", "", "", "", "", "", []byte(`<html>`))
	f.Add("x", "-1", "1e99", "NaN", "1.5", "", "global", "1", "garbage", []byte(`{"code":40333}`))
	f.Fuzz(func(t *testing.T, limit, remaining, reset, resetAfter, retryAfter, bucket, scope, global, date string, body []byte) {
		hdr := http.Header{}
		for k, v := range map[string]string{hLimit: limit, hRemaining: remaining, hReset: reset, hResetAfter: resetAfter,
			hRetryAfter: retryAfter, hBucket: bucket, hScope: scope, hGlobal: global, hDate: date} {
			if v != "" {
				hdr[k] = []string{v}
			}
		}
		h := parseHeaders(hdr)
		now := time.Unix(1767225600, 0)
		if d, ok := h.resetIn(now); ok && (d < 0 || d > maxSeconds*time.Second) {
			t.Fatalf("resetIn = %v; want within [0, a week]", d)
		}
		if h.hasRetryAfter && (h.retryAfter < 0 || h.retryAfter > maxSeconds*time.Second) {
			t.Fatalf("retryAfter = %v", h.retryAfter)
		}
		if h.hasLimit && h.limit < 0 || h.hasRemaining && h.remaining < 0 {
			t.Fatalf("negative count: %+v", h)
		}
		if plainSeconds.MatchString(resetAfter) {
			want, _ := strconv.ParseFloat(resetAfter, 64)
			got := h.resetAfter.Seconds()
			if !h.hasResetAfter || got-want > 1e-9 || want-got > 1e-9 {
				t.Fatalf("Reset-After %q read as %v; want %v s exactly", resetAfter, h.resetAfter, want)
			}
		}
		if h.fromEdge() != (!h.any && !h.hasRetryAfter) {
			t.Fatal("fromEdge inconsistent")
		}
		b := parseErrorBody(body)
		if b.retryAfter < 0 || b.retryAfter > maxSeconds*time.Second {
			t.Fatalf("body retry_after = %v", b.retryAfter)
		}
	})
}
