package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearthbot/hearth/bot"
)

func TestDataCommandsAskTheRunningBotWithTheDerivedKey(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.URL.Path)
		if r.Header.Get("Authorization") != "Bearer "+bot.AdminKey("secret-token") {
			http.Error(w, "bad key", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodDelete {
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"erased":["audit"],"failed":{"logs":"disk full"}}`))
			return
		}
		w.Write([]byte(`{"modules":{"audit":[]}}`))
	}))
	defer srv.Close()
	env := map[string]string{"HEARTH_TOKEN": "secret-token", "HEARTH_ADMIN_ADDR": strings.TrimPrefix(srv.URL, "http://")}

	out, err := run(t, env, "data", "export", "80351110224678912")
	if err != nil || !strings.Contains(out, `"audit"`) {
		t.Fatalf("export: got %q, %v; want the bot's JSON", out, err)
	}
	file := filepath.Join(t.TempDir(), "export.json")
	if _, err := run(t, env, "data", "export", "80351110224678912", "--out", file); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("--out file: %v, %v; want it readable by its owner only", fi, err)
	}

	if _, err := run(t, env, "data", "erase", "80351110224678912"); err == nil || !strings.Contains(err.Error(), "--yes") {
		t.Fatalf("erase without --yes: got %v; want a refusal naming --yes", err)
	}
	out, err = run(t, env, "data", "erase", "80351110224678912", "--yes")
	if err == nil || !strings.Contains(out, `"logs":"disk full"`) {
		t.Fatalf("erase with a module failing: got %q, %v; want the answer shown and an error", out, err)
	}
	want := []string{"GET /users/80351110224678912/data", "GET /users/80351110224678912/data", "DELETE /users/80351110224678912/data"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("requests %v; want %v (nothing sent for the unconfirmed erase)", got, want)
	}

	env["HEARTH_TOKEN"] = "another-token"
	if _, err := run(t, env, "data", "export", "80351110224678912"); err == nil || !strings.Contains(err.Error(), "bad key") {
		t.Errorf("wrong token: got %v; want the bot's refusal", err)
	}
	if _, err := run(t, env, "data", "export", "someone"); err == nil || !strings.Contains(err.Error(), "not a Discord ID") {
		t.Errorf("a name for an ID: got %v; want it refused", err)
	}
	env["HEARTH_ADMIN_ADDR"] = "off"
	if _, err := run(t, env, "data", "export", "80351110224678912"); err == nil || !strings.Contains(err.Error(), "admin.addr is off") {
		t.Errorf("admin off: got %v; want it said", err)
	}
}

func TestAdminURLReachesAnyInterfaceOnLoopback(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:9090": "http://127.0.0.1:9090",
		"0.0.0.0:9090":   "http://127.0.0.1:9090",
		":9090":          "http://127.0.0.1:9090",
		"[::1]:9090":     "http://[::1]:9090",
		"bot.lan:9090":   "http://bot.lan:9090",
	} {
		if got := adminURL(addr); got != want {
			t.Errorf("adminURL(%q) = %q; want %q", addr, got, want)
		}
	}
}
