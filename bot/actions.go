package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot/bus"
)

// Action is something a module did in a guild (a moderation case, an
// automod deletion, a lockdown), or would have done in a dry run. Modules
// report every one with Host.Record; the audit module keeps them.
type Action struct {
	GuildID snowflake.ID
	// Module is the module that acted; Record fills it in.
	Module string
	// Kind names the action, lower-case: "warn", "ban", "automod.delete",
	// "lockdown.start".
	Kind string
	// ActorID is who asked for it: the moderator, or 0 for the bot acting
	// on its own (automod, an expiring ban).
	ActorID snowflake.ID
	// TargetID is who or what it was done to: a user, a channel.
	TargetID snowflake.ID
	Reason   string
	// Case is the moderation case number, 0 when there is none.
	Case int64
	// DryRun marks what a rule in dry-run mode would have done.
	DryRun bool
	// Details are short facts worth keeping ("rule": "spam",
	// "duration": "1h").
	Details map[string]string
	// CorrelationID ties the action to the command that caused it; Record
	// fills it in from the context when empty.
	CorrelationID string
	// At is when it happened; Record fills it in when zero.
	At time.Time
}

// EventGuild returns the guild of the event.
func (e Action) EventGuild() snowflake.ID { return e.GuildID }

// SettingChanged is a change of a guild's settings, or a module switched
// on or off in a guild (Key "enabled").
type SettingChanged struct {
	GuildID snowflake.ID
	// Module is the module whose settings changed.
	Module string
	// Key is the dotted key that changed, "enabled" for the module switch,
	// or "" when a whole section was reset.
	Key string
	// Old and New are the values before and after, as /settings shows
	// them.
	Old, New string
	// ActorID is who changed it (0: an operator at the command line).
	ActorID       snowflake.ID
	CorrelationID string
	At            time.Time
	// ChangeID is the change's ID in the store's settings history.
	ChangeID int64
}

// EventGuild returns the guild of the event.
func (e SettingChanged) EventGuild() snowflake.ID { return e.GuildID }

// Topics of the audit trail.
var (
	TopicAction         = bus.NewTopic[Action]("audit.action")
	TopicSettingChanged = bus.NewTopic[SettingChanged]("audit.setting_changed")
)

// Record publishes an action the module took, for the audit trail. It
// waits for room as long as ctx allows when a subscriber is slow; an
// error means the audit module did not get the action (it is logged by
// the caller's choice; the action itself stands).
func (h *Host) Record(ctx context.Context, a Action) error {
	a.Module = h.module
	if a.At.IsZero() {
		a.At = time.Now()
	}
	if a.CorrelationID == "" {
		a.CorrelationID = CorrelationID(ctx)
	}
	if err := bus.Publish(ctx, h.rt.bus, TopicAction, a); err != nil {
		return fmt.Errorf("bot: %s: record %s: %w", h.module, a.Kind, err)
	}
	return nil
}

// RecordSetting publishes a settings change for the audit trail.
func (h *Host) RecordSetting(ctx context.Context, c SettingChanged) error {
	if c.At.IsZero() {
		c.At = time.Now()
	}
	if c.CorrelationID == "" {
		c.CorrelationID = CorrelationID(ctx)
	}
	if err := bus.Publish(ctx, h.rt.bus, TopicSettingChanged, c); err != nil {
		return fmt.Errorf("bot: %s: record setting %s.%s: %w", h.module, c.Module, c.Key, err)
	}
	return nil
}

type correlationKey struct{}

// WithCorrelation returns ctx carrying a correlation ID; the host puts the
// invocation's in the context of every handler.
func WithCorrelation(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, correlationKey{}, id)
}

// CorrelationID returns the correlation ID ctx carries, or "".
func CorrelationID(ctx context.Context) string {
	id, _ := ctx.Value(correlationKey{}).(string)
	return id
}
