package bot

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/gateway"
	"github.com/disgoorg/disgo/sharding"
	"github.com/gorilla/websocket"
	"go.uber.org/zap"

	"github.com/hearthbot/hearth/bot/config"
	"github.com/hearthbot/hearth/bot/logging"
)

// Gateway is the seam to Discord's gateway: disgo's shard manager in
// production, a plain feed in tests (package bottest). Open connects
// every shard and calls handle with each decoded dispatch, from the
// shards' own goroutines, until Close. Open returns an error saying what
// to do when Discord refuses the bot for good (a bad token, a privileged
// intent not enabled).
type Gateway interface {
	Open(ctx context.Context, needs Needs, handle EventHandler) error
	Close(ctx context.Context)
	Status() []ShardStatus
}

// EventHandler receives one gateway dispatch.
type EventHandler func(shard int, t gateway.EventType, seq int, ev gateway.EventData)

// disgoGateway runs disgo's shard manager, which hands each dispatch to
// the runtime (intake, then the cache).
type disgoGateway struct {
	rt      *Runtime
	gw      *discord.GatewayBot
	manager sharding.ShardManager
	ids     []int

	mu     sync.Mutex
	closed map[int]error // why a shard stopped for good
}

func newDisgoGateway(rt *Runtime, gw *discord.GatewayBot) *disgoGateway {
	count := gw.Shards
	if !rt.cfg.Discord.Shards.Auto {
		count = rt.cfg.Discord.Shards.Count
	}
	ids := make([]int, max(count, 1))
	for i := range ids {
		ids[i] = i
	}
	return &disgoGateway{rt: rt, gw: gw, ids: ids, closed: map[int]error{}}
}

