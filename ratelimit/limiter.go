package ratelimit

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/disgoorg/disgo/rest"
	"go.uber.org/zap"
)

// Limiter is Hearth's REST rate limiter: disgo's rest.RateLimiter, bucket
// aware, with a global budget, bounded waits and retries, and the
// invalid-request guard. doc.go states its design. Build it with New and
// hand it to rest.WithRateLimiter; one Limiter serves the whole process.
type Limiter struct {
	cfg   config
	log   *zap.Logger
	clock Clock

	mu      sync.Mutex
	closed  bool
	drained chan struct{}

	// hashes maps a route to the X-RateLimit-Bucket it answers with.
	hashes  map[routeID]string
	buckets map[bucketKey]*bucket
	// tickets pairs Wait with Unlock by disgo's *CompiledEndpoint, the
	// same pointer across a request's attempts; extra holds the rare
	// second request on one endpoint value.
	tickets map[*rest.CompiledEndpoint]ticket
	extra   map[*rest.CompiledEndpoint][]ticket
	// retrying keeps the place of a request disgo is about to retry.
	retrying map[*rest.CompiledEndpoint]retryMark
	// gone holds the webhooks (by major parameter) that answered 404
	// Unknown Webhook, and interaction tokens that answered 401.
	gone map[string]time.Time

	// later lists queues to pump once the answer being settled is applied.
	later []*bucket

	// preHash counts, per major parameter, the requests in flight from
	// queues whose hash was not known when they went.
	preHash map[string]int

	global   pacer
	seq      uint64
	inflight int
	queued   int

	tokenInvalid bool
	ban          banState
	invalid      tally
	shedding     bool
	lastSweep    time.Time
	// sweepAt is the number of queues at which the next sweep comes
	// early: twice as many as the last one left, so that a queue per
	// interaction costs amortised O(1) to forget at any rate.
	sweepAt int

	n      counters
	alerts []Alert
}

type retryMark struct {
	seq uint64
	at  time.Time
}

type banState struct {
	active  bool
	until   time.Time
	backoff time.Duration
	reason  string
	probing bool
}

// New returns a Limiter. Close it after the REST client's last request.
func New(opts ...Option) *Limiter {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	return &Limiter{
		cfg: cfg, log: cfg.log, clock: cfg.clock,
		hashes: map[routeID]string{}, buckets: map[bucketKey]*bucket{}, sweepAt: minSweepAt,
		tickets: map[*rest.CompiledEndpoint]ticket{}, extra: map[*rest.CompiledEndpoint][]ticket{},
		retrying: map[*rest.CompiledEndpoint]retryMark{}, gone: map[string]time.Time{}, preHash: map[string]int{},
		global: newPacer(cfg.globalPerSecond, cfg.globalMargin),
	}
}

// MaxRetries is how many times disgo may send one request in all when it
// is answered 429 (disgo counts the first attempt).
func (l *Limiter) MaxRetries() int { return l.cfg.maxRetries }

// nonEssentialKey marks a context whose requests may be shed.
type nonEssentialKey struct{}

// NonEssential marks ctx's requests as ones the Limiter may drop (with
// ErrShed) while the invalid-request count is above the warning share:
// log lines, reactions, cosmetic edits. Pass it with rest.WithCtx.
func NonEssential(ctx context.Context) context.Context {
	return context.WithValue(ctx, nonEssentialKey{}, true)
}

func isNonEssential(ctx context.Context) bool {
	v, _ := ctx.Value(nonEssentialKey{}).(bool)
	return v
}

