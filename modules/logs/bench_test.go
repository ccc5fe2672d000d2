package logs

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/gateway"
	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/ratelimit"
)

// BenchmarkLogsMessages measures the module's event handling in
// process: every message is cached; one in 10 is then edited and one in
// 25 deleted, each looked up in the cache, rendered and queued for the
// log channel (the coalescer's sends do nothing). It reports messages a
// second (creations; the edits and deletions ride along). The capacity
// target is 20,000 messages a second through automod and logs on 2
// cores.
func BenchmarkLogsMessages(b *testing.B) {
	ctx := context.Background()
	m := New()
	m.cfg = defaultConfig()
	m.started = time.Now()
	m.messages = newMessageCache(m.cfg.CacheMessages, m.cfg.CacheAge)
	m.members = newMemberCache(m.cfg.CacheMembers)
	s := defaultSettings()
	s.Channel = 100
	m.settingsOf = func(context.Context, snowflake.ID) (Settings, error) { return s, nil }
	m.permissions = func(_, _ snowflake.ID) (discord.Permissions, error) { return postNeeds, nil }
	m.intents = func() gateway.Intents { return m.Needs().Intents }
	m.out = ratelimit.NewCoalescer(func(context.Context, snowflake.ID, discord.MessageCreate) error { return nil },
		ratelimit.CoalesceWindow(time.Millisecond), ratelimit.CoalesceMaxDelay(time.Millisecond), ratelimit.CoalesceQueue(1_000_000))
	defer func() { _ = m.out.Close(ctx) }()

	authors := make([]bot.User, 50)
	for i := range authors {
		authors[i] = bot.User{ID: snowflake.ID(1000 + i), Username: fmt.Sprintf("member%d", i), GlobalName: fmt.Sprintf("Member %d", i)}
	}
	texts := []string{"hello", "anyone around?", "lol", "https://example.com/some/link look at this",
		"I think the patch notes say otherwise, let me check", "gg", "brb", "same"}
	base := snowflake.New(time.Now())
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		id := base + snowflake.ID(i)
		author := authors[i%len(authors)]
		ev := bot.MessageCreated{ID: id, GuildID: 1, ChannelID: snowflake.ID(10 + i%5), Author: author,
			Content: texts[i%len(texts)], At: start}
		_ = m.onMessage(ctx, ev)
		if i%10 == 9 {
			prev := id - 5
			_ = m.onEdit(ctx, bot.MessageEdited{ID: prev, GuildID: 1, ChannelID: snowflake.ID(10 + (i-5)%5),
				Author: authors[(i-5)%len(authors)], Content: "edited", EditedAt: time.Now()})
		}
		if i%25 == 24 {
			prev := id - 10
			_ = m.onDelete(ctx, bot.MessageDeleted{ID: prev, GuildID: 1, ChannelID: snowflake.ID(10 + (i-10)%5)})
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "messages/s")
}
