package discordtest

import "time"

// restGateway serves GET /gateway and GET /gateway/bot (contract A.3.29).
func (s *Server) restGateway() {
	s.handle("GET /gateway", authNone, func(c *call) (int, any) {
		return 200, map[string]any{"url": s.GatewayURL()}
	})
	s.handle("GET /gateway/bot", authBot, func(c *call) (int, any) {
		total, remaining, resetAfter, maxConc := s.gw.SessionStartLimit()
		return 200, map[string]any{"url": s.GatewayURL(), "shards": s.opts.shards,
			"session_start_limit": map[string]any{"total": total, "remaining": remaining,
				"reset_after": resetAfter / time.Millisecond, "max_concurrency": maxConc}}
	})
}

// restApplication serves the bot's own user and application.
func (s *Server) restApplication() {
	s.handle("GET /users/@me", authBot, func(c *call) (int, any) {
		s.mu.Lock()
		defer s.mu.Unlock()
		return 200, s.userMeJSON()
	})
	app := func(c *call) (int, any) {
		s.mu.Lock()
		defer s.mu.Unlock()
		return 200, s.applicationJSON()
	}
	s.handle("GET /applications/@me", authBot, app)
	s.handle("GET /oauth2/applications/@me", authBot, app)
}

func (s *Server) applicationJSON() map[string]any {
	w := s.world
	owner := map[string]any{"id": w.appID + 1, "username": "developer", "discriminator": "0", "global_name": nil, "avatar": nil, "public_flags": 0}
	return map[string]any{
		"id": w.appID, "name": w.bot.Username, "icon": nil, "description": "", "summary": "",
		"bot_public": true, "bot_require_code_grant": false, "verify_key": "0000000000000000000000000000000000000000000000000000000000000000",
		"flags": s.applicationFlags(), "owner": owner, "team": nil, "bot": s.userMeJSON(),
		"approximate_guild_count": len(w.guilds), "redirect_uris": []string{}, "interactions_endpoint_url": nil,
		"tags": []string{}, "integration_types_config": map[string]any{"0": map[string]any{}},
	}
}