// Wait holds a request until its key and the global budget let it go, in
// FIFO order per key. It fails at once, without sending, when the wait is
// known to pass the maximum or ctx's deadline, when the token or the
// webhook is known bad, during a Cloudflare ban, and for a shed request.
func (l *Limiter) Wait(ctx context.Context, ep *rest.CompiledEndpoint) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := l.clock.Now()
	e := ep.Endpoint
	info := classify(e.Method, e.Route, ep.URL, ep.MajorParams, e.BotAuth, now)

	l.mu.Lock()
	banProbe, err := l.refuse(ctx, &info, now)
	if err != nil {
		l.mu.Unlock()
		l.deliverAlerts()
		return err
	}
	if d := now.Sub(l.lastSweep); d >= time.Minute || (len(l.buckets) >= l.sweepAt && d >= time.Second) {
		l.sweep(now)
	}
	b := l.bucketFor(keyFor(info, l.hashes[info.id]), now)
	b.lastUsed = now
	l.seq++
	seq := l.seq
	if m, ok := l.retrying[ep]; ok {
		seq = m.seq
		delete(l.retrying, ep)
	}

	// The fast path: nobody ahead, the key and the global budget have room.
	if len(b.waiters) == 0 {
		if ok, _ := l.admit(b, now); ok && (info.exempt || !l.global.on() ||
			(len(l.global.queue) == 0 && !l.global.freeAt(now).After(now))) {
			t := ticket{info: info, seq: seq, banProbe: banProbe}
			l.take(b, &t)
			t.sent = true
			b.wire++
			if !info.exempt {
				l.global.take(now)
			}
			l.putTicket(ep, t)
			l.inflight++
			l.n.requests++
			l.n.observeWait(0)
			l.mu.Unlock()
			return nil
		}
	}

	w := &waiter{ep: ep, info: info, seq: seq, b: b, ready: make(chan struct{}), since: now}
	w.t.banProbe = banProbe
	b.insert(w)
	l.queued++
	if werr := l.tooLong(ctx, w, now); werr != nil {
		b.remove(w)
		l.queued--
		if banProbe {
			l.ban.probing = false
		}
		l.n.refused[refusedWaitTooLong]++
		l.mu.Unlock()
		return werr
	}
	l.pump(b, now)
	var deadline Timer
	if w.stage != stageReleased {
		deadline = l.clock.AfterFunc(l.cfg.maxWait, func() { l.expire(w) })
	}
	l.mu.Unlock()

	select {
	case <-w.ready:
	case <-ctx.Done():
		l.abandon(w, context.Cause(ctx))
	}
	if deadline != nil {
		deadline.Stop()
	}
	l.deliverAlerts()
	if w.err != nil {
		return w.err
	}
	return nil
}

// refuse fails a request that must not be sent at all. It reports
// whether the request is the one that tests a ban that may be over.
func (l *Limiter) refuse(ctx context.Context, in *routeInfo, now time.Time) (banProbe bool, err error) {
	switch {
	case l.closed:
		l.n.refused[refusedClosed]++
		return false, ErrClosed
	case in.botAuth && l.tokenInvalid:
		l.n.refused[refusedToken]++
		return false, ErrTokenInvalid
	case in.webhook && l.isGone(in.major):
		l.n.refused[refusedWebhook]++
		return false, ErrWebhookGone
	}
	if l.ban.active {
		if now.Before(l.ban.until) || l.ban.probing {
			l.n.refused[refusedBanned]++
			return false, &BanError{Until: l.ban.until, Reason: l.ban.reason}
		}
		l.ban.probing = true
		banProbe = true
	}
	if l.shedding && isNonEssential(ctx) {
		if l.updateShedding(now); l.shedding {
			l.n.refused[refusedShed]++
			return false, ErrShed
		}
	}
	return banProbe, nil
}

// tooLong says whether w's wait is known to pass the maximum or ctx's
// deadline: the key's pause or reset, the windows the requests ahead
// need, and a global pause.
func (l *Limiter) tooLong(ctx context.Context, w *waiter, now time.Time) error {
	b := w.b
	at, scope := now, "bucket"
	if now.Before(b.pauseUntil) {
		at, scope = b.pauseUntil, "key"
	}
	if b.state == stateOpen && now.Before(b.resetAt) {
		ahead := b.position(w)
		if ahead >= b.remaining {
			t := b.resetAt
			if b.limit > 0 {
				t = t.Add(time.Duration((ahead-b.remaining)/b.limit) * b.period)
			}
			if t.After(at) {
				at, scope = t, "bucket"
			}
		}
	}
	if !w.info.exempt && l.global.pausedUntil.After(at) {
		at, scope = l.global.pausedUntil, "global"
	}
	wait := at.Sub(now)
	if wait > l.cfg.maxWait {
		return &WaitError{Route: w.info.id.String(), Scope: scope, Wait: wait, Max: l.cfg.maxWait}
	}
	if d, ok := ctx.Deadline(); ok && at.After(d) {
		return &WaitError{Route: w.info.id.String(), Scope: "deadline", Wait: wait, Max: d.Sub(now), Cause: context.DeadlineExceeded}
	}
	return nil
}

