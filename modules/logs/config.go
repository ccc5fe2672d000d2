package logs

import (
	"errors"
	"fmt"
	"time"

	"github.com/disgoorg/snowflake/v2"
)

// Settings is a guild's logs settings, as /settings shows and edits them
// under the module "logs".
type Settings struct {
	// Channel receives the logs; 0 turns logging off in the guild.
	Channel snowflake.ID `json:"channel" kind:"channel" doc:"The channel the logs are posted to; none turns logging off"`
	// Messages logs edits, deletions and bulk deletions.
	Messages bool `json:"messages" doc:"Log message edits and deletions (with their old content)"`
	// Members logs joins and leaves.
	Members bool `json:"members" doc:"Log members joining and leaving"`
	// Nicknames logs nickname changes.
	Nicknames bool `json:"nicknames" doc:"Log nickname changes"`
	// Roles logs roles given and taken.
	Roles bool `json:"roles" doc:"Log roles given to and taken from members"`
	// IgnoreChannels are channels whose messages are neither cached nor
	// logged.
	IgnoreChannels []snowflake.ID `json:"ignore_channels" kind:"channel" doc:"Channels whose message edits and deletions are not logged"`
}

// maxIgnoredChannels bounds ignore_channels.
const maxIgnoredChannels = 100

// defaultSettings is a guild's settings before anyone changed them:
// everything on, but no channel, so nothing is logged until a channel is
// set.
func defaultSettings() Settings {
	return Settings{Messages: true, Members: true, Nicknames: true, Roles: true}
}

// validateSettings checks a guild's settings, naming the key at fault.
func validateSettings(s *Settings) error {
	if n := len(s.IgnoreChannels); n > maxIgnoredChannels {
		return fmt.Errorf("ignore_channels: at most %d channels; got %d", maxIgnoredChannels, n)
	}
	return nil
}

// active reports whether anything is logged in the guild.
func (s Settings) active() bool {
	return s.Channel != 0 && (s.Messages || s.Members || s.Nicknames || s.Roles)
}

// logsMessagesIn reports whether edits and deletions in channel are
// logged: not in the log channel itself, nor in an ignored one.
func (s Settings) logsMessagesIn(channel snowflake.ID) bool {
	if s.Channel == 0 || !s.Messages || channel == s.Channel {
		return false
	}
	for _, c := range s.IgnoreChannels {
		if c == channel {
			return false
		}
	}
	return true
}

// tracksMembers reports whether the guild's member state is kept: for
// nickname and role changes, and what a leave shows.
func (s Settings) tracksMembers() bool {
	return s.Channel != 0 && (s.Members || s.Nicknames || s.Roles)
}

// config is the module's section of the config file, modules.logs: the
// operator's memory bounds, the same for every guild.
type config struct {
	// CacheMessages bounds the recent messages kept in memory, for every
	// guild together, so edits and deletions can show the old content.
	// 0 keeps none.
	CacheMessages int `yaml:"cache_messages"`
	// CacheAge is how long a message is kept at most: the cache's
	// retention.
	CacheAge time.Duration `yaml:"cache_age"`
	// CacheMembers bounds the members whose last nickname and roles are
	// kept, to tell what changed.
	CacheMembers int `yaml:"cache_members"`
}

// Bounds of the config's values.
const (
	minCacheMessages = 100
	maxCacheMessages = 1_000_000
	minCacheAge      = time.Minute
	maxCacheAge      = 30 * 24 * time.Hour
	minCacheMembers  = 1000
	maxCacheMembers  = 1_000_000
)

func defaultConfig() config {
	return config{CacheMessages: 10_000, CacheAge: 24 * time.Hour, CacheMembers: 50_000}
}

// validate checks the values' ranges, naming the key and what it allows.
func (c config) validate() error {
	var errs []error
	if c.CacheMessages != 0 && (c.CacheMessages < minCacheMessages || c.CacheMessages > maxCacheMessages) {
		errs = append(errs, fmt.Errorf("cache_messages: want 0 (no cache) or %d to %d messages; got %d",
			minCacheMessages, maxCacheMessages, c.CacheMessages))
	}
	if c.CacheAge < minCacheAge || c.CacheAge > maxCacheAge {
		errs = append(errs, fmt.Errorf("cache_age: want a duration from 1m to 720h (30 days); got %s", c.CacheAge))
	}
	if c.CacheMembers < minCacheMembers || c.CacheMembers > maxCacheMembers {
		errs = append(errs, fmt.Errorf("cache_members: want %d to %d members; got %d",
			minCacheMembers, maxCacheMembers, c.CacheMembers))
	}
	return errors.Join(errs...)
}
