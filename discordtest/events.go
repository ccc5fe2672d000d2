package discordtest

import (
	"encoding/json"

	"github.com/hearthbot/hearth/discordtest/internal/gateway"
)

// Gateway intents that gate the events the emulator sends.
const (
	intentGuilds                 uint64 = 1 << 0
	intentGuildModeration        uint64 = 1 << 2
	intentGuildMessages          uint64 = 1 << 9
	intentGuildMessageReactions  uint64 = 1 << 10
	intentDirectMessages         uint64 = 1 << 12
	intentDirectMessageReactions uint64 = 1 << 13
)

// gatewayBackend answers the gateway's questions from the world.
type gatewayBackend struct{ s *Server }

func (b gatewayBackend) Authenticate(token string) (gateway.Identity, bool) {
	s := b.s
	s.limits.mu.Lock()
	revoked := s.limits.revoked
	s.limits.mu.Unlock()
	if revoked || token != s.token {
		return gateway.Identity{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, _ := json.Marshal(s.userMeJSON())
	return gateway.Identity{User: u, ApplicationID: s.world.appID.String(), ApplicationFlags: s.applicationFlags()}, true
}

func (b gatewayBackend) GuildIDs() []uint64 {
	s := b.s
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []uint64
	for _, g := range s.world.guilds {
		if s.world.botMember(g) != nil {
			ids = append(ids, uint64(g.ID))
		}
	}
	return ids
}

func (b gatewayBackend) GuildCreate(id uint64, intents uint64, largeThreshold int) (json.RawMessage, bool) {
	s := b.s
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.world.guild(Snowflake(id))
	if g == nil || s.world.botMember(g) == nil {
		return nil, false
	}
	return s.world.gatewayGuildJSON(g, largeThreshold), true
}

// emit queues a dispatch for the gateway. Callers hold s.mu, so events
// leave in the order the world changed; the pump hands them to the
// gateway without the lock, which the gateway may need to call back.
func (s *Server) emit(guildID Snowflake, typ string, intents uint64, data any) {
	s.emitRedactable(guildID, typ, intents, data, nil)
}

// emitRedactable is emit with a second payload for sessions without the
// MESSAGE_CONTENT intent.
func (s *Server) emitRedactable(guildID Snowflake, typ string, intents uint64, data, redacted any) {
	ev := gateway.Event{Type: typ, GuildID: uint64(guildID), Intents: intents}
	ev.Data, _ = json.Marshal(data)
	if redacted != nil {
		ev.Redacted, _ = json.Marshal(redacted)
	}
	s.outbox = append(s.outbox, ev)
	s.outboxReady.Signal()
	s.notify()
}

// pump delivers queued events to the gateway until the server closes.
func (s *Server) pump() {
	defer close(s.pumpDone)
	for {
		s.mu.Lock()
		for len(s.outbox) == 0 && !s.closing {
			s.outboxReady.Wait()
		}
		if s.closing {
			s.mu.Unlock()
			return
		}
		evs := s.outbox
		s.outbox = nil
		s.mu.Unlock()
		for _, ev := range evs {
			_ = s.gw.Dispatch(ev) // errors only for malformed events, which emit never builds
		}
	}
}

// userMeJSON is the bot's own user, as GET /users/@me and READY carry it.
func (s *Server) userMeJSON() map[string]any {
	u := s.world.bot
	return map[string]any{"id": u.ID, "username": u.Username, "discriminator": "0", "global_name": nil,
		"avatar": nil, "bot": true, "verified": true, "mfa_enabled": false, "flags": 0, "public_flags": 0,
		"email": nil, "locale": "en-US"}
}

// applicationFlags reports the GATEWAY_*_LIMITED flags of the approved
// privileged intents, as READY's application.flags does.
func (s *Server) applicationFlags() int {
	flags := 0
	if s.opts.approvedIntents&IntentGuildPresences != 0 {
		flags |= 1 << 13
	}
	if s.opts.approvedIntents&IntentGuildMembers != 0 {
		flags |= 1 << 15
	}
	if s.opts.approvedIntents&IntentMessageContent != 0 {
		flags |= 1 << 19
	}
	return flags
}
