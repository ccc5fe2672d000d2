package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/discordtest"
	"github.com/hearthbot/hearth/store"
)

func TestActionsAndSettingsChangesAreListedNewestFirstWithTheirReference(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	now := time.Now()
	h.record(bot.Action{Kind: "automod.delete", TargetID: h.id("member3"), Reason: "spam", DryRun: true,
		Details: map[string]string{"rule": "spam"}, At: now.Add(-5 * time.Minute)}, "feedc0de")
	h.setting(bot.SettingChanged{Module: "automod", Key: "spam.count", Old: "5", New: "8", ActorID: h.id("admin"),
		CorrelationID: "5e771265", ChangeID: 12, At: now.Add(-4 * time.Minute)})
	h.setting(bot.SettingChanged{Module: "automod", Key: "", Old: "(saved settings)", New: "(defaults)", ActorID: h.id("admin"),
		At: now.Add(-3 * time.Minute)})
	h.setting(bot.SettingChanged{Module: "automod", Key: "enabled", Old: "true", New: "false", At: now.Add(-2 * time.Minute)})
	h.setting(bot.SettingChanged{Module: "logs", Key: "enabled", Old: "false", New: "on", ActorID: h.id("admin"),
		At: now.Add(-1 * time.Minute)})
	reply := h.run("mod", `/probe kind:warn target:@member2 reason:"spam links"`)
	ref := strings.TrimPrefix(reply.Content, "recorded ")
	h.waitRows(6)

	r := h.run("mod", "/audit search")
	mod, m2, m3, admin := h.id("mod"), h.id("member2"), h.id("member3"), h.id("admin")
	want := []string{
		fmt.Sprintf("<@%s> **warn** <@%s> · case #7 · “spam links” · ref `%s`", mod, m2, ref),
		fmt.Sprintf("<@%s> **module.enable** logs", admin),
		"an operator **module.disable** automod",
		fmt.Sprintf("<@%s> **settings.reset** automod: every key back to its default", admin),
		fmt.Sprintf("<@%s> **settings.set** automod `spam.count`: `5` → `8` · ref `5e771265`", admin),
		fmt.Sprintf("automatic **automod.delete** <@%s> · **dry run** · “spam” · (rule: spam) · ref `feedc0de`", m3),
	}
	h.wantReply(r, append([]string{"Audit trail: 6 entries", "Page 1 of 1"}, want...)...)
	got := text(r)
	for i := 1; i < len(want); i++ {
		if strings.Index(got, want[i-1]) > strings.Index(got, want[i]) {
			t.Errorf("%q comes after %q; want newest first", want[i-1], want[i])
		}
	}
	if len(r.Components) != 0 {
		t.Errorf("one page has buttons %s; want none", r.Components)
	}
	// The stored rows keep what the list does not show.
	var module, details string
	var change int64
	must(t, h.Store.DB().QueryRow(`SELECT module, details FROM audit_entries WHERE kind = 'warn'`).Scan(&module, &details))
	if module != "probe" || details != "" {
		t.Errorf("warn entry: module %q, details %q; want probe, none", module, details)
	}
	must(t, h.Store.DB().QueryRow(`SELECT change_id FROM audit_entries WHERE kind = 'settings.set'`).Scan(&change))
	if change != 12 {
		t.Errorf("settings entry: change %d; want 12", change)
	}
}

