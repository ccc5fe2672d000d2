package bus

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"
)

// Bus carries events from publishers to the subscribers of a topic. It is the
// seam between the gateway and the modules: [InProc] implements it inside the
// process, and a network bus may implement it later. The package documentation
// states the delivery, overflow and shutdown rules every implementation keeps.
type Bus interface {
	// Publish hands event to every current subscriber of topic. It returns
	// nil when there are none, an error wrapping [ErrOverflow] when a
	// Backpressure subscriber stayed full, and [ErrClosed] once Close has
	// begun.
	Publish(ctx context.Context, topic string, event any) error

	// Subscribe starts delivering the events of topic to h, one at a time,
	// until the subscription is cancelled or the bus is closed.
	Subscribe(topic string, opts Options, h Handler) (Subscription, error)

	// Close refuses new events, lets the queued ones drain until ctx ends,
	// then cancels the handlers' context and stops. It returns an error
	// counting the events left undelivered, or nil when none were.
	Close(ctx context.Context) error
}

// Handler receives one event of a subscribed topic. An error it returns is
// logged and counted by the bus, never sent back to the publisher.
type Handler func(ctx context.Context, event any) error

// Subscription is a live subscription returned by [Bus.Subscribe].
type Subscription interface {
	// Unsubscribe stops delivery: events still queued are discarded, and a
	// handler call in progress finishes without being interrupted. It does
	// not wait for that call, so a handler may unsubscribe itself. Calling
	// it again does nothing.
	Unsubscribe()
}

// Policy says what a subscription does when its queue is full.
type Policy int

const (
	// DropOldest suits loss-tolerant subscribers (statistics, logs): a full
	// queue drops its oldest event to make room, and counts it in
	// [Stats].Dropped. Publish never waits for such a subscriber.
	DropOldest Policy = iota

	// Backpressure suits subscribers that must not lose events (moderation,
	// audit): Publish waits up to [Options].Timeout for room. Past it, the
	// event is refused, counted in [Stats].Refused, and Publish returns an
	// error wrapping [ErrOverflow] that names the topic and the subscriber.
	// After one such timeout the subscriber counts as stalled, and its
	// events are refused without waiting until its queue is half empty.
	Backpressure
)

// String returns the policy's name as used in logs and metrics labels.
func (p Policy) String() string {
	switch p {
	case DropOldest:
		return "drop-oldest"
	case Backpressure:
		return "backpressure"
	default:
		return fmt.Sprintf("Policy(%d)", int(p))
	}
}

const (
	defaultQueue   = 256
	defaultTimeout = 5 * time.Second
)

// Options configures one subscription.
type Options struct {
	// Name identifies the subscriber in metrics, logs and errors, as module
	// and purpose: "moderation.messages". It is required and must be unique
	// among the subscribers of a topic.
	Name string

	// Policy says what happens when the queue is full; the zero value is
	// DropOldest.
	Policy Policy

	// Queue is the number of events the subscription holds before its policy
	// applies; zero means 256. The in-process bus allocates it up front.
	Queue int

	// Timeout is how long Publish waits for room in a full Backpressure
	// queue; zero means 5s. DropOldest subscriptions ignore it.
	Timeout time.Duration
}

// withDefaults returns o with zero fields defaulted, or an error naming the
// first invalid field.
func (o Options) withDefaults() (Options, error) {
	switch {
	case o.Name == "":
		return o, errors.New("options need a Name")
	case o.Policy != DropOldest && o.Policy != Backpressure:
		return o, fmt.Errorf("unknown policy %v", o.Policy)
	case o.Queue < 0:
		return o, fmt.Errorf("negative queue %d", o.Queue)
	case o.Timeout < 0:
		return o, fmt.Errorf("negative timeout %v", o.Timeout)
	}
	if o.Queue == 0 {
		o.Queue = defaultQueue
	}
	if o.Timeout == 0 {
		o.Timeout = defaultTimeout
	}
	return o, nil
}

var (
	// ErrClosed is returned by Publish and Subscribe once Close has begun.
	ErrClosed = errors.New("bus: closed")

	// ErrOverflow is wrapped by the error Publish returns when a
	// Backpressure subscriber's queue stayed full past its timeout or past
	// the end of the publish context.
	ErrOverflow = errors.New("bus: queue full")
)

// Topic names a topic whose events are of type T. Declare one per event kind,
// next to the event type, and use it with [Publish] and [Subscribe] so that a
// publisher and its subscribers agree on the type at compile time.
type Topic[T any] struct {
	name string
}

// NewTopic returns the topic called name, carrying events of type T. Names
// are dotted and namespaced: "discord.message_create". An empty name is a
// programming error and panics.
func NewTopic[T any](name string) Topic[T] {
	if name == "" {
		panic("bus: NewTopic: empty name")
	}
	return Topic[T]{name: name}
}

// Name returns the topic's name, as passed to [Bus.Publish] and
// [Bus.Subscribe].
func (t Topic[T]) Name() string { return t.name }

// Publish publishes v on topic t; see [Bus.Publish].
func Publish[T any](ctx context.Context, b Bus, t Topic[T], v T) error {
	return b.Publish(ctx, t.name, v)
}

// Subscribe subscribes h to topic t; see [Bus.Subscribe]. An event that is not
// a T (published on the untyped seam by mistake) is not passed to h: it is
// counted and logged as a handler error naming both types.
func Subscribe[T any](b Bus, t Topic[T], opts Options, h func(context.Context, T) error) (Subscription, error) {
	if h == nil {
		return nil, fmt.Errorf("bus: subscribe %q: nil handler", t.name)
	}
	return b.Subscribe(t.name, opts, func(ctx context.Context, event any) error {
		v, ok := event.(T)
		if !ok {
			return fmt.Errorf("bus: topic %q: got event of type %T; want %v", t.name, event, reflect.TypeFor[T]())
		}
		return h(ctx, v)
	})
}