// pump lets go as many of b's waiters as its key allows, in order, and
// arms a timer for when it may let go more.
func (l *Limiter) pump(b *bucket, now time.Time) {
	for len(b.waiters) > 0 && !l.closed {
		ok, at := l.admit(b, now)
		if !ok {
			if !at.IsZero() {
				l.armBucket(b, at, now)
			}
			break
		}
		w := b.popFront()
		w.t.info, w.t.seq = w.info, w.seq
		l.take(b, &w.t)
		if w.info.exempt || !l.global.on() {
			l.release(w, now)
			continue
		}
		w.stage = stageGlobal
		l.global.insert(w)
	}
	l.pumpGlobal(now)
}

// pumpGlobal lets go the requests waiting for the global budget, in order.
func (l *Limiter) pumpGlobal(now time.Time) {
	g := &l.global
	for len(g.queue) > 0 && !l.closed {
		at := g.freeAt(now)
		if at.After(now) {
			l.armGlobal(at, now)
			return
		}
		w := g.queue[0]
		g.queue[0] = nil
		g.queue = g.queue[1:]
		g.take(now)
		l.release(w, now)
	}
}

// release lets a waiter's request go.
func (l *Limiter) release(w *waiter, now time.Time) {
	w.stage = stageReleased
	w.t.sent = true
	w.t.b.resolve().wire++
	l.queued--
	l.inflight++
	l.n.requests++
	l.n.observeWait(now.Sub(w.since))
	l.putTicket(w.ep, w.t)
	close(w.ready)
}

// fail refuses a waiter that has not been let go, returning its slot.
func (l *Limiter) fail(w *waiter, err error) {
	switch w.stage {
	case stageQueued:
		w.b.remove(w)
	case stageGlobal:
		l.global.remove(w)
		b, pre := l.untake(&w.t)
		b.notCounted(&w.t)
		if pre {
			defer l.pumpMajor(w.info.major, l.clock.Now())
		}
	default:
		return
	}
	if w.t.banProbe {
		l.ban.probing = false
	}
	w.stage, w.err = stageFailed, err
	l.queued--
	close(w.ready)
}

// expire fails a waiter still held when its maximum wait passes.
func (l *Limiter) expire(w *waiter) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if w.stage != stageQueued && w.stage != stageGlobal {
		return
	}
	now := l.clock.Now()
	b := w.b.resolve()
	l.fail(w, &WaitError{Route: w.info.id.String(), Scope: "queue", Wait: now.Sub(w.since), Max: l.cfg.maxWait})
	l.n.refused[refusedWaitTooLong]++
	l.pump(b, now)
}

// abandon handles a caller's context ending while its request waits: its
// place, or its slot if it was just let go, passes to the next (C.18).
func (l *Limiter) abandon(w *waiter, cause error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	switch w.stage {
	case stageQueued, stageGlobal:
		b := w.b.resolve()
		l.fail(w, cause)
		l.pump(b, now)
	case stageReleased:
		// Let go but never sent: take the ticket back.
		if t, ok := l.takeTicket(w.ep, w.seq); ok {
			b, pre := l.untake(&t)
			b.notCounted(&t)
			if t.banProbe {
				l.ban.probing = false
			}
			l.doneInflight()
			l.pump(b, now)
			if pre {
				l.pumpMajor(t.info.major, now)
			}
		}
		w.err = cause
	}
}

// Unlock reads the answer of a request let go by Wait (nil when none came)
// and returns an error to stop disgo from retrying a 429 it should not
// retry: a wait past the maximum (*WaitError) or a Cloudflare ban
// (*BanError). For the fractional retry_after it reads a 429's body and
// puts it back.
func (l *Limiter) Unlock(ep *rest.CompiledEndpoint, resp *http.Response) error {
	var h limitHeaders
	var body errorBody
	if resp != nil {
		h = parseHeaders(resp.Header)
		if wantsBody(resp.StatusCode) {
			body = parseErrorBody(peekBody(resp))
		}
	}
	now := l.clock.Now()
	l.mu.Lock()
	t, ok := l.takeTicket(ep, 0)
	if !ok {
		l.mu.Unlock()
		return nil
	}
	err := l.settle(ep, &t, resp, &h, &body, now)
	l.mu.Unlock()
	l.deliverAlerts()
	return err
}