func TestFiltersSelectByUserActionAndTime(t *testing.T) {
	t.Parallel()
	t0 := recent()
	clock := discordtest.NewFakeClock(t0)
	h := start(t, setup{module: []Option{WithClock(clock)}})
	mod, admin := h.id("mod"), h.id("admin")
	h.record(bot.Action{Kind: "warn", ActorID: mod, TargetID: h.id("member2"), Reason: "one", At: t0.Add(-time.Hour)}, "")
	h.record(bot.Action{Kind: "ban", ActorID: mod, TargetID: h.id("member3"), Reason: "two", At: t0.Add(-3 * 24 * time.Hour)}, "")
	h.record(bot.Action{Kind: "automod.delete", TargetID: h.id("member2"), Reason: "three", At: t0.Add(-30 * time.Minute)}, "")
	h.record(bot.Action{Kind: "automod.timeout", TargetID: h.id("member4"), Reason: "four", At: t0.Add(-10 * 24 * time.Hour)}, "")
	h.setting(bot.SettingChanged{Module: "automod", Key: "spam.count", Old: "5", New: "six", ActorID: admin, At: t0.Add(-2 * time.Hour)})
	h.waitRows(5)
	all := []string{"“one”", "“two”", "“three”", "“four”", "`six`"}
	for _, tt := range []struct {
		filters string
		want    []string
	}{
		{"", all},
		{"user:@member2", []string{"“one”", "“three”"}},
		{"user:@mod", []string{"“one”", "“two”"}},
		{"user:@admin", []string{"`six`"}},
		{"action:ban", []string{"“two”"}},
		{"action:BAN", []string{"“two”"}},
		{"action:automod", []string{"“three”", "“four”"}},
		{"action:automod.*", []string{"“three”", "“four”"}},
		{"action:automod.delete", []string{"“three”"}},
		{"action:settings", []string{"`six`"}},
		{"since:1d", []string{"“one”", "“three”", "`six`"}},
		{`since:"2 hours"`, []string{"“one”", "“three”", "`six`"}},
		{"since:" + t0.AddDate(0, 0, -5).Format(time.DateOnly), []string{"“one”", "“two”", "“three”", "`six`"}},
		{"user:@member2 action:automod since:45m", []string{"“three”"}},
	} {
		t.Run(tt.filters, func(t *testing.T) {
			r := h.run("mod", "/audit search "+tt.filters)
			h.wantReply(r, append([]string{fmt.Sprintf("Audit trail: %s", plural(len(tt.want), "entry", "entries"))}, tt.want...)...)
			got := text(r)
			for _, w := range all {
				if !strings.Contains(strings.Join(tt.want, " "), w) && strings.Contains(got, w) {
					t.Errorf("got %q; want no %s", got, w)
				}
			}
		})
	}
	for _, tt := range []struct{ filters, want string }{
		{"since:soon", `since: "soon" is neither a duration (write a number and a unit`},
		{"since:2025-13-01", `since: "2025-13-01" is not a date: write it YYYY-MM-DD`},
		{"since:" + t0.AddDate(0, 0, 2).Format(time.DateOnly), "since: " + t0.AddDate(0, 0, 2).Format(time.DateOnly) + " is in the future"},
		{"action:kick", "No audit entries match: action `kick`. The actions recorded here are: automod.delete, automod.timeout, ban, settings.set, warn."},
		{"user:@member5", fmt.Sprintf("No audit entries match: by or about <@%s>.", h.id("member5"))},
	} {
		t.Run(tt.filters, func(t *testing.T) {
			h.wantReply(h.run("mod", "/audit search "+tt.filters), tt.want)
			h.wantReply(h.run("admin", "/audit export "+tt.filters), tt.want)
		})
	}
}

func TestActionSuggestionsAreTheKindsRecordedHere(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	for _, k := range []string{"automod.delete", "automod.timeout", "ban"} {
		h.record(bot.Action{Kind: k}, "")
	}
	h.record(bot.Action{GuildID: 1234, Kind: "automod.elsewhere"}, "")
	h.waitRows(4)
	for _, tt := range []struct {
		typed string
		want  []string
	}{
		{"", []string{"automod", "automod.delete", "automod.timeout", "ban"}},
		{"auto", []string{"automod", "automod.delete", "automod.timeout"}},
		{"time", []string{"automod.timeout"}},
		{"kick", nil},
	} {
		r, err := h.Emulator.Autocomplete(h.g.ID, h.g.Channel("general").ID, discordtest.Snowflake(h.id("mod")),
			fmt.Sprintf("/audit search action:%q", tt.typed), "action")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range r.Choices {
			got = append(got, fmt.Sprint(c.Value))
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("typed %q: got %q; want %q", tt.typed, got, tt.want)
		}
	}
}

