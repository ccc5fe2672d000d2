// Package bus carries events from the gateway to the modules.
//
// Modules never receive events straight from Discord's client library. The
// gateway adapter publishes plain value types, defined outside this package,
// on named topics, and each module subscribes to the topics it needs. [Bus] is
// that seam. [InProc] implements it inside the process today; a network bus
// (NATS JetStream) can implement it later, and a module then runs in another
// process without changing its code. For that to work, events must be values
// that survive a copy: no pointers into shared state, no channels, no
// functions.
//
// [Topic], [Publish] and [Subscribe] add compile-time types over the untyped
// seam. Declare one Topic per event kind, next to the event type:
//
//	var MessageCreated = bus.NewTopic[events.MessageCreated]("discord.message_create")
//
//	err := bus.Publish(ctx, b, MessageCreated, ev)
//	sub, err := bus.Subscribe(b, MessageCreated, bus.Options{Name: "automod.messages"}, m.onMessage)
//
// # Delivery
//
// Each subscription has its own bounded FIFO queue and one worker goroutine
// that calls the handler with one event at a time. Consequently:
//
//   - Events published by one goroutine reach each subscriber in the order
//     they were published. Events published concurrently reach a subscriber
//     in the order the bus accepted them.
//   - A handler is never called concurrently with itself. Handlers of
//     different subscriptions run concurrently and never wait on each other:
//     a slow handler only fills its own queue.
//   - A handler's error is logged with the topic and subscriber name and
//     counted in [Stats]; it never reaches the publisher. A handler's panic is
//     recovered, logged with its stack and counted; the worker carries on
//     with the next event. Neither affects other subscribers.
//   - An event of the wrong type on a typed subscription (someone published
//     on the untyped seam by mistake) is not passed to the handler; it is
//     logged and counted as a handler error.
//   - Publishing on a topic with no subscribers does nothing and succeeds.
//
// Publish hands every subscriber the same event value. A value type is
// copied on the way; an event that holds references (a slice, a map) is
// shared, and handlers must not modify it.
//
// # Full queues
//
// What happens when a queue is full is the subscriber's choice, its [Policy]:
//
//   - [DropOldest], for loss-tolerant subscribers (statistics, logs), drops
//     the oldest queued event to make room and counts it in Stats.Dropped.
//     Publish never waits for such a subscriber.
//   - [Backpressure], for subscribers that must not lose events (moderation,
//     audit), makes Publish wait for room, up to Options.Timeout or until the
//     publish context ends. Past that, the event is refused and counted in
//     Stats.Refused, and Publish returns an error wrapping [ErrOverflow]
//     that names the topic and the subscriber. An event is never dropped
//     silently. A subscriber that let a publisher wait its whole timeout is
//     stalled: until it has worked its queue down to half, publishers refuse
//     its events at once instead of waiting again, so one stuck subscriber
//     costs the others at most one timeout, not one per event.
//
// Publish first offers the event to every subscriber, then waits for the full
// Backpressure ones: a slow subscriber delays that Publish call, but the
// others already have the event. The publisher decides what a refused event
// means (retry, log, give up); the subscribers that accepted it keep it.
//
// A handler that publishes to a topic it consumes with Backpressure can wait
// for its own queue: use DropOldest there, or publish from elsewhere.
//
// # Lifecycle
//
// Subscribe starts the subscription's worker; the bus owns it. Unsubscribe
// stops delivery at once: queued events are discarded, and a handler call in
// progress finishes undisturbed. Unsubscribe does not wait for that call, so a
// handler may unsubscribe itself, and it is safe at any moment, including
// during delivery and during Close.
//
// Close shuts the bus down in three steps:
//
//  1. Publish and Subscribe fail with [ErrClosed] from now on, including
//     Publish calls waiting for room.
//  2. Every queue drains, until the context passed to Close ends. When all
//     are empty and their handlers have returned, Close returns nil.
//  3. If the context ends first, the events still queued are discarded, the
//     context passed to the running handlers is cancelled, and Close returns
//     an error wrapping the context's error that counts the undelivered
//     events: those discarded plus those whose handler was still running.
//
// Close does not wait for a handler that ignores its context: that worker
// exits when the handler returns. Close is idempotent: later calls return the
// first call's result. A handler must not call Close; it would wait for
// itself until the deadline.
//
// # Handler contexts
//
// A handler's context is not the publisher's: the event may be handled long
// after Publish returned, and, on a network bus, in another process. It
// carries no values, and it is cancelled only when Close gives up waiting.
// Handlers pass it to everything that can block.
//
// # Errors
//
// [ErrClosed] means the bus is shutting down. [ErrOverflow] means a
// Backpressure subscriber refused an event; with several subscribers,
// Publish joins one error per subscriber that refused. Match both with
// errors.Is.
package bus