// wantsBody says which answers the Limiter reads the body of: 429s for
// retry_after, and errors whose JSON code decides a fuse.
func wantsBody(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusUnauthorized ||
		status == http.StatusForbidden || status == http.StatusNotFound
}

// peekBody reads up to 64 KiB of resp's body and puts everything back, so
// disgo still reads the whole body.
func peekBody(resp *http.Response) []byte {
	if resp.Body == nil || resp.Body == http.NoBody {
		return nil
	}
	orig := resp.Body
	b, _ := io.ReadAll(io.LimitReader(orig, 64<<10))
	// What was read, then the rest (and a read error) from the original,
	// which disgo's deferred Close still closes.
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), orig), orig}
	return b
}

// settle applies an answer: hash, headers, scopes, fuses and counts.
func (l *Limiter) settle(ep *rest.CompiledEndpoint, t *ticket, resp *http.Response, h *limitHeaders, body *errorBody, now time.Time) error {
	b, pre := l.untake(t)
	if pre {
		defer l.pumpMajor(t.info.major, now)
	}
	defer l.pumpLater(now)
	l.doneInflight()
	if t.banProbe {
		l.ban.probing = false
	}
	if resp == nil {
		b.unanswered(t, now, l.cfg.resetMargin)
		l.pump(b, now)
		return nil
	}
	status := resp.StatusCode
	edge := status == http.StatusTooManyRequests && h.fromEdge() ||
		status == http.StatusForbidden && body.code == 40333
	if t.banProbe && !edge {
		l.liftBan(now)
	}

	target := b
	if h.bucket != "" && !edge {
		target = l.learn(t.info, h.bucket, b, now)
	}
	if status == http.StatusTooManyRequests {
		return l.limited(ep, t, b, target, h, body, now)
	}

	switch {
	case target.apply(h, t, now, l.cfg.resetMargin, true, l.preHash[t.info.major]):
	case status < 300 && !h.any:
		// No rate-limit headers on a success: the route is unlimited
		// (contract C.10), counted only in the global budget.
		if target.probing && target.probeSeq == t.seq {
			target.probing = false
		}
		if target.state == stateUnknown || target.state == stateStale {
			target.state = stateUnlimited
		}
	default:
		target.unanswered(t, now, l.cfg.resetMargin)
	}

	switch status {
	case http.StatusUnauthorized:
		l.countInvalid(now)
		if t.info.botAuth {
			l.refuseToken(now)
		} else if t.info.webhook {
			// An interaction token past 15 minutes (50027) or a webhook
			// token gone: that token only, never the bot's (C.15).
			l.markGone(t.info.major, now)
		}
	case http.StatusForbidden:
		l.countInvalid(now)
		if body.code == 40333 {
			l.startBan(now, "403 code 40333")
		}
	case http.StatusNotFound:
		if t.info.webhook && (body.code == 10015 || body.code == 0 && t.info.onWebhook) {
			l.markGone(t.info.major, now)
		}
	}
	l.pump(target, now)
	if target != b {
		l.pump(b, now)
	}
	return nil
}

