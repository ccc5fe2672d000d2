package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/disgoorg/snowflake/v2"
	"go.uber.org/zap"

	"github.com/hearthbot/hearth/bot/bus"
)

// watchDepartures records guilds the bot is removed from, and forgets
// them when it comes back, so that their data waits out the grace period
// (store.guild_grace) before EraseDepartedGuilds erases it. An outage is
// not a departure: it arrives as GuildOutage.
func (rt *Runtime) watchDepartures() error {
	if rt.store == nil {
		return nil
	}
	opts := bus.Options{Name: "host.departures", Policy: bus.Backpressure}
	if _, err := bus.Subscribe(rt.bus, TopicGuildLeft, opts, func(ctx context.Context, e GuildLeft) error {
		return rt.store.MarkGuildLeft(ctx, uint64(e.GuildID), time.Now())
	}); err != nil {
		return err
	}
	_, err := bus.Subscribe(rt.bus, TopicGuildJoined, opts, func(ctx context.Context, e GuildJoined) error {
		return rt.store.MarkGuildPresent(ctx, uint64(e.GuildID))
	})
	return err
}

// EraseDepartedGuilds erases the data of every guild the bot left more
// than store.guild_grace before now: each module's (bot.GuildData), then
// the store's own. A guild whose erasure fails in a module is kept and
// tried again on the next run. It returns the guilds erased.
func (rt *Runtime) EraseDepartedGuilds(ctx context.Context, now time.Time) ([]snowflake.ID, error) {
	if rt.store == nil {
		return nil, nil
	}
	ids, err := rt.store.GuildsLeftBefore(ctx, now.Add(-rt.cfg.Store.GuildGrace))
	if err != nil {
		return nil, err
	}
	var erased []snowflake.ID
	var errs []error
	for _, id := range ids {
		g := snowflake.ID(id)
		if err := rt.eraseGuild(ctx, g); err != nil {
			errs = append(errs, err)
			continue
		}
		erased = append(erased, g)
		rt.log.Info("guild data erased after the grace period", zap.Uint64("guild_id", id),
			zap.Duration("grace", rt.cfg.Store.GuildGrace))
	}
	return erased, errors.Join(errs...)
}

func (rt *Runtime) eraseGuild(ctx context.Context, g snowflake.ID) error {
	for _, ms := range rt.modules {
		gd, ok := ms.m.(GuildData)
		if !ok || !ms.inited {
			continue
		}
		if err := ms.call("DeleteGuild", func() error { return gd.DeleteGuild(ctx, g) }); err != nil {
			return fmt.Errorf("bot: erase guild %d: module %s: %w", g, ms.m.ID(), err)
		}
	}
	return rt.store.DeleteGuild(ctx, uint64(g))
}

// departureLoop runs EraseDepartedGuilds every store.retention_every
// until ctx ends.
func (rt *Runtime) departureLoop(ctx context.Context) {
	t := time.NewTicker(rt.cfg.Store.RetentionEvery)
	defer t.Stop()
	log := rt.log.Named("retention")
	for {
		if _, err := rt.EraseDepartedGuilds(ctx, time.Now()); err != nil && ctx.Err() == nil {
			log.Warn("erasing the data of guilds that removed the bot", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
