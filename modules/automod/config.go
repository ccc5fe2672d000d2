package automod

import "fmt"

// fileConfig is the module's section of the config file, modules.automod:
// what the operator of the bot decides, the same for every server.
type fileConfig struct {
	// MaxTrackedMembers bounds how many members' recent messages are
	// kept in memory, across all servers; past it, the member heard from
	// least recently is forgotten.
	MaxTrackedMembers int `yaml:"max_tracked_members"`
}

func defaultConfig() fileConfig { return fileConfig{MaxTrackedMembers: 50_000} }

// Bounds of max_tracked_members: at most about 1 KB each.
const (
	minTracked = 1_000
	maxTracked = 1_000_000
)

func (c fileConfig) validate() error {
	if c.MaxTrackedMembers < minTracked || c.MaxTrackedMembers > maxTracked {
		return fmt.Errorf("max_tracked_members: want %d to %d; got %d", minTracked, maxTracked, c.MaxTrackedMembers)
	}
	return nil
}
