package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
)

// Bounds of one export: Discord takes attachments up to 10 MiB from a
// bot; the file stays well under it.
const (
	maxExport      = 10_000
	maxExportBytes = 8 << 20
)

// exportHeader is the start of an export file; the entries follow it.
type exportHeader struct {
	Guild      snowflake.ID  `json:"guild_id"`
	ExportedAt time.Time     `json:"exported_at"`
	ExportedBy snowflake.ID  `json:"exported_by"`
	Filters    exportFilters `json:"filters"`
	// Order is "newest first".
	Order string `json:"order"`
	// Matching counts the entries that match the filters; Count those in
	// the file, fewer when Truncated.
	Matching  int  `json:"matching"`
	Count     int  `json:"count"`
	Truncated bool `json:"truncated"`
}

// exportFilters are the filters of an export, as given.
type exportFilters struct {
	User   *snowflake.ID `json:"user_id,omitempty"`
	Action string        `json:"action,omitempty"`
	Since  *time.Time    `json:"since,omitempty"`
}

// ExportedEntry is an entry as an export file and a person's data export
// write it. IDs are strings, as Discord writes them; "0" is nobody: the
// bot itself, an operator at the command line, or an erased person
// (then *_erased is true).
type ExportedEntry struct {
	ID            int64             `json:"id"`
	Guild         snowflake.ID      `json:"guild_id"`
	At            time.Time         `json:"at"`
	Module        string            `json:"module"`
	Kind          string            `json:"kind"`
	ActorID       snowflake.ID      `json:"actor_id"`
	ActorErased   bool              `json:"actor_erased,omitempty"`
	TargetID      snowflake.ID      `json:"target_id"`
	TargetErased  bool              `json:"target_erased,omitempty"`
	Reason        string            `json:"reason,omitempty"`
	Case          int64             `json:"case,omitempty"`
	DryRun        bool              `json:"dry_run"`
	Details       map[string]string `json:"details,omitempty"`
	Setting       *ExportedSetting  `json:"setting,omitempty"`
	CorrelationID string            `json:"correlation_id,omitempty"`
	// Role, in a person's data export only, says whether they were the
	// "actor", the "target" or "both".
	Role string `json:"role,omitempty"`
}

// ExportedSetting is a settings change: Key "" is a whole section reset,
// "enabled" a module switch.
type ExportedSetting struct {
	Key      string `json:"key"`
	Old      string `json:"old"`
	New      string `json:"new"`
	ChangeID int64  `json:"change_id,omitempty"`
}

// exported is e as an export writes it.
func exported(e entry) ExportedEntry {
	x := ExportedEntry{ID: e.ID, Guild: e.GuildID, At: e.At.UTC(), Module: e.Module, Kind: e.Kind, ActorID: e.ActorID,
		ActorErased: e.Erased&erasedActor != 0, TargetID: e.TargetID, TargetErased: e.Erased&erasedTarget != 0,
		Reason: e.Reason, Case: e.Case, DryRun: e.DryRun, Details: e.Details, CorrelationID: e.CorrelationID}
	if e.setting() {
		x.Setting = &ExportedSetting{Key: e.Key, Old: e.Old, New: e.New, ChangeID: e.ChangeID}
	}
	return x
}

// export answers /audit export with a JSON file of the entries that
// match, newest first, up to the export's bounds.
func (m *Module) export(ctx context.Context, r *bot.Request) (bot.Response, error) {
	if m.trail == nil {
		return bot.Response{}, errNoStore
	}
	f, err := m.filterOf(r)
	if err != nil {
		return bot.Response{}, err
	}
	if err := m.flush(ctx); err != nil {
		return bot.Response{}, err
	}
	if f.Upto, err = m.trail.lastID(ctx); err != nil {
		return bot.Response{}, err
	}
	total, err := m.trail.count(ctx, r.GuildID, f)
	if err != nil {
		return bot.Response{}, err
	}
	if total == 0 {
		return m.nothing(ctx, r.GuildID, f)
	}
	list, err := m.trail.list(ctx, r.GuildID, f, 0, m.exportLimit)
	if err != nil {
		return bot.Response{}, err
	}
	now := m.clock.Now()
	body, n, err := exportFile(r.GuildID, r.User.ID, f, now, total, list, maxExportBytes)
	if err != nil {
		return bot.Response{}, err
	}
	name := fmt.Sprintf("audit-%s-%s.json", r.GuildID, now.UTC().Format("20060102-150405"))
	msg := fmt.Sprintf("Exported %s of this server's audit trail, newest first: %s.", plural(n, "entry", "entries"), describe(f))
	if n < total {
		msg = fmt.Sprintf("Exported the newest %d of the %d entries that match (%s): one export holds at most %d entries or %d MiB. "+
			"Narrow it with since, user or action to get the older ones.", n, total, describe(f), m.exportLimit, maxExportBytes>>20)
	}
	return bot.Response{Content: msg, Files: []*discord.File{{Name: name, Reader: bytes.NewReader(body),
		Description: "Audit trail export"}}}, nil
}

// exportFile writes the export: the header's fields, then "entries", one
// entry a line, as many of list as fit in maxBytes. It returns the file
// and how many entries it holds.
func exportFile(guild, by snowflake.ID, f filter, now time.Time, total int, list []entry, maxBytes int) ([]byte, int, error) {
	h := exportHeader{Guild: guild, ExportedAt: now.UTC(), ExportedBy: by, Order: "newest first", Matching: total}
	if f.User != 0 {
		u := f.User
		h.Filters.User = &u
	}
	h.Filters.Action = f.Action
	if !f.Since.IsZero() {
		s := f.Since.UTC()
		h.Filters.Since = &s
	}
	lines := make([][]byte, 0, len(list))
	size := 1024 // the header, generously
	for _, e := range list {
		b, err := json.Marshal(exported(e))
		if err != nil {
			return nil, 0, fmt.Errorf("audit: export entry %d: %w", e.ID, err)
		}
		if size+len(b)+2 > maxBytes {
			break
		}
		size += len(b) + 2
		lines = append(lines, b)
	}
	h.Count = len(lines)
	h.Truncated = h.Count < total
	head, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return nil, 0, fmt.Errorf("audit: export header: %w", err)
	}
	var buf bytes.Buffer
	buf.Grow(size + len(head))
	buf.Write(bytes.TrimSuffix(head, []byte("\n}"))) // without the closing brace
	buf.WriteString(",\n  \"entries\": [")
	for i, l := range lines {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString("\n    ")
		buf.Write(l)
	}
	buf.WriteString("\n  ]\n}\n")
	return buf.Bytes(), len(lines), nil
}
