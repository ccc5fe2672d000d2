package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/bot/bottest"
	"github.com/hearthbot/hearth/store"
)

// personalModule holds one note per user, and can be told to fail.
type personalModule struct {
	testModule
	mu          sync.Mutex
	notes       map[snowflake.ID]string
	failExport  atomic.Bool
	panicDelete bool
}

func (m *personalModule) ExportUser(_ context.Context, user snowflake.ID) (any, error) {
	if m.failExport.Load() {
		return nil, errors.New("table locked")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return map[string]string{"note": m.notes[user]}, nil
}

func (m *personalModule) DeleteUser(_ context.Context, user snowflake.ID) error {
	if m.panicDelete {
		panic("index out of range")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.notes, user)
	return nil
}

func (m *personalModule) note(user snowflake.ID) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, ok := m.notes[user]
	return n, ok
}

func TestPersonalDataIsExportedAndErasedAcrossModules(t *testing.T) {
	const user = snowflake.ID(80351110224678912)
	notes := &personalModule{testModule: testModule{id: "notes"}, notes: map[snowflake.ID]string{user: "likes cats", 2: "other"}}
	broken := &personalModule{testModule: testModule{id: "broken"}, notes: map[snowflake.ID]string{user: "x"}, panicDelete: true}
	broken.failExport.Store(true)
	plain := &testModule{id: "plain", commands: []bot.Command{{Name: "hello", Description: "Hi", Handler: reply("hi")}}}
	h := bottest.New(t, []bot.Module{notes, plain, broken})
	srv := httptest.NewServer(h.Runtime.AdminHandler())
	defer srv.Close()
	key := bot.AdminKey(h.Emulator.Token())
	if _, err := h.Store.PutGuildSettings(context.Background(), 42, "notes", []byte(`{"on":true}`), store.Actor{UserID: uint64(user), Reason: "tidying up"}); err != nil {
		t.Fatal(err)
	}
	do := func(method, path, key string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	path := "/users/" + user.String() + "/data"

	for what, k := range map[string]string{"no key": "", "the token itself": h.Emulator.Token(), "another token's key": bot.AdminKey("another token")} {
		if code, body := do(http.MethodGet, path, k); code != http.StatusUnauthorized || strings.Contains(body, "likes cats") {
			t.Errorf("%s: got %d %q; want 401 and no data", what, code, body)
		}
	}
	if code, body := do(http.MethodGet, "/users/bob/data", key); code != http.StatusBadRequest || !strings.Contains(body, `"bob" is not a Discord ID`) {
		t.Errorf("a name for an ID: got %d %q; want 400 naming it", code, body)
	}

	code, body := do(http.MethodGet, path, key)
	var export bot.UserData
	if err := json.Unmarshal([]byte(body), &export); code != http.StatusInternalServerError || err != nil {
		t.Fatalf("export with a module failing: got %d %q (%v); want 500 and what was exported", code, body, err)
	}
	if export.User != user || !strings.Contains(body, `"likes cats"`) || strings.Contains(body, `"other"`) {
		t.Errorf("export: %s; want the user's note and no one else's", body)
	}
	if h := export.SettingsChanges["guild_settings_history"]; len(h) != 1 || h[0]["reason"] != "tidying up" {
		t.Errorf("export: settings changes %v; want the one the user made, with its reason", export.SettingsChanges)
	}
	if _, ok := export.Modules["plain"]; ok || export.Failed["broken"] != "table locked" || len(export.Modules) != 1 {
		t.Errorf("export: modules %v, failed %v; want notes exported, broken's failure named, plain not asked", export.Modules, export.Failed)
	}

	code, body = do(http.MethodDelete, path, key)
	var erased bot.Erasure
	if err := json.Unmarshal([]byte(body), &erased); code != http.StatusInternalServerError || err != nil {
		t.Fatalf("erase with a module panicking: got %d %q (%v); want 500 and what was done", code, body, err)
	}
	if erased.SettingsAnonymised != 2 {
		t.Errorf("erase: %d settings records anonymised; want 2 (the change and the settings last changed)", erased.SettingsAnonymised)
	}
	if len(erased.Erased) != 1 || erased.Erased[0] != "notes" || !strings.Contains(erased.Failed["broken"], "DeleteUser panicked: index out of range") {
		t.Errorf("erase: %+v; want notes erased and broken's panic named", erased)
	}
	if _, ok := notes.note(user); ok {
		t.Error("the user's note is still held after the erasure")
	}
	if n, ok := notes.note(2); !ok || n != "other" {
		t.Error("another user's note went with the erasure")
	}
	// The panic reached no other module: the bot still answers.
	if r := person(t, h, "member1", "/hello"); r.Content != "hi" {
		t.Errorf("/hello after the panic: got %q; want hi", r.Content)
	}
	broken.failExport.Store(false)
	if code, body := do(http.MethodGet, path, key); code != http.StatusOK || strings.Contains(body, "likes cats") || !strings.Contains(body, `"broken"`) {
		t.Errorf("export after the erasure and the panic: got %d %q; want 200, nothing left in notes, broken still answering", code, body)
	}
}
