// Package ratelimit keeps Hearth within limits: per-user, per-guild and
// per-channel command cooldowns today; the bucket-aware Discord REST
// limiter and request batching land here next (until then the host runs
// disgo with rest.NewNoopRateLimiter, see docs/known-issues.md).
package ratelimit
