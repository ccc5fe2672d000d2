package ratelimit

import (
	"io"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"time"
)

// RetryTransport is an http.RoundTripper that retries a 5xx answer of an
// idempotent request (GET, HEAD, OPTIONS, PUT, DELETE) a bounded number of
// times with jittered exponential backoff (contract A.1.19, C.19). A 5xx
// answer to POST or PATCH goes straight back to the caller: the request
// may have been carried out, and sending it again could post twice. It
// never retries a 429, which is the Limiter's business, nor an error of
// the transport itself. Give it to disgo through rest.WithHTTPClient.
type RetryTransport struct {
	next     http.RoundTripper
	attempts int
	base     time.Duration
	max      time.Duration
	retries  atomic.Uint64
	gaveUp   atomic.Uint64
}

// RetryOption configures a RetryTransport.
type RetryOption func(*RetryTransport)

// RetryAttempts sets how many times one idempotent request may be sent in
// all (default 3).
func RetryAttempts(n int) RetryOption { return func(t *RetryTransport) { t.attempts = max(n, 1) } }

// RetryBackoff sets the first backoff and its cap (defaults 250 ms and
// 2 s); each retry doubles it, and the wait is drawn between half and one
// and a half times that.
func RetryBackoff(base, max time.Duration) RetryOption {
	return func(t *RetryTransport) {
		if base > 0 {
			t.base = base
		}
		if max >= t.base {
			t.max = max
		}
	}
}

// NewRetryTransport wraps next (http.DefaultTransport when nil).
func NewRetryTransport(next http.RoundTripper, opts ...RetryOption) *RetryTransport {
	if next == nil {
		next = http.DefaultTransport
	}
	t := &RetryTransport{next: next, attempts: 3, base: 250 * time.Millisecond, max: 2 * time.Second}
	for _, o := range opts {
		o(t)
	}
	return t
}

// Retries counts the requests sent again after a 5xx; GaveUp counts the
// 5xx answers passed on after the last attempt.
func (t *RetryTransport) Retries() uint64 { return t.retries.Load() }

// GaveUp counts the 5xx answers returned after the last attempt.
func (t *RetryTransport) GaveUp() uint64 { return t.gaveUp.Load() }

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

func retryable(status int) bool {
	switch status {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// RoundTrip sends req, and sends it again after a 5xx when it may.
func (t *RetryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	if !idempotent(req.Method) || !replayable || t.attempts <= 1 {
		resp, err := t.next.RoundTrip(req)
		if err == nil && retryable(resp.StatusCode) {
			t.gaveUp.Add(1)
		}
		return resp, err
	}
	ctx := req.Context()
	try := req
	for attempt := 1; ; attempt++ {
		resp, err := t.next.RoundTrip(try)
		if err != nil || !retryable(resp.StatusCode) {
			return resp, err
		}
		if attempt >= t.attempts {
			t.gaveUp.Add(1)
			return resp, nil
		}
		wait := t.backoff(attempt, resp.Header.Get(hRetryAfter))
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		case <-timer.C:
		}
		try = req.Clone(ctx)
		if req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			try.Body = body
		}
		t.retries.Add(1)
	}
}

// backoff is the wait before attempt+1: base·2^(attempt-1), capped, with
// ±50% jitter; a Retry-After under the cap is honoured as a floor.
func (t *RetryTransport) backoff(attempt int, retryAfter string) time.Duration {
	d := t.base << (attempt - 1)
	if d > t.max || d <= 0 {
		d = t.max
	}
	d = time.Duration(float64(d) * (0.5 + rand.Float64()))
	if ra, ok := parseSeconds(retryAfter); ok && ra <= t.max && ra > d {
		d = ra
	}
	return d
}