func TestPagesMoveWithButtonsAndDoNotShiftAsEntriesArrive(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	now := time.Now()
	for i := range 25 {
		h.record(bot.Action{Kind: "warn", Reason: fmt.Sprintf("n%02d", i), At: now.Add(-time.Duration(i) * time.Minute)}, "")
	}
	h.waitRows(25)
	page := func(r discordtest.Reply, n int, first, last int) {
		t.Helper()
		h.wantReply(r, fmt.Sprintf("Page %d of 3", n), fmt.Sprintf("“n%02d”", first), fmt.Sprintf("“n%02d”", last))
		got := text(r)
		for _, outside := range []int{first - 1, last + 1} {
			if w := fmt.Sprintf("“n%02d”", outside); strings.Contains(got, w) {
				t.Errorf("page %d shows %s; want only n%02d to n%02d", n, w, first, last)
			}
		}
	}
	r := h.run("mod", "/audit search action:warn")
	page(r, 1, 0, 9)
	if b := buttons(t, r); !b["Previous"].disabled || b["Next"].disabled {
		t.Errorf("page 1 buttons %+v; want Previous disabled, Next enabled", b)
	}
	for _, b := range buttons(t, r) {
		if len(b.customID) > 100 {
			t.Errorf("custom ID %q is %d characters; Discord takes 100", b.customID, len(b.customID))
		}
	}
	r2 := h.click("mod", r, "Next")
	if r2.Type != 7 {
		t.Errorf("Next answered with callback %d; want 7 (edit the page)", r2.Type)
	}
	page(r2, 2, 10, 19)
	// Newer entries arrive: the listing's pages stay as they were.
	for i := range 5 {
		h.record(bot.Action{Kind: "warn", Reason: fmt.Sprintf("new%d", i)}, "")
	}
	h.waitRows(30)
	r3 := h.click("mod", r2, "Next")
	page(r3, 3, 20, 24)
	if b := buttons(t, r3); b["Next"].disabled != true {
		t.Errorf("last page buttons %+v; want Next disabled", b)
	}
	r4 := h.click("mod", r3, "Previous")
	page(r4, 2, 10, 19)

	// A moderator who lost the permission meanwhile cannot page on.
	must(t, h.Emulator.UpdateMember(h.g.ID, discordtest.Snowflake(h.id("mod")), "", []discordtest.Snowflake{}))
	h.wantReply(h.click("mod", r4, "Next"), "You need the VIEW_AUDIT_LOG permission to read the audit trail.")
}

func TestMembersWithoutViewAuditLogCannotReadTheTrail(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	for _, line := range []string{"/audit search", "/audit export", "/audit search user:@member2"} {
		_, err := h.Emulator.RunCommand(h.g.ID, h.g.Channel("general").ID, discordtest.Snowflake(h.id("member1")), line)
		if !errors.Is(err, discordtest.ErrNotPermitted) {
			t.Errorf("member1 runs %s: got %v; want the command hidden (ErrNotPermitted)", line, err)
		}
	}
	// Discord hides the command by default_member_permissions; the host
	// checks it again.
	found := false
	for _, c := range h.Emulator.Commands(0) {
		if c.Name == "audit" {
			found = true
			if c.DefaultMemberPermissions == nil || *c.DefaultMemberPermissions != uint64(permission) {
				t.Errorf("/audit default_member_permissions %v; want %d (VIEW_AUDIT_LOG)", c.DefaultMemberPermissions, permission)
			}
		}
	}
	if !found {
		t.Error("/audit is not registered")
	}
}

// exportOf decodes an export file.
type exportOf struct {
	exportHeader
	Entries []ExportedEntry `json:"entries"`
}

