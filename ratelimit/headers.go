package ratelimit

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"time"
)

// Canonical header names, so that reading them never allocates.
const (
	hBucket     = "X-Ratelimit-Bucket"
	hLimit      = "X-Ratelimit-Limit"
	hRemaining  = "X-Ratelimit-Remaining"
	hReset      = "X-Ratelimit-Reset"
	hResetAfter = "X-Ratelimit-Reset-After"
	hGlobal     = "X-Ratelimit-Global"
	hScope      = "X-Ratelimit-Scope"
	hRetryAfter = "Retry-After"
	hDate       = "Date"
)

// maxSeconds caps every duration read from Discord: no answer asks for a
// wait of more than a week, and the cap keeps arithmetic from overflowing.
const maxSeconds = 7 * 24 * 3600

// limitHeaders is what one answer's headers say about rate limits
// (contract A.1.4 to A.1.9).
type limitHeaders struct {
	bucket string
	scope  string
	global bool
	// any is true when at least one X-RateLimit-* header came.
	any bool

	limit, remaining       int
	hasLimit, hasRemaining bool

	resetAfter    time.Duration
	hasResetAfter bool
	reset         time.Time // X-RateLimit-Reset, epoch seconds
	hasReset      bool
	date          time.Time // the server's Date
	hasDate       bool

	retryAfter    time.Duration // the Retry-After header
	hasRetryAfter bool
}

// parseHeaders reads the rate-limit headers of an answer. Malformed
// values count as absent; it never fails and never allocates for the
// headers Discord sends.
func parseHeaders(h http.Header) limitHeaders {
	var l limitHeaders
	if v := h.Get(hBucket); v != "" {
		l.bucket, l.any = v, true
	}
	if v := h.Get(hLimit); v != "" {
		l.any = true
		l.limit, l.hasLimit = parseCount(v)
	}
	if v := h.Get(hRemaining); v != "" {
		l.any = true
		l.remaining, l.hasRemaining = parseCount(v)
	}
	if v := h.Get(hResetAfter); v != "" {
		l.any = true
		l.resetAfter, l.hasResetAfter = parseSeconds(v)
	}
	if v := h.Get(hReset); v != "" {
		l.any = true
		l.reset, l.hasReset = parseEpoch(v)
	}
	if v := h.Get(hGlobal); v != "" {
		l.any = true
		l.global = v == "true" || v == "True" || v == "1"
	}
	if v := h.Get(hScope); v != "" {
		l.any = true
		l.scope = v
		if v == "global" {
			l.global = true
		}
	}
	if v := h.Get(hRetryAfter); v != "" {
		l.retryAfter, l.hasRetryAfter = parseSeconds(v)
	}
	if l.hasReset && !l.hasResetAfter {
		// Only then is the Date needed: parsing it costs.
		if v := h.Get(hDate); v != "" {
			if t, err := http.ParseTime(v); err == nil {
				l.date, l.hasDate = t, true
			}
		}
	}
	return l
}

// resetIn is how long until the bucket resets, as of the moment the answer
// was received: Reset-After when present (millisecond precision, no
// clock involved), else Reset measured against the server's Date (never
// the local clock, which may drift), else Reset against local.
func (l *limitHeaders) resetIn(local time.Time) (time.Duration, bool) {
	switch {
	case l.hasResetAfter:
		return l.resetAfter, true
	case l.hasReset && l.hasDate:
		// Date has whole seconds and is truncated, so this can only
		// overestimate, by less than a second: the safe side.
		return clampDuration(l.reset.Sub(l.date)), true
	case l.hasReset:
		return clampDuration(l.reset.Sub(local)), true
	}
	return 0, false
}

// fromEdge reports whether a 429 says nothing about rate limits: a
// 429 with neither X-RateLimit-* headers nor Retry-After comes from
// Discord's edge, not the API (contract A.4 O4).
func (l *limitHeaders) fromEdge() bool { return !l.any && !l.hasRetryAfter }

func clampDuration(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	if d > maxSeconds*time.Second {
		return maxSeconds * time.Second
	}
	return d
}

// parseCount reads a non-negative decimal integer.
func parseCount(s string) (int, bool) {
	if s == "" || len(s) > 10 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// parseDecimal reads "123" or "123.456789" (no sign, no exponent) as
// whole seconds and nanoseconds, rounding up past the ninth decimal so
// that a wait is never shortened. Whole seconds above max are clamped.
func parseDecimal(s string, max int64) (sec, nsec int64, ok bool) {
	if s == "" || len(s) > 40 {
		return 0, 0, false
	}
	i, digits := 0, 0
	for ; i < len(s) && s[i] != '.'; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, 0, false
		}
		digits++
		if sec <= max {
			sec = sec*10 + int64(c-'0')
		}
	}
	if i < len(s) { // the fraction
		i++
		frac := 0
		up := false
		for ; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, 0, false
			}
			digits++
			switch {
			case frac < 9:
				nsec = nsec*10 + int64(c-'0')
				frac++
			case c != '0':
				up = true
			}
		}
		for ; frac < 9; frac++ {
			nsec *= 10
		}
		if up {
			nsec++
		}
	}
	if digits == 0 {
		return 0, 0, false
	}
	if sec > max {
		return max, 0, true
	}
	if nsec >= 1e9 {
		sec, nsec = sec+1, nsec-1e9
	}
	return sec, nsec, true
}

// parseSeconds reads a duration in fractional seconds (Reset-After,
// Retry-After, retry_after) with nanosecond precision.
func parseSeconds(s string) (time.Duration, bool) {
	sec, nsec, ok := parseDecimal(s, maxSeconds)
	if !ok {
		return 0, false
	}
	return time.Duration(sec)*time.Second + time.Duration(nsec), true
}

// parseEpoch reads X-RateLimit-Reset, epoch seconds with a fraction.
func parseEpoch(s string) (time.Time, bool) {
	sec, nsec, ok := parseDecimal(s, 1<<40)
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(sec, nsec), true
}

// errorBody is what a 4xx body may say: a 429's retry_after and global
// (contract A.1.7), and the JSON error code of any error.
type errorBody struct {
	retryAfter    time.Duration
	hasRetryAfter bool
	global        bool
	code          int
	json          bool
}

// parseErrorBody reads an error answer's JSON body. HTML or anything else
// that is not JSON gives the zero value; it never fails.
func parseErrorBody(b []byte) errorBody {
	var out errorBody
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return out
	}
	var v struct {
		RetryAfter json.Number `json:"retry_after"`
		Global     bool        `json:"global"`
		Code       json.Number `json:"code"`
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return out
	}
	out.json, out.global = true, v.Global
	if c, err := strconv.Atoi(string(v.Code)); err == nil {
		out.code = c
	}
	if v.RetryAfter != "" {
		if d, ok := parseSeconds(string(v.RetryAfter)); ok {
			out.retryAfter, out.hasRetryAfter = d, true
		} else if f, err := v.RetryAfter.Float64(); err == nil && f >= 0 && !math.IsInf(f, 0) && !math.IsNaN(f) {
			// An exponent form: keep millisecond precision, rounded up.
			ms := math.Ceil(math.Min(f, maxSeconds) * 1000)
			out.retryAfter, out.hasRetryAfter = time.Duration(ms)*time.Millisecond, true
		}
	}
	return out
}
