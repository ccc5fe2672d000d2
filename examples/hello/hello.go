// Package hello is the smallest useful Hearth module: one command,
// /hello [name], that greets. docs/modules.md walks through it.
package hello

import (
	"context"

	"github.com/hearthbot/hearth/bot"
)

// Module greets people. Make one with New.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

// ID names the module: its config section, tables, logger and custom IDs.
func (m *Module) ID() string { return "hello" }

// Init declares /hello. The host registers it with Discord, validates
// the option and routes each use to the handler.
func (m *Module) Init(_ context.Context, h *bot.Host) error {
	return h.Command(bot.Command{
		Name:        "hello",
		Description: "Says hello",
		Options: []bot.Option{
			{Name: "name", Description: "Who to greet (you if left out)", Type: bot.OptionString, MaxLength: 32},
		},
		Handler: m.hello,
	})
}

// hello greets the name given, or the person who ran the command.
func (m *Module) hello(_ context.Context, r *bot.Request) (bot.Response, error) {
	name, ok := r.String("name")
	if !ok {
		name = r.User.GlobalName
	}
	if name == "" {
		name = r.User.Username
	}
	// Nobody is pinged, even by "@everyone" in name: replies ping only
	// whom Response.AllowedMentions names.
	return bot.Response{Content: "Hello, " + name + "!"}, nil
}

// Interface guards
var _ bot.Module = (*Module)(nil)