func TestExportSendsTheMatchingEntriesAsAJSONFile(t *testing.T) {
	t.Parallel()
	t0 := recent()
	clock := discordtest.NewFakeClock(t0)
	h := start(t, setup{module: []Option{WithClock(clock)}})
	m2 := h.id("member2")
	h.record(bot.Action{Kind: "automod.delete", TargetID: m2, Reason: "links", DryRun: true, Details: map[string]string{"rule": "links"},
		At: t0.Add(-time.Hour)}, "c0ffee00")
	h.record(bot.Action{Kind: "automod.timeout", TargetID: m2, Case: 3, At: t0.Add(-30 * time.Minute)}, "c0ffee01")
	h.record(bot.Action{Kind: "ban", ActorID: h.id("mod"), TargetID: h.id("member3"), At: t0.Add(-10 * time.Minute)}, "c0ffee02")
	h.setting(bot.SettingChanged{Module: "automod", Key: "links.allow", Old: "none", New: "example.org", ActorID: h.id("admin"),
		ChangeID: 4, At: t0.Add(-5 * time.Minute)})
	h.waitRows(4)

	r := h.run("mod", "/audit export action:automod")
	h.wantReply(r, "Exported 2 entries of this server's audit trail, newest first: action `automod`.")
	f := attachment(t, r)
	if want := fmt.Sprintf("audit-%d-%s.json", h.g.ID, t0.Format("20060102-150405")); f.Filename != want {
		t.Errorf("file name %q; want %q", f.Filename, want)
	}
	var got exportOf
	if err := json.Unmarshal(f.Data, &got); err != nil {
		t.Fatalf("the export is not JSON: %v\n%s", err, f.Data)
	}
	if got.Guild != snowflake.ID(h.g.ID) || got.ExportedBy != h.id("mod") || got.Matching != 2 || got.Count != 2 || got.Truncated ||
		got.Filters.Action != "automod" || got.Order != "newest first" || !got.ExportedAt.Equal(t0) {
		t.Errorf("header %+v; want guild, mod, 2 of 2, action automod, at t0", got.exportHeader)
	}
	if len(got.Entries) != 2 {
		t.Fatalf("got %d entries; want 2", len(got.Entries))
	}
	e0, e1 := got.Entries[0], got.Entries[1]
	if e0.Kind != "automod.timeout" || e0.Case != 3 || e0.TargetID != m2 || e0.CorrelationID != "c0ffee01" || e0.Module != "probe" {
		t.Errorf("first entry %+v; want the timeout, case 3, of member2, ref c0ffee01", e0)
	}
	if e1.Kind != "automod.delete" || !e1.DryRun || e1.Details["rule"] != "links" || e1.Reason != "links" ||
		!e1.At.Equal(t0.Add(-time.Hour)) || e1.ActorID != 0 {
		t.Errorf("second entry %+v; want the dry-run deletion, rule links, an hour before", e1)
	}

	// A settings change carries its values; the user filter applies.
	r = h.run("mod", "/audit export user:@admin")
	got = exportOf{}
	must(t, json.Unmarshal(attachment(t, r).Data, &got))
	if len(got.Entries) != 1 || got.Entries[0].Setting == nil ||
		*got.Entries[0].Setting != (ExportedSetting{Key: "links.allow", Old: "none", New: "example.org", ChangeID: 4}) {
		t.Errorf("got %+v; want the one settings change", got.Entries)
	}
	if got.Filters.User == nil || *got.Filters.User != h.id("admin") {
		t.Errorf("filters %+v; want the user admin", got.Filters)
	}

	// Nothing matches: no file.
	r = h.run("mod", "/audit export since:1m")
	h.wantReply(r, "No audit entries match: since <t:")
	if len(r.Attachments) != 0 {
		t.Errorf("an empty export sent %d files; want none", len(r.Attachments))
	}
}

func TestExportSaysWhenItHoldsOnlyTheNewest(t *testing.T) {
	t.Parallel()
	h := start(t, setup{tweak: func(m *Module) { m.exportLimit = 3 }})
	now := time.Now()
	for i := range 5 {
		h.record(bot.Action{Kind: "warn", Reason: fmt.Sprintf("n%d", i), At: now.Add(-time.Duration(i) * time.Minute)}, "")
	}
	h.waitRows(5)
	r := h.run("mod", "/audit export")
	h.wantReply(r, "Exported the newest 3 of the 5 entries that match (every entry): one export holds at most 3 entries")
	var got exportOf
	must(t, json.Unmarshal(attachment(t, r).Data, &got))
	if !got.Truncated || got.Count != 3 || got.Matching != 5 || len(got.Entries) != 3 || got.Entries[0].Reason != "n0" || got.Entries[2].Reason != "n2" {
		t.Errorf("got %+v with %d entries; want the newest 3 of 5, truncated", got.exportHeader, len(got.Entries))
	}
}

