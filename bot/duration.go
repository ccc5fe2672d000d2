package bot

import (
	"strconv"
	"strings"
	"time"
)

var units = map[string]time.Duration{
	"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"w": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
}

// maxDuration bounds what ParseDuration reads: a century.
const maxDuration = 100 * 365 * 24 * time.Hour

// DurationHelp says how to write a duration, for error messages.
const DurationHelp = "write a number and a unit (s, m, h, d or w), like 10m, 2h, 7d or 1h30m"

// ParseDuration reads a duration as moderators type it: numbers with
// units, "10m", "2h", "7d", "1w", "1h30m", "2 days"; spaces and case do
// not matter. Its error is a *UserError that says how to write one.
func ParseDuration(s string) (time.Duration, error) {
	text := strings.ToLower(strings.TrimSpace(s))
	if text == "" {
		return 0, userErrorf("The duration is empty: %s.", DurationHelp)
	}
	var total time.Duration
	rest := text
	for rest != "" {
		rest = strings.TrimLeft(rest, " ")
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, userErrorf("%q is not a duration: %s.", s, DurationHelp)
		}
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil {
			return 0, userErrorf("%q is too long a duration.", s)
		}
		rest = strings.TrimLeft(rest[i:], " ")
		j := 0
		for j < len(rest) && rest[j] >= 'a' && rest[j] <= 'z' {
			j++
		}
		if j == 0 {
			return 0, userErrorf("%q has a number without a unit: %s.", s, DurationHelp)
		}
		unit, ok := units[rest[:j]]
		if !ok {
			return 0, userErrorf("%q has an unknown unit %q: %s.", s, rest[:j], DurationHelp)
		}
		if time.Duration(n) > (maxDuration-total)/unit {
			return 0, userErrorf("%q is too long a duration.", s)
		}
		total += time.Duration(n) * unit
		rest = rest[j:]
	}
	return total, nil
}

// FormatDuration writes d as the largest units that fit: "28d",
// "1h 30m", "45s"; under a second as Go does ("500ms"), and a negative
// duration with a minus sign.
func FormatDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + FormatDuration(-d)
	case d == 0:
		return "0s"
	case d < time.Second:
		return d.String()
	}
	var parts []string
	for _, u := range []struct {
		name string
		d    time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}} {
		if n := d / u.d; n > 0 {
			parts = append(parts, strconv.FormatInt(int64(n), 10)+u.name)
			d -= n * u.d
		}
	}
	if len(parts) == 0 {
		return "0s"
	}
	return strings.Join(parts, " ")
}
