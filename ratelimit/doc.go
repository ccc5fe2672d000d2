// Package ratelimit keeps Hearth within Discord's limits: the REST rate
// limiter disgo uses (Limiter), a transport that retries 5xx answers
// (RetryTransport), request batching (Coalescer, Purge), and per-user,
// per-guild and per-channel command cooldowns (Cooldowns). Item numbers
// (A.1.4, C.8, ...) refer to shared/discord/CONTRACT.md.
//
// # How disgo drives the Limiter
//
// Limiter implements disgo's rest.RateLimiter; one Limiter serves every
// shard and goroutine of the process (rest.WithRateLimiter). For each
// attempt of a request, disgo v0.19.6 calls Wait, sends the request, and
// calls Unlock with the answer before reading its body (with nil when no
// answer came). On a 429 it tries again, up to MaxRetries attempts in all,
// unless Unlock returned an error, which it wraps with %w. The
// *rest.CompiledEndpoint is the same pointer across the attempts of one
// request: it pairs Wait with Unlock, and a retry keeps its place in its
// queue. Endpoint.BotAuth is false for interaction and webhook routes.
//
// # Keys and queues
//
// A request waits in the queue of its key: (method, route template, major
// parameter) while the route's X-RateLimit-Bucket is unknown, then (bucket
// hash, major parameter) (A.1.1 to A.1.3). Routes that answer with the
// same hash therefore share one queue; when a route first answers with its
// hash, or answers with a new one, its waiting requests move to that
// queue, merged in arrival order with those already there (C.3, C.8). Two
// hard-coded cases follow the contract: every reaction change in a channel
// is one route before its hash is known (A.4 O3, C.13), and a message
// delete is keyed by the message's age, under 10 s, under 14 days or older,
// which decides its bucket (A.4 O2).
//
// Each queue is FIFO. A queue whose bucket is unknown lets one request
// (a probe) go at a time (C.1). Once the headers are known, up to
// Remaining requests are in flight at once, never more: Remaining is
// decremented as requests go, and an answer can only lower it, to what it
// says less the requests still in flight that it may not count yet. Only
// an answer to a request alone on the wire from start to end is exact; a
// probe's answer counts less every request that overlapped its flight,
// since Discord may have counted any of them after it, even one answered
// before it. When the bucket is back to full (its reset), one probe
// goes first, so that a changed hash or limit, or someone else's use of
// the bucket, is seen before a burst. A route that answers without
// rate-limit headers is unlimited and counts only against the global
// budget (C.10). The probe of a route not yet known waits while a known
// bucket on the same major parameter is spent, and known buckets keep a
// slot for such probes in flight: the two may turn out to share a bucket.
//
// Windows may slide (A.4 O1): a slot frees a period after its request,
// while Reset-After says when the last one frees. So each queue also keeps
// a ledger of the slots its own requests hold: an answered request holds
// its slot until the answer's arrival plus its Reset-After, which is never
// before the slot really frees, in a fixed window or a sliding one. While
// the answers agree with the ledger (Discord counts no more slots than it
// holds and requests on the wire, so no one else uses the bucket), a
// request also goes whenever the ledger has room: a window spread out by
// the global budget is used again as its slots free, not only at the full
// reset. An answer that counts more turns the ledger off until a probe's
// answer agrees again.
//
// Times have millisecond precision: the reset is Reset-After after the
// answer arrived (disgo truncates to whole seconds, C.9); with only
// X-RateLimit-Reset it is measured against the answer's Date header, never
// the local clock. A small margin (2 ms) covers Reset-After's truncation
// to the millisecond.
//
// # The global budget
//
// Every request except interaction callbacks and interaction webhooks
// (A.1.12) passes a global budget, 50 per second by default
// (WithGlobalLimit): at most that many in any window of one second plus a
// 25 ms margin, counted on when requests were let go. That keeps under
// both a fixed and a sliding server window (C.6, A.4 O8). Requests wait
// for it in FIFO order, holding their place in their own queue.
//
// # 429 answers
//
// By X-RateLimit-Scope (A.1.5 to A.1.10): global pauses every
// non-interaction request for retry_after (C.5); user pauses the key
// (C.4, C.12); shared pauses the key and is not counted as invalid
// (C.11). retry_after is read from the body, which is read and put back
// for disgo; the Retry-After header, rounded up to whole seconds, is the
// fallback. A 429 with neither rate-limit headers nor Retry-After comes
// from Discord's edge, a Cloudflare ban (A.4 O4, C.14), as does a 403 with
// code 40333: every request then fails at once with a *BanError for five
// minutes, after which one request tests the ban; each time it is still
// there the back-off doubles, up to an hour. An alert goes out
// (WithAlert).
//
// Retries are bounded by MaxRetries, and no request waits longer than its
// maximum (WithMaxWait): a request whose wait is known to be longer, from
// a pause, a reset, the requests ahead of it or the caller's deadline,
// fails at once with a *WaitError (ErrWaitTooLong); one still waiting when
// the maximum passes fails then.
//
// # Invalid requests
//
// 401, 403 and non-shared 429 answers are counted over a sliding ten
// minutes (A.1.14). At a share of Discord's 10,000 (half by default,
// WithInvalidRequestWarn) the Limiter warns, alerts, and sheds requests
// whose context is marked NonEssential (ErrShed). After a 401 on a request
// sent with the bot token, every bot-token request fails locally with
// ErrTokenInvalid; a 401 on an interaction or webhook route (50027, an
// expired interaction token) says nothing about the bot token and only
// retires that token. A webhook that answered 404 Unknown Webhook is never
// called again (ErrWebhookGone, C.16). 5xx answers never reach the
// Limiter: RetryTransport retries them for idempotent methods only (C.19).
//
// # Concurrency, memory and shutdown
//
// One mutex guards the Limiter; Wait and Unlock of a request on a known
// bucket with room take it once each and allocate nothing. The Limiter
// starts no goroutine of its own: it sleeps on timers of its Clock
// (WithClock, for tests), one per waiting queue and one for the global
// budget. A caller's context ending frees its place, or its slot if it had
// been let go but not sent (C.18). Queues idle for ten minutes are
// forgotten (WithIdleExpiry), so a key per interaction does not pile up.
// Close refuses new and waiting requests (ErrClosed), stops every timer,
// and waits for the requests in flight, but never past its context.
//
// # Metrics
//
// Stats reports counters and gauges for a collector to read at scrape
// time: requests let go, in flight and waiting, live keys, 429s by scope,
// requests refused by reason, the invalid-request count, bans, and the
// histogram of wait times. RetryTransport and Coalescer count their own.
//
// # Batching
//
// Coalescer merges the lines queued for a channel within a short window
// into as few messages as Discord allows, with a maximum delay and a
// bounded queue, for log and alert feeds. Purge deletes messages in as
// few requests as Discord allows: bulk delete by hundreds for messages
// under 14 days, one by one for older ones (A.1.21).
package ratelimit