func TestExportFileStopsAtItsSize(t *testing.T) {
	var list []entry
	for i := range 100 {
		list = append(list, entry{ID: int64(i), Kind: "warn", Reason: strings.Repeat("x", 100), At: t0})
	}
	body, n, err := exportFile(1, 2, filter{}, t0, 100, list, 5000)
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 || n >= 100 || len(body) > 5000 {
		t.Errorf("got %d entries in %d bytes; want some, fewer than 100, within 5000 bytes", n, len(body))
	}
	var got exportOf
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if got.Count != n || len(got.Entries) != n || !got.Truncated {
		t.Errorf("header %+v with %d entries; want count %d, truncated", got.exportHeader, len(got.Entries), n)
	}
}

func TestRetentionDeletesEntriesOlderThanConfigured(t *testing.T) {
	t.Parallel()
	// retention 0 keeps the host's own retention job, which runs once as
	// the bot starts, from deleting the old entries while they are being
	// written (the test then saw 2 of its 3 entries); the rule the job
	// would run with 30 days is run here instead.
	h := start(t, setup{config: "retention: 0"})
	now := time.Now()
	h.record(bot.Action{Kind: "warn", Reason: "old", At: now.Add(-31 * 24 * time.Hour)}, "")
	h.setting(bot.SettingChanged{Module: "automod", Key: "x", At: now.Add(-40 * 24 * time.Hour)})
	h.record(bot.Action{Kind: "warn", Reason: "recent", At: now.Add(-29 * 24 * time.Hour)}, "")
	h.waitRows(3)
	rules := h.m.Expiries()
	if len(rules) != 1 || rules[0].MaxAge != 0 {
		t.Fatalf("got rules %+v; want audit_entries kept forever (retention 0)", rules)
	}
	h.m.cfg.Retention = retention(30 * 24 * time.Hour)
	rules = h.m.Expiries()
	if rules[0].MaxAge != 30*24*time.Hour {
		t.Fatalf("got rules %+v; want audit_entries after 30 days", rules)
	}
	ret := &store.Retention{Store: h.Store, Rules: rules}
	if _, err := ret.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := h.rows("reason = 'recent'"); n != 1 || h.rows("") != 1 {
		t.Errorf("got %d entries, %d recent; want only the recent one", h.rows(""), n)
	}
}

func TestConfigurationValues(t *testing.T) {
	for _, tt := range []struct {
		section string
		want    time.Duration
		err     string
	}{
		{"", 90 * 24 * time.Hour, ""},
		{"retention: 30d", 30 * 24 * time.Hour, ""},
		{"retention: 2160h", 90 * 24 * time.Hour, ""},
		{"retention: 1w", 7 * 24 * time.Hour, ""},
		{"retention: 0", 0, ""},
		{"retention: 12h", 0, "retention: want 0 (keep forever) or a duration from 1d to 3650d (ten years), such as 90d; got 12h"},
		{"retention: 4000d", 0, "retention: want 0 (keep forever) or a duration from 1d to 3650d (ten years), such as 90d; got 4000d"},
		{"retention: -5h", 0, "got -5h0m0s"},
		{"retention: soon", 0, `"soon" is not a duration`},
		{"keep: 3d", 0, "modules.audit.keep: unknown key"},
	} {
		t.Run(tt.section, func(t *testing.T) {
			s := defaultConfig()
			err := loadConfig(t, tt.section).Module(ID, &s)
			if err == nil {
				err = s.validate()
			}
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("got %v; want no error", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("got %v; want an error containing %q", err, tt.err)
			case tt.err == "" && time.Duration(s.Retention) != tt.want:
				t.Errorf("got retention %v; want %v", time.Duration(s.Retention), tt.want)
			}
		})
	}
}

