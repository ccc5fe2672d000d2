package discordtest

import (
	"fmt"
	"strconv"
	"time"
)

// discordEpoch is the first millisecond of 2015 in Unix milliseconds, the
// origin of every snowflake's timestamp.
const discordEpoch = 1420070400000

// Snowflake is a Discord ID. Its top 42 bits are milliseconds since the
// Discord epoch, so an ID also says when its object was created.
type Snowflake uint64

// String returns the decimal form Discord uses in JSON and URLs.
func (s Snowflake) String() string { return strconv.FormatUint(uint64(s), 10) }

// Time returns the creation time encoded in the ID.
func (s Snowflake) Time() time.Time {
	return time.UnixMilli(int64(s>>22) + discordEpoch).UTC()
}

// MarshalJSON encodes the ID as a JSON string, as Discord does.
func (s Snowflake) MarshalJSON() ([]byte, error) {
	return []byte(`"` + s.String() + `"`), nil
}

// UnmarshalJSON accepts a JSON string or number.
func (s *Snowflake) UnmarshalJSON(b []byte) error {
	str := string(b)
	if len(str) >= 2 && str[0] == '"' && str[len(str)-1] == '"' {
		str = str[1 : len(str)-1]
	}
	v, err := parseSnowflake(str)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// parseSnowflake parses a decimal ID as it appears in a URL or a body.
func parseSnowflake(s string) (Snowflake, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v == 0 {
		return 0, fmt.Errorf("%q is not a snowflake", s)
	}
	return Snowflake(v), nil
}

// idSource hands out increasing snowflakes whose timestamps follow a clock.
type idSource struct {
	last Snowflake
}

// next returns an ID for an object created at t, strictly greater than
// every ID handed out before.
func (g *idSource) next(t time.Time) Snowflake {
	ms := t.UnixMilli() - discordEpoch
	if ms < 0 {
		ms = 0
	}
	id := Snowflake(uint64(ms) << 22)
	if id <= g.last {
		id = g.last + 1
	}
	g.last = id
	return id
}
