package moderation

import (
	"errors"
	"fmt"
	"time"
)

// settings is the module's section, modules.moderation.
type settings struct {
	// LogChannel is the modlog channel: every case is posted there. 0:
	// none. It serves the guild it belongs to (per-guild settings come
	// later).
	LogChannel uint64 `yaml:"log_channel"`
	// DMOnAction sends the member a DM before a kick or a ban.
	DMOnAction bool `yaml:"dm_on_action"`
	// ContentMatching asks for the MESSAGE_CONTENT privileged intent, so
	// that /purge contains can read what messages say.
	ContentMatching bool `yaml:"content_matching"`
	// PurgeMemory is how many recent messages per channel the module
	// remembers for /purge.
	PurgeMemory int `yaml:"purge_memory"`
	// Escalation is the warning ladder.
	Escalation escalation `yaml:"escalation"`
}

// escalation turns warnings into a timeout, then a kick.
type escalation struct {
	// TimeoutAfter active warnings lead to a timeout of TimeoutFor. 0: off.
	TimeoutAfter int           `yaml:"timeout_after"`
	TimeoutFor   time.Duration `yaml:"timeout_for"`
	// KickAfter active warnings lead to a kick. 0: off.
	KickAfter int `yaml:"kick_after"`
	// Window counts only warnings this recent. 0: every active warning.
	Window time.Duration `yaml:"window"`
}

func defaultConfig() settings {
	return settings{DMOnAction: true, PurgeMemory: 1000, Escalation: escalation{TimeoutFor: time.Hour}}
}

// Limits of the values.
const (
	maxTimeout     = 28 * 24 * time.Hour // Discord's limit
	maxBanDuration = 365 * 24 * time.Hour
	maxPurgeMemory = 10_000
)

// validate checks the values' ranges, naming the key and what it allows.
func (c settings) validate() error {
	var errs []error
	if c.PurgeMemory < 100 || c.PurgeMemory > maxPurgeMemory {
		errs = append(errs, fmt.Errorf("purge_memory: want 100 to %d messages per channel; got %d", maxPurgeMemory, c.PurgeMemory))
	}
	e := c.Escalation
	if e.TimeoutAfter < 0 || e.KickAfter < 0 {
		errs = append(errs, errors.New("escalation: timeout_after and kick_after count warnings: want 0 (off) or more"))
	}
	if e.TimeoutAfter > 0 && (e.TimeoutFor <= 0 || e.TimeoutFor > maxTimeout) {
		errs = append(errs, fmt.Errorf("escalation.timeout_for: want a duration above 0 and at most 672h (28 days, Discord's limit); got %s", e.TimeoutFor))
	}
	if e.TimeoutAfter > 0 && e.KickAfter > 0 && e.KickAfter <= e.TimeoutAfter {
		errs = append(errs, fmt.Errorf("escalation.kick_after (%d) must be above timeout_after (%d)", e.KickAfter, e.TimeoutAfter))
	}
	if e.Window < 0 {
		errs = append(errs, fmt.Errorf("escalation.window: want 0 (every active warning) or a positive duration; got %s", e.Window))
	}
	return errors.Join(errs...)
}