// limited handles a 429 by its scope (contract A.1.5 to A.1.10, C.4, C.5,
// C.11, C.12, C.14).
func (l *Limiter) limited(ep *rest.CompiledEndpoint, t *ticket, b, target *bucket, h *limitHeaders, body *errorBody, now time.Time) error {
	defer func() {
		l.pump(target, now)
		if target != b {
			l.pump(b, now)
		}
	}()
	if h.fromEdge() {
		l.n.limited[scopeEdge]++
		l.countInvalid(now)
		target.unanswered(t, now, l.cfg.resetMargin)
		return l.startBan(now, "429 without rate-limit headers")
	}
	retry, ok := body.retryAfter, body.hasRetryAfter
	if !ok {
		retry, ok = h.retryAfter, h.hasRetryAfter
	}
	if !ok {
		// Headers but no wait: assume the bucket's reset, at least a second.
		retry, _ = h.resetIn(now)
		retry = max(retry, time.Second)
	}
	retry = max(retry, time.Millisecond) // never 0 (C.9)
	until := now.Add(retry + l.cfg.resetMargin)
	route := t.info.id.String()

	scope := h.scope
	if h.global || body.global {
		scope = "global"
	}
	switch scope {
	case "global":
		l.n.limited[scopeGlobal]++
		l.countInvalid(now)
		l.global.pausedUntil = later(l.global.pausedUntil, now.Add(retry+l.cfg.globalMargin))
		l.log.Warn("global rate limit hit; pausing every non-interaction request",
			zap.String("route", route), zap.Duration("retry_after", retry))
		// Refused before any bucket counted it: the slot comes back.
		target.notCounted(t)
		l.armGlobal(l.global.pausedUntil, now)
	case "shared":
		// Not counted as invalid (A.1.14); only this key waits (C.11).
		l.n.limited[scopeShared]++
		target.notCounted(t)
		target.apply(h, t, now, l.cfg.resetMargin, false, l.preHash[t.info.major])
		target.pauseUntil = later(target.pauseUntil, until)
		l.log.Info("shared rate limit; holding this resource",
			zap.String("route", route), zap.String("major", t.info.major), zap.Duration("retry_after", retry))
	default: // "user", or no scope
		l.n.limited[scopeUser]++
		l.countInvalid(now)
		target.notCounted(t) // a refused request uses no slot
		if !target.apply(h, t, now, l.cfg.resetMargin, false, l.preHash[t.info.major]) {
			target.unanswered(t, now, l.cfg.resetMargin)
		}
		target.pauseUntil = later(target.pauseUntil, until)
		l.log.Warn("rate limited on a route",
			zap.String("route", route), zap.String("major", t.info.major), zap.Duration("retry_after", retry),
			zap.Int("remaining_header", h.remaining))
	}
	if retry > l.cfg.maxWait {
		l.n.refused[refusedWaitTooLong]++
		return &WaitError{Route: route, Scope: scope, Wait: retry, Max: l.cfg.maxWait}
	}
	// disgo retries this request: it keeps its place in the queue.
	l.retrying[ep] = retryMark{seq: t.seq, at: now}
	return nil
}

// learn records that t's route answers with hash and moves every queue of
// that route to the hash's queue: the route's own queues before the hash
// was known, merged into one if several routes share it (C.3), and its
// waiters on another hash's queue if the hash changed (C.8). It returns
// the queue of (hash, major) the answer speaks for.
func (l *Limiter) learn(in routeInfo, hash string, b *bucket, now time.Time) *bucket {
	old, known := l.hashes[in.id]
	if known && old == hash {
		if b.key.hash == hash {
			return b
		}
		return l.bucketFor(bucketKey{hash: hash, major: b.key.major}, now)
	}
	l.hashes[in.id] = hash
	if known {
		l.log.Info("a route's rate-limit bucket changed", zap.String("route", in.id.String()),
			zap.String("from", old), zap.String("to", hash))
	}
	var moves []*bucket
	for _, x := range l.buckets {
		if x.key.hash == "" && x.key.route == in.id || known && x.key.hash == old {
			moves = append(moves, x)
		}
	}
	for _, x := range moves {
		to := bucketKey{hash: hash, major: x.key.major}
		if x.key.hash == "" {
			l.rekey(x, to, now)
			continue
		}
		// Another hash's queue: move this route's waiters only.
		var dst *bucket
		kept := x.waiters[:0]
		for _, w := range x.waiters {
			if w.info.id != in.id {
				kept = append(kept, w)
				continue
			}
			if dst == nil {
				dst = l.bucketFor(to, now)
			}
			w.b = dst
			dst.insert(w)
		}
		for i := len(kept); i < len(x.waiters); i++ {
			x.waiters[i] = nil
		}
		x.waiters = kept
		if dst != nil {
			l.later = append(l.later, dst)
		}
	}
	return l.bucketFor(bucketKey{hash: hash, major: b.key.major}, now).resolve()
}

