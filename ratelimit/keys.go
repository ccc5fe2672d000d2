package ratelimit

import (
	"strconv"
	"strings"
	"time"
)

// routeID names a route for the limiter: method and template, plus an
// age class for message deletes, whose bucket depends on the message's
// age (contract A.4 O2).
type routeID struct {
	method string
	route  string
	age    uint8
}

// Age classes of DELETE /channels/{channel.id}/messages/{message.id}.
const (
	ageNone  uint8 = iota
	ageYoung       // under 10 s, or an ID that cannot be read
	ageMid         // 10 s to 14 days
	ageOld         // over 14 days
)

// Routes with their own treatment.
const (
	deleteMessageRoute = "/channels/{channel.id}/messages/{message.id}"
	reactionsPrefix    = "/channels/{channel.id}/messages/{message.id}/reactions"
	// reactionsFamily stands for every route that adds or removes
	// reactions in a channel: they share one bucket per channel
	// (contract A.4 O3, C.13), so they share one queue before the hash is
	// known too.
	reactionsFamily = reactionsPrefix + "/*"
	webhooksPrefix  = "/webhooks/"
)

// routeInfo is what the limiter needs to know about one request.
type routeInfo struct {
	id    routeID
	major string
	// botAuth: sent with the bot token; a 401 on it means the token is
	// bad (contract A.1.15).
	botAuth bool
	// exempt: an interaction callback or interaction webhook, outside
	// the global limit (contract A.1.12).
	exempt bool
	// webhook: a webhook or interaction-webhook route addressed by a
	// token; a 404 Unknown Webhook on it means never again (C.16).
	webhook bool
	// onWebhook: the route addresses the webhook itself, not one of its
	// messages, so any 404 on it means the webhook is gone.
	onWebhook bool
}

// classify maps one request (method, route template, compiled URL and
// major parameters, as disgo's CompiledEndpoint gives them) to what the
// limiter keys and decides on. now dates message IDs for deletes.
func classify(method, route, url, major string, botAuth bool, now time.Time) routeInfo {
	in := routeInfo{id: routeID{method: method, route: route}, major: major, botAuth: botAuth}
	in.exempt = strings.Contains(route, "{interaction.token}")
	if strings.HasPrefix(route, webhooksPrefix) && (strings.Contains(route, "{webhook.token}") || in.exempt) {
		in.webhook = true
		rest := route[len(webhooksPrefix):]
		// "/webhooks/{id}/{token}" and its /slack and /github forms,
		// against ".../messages/...".
		in.onWebhook = !strings.Contains(rest, "/messages/")
	}
	switch {
	case method == "DELETE" && route == deleteMessageRoute:
		in.id.age = messageAge(url, now)
	case strings.HasPrefix(route, reactionsPrefix) && (method == "PUT" || method == "DELETE"):
		in.id = routeID{method: "PUT|DELETE", route: reactionsFamily}
	}
	return in
}

// messageAge reads the message ID at the end of a compiled delete URL
// ("/channels/1/messages/2", maybe with a query) and dates it.
func messageAge(url string, now time.Time) uint8 {
	if i := strings.IndexByte(url, '?'); i >= 0 {
		url = url[:i]
	}
	i := strings.LastIndexByte(url, '/')
	id, err := strconv.ParseUint(url[i+1:], 10, 64)
	if err != nil || id == 0 {
		return ageYoung
	}
	age := now.Sub(snowflakeTime(id))
	switch {
	case age < 10*time.Second:
		return ageYoung
	case age > 14*24*time.Hour:
		return ageOld
	}
	return ageMid
}

// discordEpoch is 2015-01-01 in Unix milliseconds, the origin of snowflake
// timestamps.
const discordEpoch = 1420070400000

func snowflakeTime(id uint64) time.Time { return time.UnixMilli(int64(id>>22) + discordEpoch) }

// bucketKey identifies one queue: (hash, major) once the route's
// X-RateLimit-Bucket is known, (route, major) before (contract A.1.3).
type bucketKey struct {
	hash  string
	route routeID
	major string
}

// oneInteraction reports whether the queue is one interaction's (its
// callback or its webhook, keyed by the interaction's token): used once or
// a few times, so the queue is forgotten as soon as it is idle.
func (k bucketKey) oneInteraction() bool {
	return strings.Contains(k.major, "interaction.token=")
}

// keyFor is the queue of a request, given the hash its route is known to
// answer with ("" when not yet known).
func keyFor(in routeInfo, hash string) bucketKey {
	if hash != "" {
		return bucketKey{hash: hash, major: in.major}
	}
	return bucketKey{route: in.id, major: in.major}
}

// String is "METHOD /route" for logs and errors.
func (r routeID) String() string {
	s := r.method + " " + r.route
	switch r.age {
	case ageYoung:
		s += " (message under 10 s)"
	case ageMid:
		s += " (message under 14 days)"
	case ageOld:
		s += " (message over 14 days)"
	}
	return s
}
