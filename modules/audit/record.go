package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/bot/bus"
	"github.com/hearthbot/hearth/store"
)

// Bounds on what one entry keeps, so that a module's mistake cannot
// fill the database.
const (
	maxReason      = 1024 // characters
	maxValue       = 1024 // characters of a setting's old or new value
	maxDetails     = 32   // keys
	maxDetailKey   = 64   // characters
	maxDetailValue = 256  // characters
)

// Queues: the audit trail must not lose events, so its subscriptions
// apply backpressure, with room for an automod burst before they do.
const (
	actionQueue  = 8192
	settingQueue = 1024
)

// batchConfig is the write-behind batcher's: entries reach the database
// within 200 ms, in transactions of up to 1000 rows; 20,000 may wait
// before add writes them itself.
func batchConfig() store.BatcherConfig {
	return store.BatcherConfig{Name: "audit.entries", Interval: store.DefaultBatchInterval, MaxRows: 1000, MaxQueue: 20_000}
}

// subscribe registers the subscriptions to actions and settings changes.
func (m *Module) subscribe(h *bot.Host) error {
	err := bot.SubscribeWith(h, bot.TopicAction, bus.Options{Name: "actions", Policy: bus.Backpressure, Queue: actionQueue},
		func(ctx context.Context, a bot.Action) error { return m.add(ctx, actionEntry(a, m.clock)) })
	if err != nil {
		return err
	}
	// Settings come through the raw bus, because Host's subscriptions
	// skip the guilds where this module is off, and turning the audit
	// module off is itself a change the trail must show.
	sub, err := bus.Subscribe(h.Bus(), bot.TopicSettingChanged,
		bus.Options{Name: ID + ".settings", Policy: bus.Backpressure, Queue: settingQueue}, m.settingChanged)
	if err != nil {
		return fmt.Errorf("audit: subscribe %s: %w", bot.TopicSettingChanged.Name(), err)
	}
	m.settingsSub = sub
	return nil
}

// settingChanged records a settings change of a guild where the module
// is on, and always the switch of the audit module itself.
func (m *Module) settingChanged(ctx context.Context, c bot.SettingChanged) error {
	own := c.Module == ID && c.Key == keyEnabled
	if st := m.host.Store(); st != nil && c.GuildID != 0 && !own {
		on, err := st.ModuleEnabled(ctx, uint64(c.GuildID), ID)
		if err != nil {
			return fmt.Errorf("audit: module switch: %w", err)
		}
		if !on {
			return nil
		}
	}
	return m.add(ctx, settingEntry(c, m.clock))
}

// keyEnabled is the key of a SettingChanged that switches a module.
const keyEnabled = "enabled"

// errStopped is returned when an entry arrives after Stop.
var errStopped = errors.New("audit: the writer is stopped; the entry is lost")

// add queues an entry for the batcher. When the batcher's queue is full,
// add writes it at once and tries again: the bus then waits for the
// database, and the publishers for the bus, instead of the entry being
// lost.
func (m *Module) add(ctx context.Context, e entry) error {
	w, err := m.writer()
	if err != nil || w == nil {
		return err // nil, nil: no store, nothing to keep
	}
	if w.Add(e) {
		return nil
	}
	if err := w.Flush(ctx); err != nil {
		return fmt.Errorf("audit: write entries: %w", err)
	}
	if !w.Add(e) {
		return errStopped
	}
	return nil
}

// actionEntry is the entry of an action.
func actionEntry(a bot.Action, c bot.Clock) entry {
	e := entry{GuildID: a.GuildID, At: a.At, Module: a.Module, Kind: kindOf(a.Kind), ActorID: a.ActorID, TargetID: a.TargetID,
		Reason: clip(a.Reason, maxReason), Case: a.Case, DryRun: a.DryRun, CorrelationID: clip(a.CorrelationID, 64)}
	if e.At.IsZero() {
		e.At = c.Now()
	}
	if len(a.Details) > 0 {
		e.Details = make(map[string]string, min(len(a.Details), maxDetails))
		for k, v := range a.Details {
			if len(e.Details) == maxDetails {
				e.Details["…"] = fmt.Sprintf("%d more details were not kept", len(a.Details)-maxDetails)
				break
			}
			e.Details[clip(k, maxDetailKey)] = clip(v, maxDetailValue)
		}
	}
	return e
}

// kindOf is a kind as stored: lower-case, trimmed, "unknown" when empty.
func kindOf(k string) string {
	k = clip(strings.ToLower(strings.TrimSpace(k)), 64)
	if k == "" {
		return "unknown"
	}
	return k
}

// settingEntry is the entry of a settings change: a module switch (key
// "enabled"), a whole section reset (key ""), or a key set.
func settingEntry(s bot.SettingChanged, c bot.Clock) entry {
	e := entry{GuildID: s.GuildID, At: s.At, Module: s.Module, Kind: kindSettingsSet, ActorID: s.ActorID, Key: s.Key,
		Old: clip(s.Old, maxValue), New: clip(s.New, maxValue), ChangeID: s.ChangeID, CorrelationID: clip(s.CorrelationID, 64)}
	switch s.Key {
	case keyEnabled:
		e.Kind = kindModuleDisable
		if switchedOn(s.New) {
			e.Kind = kindModuleEnable
		}
	case "":
		e.Kind = kindSettingsReset
	}
	if e.At.IsZero() {
		e.At = c.Now()
	}
	return e
}

// switchedOn reads the new value of a module switch.
func switchedOn(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "on", "enabled", "yes", "1":
		return true
	}
	return false
}

// clip shortens s to at most n characters.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
