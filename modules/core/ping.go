package core

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/disgoorg/snowflake/v2"
	"go.uber.org/zap"

	"github.com/hearthbot/hearth/bot"
)

// restProbeTimeout bounds the REST round trip /ping measures, so that a
// stuck request still leaves /ping an answer.
const restProbeTimeout = 5 * time.Second

// maxListedShards is how many shards /ping lists one by one; past it,
// /ping shows this server's shard and a summary of all of them.
const maxListedShards = 4

// ping answers with the gateway latency per shard, one REST round trip
// and the handler's own time so far.
func (m *Module) ping(ctx context.Context, r *bot.Request) (bot.Response, error) {
	start := time.Now()
	probe, cancel := context.WithTimeout(ctx, restProbeTimeout)
	rest, err := m.host.RESTLatency(probe)
	cancel()
	if err != nil {
		r.Log.Warn("ping: REST round trip failed", zap.Error(err))
	}
	shards := m.host.Status().Shards
	p := pingReport{
		Shards:     shards,
		GuildShard: shardOf(r.GuildID, len(shards)),
		REST:       rest,
		RESTFailed: err != nil,
		Handler:    time.Since(start),
	}
	return bot.Response{Content: p.String()}, nil
}

// pingReport is what /ping measured.
type pingReport struct {
	Shards []bot.ShardStatus
	// GuildShard is the ID of the shard that serves the guild /ping ran in.
	GuildShard int
	REST       time.Duration
	RESTFailed bool
	Handler    time.Duration
}

// String is the reply: "Pong! Gateway: shard 0 42 ms · REST 8 ms ·
// handler 9 ms".
func (p pingReport) String() string {
	rest := "failed"
	if !p.RESTFailed {
		rest = millis(p.REST)
	}
	return fmt.Sprintf("Pong! Gateway: %s · REST %s · handler %s", p.gateway(), rest, millis(p.Handler))
}

// gateway describes the shards' heartbeat latencies: each shard when
// there are few, else this server's shard and the average and maximum.
func (p pingReport) gateway() string {
	switch {
	case len(p.Shards) == 0:
		return "no shard"
	case len(p.Shards) <= maxListedShards:
		parts := make([]string, len(p.Shards))
		for i, s := range p.Shards {
			parts[i] = fmt.Sprintf("shard %d %s", s.ID, latency(s))
		}
		return strings.Join(parts, ", ")
	}
	own := fmt.Sprintf("shard %d (this server) not running here", p.GuildShard)
	var sum, top time.Duration
	measured := 0
	for _, s := range p.Shards {
		if s.ID == p.GuildShard {
			own = fmt.Sprintf("shard %d (this server) %s", s.ID, latency(s))
		}
		if s.Latency > 0 {
			sum += s.Latency
			top = max(top, s.Latency)
			measured++
		}
	}
	if measured == 0 {
		return fmt.Sprintf("%s; %d shards, none measured yet", own, len(p.Shards))
	}
	return fmt.Sprintf("%s; %d shards, average %s, max %s", own, len(p.Shards), millis(sum/time.Duration(measured)), millis(top))
}

// latency is a shard's last heartbeat round trip, once one is known.
func latency(s bot.ShardStatus) string {
	if s.Latency <= 0 {
		return "not measured yet"
	}
	return millis(s.Latency)
}

// millis writes d in whole milliseconds.
func millis(d time.Duration) string {
	if d < time.Millisecond {
		return "<1 ms"
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

// shardOf is the shard that receives a guild's events, by Discord's
// formula (guild_id >> 22) % shard_count.
func shardOf(guildID snowflake.ID, shards int) int {
	if shards <= 0 {
		return 0
	}
	return int((uint64(guildID) >> 22) % uint64(shards))
}
