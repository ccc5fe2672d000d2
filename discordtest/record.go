package discordtest

import (
	"sync"
	"time"
)

// Request is one REST request as the emulator answered it.
type Request struct {
	Time     time.Time
	Method   string
	Path     string // as sent, under /api/v10
	Route    string // the route template, "POST /channels/{channel_id}/messages"; "" when unknown
	Major    string // the major parameter value the limit was counted on
	Bucket   string // X-RateLimit-Bucket, "" when none
	Status   int
	Code     int    // the JSON error code of an error answer
	Scope    string // for a 429: "user", "global", "shared" or "cloudflare"
	Invalid  bool   // counted toward the invalid-request limit
	Reason   string // X-Audit-Log-Reason, decoded
	Duration time.Duration
}

// journal keeps the REST log.
type journal struct {
	mu   sync.Mutex
	reqs []Request
}

func (j *journal) add(r Request) {
	j.mu.Lock()
	j.reqs = append(j.reqs, r)
	j.mu.Unlock()
}

func (j *journal) all() []Request {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]Request(nil), j.reqs...)
}

// Requests returns every REST request so far, in the order answered.
func (s *Server) Requests() []Request { return s.journal.all() }

// RequestsTo returns the requests to one route template, such as
// "POST /channels/{channel_id}/messages".
func (s *Server) RequestsTo(route string) []Request {
	var out []Request
	for _, r := range s.journal.all() {
		if r.Route == route {
			out = append(out, r)
		}
	}
	return out
}

// RateLimited counts the 429 answers of one scope ("user", "global",
// "shared", "cloudflare"); "" counts them all.
func (s *Server) RateLimited(scope string) int {
	n := 0
	for _, r := range s.journal.all() {
		if r.Status == 429 && (scope == "" || r.Scope == scope) {
			n++
		}
	}
	return n
}

// InvalidRequests returns the invalid-request count over the trailing
// window (contract A.1.14).
func (s *Server) InvalidRequests() int { return s.invalid.Count(s.clock.Now()) }
