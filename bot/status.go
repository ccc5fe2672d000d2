package bot

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
)

// CommandInfo describes a registered command, for help listings.
type CommandInfo struct {
	Module      string
	Name        string
	Description string
	Permissions discord.Permissions
	AllowDMs    bool
	// Subcommands lists the subcommand paths ("group sub" or "sub").
	Subcommands []string
}

// ShardStatus is one shard's state.
type ShardStatus struct {
	ID    int
	Ready bool
	// Latency is the last heartbeat round trip; zero until one is known.
	Latency time.Duration
	// Problem says why the shard is not ready.
	Problem string
}

// Status is the running bot's state, for /about and /ping.
type Status struct {
	Version string
	Started time.Time
	Guilds  int
	Shards  []ShardStatus
	Modules []string
}

// Commands lists every registered command of every module, by name.
func (h *Host) Commands() []CommandInfo {
	var out []CommandInfo
	for _, r := range h.rt.commands {
		c := r.cmd
		info := CommandInfo{Module: r.module, Name: c.Name, Description: c.Description, Permissions: c.Permissions, AllowDMs: c.AllowDMs}
		for _, s := range c.Subcommands {
			info.Subcommands = append(info.Subcommands, s.Name)
		}
		for _, g := range c.Groups {
			for _, s := range g.Subcommands {
				info.Subcommands = append(info.Subcommands, g.Name+" "+s.Name)
			}
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b CommandInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Status reports the running bot's state.
func (h *Host) Status() Status {
	rt := h.rt
	s := Status{Version: versionOr(rt.opts.Version), Started: rt.started}
	for _, ms := range rt.modules {
		if ms.inited {
			s.Modules = append(s.Modules, ms.m.ID())
		}
	}
	if rt.gateway == nil {
		return s
	}
	s.Shards = rt.gateway.Status()
	s.Guilds = rt.guilds.count()
	return s
}

// RESTLatency measures one REST round trip to Discord (GET /gateway,
// the cheapest request there is).
func (h *Host) RESTLatency(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	_, err := h.rt.rest.GetGateway(rest.WithCtx(ctx))
	return time.Since(start), err
}