// Open builds disgo's shard manager with exactly the intents needed,
// opens every shard and reports the ones Discord refused.
func (d *disgoGateway) Open(ctx context.Context, needs Needs, handle EventHandler) error {
	rt := d.rt
	url := d.gw.URL
	if rt.cfg.Discord.GatewayURL != "" {
		url = rt.cfg.Discord.GatewayURL
	}
	slog := logging.Slog(rt.log.Named("disgo"))
	d.manager = sharding.New(rt.opts.Token,
		func(g gateway.Gateway, t gateway.EventType, seq int, ev gateway.EventData) {
			handle(g.ShardID(), t, seq, ev)
		},
		sharding.WithLogger(slog),
		sharding.WithShardCount(len(d.ids)),
		sharding.WithShardIDs(d.ids...),
		sharding.WithDefaultIdentifyRateLimiterConfigOpt(gateway.WithIdentifyMaxConcurrency(max(d.gw.SessionStartLimit.MaxConcurrency, 1))),
		sharding.WithCloseHandler(d.shardClosed),
		// disgo's shard manager only logs a shard whose first connection
		// fails: wrap each gateway to record why.
		sharding.WithGatewayCreateFunc(func(token string, h gateway.EventHandlerFunc, opts ...gateway.ConfigOpt) gateway.Gateway {
			return &recordingShard{Gateway: gateway.New(token, h, opts...), d: d}
		}),
		sharding.WithGatewayConfigOpts(
			gateway.WithURL(url),
			gateway.WithIntents(needs.Intents),
			gateway.WithCompression(compression(rt.cfg.Discord.Compression)),
			gateway.WithLargeThreshold(rt.cfg.Discord.LargeThreshold),
			gateway.WithLogger(slog),
		),
	)
	// disgo's Open waits for every shard and only logs failures; its
	// close handler runs in a goroutine of its own, so a shard that is
	// not ready gets a moment for its reason to be recorded.
	d.manager.Open(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for {
		var errs []error
		pending := false
		for _, st := range d.Status() {
			d.mu.Lock()
			err, closed := d.closed[st.ID]
			d.mu.Unlock()
			switch {
			case closed:
				errs = append(errs, fmt.Errorf("shard %d: %s", st.ID, d.explain(err)))
			case !st.Ready:
				pending = true
			}
		}
		if len(errs) > 0 {
			return errors.Join(errs...)
		}
		if !pending || time.Now().After(deadline) || ctx.Err() != nil {
			return nil // a shard still connecting is disgo's to retry; /readyz tells
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Close closes the shards (never disgo's Client.Close, which closes REST
// first and can hang on a request in flight).
func (d *disgoGateway) Close(ctx context.Context) {
	if d.manager != nil {
		d.manager.Close(ctx)
	}
}

// Status reports each shard: ready or why not, and its latency.
func (d *disgoGateway) Status() []ShardStatus {
	out := make([]ShardStatus, 0, len(d.ids))
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, id := range d.ids {
		st := ShardStatus{ID: id, Problem: "not connected"}
		if d.manager != nil {
			if g := d.manager.Shard(id); g != nil {
				st.Ready = g.Status() == gateway.StatusReady
				st.Latency = g.Latency()
				st.Problem = g.Status().String()
			}
		}
		if err, closed := d.closed[id]; closed {
			st.Ready, st.Problem = false, d.explain(err)
		}
		if st.Ready {
			st.Problem = ""
		}
		out = append(out, st)
	}
	return out
}

// recordingShard is a disgo gateway whose failed Open is recorded.
type recordingShard struct {
	gateway.Gateway
	d *disgoGateway
}

// Open opens the shard and records a refusal Discord means for good.
func (s *recordingShard) Open(ctx context.Context) error {
	err := s.Gateway.Open(ctx)
	var ce *websocket.CloseError
	if errors.As(err, &ce) && !gateway.CloseEventCodeByCode(ce.Code).Reconnect {
		s.d.shardClosed(s, err, false)
	}
	return err
}

// shardClosed records why a shard stopped for good.
func (d *disgoGateway) shardClosed(g gateway.Gateway, err error, reconnect bool) {
	if reconnect {
		return
	}
	d.mu.Lock()
	d.closed[g.ShardID()] = err
	d.mu.Unlock()
	d.rt.log.Error("shard stopped", zap.Int("shard", g.ShardID()), zap.String("why", d.explain(err)))
}

// explain says what a fatal close code means for the person running the
// bot, and what to do.
func (d *disgoGateway) explain(err error) string {
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		if err == nil {
			return "closed"
		}
		return err.Error()
	}
	return explainClose(ce.Code, ce.Text, d.rt.intents, d.rt.privilegedNeeders())
}

// explainClose says what a gateway close code means and what to do.
func explainClose(code int, text string, intents gateway.Intents, needers []string) string {
	switch code {
	case 4004:
		return "Discord refused the token (close 4004): check HEARTH_TOKEN (or the variable discord.token_env names); a reset token must be copied again from the Developer Portal"
	case 4010, 4011:
		return fmt.Sprintf("Discord refused the shard setup (close %d): set discord.shards to auto, or to the count Discord recommends", code)
	case 4012:
		return "Discord refused the gateway version (close 4012)"
	case 4013:
		return "Discord refused the intents as invalid (close 4013): this is a bug in Hearth, please report it"
	case 4014:
		return fmt.Sprintf("Discord refused a privileged intent (close 4014): in the Developer Portal, open your application, then Bot → Privileged Gateway Intents, and enable %s (needed by: %s)",
			strings.Join(privilegedIntents(intents), " and "), strings.Join(needers, "; "))
	}
	return fmt.Sprintf("closed with code %d: %s", code, text)
}

// privilegedIntents names the privileged intents among i as the
// Developer Portal labels them.
func privilegedIntents(i gateway.Intents) []string {
	var out []string
	for bit, name := range map[gateway.Intents]string{gateway.IntentGuildMembers: "SERVER MEMBERS INTENT",
		gateway.IntentGuildPresences: "PRESENCE INTENT", gateway.IntentMessageContent: "MESSAGE CONTENT INTENT"} {
		if i.Has(bit) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// privilegedNeeders lists the modules that asked for privileged intents.
func (rt *Runtime) privilegedNeeders() []string {
	var out []string
	for _, ms := range rt.modules {
		if nd, ok := ms.m.(Needer); ok && ms.inited {
			if p := privilegedIntents(nd.Needs().Intents); len(p) > 0 {
				out = append(out, fmt.Sprintf("module %s (%s)", ms.m.ID(), strings.Join(p, ", ")))
			}
		}
	}
	return out
}

// compression maps the config's compression to disgo's, which spells
// "none" as "".
func compression(c config.Compression) gateway.CompressionType {
	if c == config.CompressionNone {
		return gateway.CompressionNone
	}
	return gateway.CompressionType(c)
}

var _ Gateway = (*disgoGateway)(nil)
