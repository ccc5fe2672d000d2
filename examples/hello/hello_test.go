package hello_test

import (
	"testing"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/bot/bottest"
	"github.com/hearthbot/hearth/examples/hello"
)

func TestHelloGreetsTheNameOrThePerson(t *testing.T) {
	h := bottest.New(t, []bot.Module{hello.New()})
	g := h.Guild()
	for _, tt := range []struct{ line, want string }{
		{"/hello", "Hello, Member1!"}, // member1's display name
		{"/hello name:Ada", "Hello, Ada!"},
	} {
		t.Run(tt.line, func(t *testing.T) {
			r, err := h.Emulator.RunCommand(g.ID, g.Channel("general").ID, g.Member("member1").User.ID, tt.line)
			if err != nil {
				t.Fatal(err)
			}
			if r.Content != tt.want || r.Ephemeral {
				t.Errorf("got %q (ephemeral %v); want a public %q", r.Content, r.Ephemeral, tt.want)
			}
		})
	}
}
