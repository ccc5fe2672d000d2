package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
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
