package bot

import (
	"context"
	"slices"
	"strings"
	"sync"
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

// restProbeEvery is how often RESTLatency measures again: GET /gateway
// is rate limited (Discord allows a few per second), and /ping under
// load must not queue behind it.
const restProbeEvery = 10 * time.Second

// restProbe is the last REST round trip measured, shared by every caller.
type restProbe struct {
	mu       sync.Mutex
	last     time.Duration
	err      error
	at       time.Time
	inflight chan struct{} // closed when the probe in flight ends
}

// RESTLatency returns a REST round trip to Discord (GET /gateway, the
// cheapest request there is), measured at most once every 10 seconds:
// callers in between share the last measurement, and callers during a
// measurement wait for it.
func (h *Host) RESTLatency(ctx context.Context) (time.Duration, error) {
	p := &h.rt.probe
	p.mu.Lock()
	if !p.at.IsZero() && time.Since(p.at) < restProbeEvery {
		d, err := p.last, p.err
		p.mu.Unlock()
		return d, err
	}
	if wait := p.inflight; wait != nil {
		p.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.last, p.err
	}
	done := make(chan struct{})
	p.inflight = done
	p.mu.Unlock()
	start := time.Now()
	_, err := h.rt.rest.GetGateway(rest.WithCtx(ctx))
	d := time.Since(start)
	p.mu.Lock()
	p.last, p.err, p.at, p.inflight = d, err, time.Now(), nil
	p.mu.Unlock()
	close(done)
	return d, err
}
