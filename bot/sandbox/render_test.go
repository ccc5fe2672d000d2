package sandbox

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hearthbot/hearth/discordtest"
)

func raws(js ...string) []json.RawMessage {
	out := make([]json.RawMessage, len(js))
	for i, j := range js {
		out[i] = json.RawMessage(j)
	}
	return out
}

func TestRenderReplyShowsWhatAPersonSees(t *testing.T) {
	const ephemeral = 1 << 6
	cases := []struct {
		name   string
		viewer string
		reply  discordtest.Reply
		want   string
	}{
		{"plain content", "you", discordtest.Reply{Type: 4, MessageID: 1, Content: "pong"},
			"Hearth: pong\n"},
		{"multi-line content", "you", discordtest.Reply{Type: 4, MessageID: 1, Content: "**Hearth** test\nUptime: 3s\n"},
			"Hearth: **Hearth** test\n  Uptime: 3s\n"},
		{"ephemeral embed for another member", "member2", discordtest.Reply{Type: 4, MessageID: 1, Ephemeral: true,
			Embeds: raws(`{"author":{"name":"Hearth"},"title":"Commands","url":"https://example.com","description":"**core**\n/ping — Latency",
				"fields":[{"name":"Version","value":"test"},{"name":"Notes","value":"one\ntwo"}],"image":{"url":"https://example.com/a.png"},"footer":{"text":"page 1"}}`)},
			"Hearth (only member2 can see this):\n" +
				"  │ Hearth\n  │ Commands <https://example.com>\n  │ **core**\n  │ /ping — Latency\n" +
				"  │ Version: test\n  │ Notes:\n  │   one\n  │   two\n  │ [image: https://example.com/a.png]\n  │ — page 1\n"},
		{"buttons and selects", "you", discordtest.Reply{Type: 4, MessageID: 1, Content: "Pick one",
			Components: raws(
				`{"type":1,"components":[{"type":2,"style":1,"label":"Yes","custom_id":"a"},{"type":2,"style":4,"label":"No","emoji":{"name":"✋"},"disabled":true},{"type":2,"style":5,"label":"Docs","url":"https://example.com"}]}`,
				`{"type":1,"components":[{"type":3,"custom_id":"s","placeholder":"Pick a module"}]}`,
				`{"type":1,"components":[{"type":5,"custom_id":"u"}]}`)},
			"Hearth: Pick one\n  [button: Yes] [button: ✋ No (disabled)] [link: Docs → https://example.com]\n  [select: Pick a module]\n  [select: choose]\n"},
		{"components v2", "you", discordtest.Reply{Type: 4, MessageID: 1, Flags: 1 << 15,
			Components: raws(`{"type":17,"components":[{"type":10,"content":"# Title\nbody"},{"type":14},{"type":9,"components":[{"type":10,"content":"side"}],"accessory":{"type":2,"style":1,"label":"Go"}}]}`)},
			"Hearth:\n  ┃ # Title\n  ┃ body\n  ┃ ────────\n  ┃ side\n  ┃ [button: Go]\n"},
		{"deferred then answered", "you", discordtest.Reply{Type: 5, MessageID: 1, Deferred: true, Content: "done", Edits: 1},
			"Hearth is thinking...\nHearth: done\n"},
		{"deferred and never answered", "you", discordtest.Reply{Type: 5, MessageID: 1, Deferred: true, Loading: true, Flags: 1 << 7},
			"Hearth is thinking...\nHearth is still thinking: no answer came in time.\n"},
		{"expired", "you", discordtest.Reply{Expired: true},
			"Hearth did not answer in time: Discord shows \"The application did not respond\".\n"},
		{"followups", "you", discordtest.Reply{Type: 4, MessageID: 1, Content: "started",
			Followups: []discordtest.Message{{Content: "half way"}, {Content: "secret", Flags: ephemeral}}},
			"Hearth: started\nHearth (followup): half way\nHearth (followup, only you can see this): secret\n"},
		{"modal", "you", discordtest.Reply{Type: 9, Modal: &discordtest.Modal{CustomID: "m", Title: "Report a user"}},
			"Hearth opens a form, \"Report a user\"; the sandbox cannot fill in forms.\n"},
		{"empty message", "you", discordtest.Reply{Type: 4, MessageID: 1},
			"Hearth: (an empty message)\n"},
		{"unreadable embed", "you", discordtest.Reply{Type: 4, MessageID: 1, Embeds: raws(`[1]`)},
			"Hearth:\n  │ (an embed the sandbox cannot read)\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			renderReply(&b, "Hearth", tc.viewer, tc.reply)
			if got := b.String(); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
