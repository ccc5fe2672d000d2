package bus

import (
	"slices"
	"strings"
	"testing"

	"go.uber.org/zap"
)

func TestTypedSubscribeCountsMismatchedEvents(t *testing.T) {
	b, logs := newTestBus()
	greetings := NewTopic[string]("test.greetings")
	rec := &recorder[string]{}
	mustSubscribe(t, b, greetings, Options{Name: "test.greeter"}, rec.handle)

	if err := b.Publish(t.Context(), greetings.Name(), 42); err != nil {
		t.Fatalf("untyped Publish: %v", err)
	}
	mustPublish(t, b, greetings, "hello")
	mustClose(t, b)

	if got, want := rec.events(), []string{"hello"}; !slices.Equal(got, want) {
		t.Errorf("handler got %q; want %q: the int must not reach it", got, want)
	}
	if got, want := countsOf(statsOf(t, b, greetings.Name(), "test.greeter")), (counts{Delivered: 1, Errors: 1}); got != want {
		t.Errorf("stats: got %+v; want %+v", got, want)
	}
	entries := logs.FilterField(zap.String("subscriber", "test.greeter")).All()
	if len(entries) != 1 {
		t.Fatalf("log entries for test.greeter: got %d; want 1", len(entries))
	}
	if msg, _ := entries[0].ContextMap()["error"].(string); !strings.Contains(msg, "got event of type int; want string") {
		t.Errorf("logged error: got %q; want it to name both types", msg)
	}
}

func TestTypedSubscribeRejectsNilHandler(t *testing.T) {
	b, _ := newTestBus()
	defer mustClose(t, b)
	if _, err := Subscribe[int](b, NewTopic[int]("test.numbers"), Options{Name: "test.nil"}, nil); err == nil {
		t.Error("Subscribe with a nil handler: got nil error; want one")
	}
}

func TestNewTopicPanicsOnEmptyName(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewTopic(\"\"): got no panic; want one")
		}
	}()
	NewTopic[int]("")
}

func TestPolicyString(t *testing.T) {
	tests := []struct {
		p    Policy
		want string
	}{
		{DropOldest, "drop-oldest"},
		{Backpressure, "backpressure"},
		{Policy(9), "Policy(9)"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("Policy(%d).String(): got %q; want %q", int(tt.p), got, tt.want)
		}
	}
}
