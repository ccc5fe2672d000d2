package logs

import (
	"strings"
	"testing"
	"time"

	"github.com/disgoorg/snowflake/v2"
)

func TestConfigErrorsNameTheKeyAndWhatIsAllowed(t *testing.T) {
	tests := []struct {
		name string
		cfg  func(*config)
		want string // "" for valid
	}{
		{"defaults", func(*config) {}, ""},
		{"no cache", func(c *config) { c.CacheMessages = 0 }, ""},
		{"too few messages", func(c *config) { c.CacheMessages = 50 }, "cache_messages: want 0 (no cache) or 100 to 1000000 messages; got 50"},
		{"too many messages", func(c *config) { c.CacheMessages = 2_000_000 }, "cache_messages: want 0 (no cache) or 100 to 1000000"},
		{"age too short", func(c *config) { c.CacheAge = time.Second }, "cache_age: want a duration from 1m to 720h (30 days); got 1s"},
		{"age too long", func(c *config) { c.CacheAge = 1000 * time.Hour }, "cache_age: want a duration from 1m to 720h"},
		{"members", func(c *config) { c.CacheMembers = 10 }, "cache_members: want 1000 to 1000000 members; got 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := defaultConfig()
			tt.cfg(&c)
			err := c.validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("got %v; want no error", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v; want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestSettingsErrorsNameTheKey(t *testing.T) {
	s := defaultSettings()
	for i := range maxIgnoredChannels + 1 {
		s.IgnoreChannels = append(s.IgnoreChannels, snowflake.ID(i+1))
	}
	if err := validateSettings(&s); err == nil || err.Error() != "ignore_channels: at most 100 channels; got 101" {
		t.Errorf("got %v; want the key, the limit and the count", err)
	}
}

func TestABadConfigStopsStartUp(t *testing.T) {
	t.Parallel()
	m := New()
	cfg := loadConfig(t, "cache_age: 5s")
	m.cfg = defaultConfig()
	if err := cfg.Module(ID, &m.cfg); err != nil {
		t.Fatal(err)
	}
	if err := m.Validate(); err == nil || !strings.Contains(err.Error(), "cache_age") {
		t.Errorf("Validate: got %v; want an error naming cache_age", err)
	}
}
