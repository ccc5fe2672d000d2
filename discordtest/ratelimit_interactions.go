package discordtest

import (
	"fmt"

	"github.com/hearthbot/hearth/discordtest/internal/cmdline"
)

// StartCommand is RunCommand without waiting for the bot: a person runs
// the command line, INTERACTION_CREATE goes out, and the interaction's ID
// and token come back at once. It lets a test that drives REST by itself
// (a rate limiter's, say) answer interactions through the callback and
// webhook routes, with the same deadlines as any interaction: the first
// response within 3 s, followups for 15 minutes (contract A.2.23, C.7).
func (s *Server) StartCommand(guild, channel, member Snowflake, line string) (id Snowflake, token string, err error) {
	l, err := cmdline.Parse(line)
	if err != nil {
		return 0, "", fmt.Errorf("discordtest: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	inv, err := s.invoke(guild, channel, member, l, "")
	if err != nil {
		return 0, "", err
	}
	p := s.newPending(interactionCommand, inv.g, inv.ch, inv.m)
	p.meta.Name, p.meta.CommandType = inv.name, commandChatInput
	data := map[string]any{"id": inv.cmd.ID, "name": inv.cmd.Name, "type": commandChatInput}
	if len(inv.options) > 0 {
		data["options"] = inv.options
	}
	if r := inv.resolved.json(); r != nil {
		data["resolved"] = r
	}
	if inv.cmd.GuildID != 0 {
		data["guild_id"] = inv.cmd.GuildID
	}
	payload := s.interactionBase(p, inv.g, inv.ch, inv.m)
	payload["data"] = data
	s.dispatch(p, payload)
	return p.id, p.token, nil
}