func TestPersonalDataIsExportedAndErasedWhileActionsStayKnown(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	ctx := context.Background()
	mod, m2, m3, admin := h.id("mod"), h.id("member2"), h.id("member3"), h.id("admin")
	now := time.Now()
	h.record(bot.Action{Kind: "warn", ActorID: mod, TargetID: m2, Reason: fmt.Sprintf("spam, see <@%s>", m2), Case: 1,
		Details: map[string]string{"message": "buy now"}, At: now.Add(-4 * time.Minute)}, "")
	h.record(bot.Action{Kind: "report", ActorID: m2, TargetID: m3, Reason: "rude", At: now.Add(-3 * time.Minute)}, "")
	h.record(bot.Action{Kind: "ban", ActorID: mod, TargetID: m3, Reason: fmt.Sprintf("alt of <@%s>", m2), Case: 2, At: now.Add(-2 * time.Minute)}, "")
	h.setting(bot.SettingChanged{Module: "automod", Key: "exempt_users", Old: "none", New: fmt.Sprintf("<@%s>", m2), ActorID: admin,
		At: now.Add(-time.Minute)})
	h.waitRows(4)

	data, err := h.m.ExportUser(ctx, m2)
	must(t, err)
	exp := data.(Export)
	if len(exp.Entries) != 2 || exp.Entries[0].Kind != "warn" || exp.Entries[0].Role != "target" ||
		exp.Entries[1].Kind != "report" || exp.Entries[1].Role != "actor" {
		t.Fatalf("export %+v; want the warning (target) and the report (actor)", exp.Entries)
	}
	if _, err := json.Marshal(data); err != nil {
		t.Errorf("the export does not encode: %v", err)
	}

	must(t, h.m.DeleteUser(ctx, m2))
	data, err = h.m.ExportUser(ctx, m2)
	must(t, err)
	if n := len(data.(Export).Entries); n != 0 {
		t.Errorf("after DeleteUser the export has %d entries; want none", n)
	}
	if n := h.rows(""); n != 4 {
		t.Errorf("got %d entries after DeleteUser; want all 4 kept", n)
	}
	var hits int
	must(t, h.Store.DB().QueryRow(`SELECT count(*) FROM audit_entries WHERE actor_id = ?1 OR target_id = ?1
		OR instr(reason || details || old_value || new_value, ?2) > 0`, store.Snowflake(m2), m2.String()).Scan(&hits))
	if hits != 0 {
		t.Errorf("%d entries still name member2; want none", hits)
	}
	r := h.run("mod", "/audit search")
	h.wantReply(r,
		fmt.Sprintf("<@%s> **warn** (erased user) · case #1", mod),            // reason and details dropped
		fmt.Sprintf("(erased user) **report** <@%s> · “rude”", m3),            // the actor gone, the action kept
		fmt.Sprintf("<@%s> **ban** <@%s> · case #2 · “alt of <@0>”", mod, m3), // the mention gone
		"`exempt_users`: `none` → `<@0>`")
	if strings.Contains(text(r), "buy now") || strings.Contains(text(r), "spam, see") {
		t.Errorf("got %q; want the erased target's reason and details gone", text(r))
	}
}

func TestDeleteGuildErasesOnlyThatGuild(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	for range 3 {
		h.record(bot.Action{Kind: "warn"}, "")
	}
	h.record(bot.Action{GuildID: 4242, Kind: "warn"}, "")
	h.waitRows(4)
	must(t, h.m.DeleteGuild(context.Background(), snowflake.ID(h.g.ID)))
	if n, other := h.rows("guild_id = ?", store.Snowflake(h.g.ID)), h.rows("guild_id = 4242"); n != 0 || other != 1 {
		t.Errorf("got %d entries of the guild, %d of the other; want 0 and 1", n, other)
	}
}

func TestAGuildWithTheModuleOffKeepsNoTrailButTheSwitchItself(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	ctx := context.Background()
	must(t, h.Store.SetModuleEnabled(ctx, uint64(h.g.ID), ID, false))
	h.record(bot.Action{Kind: "warn", Reason: "unseen"}, "")
	h.setting(bot.SettingChanged{Module: "automod", Key: "spam.count", New: "unseen"})
	h.setting(bot.SettingChanged{Module: ID, Key: "enabled", Old: "true", New: "false", ActorID: h.id("admin")})
	// Markers in a guild where the module is on: each subscription
	// delivers in order, so once they are stored, so is what came before.
	h.record(bot.Action{GuildID: 4242, Kind: "marker"}, "")
	h.setting(bot.SettingChanged{GuildID: 4242, Module: "automod", Key: "marker"})
	for deadline := time.Now().Add(10 * time.Second); h.rows("guild_id = 4242") < 2; time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the markers were not stored within 10 s")
		}
	}
	if n := h.rows("guild_id = ?", store.Snowflake(h.g.ID)); n != 1 || h.rows("kind = 'module.disable' AND module = 'audit'") != 1 {
		t.Errorf("got %d entries in the guild; want only the audit module's own switch", n)
	}
	h.wantReply(h.run("mod", "/audit search"), "The audit module is turned off in this server.")
}

