package gateway

import (
	"encoding/json"
	"testing"
)

// contract A.44: shard_id = (guild_id >> 22) % num_shards; no guild is shard 0.
func TestShardOf(t *testing.T) {
	for _, tc := range []struct {
		guildID uint64
		n, want int
	}{
		{guildID: 0, n: 4, want: 0},
		{guildID: 81384788765712384, n: 1, want: 0},
		{guildID: 81384788765712384, n: 16, want: int((81384788765712384 >> 22) % 16)},
		{guildID: guild(7), n: 2, want: 1},
		{guildID: guild(7), n: 7, want: 0},
	} {
		if got := shardOf(tc.guildID, tc.n); got != tc.want {
			t.Errorf("shardOf(%d, %d): got %d; want %d", tc.guildID, tc.n, got, tc.want)
		}
	}
}

func FuzzDecodeEnvelope(f *testing.F) {
	for _, s := range []string{`{"op":1,"d":null}`, `{"op":2,"d":{}}`, `[]`, `{"op":"1"}`, `{`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		op, _, fail := decodeEnvelope(data)
		if fail == nil && !json.Valid(data) {
			t.Fatalf("accepted invalid JSON %q as op %d", data, op)
		}
		if fail != nil && fail.code != CloseDecodeError {
			t.Fatalf("got close %d for %q; want 4002", fail.code, data)
		}
	})
}

// FuzzIdentify checks that an IDENTIFY the server accepts always has a token, defined and
// approved intents, a valid shard and a large_threshold in range.
func FuzzIdentify(f *testing.F) {
	for _, s := range []string{
		`{"token":"t","properties":{"os":"l","browser":"b","device":"d"},"intents":513}`,
		`{"token":"t","properties":{"$os":"l","$browser":"b","$device":"d"},"intents":1,"shard":[1,2],"large_threshold":250}`,
		`{"token":"t","properties":{},"intents":-1,"shard":[0]}`,
		`{"token":1}`, `"x"`, `null`,
	} {
		f.Add([]byte(s))
	}
	cfg := Config{RequiredShards: 2, ApprovedIntents: IntentGuildMembers}.withDefaults()
	f.Fuzz(func(t *testing.T, data []byte) {
		id, fail := parseIdentify(data)
		if fail != nil {
			return
		}
		if fail := id.check(cfg); fail != nil {
			return
		}
		if id.token == "" || id.intents&^IntentsDefined != 0 || id.intents&IntentsPrivileged&^cfg.ApprovedIntents != 0 ||
			id.shard[1] < 1 || id.shard[0] < 0 || id.shard[0] >= id.shard[1] || id.shard[1]%2 != 0 ||
			id.largeThreshold < 50 || id.largeThreshold > 250 {
			t.Fatalf("accepted %q as %+v", data, id)
		}
	})
}

// BenchmarkDispatch measures Dispatch to 16 resumable sessions, half of them on the event's shard.
func BenchmarkDispatch(b *testing.B) {
	s := New(Config{}, newBackend())
	defer s.Close()
	for i := range 16 {
		id := newSessionID()
		s.sessions[id] = &session{id: id, shard: [2]int{i % 2, 2}, intents: IntentGuildMessages, detachedAt: s.cfg.Now()}
	}
	ev := Event{Type: "MESSAGE_CREATE", GuildID: guild(3), Intents: IntentGuildMessages,
		Data: json.RawMessage(`{"id":"1","channel_id":"2","content":"hello","author":{"id":"3","username":"u"}}`)}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Dispatch(ev); err != nil {
			b.Fatal(err)
		}
	}
}
