package store_test

import (
	"database/sql"
	"encoding/json"
	"testing"

	"github.com/hearthbot/hearth/store"
)

func TestExportAndDeleteUser(t *testing.T) {
	s := openTest(t)
	const (
		alice = uint64(1<<63 + 1) // above 2^63: stored negative
		bob   = uint64(81384788765712384)
	)
	err := s.Write(t.Context(), func(tx *sql.Tx) error {
		for _, q := range []string{
			`CREATE TABLE demo_notes (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, author_id INTEGER NOT NULL, body TEXT, raw BLOB)`,
			`CREATE TABLE demo_xp (user_id INTEGER PRIMARY KEY, xp INTEGER NOT NULL)`,
		} {
			if _, err := tx.Exec(q); err != nil {
				return err
			}
		}
		for _, r := range []struct {
			user uint64
			body string
			raw  []byte
		}{{alice, "first", []byte{0xff, 0x00}}, {alice, "second", nil}, {bob, "bob's", nil}} {
			if _, err := tx.Exec(`INSERT INTO demo_notes (user_id, author_id, body, raw) VALUES (?, ?, ?, ?)`,
				store.Snowflake(r.user), store.Snowflake(bob), r.body, r.raw); err != nil {
				return err
			}
		}
		_, err := tx.Exec(`INSERT INTO demo_xp VALUES (?, 10), (?, 20)`, store.Snowflake(alice), store.Snowflake(bob))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tables := []store.UserTable{
		{Table: "demo_notes", UserColumn: "user_id", Snowflakes: []string{"author_id"}},
		{Table: "demo_xp", UserColumn: "user_id"},
	}

	exp, err := s.ExportUser(t.Context(), alice, tables...)
	if err != nil {
		t.Fatalf("ExportUser: %v", err)
	}
	got, err := json.Marshal(exp)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"demo_notes":[` +
		`{"author_id":"81384788765712384","body":"first","id":1,"raw":"/wA=","user_id":"9223372036854775809"},` +
		`{"author_id":"81384788765712384","body":"second","id":2,"raw":null,"user_id":"9223372036854775809"}],` +
		`"demo_xp":[{"user_id":"9223372036854775809","xp":10}]}`
	if string(got) != want {
		t.Errorf("export as JSON:\n got %s\nwant %s", got, want)
	}

	// A table that does not exist makes the whole delete roll back.
	broken := append(tables[:2:2], store.UserTable{Table: "demo_gone", UserColumn: "user_id"})
	if _, err := s.DeleteUser(t.Context(), alice, broken...); err == nil {
		t.Fatal("DeleteUser with a missing table: got nil; want an error")
	}
	if exp, _ := s.ExportUser(t.Context(), alice, tables...); len(exp["demo_notes"]) != 2 {
		t.Fatalf("after a failed delete: got %v; want nothing deleted", exp)
	}

	n, err := s.DeleteUser(t.Context(), alice, tables...)
	if err != nil || n != 3 {
		t.Fatalf("DeleteUser: got %d, %v; want 3 rows", n, err)
	}
	exp, err = s.ExportUser(t.Context(), alice, tables...)
	if err != nil || len(exp["demo_notes"]) != 0 || len(exp["demo_xp"]) != 0 {
		t.Errorf("export after delete: got %v, %v; want empty tables", exp, err)
	}
	if exp, _ := s.ExportUser(t.Context(), bob, tables...); len(exp["demo_notes"]) != 1 || len(exp["demo_xp"]) != 1 {
		t.Errorf("bob's rows: got %v; want untouched", exp)
	}
	if _, err := s.ExportUser(t.Context(), alice, store.UserTable{Table: "x y", UserColumn: "id"}); err == nil {
		t.Error("ExportUser with a bad table name: got nil; want an error")
	}
}

func TestSettingsChangesAreExportedThenAnonymised(t *testing.T) {
	s := openTest(t)
	set := newDemoSettings(s)
	ctx := t.Context()
	const alice, bob, guild = uint64(1<<63 + 5), uint64(81384788765712384), uint64(42)
	if _, err := set.Put(ctx, guild, demoSettings{Prefix: "a", Limit: 1}, store.Actor{UserID: bob, Reason: "bob's"}); err != nil {
		t.Fatal(err)
	}
	if _, err := set.Put(ctx, guild, demoSettings{Prefix: "b", Limit: 2}, store.Actor{UserID: alice, Reason: "alice's reason"}); err != nil {
		t.Fatal(err)
	}
	exp, err := s.ExportSettingsChanges(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	hist, last := exp["guild_settings_history"], exp["guild_settings"]
	if len(hist) != 1 || hist[0]["reason"] != "alice's reason" || hist[0]["guild_id"] != "42" || len(last) != 1 {
		t.Fatalf("export: %v; want alice's one change, with its reason, and the settings she changed last", exp)
	}
	n, err := s.ForgetSettingsChanges(ctx, alice)
	if err != nil || n != 2 {
		t.Fatalf("forget: %d rows, %v; want 2 (her change and the settings she changed last)", n, err)
	}
	if exp, _ := s.ExportSettingsChanges(ctx, alice); len(exp["guild_settings_history"])+len(exp["guild_settings"]) != 0 {
		t.Fatalf("after forgetting: %v; want nothing left under her ID", exp)
	}
	history, err := s.SettingsHistory(ctx, guild, "", 0, 0)
	if err != nil || len(history) != 2 {
		t.Fatalf("history: %d changes, %v; want both kept", len(history), err)
	}
	for _, c := range history {
		switch c.Actor.UserID {
		case 0:
			if c.Actor.Reason != "" {
				t.Errorf("her change kept the reason %q; want it dropped", c.Actor.Reason)
			}
		case bob:
			if c.Actor.Reason != "bob's" {
				t.Errorf("bob's change lost its reason: %q", c.Actor.Reason)
			}
		default:
			t.Errorf("a change by %d; want 0 (her, anonymised) and bob", c.Actor.UserID)
		}
	}
	if got, err := set.Get(ctx, guild); err != nil || got.Prefix != "b" {
		t.Errorf("settings after forgetting: %+v, %v; want her change still in force", got, err)
	}
}