// pumpLater pumps the queues a merge touched, once the answer that caused
// it is applied: before, they would let requests go on what they knew
// without it.
func (l *Limiter) pumpLater(now time.Time) {
	for len(l.later) > 0 {
		b := l.later[len(l.later)-1]
		l.later = l.later[:len(l.later)-1]
		l.pump(b.resolve(), now)
	}
}

// rekey moves a route's queue under the hash's key, merging it into the
// queue already there.
func (l *Limiter) rekey(x *bucket, to bucketKey, now time.Time) {
	delete(l.buckets, x.key)
	dst, ok := l.buckets[to]
	if !ok {
		x.key = to
		l.buckets[to] = x
		return
	}
	for _, w := range x.waiters {
		w.b = dst
		dst.insert(w)
	}
	x.waiters = nil
	dst.inflight += x.inflight
	dst.wire += x.wire
	x.inflight, x.wire = 0, 0
	if x.probing {
		if dst.state == stateUnknown || dst.state == stateStale {
			if !dst.probing {
				dst.probing, dst.probeSeq = true, x.probeSeq
			}
		}
		x.probing = false
	}
	if x.pauseUntil.After(dst.pauseUntil) {
		dst.pauseUntil = x.pauseUntil
	}
	dst.lastUsed = later(dst.lastUsed, x.lastUsed)
	x.forward = dst
	l.stopBucketTimer(x)
	l.later = append(l.later, dst)
}

// admit is bucket.admit with what the Limiter knows of other queues on
// the same major parameter. A route whose hash is not known yet may share
// the bucket of a known route there (contract C.3, A.1.1): its probe
// waits while such a bucket is spent, and a known bucket keeps a slot for
// each such probe in flight. Only a route's first requests in the
// process are ever unknown, so the caution costs little.
func (l *Limiter) admit(b *bucket, now time.Time) (bool, time.Time) {
	unseen := 0
	if len(l.preHash) > 0 && b.key.hash != "" {
		unseen = l.preHash[b.key.major]
	}
	ok, at := b.admit(now, unseen)
	if !ok || b.key.hash != "" || b.key.major == "" || b.state != stateUnknown {
		return ok, at
	}
	var until time.Time
	for k, x := range l.buckets {
		if k.major != b.key.major || k.hash == "" || x.state != stateOpen || !now.Before(x.resetAt) {
			continue
		}
		if x.remaining <= l.preHash[k.major] && x.resetAt.After(until) {
			until = x.resetAt
		}
	}
	if !until.IsZero() {
		return false, until
	}
	return true, time.Time{}
}

// take lets one request of b go.
func (l *Limiter) take(b *bucket, t *ticket) {
	b.take(t)
	if b.key.hash == "" {
		t.preHash = true
		l.preHash[b.key.major]++
	}
}

// untake ends a ticket's hold on its bucket, which it returns. The end of
// a probe of an unknown route frees the known queues on its major
// parameter that kept a slot for it.
// Callers call pumpMajor(t.info.major) when done, if it says so.
func (l *Limiter) untake(t *ticket) (b *bucket, wasPreHash bool) {
	b = t.b.resolve()
	b.inflight--
	if t.sent {
		t.sent = false
		b.wire--
	}
	if t.preHash {
		t.preHash = false
		major := t.info.major
		if l.preHash[major]--; l.preHash[major] <= 0 {
			delete(l.preHash, major)
		}
		return b, true
	}
	return b, false
}

// pumpMajor pumps the known queues of a major parameter.
func (l *Limiter) pumpMajor(major string, now time.Time) {
	for k, x := range l.buckets {
		if k.major == major && k.hash != "" && len(x.waiters) > 0 {
			l.pump(x, now)
		}
	}
}

func (l *Limiter) bucketFor(k bucketKey, now time.Time) *bucket {
	b := l.buckets[k]
	if b == nil {
		b = &bucket{key: k, lastUsed: now}
		l.buckets[k] = b
	}
	return b
}

func (l *Limiter) armBucket(b *bucket, at, now time.Time) {
	if b.timer != nil {
		if !at.Before(b.timerAt) {
			return // an earlier wake-up is set; it re-arms
		}
		b.timer.Stop()
	}
	b.timerGen++
	gen := b.timerGen
	b.timerAt = at
	b.timer = l.clock.AfterFunc(at.Sub(now), func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if b.timerGen != gen || l.closed {
			return
		}
		b.timer = nil
		l.pump(b, l.clock.Now())
	})
}

