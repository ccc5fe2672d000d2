package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

func TestEmulatorCommandPrintsURLThenTokenAndServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		cmd := newRootCommand(func(string) string { return "" })
		cmd.SetArgs([]string{"emulator", "--addr", "127.0.0.1:0", "--guilds", "3", "--members", "5", "--seed", "9"})
		cmd.SetOut(w)
		done <- cmd.ExecuteContext(ctx)
		w.Close()
	}()
	lines := bufio.NewScanner(r)
	var got []string
	for len(got) < 2 && lines.Scan() {
		got = append(got, lines.Text())
	}
	if len(got) != 2 || !strings.HasPrefix(got[0], "http://127.0.0.1:") || !strings.HasSuffix(got[0], "/api/v10") {
		t.Fatalf("got %q; want the REST URL then the token", got)
	}
	base, token := got[0], got[1]
	if strings.Count(token, ".") != 2 {
		t.Fatalf("token %q: want three dot-separated parts", token)
	}
	req, _ := http.NewRequest("GET", base+"/gateway/bot", nil)
	req.Header.Set("Authorization", "Bot "+token)
	req.Header.Set("User-Agent", "DiscordBot (test, 1)")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var gw struct {
		URL    string `json:"url"`
		Shards int    `json:"shards"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&gw)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(gw.URL, "ws://127.0.0.1:") || gw.Shards != 1 {
		t.Fatalf("GET /gateway/bot: got %d %+v; want 200 with a ws URL and 1 shard", resp.StatusCode, gw)
	}
	go func() { _, _ = io.Copy(io.Discard, r) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("got %v; want a clean stop when interrupted", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the emulator did not stop within 10 s of the interrupt")
	}
}

func TestEmulatorCommandRejectsBadFlagsClearly(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"emulator", "--members", "2"}, "WithMembers(2): want at least 3"},
		{[]string{"emulator", "--shards", "0"}, "WithShards(0): want at least 1"},
		{[]string{"emulator", "--guilds", "x"}, `invalid argument "x" for "--guilds"`},
	}
	for _, tc := range cases {
		cmd := newRootCommand(func(string) string { return "" })
		cmd.SetArgs(tc.args)
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		err := cmd.ExecuteContext(context.Background())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v; want an error containing %q", tc.args, err, tc.want)
		}
	}
}

func run(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var out strings.Builder
	cmd := newRootCommand(func(k string) string { return env[k] })
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestConfigValidateListsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	_ = os.WriteFile(good, []byte("discord:\n  shards: 2\n"), 0o600)
	_ = os.WriteFile(bad, []byte("discord:\n  shards: many\n  bogus: 1\npipeline:\n  auto_defer_after: 5s\nmodules:\n  nosuch: {}\n"), 0o600)
	if out, err := run(t, nil, "config", "validate", good); err != nil || !strings.Contains(out, "config is valid") {
		t.Fatalf("good file: got %q, %v; want valid", out, err)
	}
	out, err := run(t, nil, "config", "validate", bad)
	if err == nil {
		t.Fatal("bad file: got no error")
	}
	for _, want := range []string{"discord.shards", "discord.bogus: unknown key", "pipeline.auto_defer_after"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("got %q; want it to name %q", err, want)
		}
	}
	_ = out
	_ = os.WriteFile(bad, []byte("modules:\n  nosuch: {}\n"), 0o600)
	if _, err := run(t, nil, "config", "validate", bad); err == nil || !strings.Contains(err.Error(), `modules.nosuch but no module "nosuch"`) {
		t.Fatalf("a section of an unknown module: got %v; want it named", err)
	}
}

func TestRunWithoutTokenSaysWhichVariable(t *testing.T) {
	_, err := run(t, map[string]string{"HEARTH_STORE_PATH": filepath.Join(t.TempDir(), "h.db")}, "run")
	if err == nil || !strings.Contains(err.Error(), "HEARTH_TOKEN") {
		t.Fatalf("got %v; want an error naming HEARTH_TOKEN", err)
	}
}

func TestMigrateStatusListsTheStoresOwnMigrations(t *testing.T) {
	env := map[string]string{"HEARTH_STORE_PATH": filepath.Join(t.TempDir(), "h.db")}
	out, err := run(t, env, "migrate", "--status")
	if err != nil || !strings.Contains(out, "store") {
		t.Fatalf("got %q, %v; want the store's migrations listed", out, err)
	}
	if out, err := run(t, env, "migrate"); err != nil || strings.Contains(out, "pending") {
		t.Fatalf("after migrate: got %q, %v; want nothing pending", out, err)
	}
}

func TestVersionPrintsTheVersion(t *testing.T) {
	if out, err := run(t, nil, "version"); err != nil || !strings.HasPrefix(out, "hearth ") {
		t.Fatalf("got %q, %v", out, err)
	}
}

func TestBackupThenRestoreRoundTrip(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"HEARTH_STORE_PATH": filepath.Join(dir, "h.db")}
	if _, err := run(t, env, "migrate"); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(dir, "copy.db")
	out, err := run(t, env, "backup", "--to", backup)
	if err != nil || !strings.Contains(out, "backed up to "+backup) {
		t.Fatalf("backup: got %q, %v", out, err)
	}
	out, err = run(t, env, "restore", backup)
	if err != nil || !strings.Contains(out, "restored "+backup) {
		t.Fatalf("restore: got %q, %v", out, err)
	}
	if _, err := run(t, env, "restore", filepath.Join(dir, "missing.db")); err == nil {
		t.Fatal("restoring a missing file: got no error")
	}
}

// The example config shows every module's section at its defaults, and
// `config validate` decodes those sections with the modules themselves.
func TestExampleConfigIsValid(t *testing.T) {
	if out, err := run(t, nil, "config", "validate", "config.example.yaml"); err != nil || !strings.Contains(out, "config is valid") {
		t.Fatalf("config.example.yaml: got %q, %v; want valid", out, err)
	}
	example, err := os.ReadFile("config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	_ = os.WriteFile(bad, []byte(strings.Replace(string(example), "max_tracked_members: 50000", "max_tracked_members: 5", 1)), 0o600)
	if _, err := run(t, nil, "config", "validate", bad); err == nil || !strings.Contains(err.Error(), "max_tracked_members") {
		t.Fatalf("a module value out of range: got %v; want it named", err)
	}
}

func TestBuiltWithJSONv2(t *testing.T) {
	for _, c := range []struct {
		settings []debug.BuildSetting
		want     bool
	}{
		{nil, false},
		{[]debug.BuildSetting{{Key: "GOEXPERIMENT", Value: "jsonv2"}}, true},
		{[]debug.BuildSetting{{Key: "CGO_ENABLED", Value: "1"}, {Key: "GOEXPERIMENT", Value: "greenteagc,jsonv2"}}, true},
		{[]debug.BuildSetting{{Key: "GOEXPERIMENT", Value: "nojsonv2"}}, false},
		{[]debug.BuildSetting{{Key: "GOEXPERIMENT", Value: "greenteagc"}}, false},
	} {
		if got := builtWithJSONv2(&debug.BuildInfo{Settings: c.settings}); got != c.want {
			t.Errorf("builtWithJSONv2(%v) = %v, want %v", c.settings, got, c.want)
		}
	}
}
