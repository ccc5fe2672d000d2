package audit

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hearthbot/hearth/bot"
)

// settings is the module's section, modules.audit.
type settings struct {
	// Retention is how long entries are kept; 0 keeps them forever.
	Retention retention `yaml:"retention"`
}

// day is the shortest retention: the trail must outlive the incident it
// is read for.
const day = 24 * time.Hour

// Limits of the values.
const (
	defaultRetention = 90 * day
	minRetention     = day
	maxRetention     = 3650 * day // ten years
)

func defaultConfig() settings {
	return settings{Retention: retention(defaultRetention)}
}

// retention is a duration written as people write them ("90d", "12w",
// "2160h"), or 0 for forever.
type retention time.Duration

// UnmarshalText reads "0", a Go duration ("2160h") or a duration as
// moderators type it ("90d", "1w").
func (r *retention) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	if s == "0" || s == "" {
		*r = 0
		return nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		*r = retention(d)
		return nil
	}
	d, err := bot.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("retention: %q is not a duration: %s, or 0 to keep entries forever", s, bot.DurationHelp)
	}
	*r = retention(d)
	return nil
}

// MarshalText writes the retention as UnmarshalText reads it.
func (r retention) MarshalText() ([]byte, error) {
	if r == 0 {
		return []byte("0"), nil
	}
	return []byte(bot.FormatDuration(time.Duration(r))), nil
}

// validate checks the values' ranges, naming the key and what it allows.
func (c settings) validate() error {
	var errs []error
	if d := time.Duration(c.Retention); d != 0 && (d < minRetention || d > maxRetention) {
		got := d.String()
		if d > 0 {
			got = strings.ReplaceAll(bot.FormatDuration(d), " ", "")
		}
		errs = append(errs, fmt.Errorf("retention: want 0 (keep forever) or a duration from 1d to 3650d (ten years), such as 90d; got %s", got))
	}
	return errors.Join(errs...)
}
