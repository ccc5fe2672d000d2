package ratelimit

import (
	"errors"
	"fmt"
	"time"
)

// Errors a request can fail with before it is sent. disgo wraps them with
// %w, so callers test them with errors.Is and errors.As.
var (
	// ErrClosed: the Limiter (or the Coalescer) was closed.
	ErrClosed = errors.New("ratelimit: closed")
	// ErrWaitTooLong: the request would have waited longer than its
	// maximum wait (WithMaxWait); see *WaitError for how long.
	ErrWaitTooLong = errors.New("ratelimit: wait longer than the maximum")
	// ErrTokenInvalid: a request sent with the bot token was answered 401,
	// so every later bot-token request fails here without reaching Discord
	// (contract A.1.15). Interaction and webhook routes are not affected.
	ErrTokenInvalid = errors.New("ratelimit: the bot token was refused (401); bot-token requests stopped")
	// ErrWebhookGone: the webhook (or interaction token) answered 404
	// Unknown Webhook or 401 Invalid Webhook Token before, and is never
	// called again (contract A.1.15, C.16).
	ErrWebhookGone = errors.New("ratelimit: webhook gone (404/401 before); not calling it again")
	// ErrBanned: Discord's edge (Cloudflare) is blocking this host, so all
	// traffic stops until the back-off ends (contract A.4 O4, C.14).
	ErrBanned = errors.New("ratelimit: blocked by Discord's edge (Cloudflare); all requests stopped")
	// ErrShed: a request marked NonEssential was dropped because the
	// invalid-request count passed the warning share (contract A.1.14).
	ErrShed = errors.New("ratelimit: non-essential request shed (invalid-request count high)")
	// ErrUnknownMessage and ErrTooOld are what a Deleter answers for a
	// message that is already gone and for a bulk delete refused because a
	// message is older than 14 days (code 50034).
	ErrUnknownMessage = errors.New("ratelimit: unknown message")
	ErrTooOld         = errors.New("ratelimit: message older than 14 days for bulk delete")
)

// WaitError says a request failed rather than wait Wait, longer than Max.
// It matches ErrWaitTooLong, and Cause when there is one (ErrBanned for a
// ban, context.DeadlineExceeded when the caller's deadline comes first).
type WaitError struct {
	// Route is "METHOD /route/{template}".
	Route string
	// Scope says what holds the request: "bucket" (its window, and the
	// requests ahead of it), "key" (a pause after a 429), "global",
	// "queue" (it waited the maximum), "deadline" (the caller's context);
	// for a 429 that asks for too long a wait, the 429's scope.
	Scope string
	Wait  time.Duration
	Max   time.Duration
	Cause error
}

func (e *WaitError) Error() string {
	return fmt.Sprintf("ratelimit: %s would wait %v (%s), more than %v", e.Route, e.Wait.Round(time.Millisecond), e.Scope, e.Max)
}

// Unwrap gives ErrWaitTooLong and the cause.
func (e *WaitError) Unwrap() []error {
	if e.Cause != nil {
		return []error{ErrWaitTooLong, e.Cause}
	}
	return []error{ErrWaitTooLong}
}

// BanError is the error of a request refused during a Cloudflare ban.
// It matches ErrBanned.
type BanError struct {
	// Until is when the back-off ends and one request may test the ban.
	Until time.Time
	// Reason is what started it: "429 without rate-limit headers" or
	// "403 code 40333".
	Reason string
}

func (e *BanError) Error() string {
	return fmt.Sprintf("ratelimit: blocked by Discord's edge (%s); no requests until %s", e.Reason, e.Until.Format(time.RFC3339))
}

// Unwrap gives ErrBanned.
func (e *BanError) Unwrap() error { return ErrBanned }