func (l *Limiter) stopBucketTimer(b *bucket) {
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
		b.timerGen++
	}
}

func (l *Limiter) armGlobal(at, now time.Time) {
	g := &l.global
	if g.timer != nil {
		if !at.Before(g.timerAt) {
			return
		}
		g.timer.Stop()
	}
	g.timerGen++
	gen := g.timerGen
	g.timerAt = at
	g.timer = l.clock.AfterFunc(at.Sub(now), func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if g.timerGen != gen || l.closed {
			return
		}
		g.timer = nil
		l.pumpGlobal(l.clock.Now())
	})
}

func (l *Limiter) putTicket(ep *rest.CompiledEndpoint, t ticket) {
	if _, busy := l.tickets[ep]; busy {
		l.extra[ep] = append(l.extra[ep], t)
		return
	}
	l.tickets[ep] = t
}

// takeTicket returns ep's ticket: the one with seq when seq is not 0, else
// the oldest.
func (l *Limiter) takeTicket(ep *rest.CompiledEndpoint, seq uint64) (ticket, bool) {
	t, ok := l.tickets[ep]
	if !ok {
		return ticket{}, false
	}
	more := l.extra[ep]
	if seq != 0 && t.seq != seq {
		for i, x := range more {
			if x.seq == seq {
				l.extra[ep] = append(more[:i], more[i+1:]...)
				if len(l.extra[ep]) == 0 {
					delete(l.extra, ep)
				}
				return x, true
			}
		}
		return ticket{}, false
	}
	if len(more) > 0 {
		l.tickets[ep] = more[0]
		if len(more) == 1 {
			delete(l.extra, ep)
		} else {
			l.extra[ep] = more[1:]
		}
	} else {
		delete(l.tickets, ep)
	}
	return t, true
}

func (l *Limiter) doneInflight() {
	l.inflight--
	if l.closed && l.inflight == 0 && l.drained != nil {
		close(l.drained)
		l.drained = nil
	}
}

// countInvalid counts a 401, 403 or non-shared 429 and starts or stops
// shedding at the warning share (contract A.1.14, C.15).
func (l *Limiter) countInvalid(now time.Time) {
	n := l.invalid.add(now)
	if !l.shedding && n >= l.warnAt() {
		l.shedding = true
		l.log.Warn("invalid requests near Discord's limit; shedding non-essential requests",
			zap.Int("invalid_10m", n), zap.Int("limit", l.cfg.invalidLimit))
		l.alert("invalid_requests", nil, now)
	}
}

func (l *Limiter) warnAt() int {
	return max(int(float64(l.cfg.invalidLimit)*l.cfg.invalidWarn), 1)
}

func (l *Limiter) updateShedding(now time.Time) {
	if l.shedding && l.invalid.count(now) < l.warnAt()*9/10 {
		l.shedding = false
		l.log.Info("invalid requests back under the warning share; no longer shedding")
	}
}

// refuseToken stops every bot-token request after a 401 (C.15).
func (l *Limiter) refuseToken(now time.Time) {
	if l.tokenInvalid {
		return
	}
	l.tokenInvalid = true
	l.log.Error("Discord refused the bot token (401); every bot-token request now fails locally")
	l.alert("token_invalid", ErrTokenInvalid, now)
	l.failWaiters(func(w *waiter) bool { return w.info.botAuth }, ErrTokenInvalid)
}

// startBan stops all traffic after Cloudflare's answer (C.14).
func (l *Limiter) startBan(now time.Time, reason string) error {
	if l.ban.active {
		l.ban.backoff = min(2*l.ban.backoff, l.cfg.banMaxBackoff)
	} else {
		l.ban.backoff = l.cfg.banBackoff
		l.n.bans++
	}
	l.ban.active, l.ban.reason, l.ban.probing = true, reason, false
	l.ban.until = now.Add(l.ban.backoff)
	err := &BanError{Until: l.ban.until, Reason: reason}
	l.log.Error("blocked by Discord's edge (Cloudflare); stopping all REST traffic",
		zap.String("reason", reason), zap.Duration("backoff", l.ban.backoff))
	l.alert("ban", err, now)
	l.failWaiters(func(*waiter) bool { return true }, err)
	return err
}