func TestBurstsAreRecordedWithoutLoss(t *testing.T) {
	t.Parallel()
	// A small write-behind queue, so the burst overflows it: the bus then
	// waits for the database instead of entries being dropped.
	h := start(t, setup{tweak: func(m *Module) { m.batchCfg.MaxRows, m.batchCfg.MaxQueue = 50, 100 }})
	const publishers, each = 8, 250
	var wg sync.WaitGroup
	for p := range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				a := bot.Action{GuildID: snowflake.ID(h.g.ID), Kind: "automod.delete", TargetID: snowflake.ID(1000 + p), Case: int64(i)}
				if err := h.p.host.Record(context.Background(), a); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	h.waitRows(publishers * each)
	if s := batchStats(h.m); s.Failed != 0 {
		t.Errorf("batcher %+v; want no failed rows", s)
	}
	// Each publisher's actions are stored in the order it sent them.
	rows, err := h.Store.DB().Query(`SELECT target_id, case_id FROM audit_entries ORDER BY id`)
	must(t, err)
	defer rows.Close()
	next := map[int64]int64{}
	for rows.Next() {
		var target, c int64
		must(t, rows.Scan(&target, &c))
		if c != next[target] {
			t.Fatalf("publisher %d: case %d stored after %d; want in order", target, c, next[target]-1)
		}
		next[target]++
	}
}

func TestSettingsChangesGetTheirKind(t *testing.T) {
	for _, tt := range []struct {
		key, new, want string
	}{
		{"spam.count", "8", kindSettingsSet},
		{"", "(defaults)", kindSettingsReset},
		{"enabled", "true", kindModuleEnable},
		{"enabled", "on", kindModuleEnable},
		{"enabled", "false", kindModuleDisable},
		{"enabled", "off", kindModuleDisable},
	} {
		if got := settingEntry(bot.SettingChanged{Key: tt.key, New: tt.new, At: t0}, bot.SystemClock{}).Kind; got != tt.want {
			t.Errorf("key %q new %q: got %s; want %s", tt.key, tt.new, got, tt.want)
		}
	}
}

func TestActionEntriesAreBounded(t *testing.T) {
	details := map[string]string{}
	for i := range 40 {
		details[fmt.Sprint(i)] = strings.Repeat("v", 300)
	}
	clock := discordtest.NewFakeClock(t0)
	e := actionEntry(bot.Action{Kind: "  Automod.Delete ", Reason: strings.Repeat("r", 2000), Details: details}, clock)
	if e.Kind != "automod.delete" || len([]rune(e.Reason)) != maxReason || len(e.Details) != maxDetails+1 || !e.At.Equal(t0) {
		t.Errorf("got kind %q, reason of %d, %d details, at %v; want bounded, stamped t0", e.Kind, len([]rune(e.Reason)), len(e.Details), e.At)
	}
	if e := actionEntry(bot.Action{}, clock); e.Kind != "unknown" {
		t.Errorf("an action without a kind got %q; want unknown", e.Kind)
	}
}

