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

// maxRequests bounds the REST log: a load test keeps the newest.
const maxRequests = 100_000

// journal keeps the REST log and counts the 429s by scope over the
// whole run, so counts stay right when the log drops old entries.
type journal struct {
	mu      sync.Mutex
	reqs    []Request
	limited map[string]int
	total   int
}

func (j *journal) add(r Request) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.reqs) >= maxRequests {
		n := copy(j.reqs, j.reqs[len(j.reqs)/2:])
		j.reqs = j.reqs[:n]
	}
	j.reqs = append(j.reqs, r)
	j.total++
	if r.Status == 429 {
		if j.limited == nil {
			j.limited = map[string]int{}
		}
		j.limited[r.Scope]++
	}
}

func (j *journal) all() []Request {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]Request(nil), j.reqs...)
}

// Requests returns the REST requests so far, in the order answered: all
// of them, or the newest 50,000 to 100,000 in a long run.
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

// RequestCount counts every REST request answered since the start, even
// those the log no longer keeps.
func (s *Server) RequestCount() int {
	s.journal.mu.Lock()
	defer s.journal.mu.Unlock()
	return s.journal.total
}

// RateLimited counts the 429 answers of one scope ("user", "global",
// "shared", "cloudflare"); "" counts them all.
func (s *Server) RateLimited(scope string) int {
	s.journal.mu.Lock()
	defer s.journal.mu.Unlock()
	if scope != "" {
		return s.journal.limited[scope]
	}
	n := 0
	for _, c := range s.journal.limited {
		n += c
	}
	return n
}

// InvalidRequests returns the invalid-request count over the trailing
// window (contract A.1.14).
func (s *Server) InvalidRequests() int { return s.invalid.Count(s.clock.Now()) }
