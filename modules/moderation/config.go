package moderation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/disgoorg/snowflake/v2"
	"go.uber.org/zap"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/store"
)

// section is the module's section, modules.moderation: what the operator
// decides for every guild, and the defaults of the per-guild settings.
type section struct {
	// ContentMatching asks for the MESSAGE_CONTENT privileged intent, so
	// that /purge contains can read what messages say. An operator's
	// choice: the intent must be enabled in the Developer Portal.
	ContentMatching bool `yaml:"content_matching"`
	// Defaults are the settings of a guild that never changed its own
	// with /settings.
	Defaults guildSettings `yaml:",inline"`
}

// guildSettings are one guild's settings, edited with /settings
// (module moderation) and stored per guild.
type guildSettings struct {
	LogChannel snowflake.ID `yaml:"log_channel" json:"log_channel" kind:"channel" doc:"The modlog channel: every case is posted there (none: no modlog)"`
	DMOnAction bool         `yaml:"dm_on_action" json:"dm_on_action" doc:"DM the member what happens and why before a kick or a ban"`
	Escalation escalation   `yaml:"escalation" json:"escalation"`
}

// escalation turns warnings into a timeout, then a kick.
type escalation struct {
	TimeoutAfter int           `yaml:"timeout_after" json:"timeout_after" doc:"Active warnings that lead to a timeout (0: off)"`
	TimeoutFor   time.Duration `yaml:"timeout_for" json:"timeout_for" doc:"How long the escalation's timeout lasts (at most 28d)"`
	KickAfter    int           `yaml:"kick_after" json:"kick_after" doc:"Active warnings that lead to a kick (0: off); above timeout_after"`
	Window       time.Duration `yaml:"window" json:"window" doc:"Count only warnings this recent (0: every active warning)"`
}

func defaultConfig() section {
	return section{Defaults: guildSettings{DMOnAction: true, Escalation: escalation{TimeoutFor: time.Hour}}}
}

// Limits of the values.
const (
	maxTimeout     = 28 * 24 * time.Hour // Discord's limit
	maxBanDuration = 365 * 24 * time.Hour
	maxLadder      = 100 // warnings; more is surely a typo
)

// validate checks the section: the defaults as any guild's settings.
func (c section) validate() error { return validateSettings(&c.Defaults) }

// validateSettings checks a guild's settings, naming the key at fault and
// what it allows. It serves the config file's defaults and /settings.
func validateSettings(s *guildSettings) error {
	var errs []error
	e := s.Escalation
	for _, k := range []struct {
		key string
		n   int
	}{{"escalation.timeout_after", e.TimeoutAfter}, {"escalation.kick_after", e.KickAfter}} {
		if k.n < 0 || k.n > maxLadder {
			errs = append(errs, fmt.Errorf("%s: want 0 (off) to %d warnings; got %d", k.key, maxLadder, k.n))
		}
	}
	if e.TimeoutFor < 0 || e.TimeoutFor > maxTimeout || e.TimeoutAfter > 0 && e.TimeoutFor == 0 {
		errs = append(errs, fmt.Errorf("escalation.timeout_for: want a duration above 0 and at most 28d (672h, Discord's limit); got %s", bot.FormatDuration(e.TimeoutFor)))
	}
	if e.TimeoutAfter > 0 && e.KickAfter > 0 && e.KickAfter <= e.TimeoutAfter {
		errs = append(errs, fmt.Errorf("escalation.kick_after: want more warnings than escalation.timeout_after (%d), or 0 (off); got %d", e.TimeoutAfter, e.KickAfter))
	}
	if e.Window < 0 {
		errs = append(errs, fmt.Errorf("escalation.window: want 0 (every active warning) or a positive duration; got %s", bot.FormatDuration(e.Window)))
	}
	return errors.Join(errs...)
}

// settingsOf returns a guild's settings. Should they not be readable (the
// store failed, or what is stored no longer validates), it logs why and
// returns the defaults, so that an action is never refused for it.
func (m *Module) settingsOf(ctx context.Context, guild snowflake.ID) guildSettings {
	if m.settings == nil {
		return m.cfg.Defaults
	}
	s, err := m.settings.Get(ctx, guild)
	if err != nil {
		level := m.host.Log().Error
		if errors.Is(err, store.ErrInvalidSettings) {
			level = m.host.Log().Warn
		}
		level("guild settings unreadable; using the defaults", zap.Uint64("guild_id", uint64(guild)), zap.Error(err))
	}
	return s
}