func (l *Limiter) liftBan(now time.Time) {
	if !l.ban.active {
		return
	}
	l.ban = banState{}
	l.log.Info("the Cloudflare ban is over; REST traffic resumes")
}

// failWaiters refuses every held request that match selects.
func (l *Limiter) failWaiters(match func(*waiter) bool, err error) {
	var doomed []*waiter
	for _, b := range l.buckets {
		for _, w := range b.waiters {
			if match(w) {
				doomed = append(doomed, w)
			}
		}
	}
	for _, w := range l.global.queue {
		if match(w) {
			doomed = append(doomed, w)
		}
	}
	for _, w := range doomed {
		l.fail(w, err)
	}
}

func (l *Limiter) markGone(major string, now time.Time) {
	if major != "" {
		l.gone[major] = now
	}
}

func (l *Limiter) isGone(major string) bool {
	_, ok := l.gone[major]
	return ok
}

// minSweepAt is the fewest queues that bring a sweep early.
const minSweepAt = 1024

// goneFor is how long a gone webhook or interaction token is remembered.
const goneFor = 24 * time.Hour

// sweep forgets idle queues, old fuses and retries disgo never made. A
// queue of one interaction's token is forgotten as soon as it is idle
// and its window has passed: the token is used once or a few times, and
// at thousands of interactions a second, keeping each queue for the
// idle expiry held hundreds of megabytes.
func (l *Limiter) sweep(now time.Time) {
	l.lastSweep = now
	for k, b := range l.buckets {
		after := l.cfg.idleAfter
		if k.oneInteraction() {
			after = 0
		}
		if b.idle(now, after) {
			l.stopBucketTimer(b)
			delete(l.buckets, k)
		}
	}
	l.sweepAt = max(2*len(l.buckets), minSweepAt)
	for k, at := range l.gone {
		if now.Sub(at) > goneFor {
			delete(l.gone, k)
		}
	}
	for ep, m := range l.retrying {
		if now.Sub(m.at) > time.Minute {
			delete(l.retrying, ep)
		}
	}
}

func (l *Limiter) alert(kind string, err error, now time.Time) {
	if l.cfg.alert != nil {
		l.alerts = append(l.alerts, Alert{Kind: kind, Err: err, At: now})
	}
}

// deliverAlerts calls the alert function outside the lock.
func (l *Limiter) deliverAlerts() {
	if l.cfg.alert == nil {
		return
	}
	l.mu.Lock()
	a := l.alerts
	l.alerts = nil
	l.mu.Unlock()
	for _, x := range a {
		l.cfg.alert(x)
	}
}

// Close refuses new requests and the ones still waiting (ErrClosed),
// stops every timer, and waits for the requests in flight to be answered,
// but not past ctx: it returns by ctx's deadline.
func (l *Limiter) Close(ctx context.Context) {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		l.failWaiters(func(*waiter) bool { return true }, ErrClosed)
		for _, b := range l.buckets {
			l.stopBucketTimer(b)
		}
		if l.global.timer != nil {
			l.global.timer.Stop()
			l.global.timer = nil
			l.global.timerGen++
		}
	}
	if l.inflight == 0 {
		l.mu.Unlock()
		return
	}
	if l.drained == nil {
		l.drained = make(chan struct{})
	}
	done := l.drained
	l.mu.Unlock()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// Reset forgets what the Limiter learned: hashes, idle queues, pauses, the
// token and webhook fuses and a ban. Requests already waiting keep their
// queues.
func (l *Limiter) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	clear(l.hashes)
	clear(l.gone)
	l.tokenInvalid, l.ban, l.shedding = false, banState{}, false
	l.invalid = tally{}
	l.global.pausedUntil = time.Time{}
	for k, b := range l.buckets {
		if len(b.waiters) == 0 && b.inflight == 0 {
			l.stopBucketTimer(b)
			delete(l.buckets, k)
			continue
		}
		b.pauseUntil = time.Time{}
	}
	for _, b := range l.buckets {
		l.pump(b, now)
	}
}

var _ rest.RateLimiter = (*Limiter)(nil)
