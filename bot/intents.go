package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/gateway"
	"github.com/disgoorg/disgo/rest"
	"go.uber.org/zap"
)

// Degraded is a module that can run with less than it asked for: when
// Discord does not grant a privileged intent it needs, it turns off what
// depends on it. Degraded says what is off, in sentences, for the
// start-up log and /settings show; nil when nothing is.
type Degraded interface {
	Degraded() []string
}

// privilegedGrants maps each privileged intent to the application flags
// that grant it: the full one (verified bots) and the "limited" one
// (bots in under 100 guilds, enabled in the Developer Portal).
var privilegedGrants = []struct {
	intent gateway.Intents
	flags  discord.ApplicationFlags
}{
	{gateway.IntentGuildMembers, discord.ApplicationFlagGatewayGuildMembers | discord.ApplicationFlagGatewayGuildMemberLimited},
	{gateway.IntentGuildPresences, discord.ApplicationFlagGatewayPresence | discord.ApplicationFlagGatewayPresenceLimited},
	{gateway.IntentMessageContent, discord.ApplicationFlagGatewayMessageContent | discord.ApplicationFlagGatewayMessageContentLimited},
}

// deniedIntents asks Discord which privileged intents the application
// has (GET /applications/@me) and returns those among wanted it lacks.
// When Discord cannot be asked, it returns none denied: the gateway's
// close 4014 then says what is missing.
func (rt *Runtime) deniedIntents(ctx context.Context, wanted gateway.Intents) gateway.Intents {
	var privileged gateway.Intents
	for _, g := range privilegedGrants {
		privileged |= g.intent
	}
	if wanted&privileged == 0 {
		return 0
	}
	app, err := rt.rest.GetCurrentApplication(rest.WithCtx(ctx))
	if err != nil {
		rt.log.Warn("could not read the application's privileged intents; asking for them anyway", zap.Error(err))
		return 0
	}
	var denied gateway.Intents
	for _, g := range privilegedGrants {
		if wanted.Has(g.intent) && app.Flags&g.flags == 0 {
			denied |= g.intent
		}
	}
	return denied
}

// reportDenied logs, per module, the privileged intents it asked for and
// Discord did not grant: the module runs without them.
func (rt *Runtime) reportDenied() {
	if rt.denied == 0 {
		return
	}
	for _, ms := range rt.modules {
		nd, ok := ms.m.(Needer)
		if !ok || !ms.inited {
			continue
		}
		if missing := nd.Needs().Intents & rt.denied; missing != 0 {
			ms.host.log.Warn(fmt.Sprintf("Discord has not granted %s: the module runs without it; to enable it, open the Developer Portal, your application, Bot → Privileged Gateway Intents",
				strings.Join(privilegedIntents(missing), " and ")))
		}
	}
}

// reportDegraded logs what each module turned off.
func (rt *Runtime) reportDegraded() {
	for _, ms := range rt.modules {
		if d, ok := ms.m.(Degraded); ok && ms.inited {
			for _, s := range d.Degraded() {
				ms.host.log.Warn("reduced mode: " + s)
			}
		}
	}
}

// Intents returns the gateway intents the bot connected with: what the
// modules asked for, less the privileged intents Discord did not grant.
// A module checks it in Start to learn whether it runs in full.
func (h *Host) Intents() gateway.Intents { return h.rt.intents }

// ModuleDegraded returns what the module named id turned off (see
// Degraded), or nil.
func (h *Host) ModuleDegraded(id string) []string {
	if ms, ok := h.rt.moduleByID[id]; ok && ms.inited {
		if d, ok := ms.m.(Degraded); ok {
			return d.Degraded()
		}
	}
	return nil
}
