package discordtest

import (
	"net/http"
	"time"
)

// takeForcedGlobal consumes one injected global 429 of a route
// (Inject429 with scope "global"), if one is left.
func (s *Server) takeForcedGlobal(route string) (time.Duration, bool) {
	s.limits.mu.Lock()
	defer s.limits.mu.Unlock()
	f := s.limits.forced[route]
	if f == nil || f.scope != "global" || f.left <= 0 {
		return 0, false
	}
	f.left--
	return f.retryAfter, true
}

// writeGlobal429 sets the headers of a global 429: Retry-After rounded up,
// X-RateLimit-Global and the scope, and no bucket headers (contract
// A.1.5, A.1.8, A.1.9).
func writeGlobal429(h http.Header, retryAfter time.Duration) map[string]any {
	h.Set("Retry-After", retryAfterHeader(retryAfter))
	h.Set("X-RateLimit-Global", "true")
	h.Set("X-RateLimit-Scope", "global")
	return map[string]any{"message": "You are being rate limited.", "retry_after": jsonSeconds(retryAfter), "global": true}
}