func TestParseSince(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Time
		err  string
	}{
		{"7d", t0.Add(-7 * 24 * time.Hour), ""},
		{"1h30m", t0.Add(-90 * time.Minute), ""},
		{" 2025-03-01 ", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), ""},
		{"2025-03-10", time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC), ""},
		{"2025-03-11", time.Time{}, "in the future"},
		{"2025-3-1", time.Time{}, "is not a date"},
		{"03-01", time.Time{}, "is not a date"},
		{"yesterday", time.Time{}, "is neither a duration"},
		{"7", time.Time{}, "is neither a duration"},
		{"-", time.Time{}, "is neither a duration"},
	} {
		got, err := parseSince(tt.in, t0)
		var ue *bot.UserError
		switch {
		case tt.err != "" && (!errors.As(err, &ue) || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("parseSince(%q): got %v; want a user error containing %q", tt.in, err, tt.err)
		case tt.err == "" && (err != nil || !got.Equal(tt.want)):
			t.Errorf("parseSince(%q): got %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestPageDataRoundTrips(t *testing.T) {
	for _, f := range []filter{
		{},
		{User: 1<<63 + 5, Action: "automod.delete", Since: time.UnixMilli(1741608000123), Upto: 1<<62 + 7},
		{Action: "a:b:c", Since: time.UnixMilli(-5000)},
	} {
		data := strings.Join(pageData(42, f), ":")
		p, got, err := parsePage(data)
		if err != nil || p != 42 || got.User != f.User || got.Action != f.Action || !got.Since.Equal(f.Since) || got.Upto != f.Upto {
			t.Errorf("parsePage(%q) = %d, %+v, %v; want 42, %+v", data, p, got, err, f)
		}
		if id := "audit:page:" + data; len(id) > maxCustomID {
			t.Errorf("custom ID %q is %d characters; want at most %d", id, len(id), maxCustomID)
		}
	}
	// The longest: every number at its largest, the longest action.
	long := pageData(1<<31-1, filter{User: 1<<64 - 1, Action: strings.Repeat("x", maxAction), Since: time.UnixMilli(1<<63 - 1), Upto: 1<<63 - 1})
	if id := "audit:page:" + strings.Join(long, ":"); len(id) > maxCustomID {
		t.Errorf("the longest custom ID is %d characters; want at most %d", len(id), maxCustomID)
	}
}

func FuzzParsePage(f *testing.F) {
	f.Add("0:0:0:0:")
	f.Add("1:z:3w5e11264sgsf:lz1k9i8:automod.delete")
	f.Add("::::")
	f.Fuzz(func(t *testing.T, data string) {
		p, flt, err := parsePage(data)
		if err != nil {
			return
		}
		if p < 0 || flt.Upto < 0 || len(flt.Action) > maxAction {
			t.Errorf("parsePage(%q) accepted page %d, bound %d, action %q", data, p, flt.Upto, flt.Action)
		}
	})
}

func FuzzParseSince(f *testing.F) {
	for _, s := range []string{"7d", "2025-03-01", "1h30m", "", "2025-13-45", "9999999999999d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseSince(s, t0)
		var ue *bot.UserError
		if err != nil && !errors.As(err, &ue) {
			t.Errorf("parseSince(%q): %v is not a user error", s, err)
		}
		if err == nil && got.After(t0) {
			t.Errorf("parseSince(%q) = %v, after now", s, got)
		}
	})
}

func TestTargetsAreWrittenAsUsersChannelsOrRoles(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	channel, role, user := snowflake.ID(h.g.Channel("off-topic").ID), snowflake.ID(h.g.Role("Member").ID), h.id("member2")
	now := time.Now()
	h.record(bot.Action{Kind: "lockdown.start", TargetID: channel, At: now.Add(-3 * time.Minute)}, "")
	h.record(bot.Action{Kind: "role.lock", TargetID: role, At: now.Add(-2 * time.Minute)}, "")
	h.record(bot.Action{Kind: "warn", TargetID: user, At: now.Add(-time.Minute)}, "")
	h.waitRows(3)
	h.wantReply(h.run("mod", "/audit search"), fmt.Sprintf("**lockdown.start** <#%s>", channel),
		fmt.Sprintf("**role.lock** <@&%s>", role), fmt.Sprintf("**warn** <@%s>", user))
}

// attachment is the one file of a reply.
func attachment(t *testing.T, r discordtest.Reply) discordtest.Attachment {
	t.Helper()
	if len(r.Attachments) != 1 {
		t.Fatalf("the reply has %d files; want 1", len(r.Attachments))
	}
	return r.Attachments[0]
}
