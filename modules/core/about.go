package core

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/hearthbot/hearth/bot"
)

// about answers with the bot's version, uptime, guilds, shards, modules
// and memory.
func (m *Module) about(context.Context, *bot.Request) (bot.Response, error) {
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	st := m.host.Status()
	a := aboutReport{Status: st, Uptime: time.Since(st.Started), HeapInUse: mem.HeapInuse}
	return bot.Response{Content: a.String()}, nil
}

// aboutReport is what /about shows.
type aboutReport struct {
	bot.Status
	Uptime time.Duration
	// HeapInUse is the Go heap's in-use spans, in bytes.
	HeapInUse uint64
}

// String is the reply, one fact a line.
func (a aboutReport) String() string {
	ready := 0
	for _, s := range a.Shards {
		if s.Ready {
			ready++
		}
	}
	modules := "none"
	if len(a.Modules) > 0 {
		modules = strings.Join(a.Modules, ", ")
	}
	return fmt.Sprintf("**Hearth** %s\nUptime: %s\nGuilds: %d\nShards: %d/%d ready\nModules: %s\nMemory: %.1f MiB heap in use",
		a.Version, uptime(a.Uptime), a.Guilds, ready, len(a.Shards), modules, float64(a.HeapInUse)/(1<<20))
}

// uptime rounds d to its two largest units: "42s", "5m 3s", "2h 7m",
// "3d 4h".
func uptime(d time.Duration) string {
	const day = 24 * time.Hour
	d = max(d, 0)
	if r := d.Round(time.Second); r < time.Minute {
		return fmt.Sprintf("%ds", r/time.Second)
	} else if r < time.Hour {
		return fmt.Sprintf("%dm %ds", r/time.Minute, r%time.Minute/time.Second)
	}
	if r := d.Round(time.Minute); r < day {
		return fmt.Sprintf("%dh %dm", r/time.Hour, r%time.Hour/time.Minute)
	}
	r := d.Round(time.Hour)
	return fmt.Sprintf("%dd %dh", r/day, r%day/time.Hour)
}
