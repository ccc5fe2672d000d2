package bot

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/disgoorg/disgo/discord"
)

func TestNormalisedCommandsCompareAsDiscordBehaves(t *testing.T) {
	ours, _ := json.Marshal([]map[string]any{commandJSON(&Command{Name: "ban", Description: "Bans",
		Permissions: discord.PermissionBanMembers, Options: []Option{{Name: "user", Description: "Who", Type: OptionUser, Required: true}}})})
	cases := []struct {
		name string
		have string
		same bool
	}{
		{"Discord's defaults filled in", `[{"id":"1","application_id":"2","version":"3","type":1,"name":"ban","description":"Bans","default_member_permissions":"4","dm_permission":true,"contexts":[0],"integration_types":[0],"nsfw":false,"options":[{"type":6,"name":"user","description":"Who","required":true}]}]`, true},
		{"permissions null means everyone", `[{"type":1,"name":"ban","description":"Bans","default_member_permissions":null,"contexts":[0],"integration_types":[0],"options":[{"type":6,"name":"user","description":"Who","required":true}]}]`, false},
		{"permissions \"0\" means nobody", `[{"type":1,"name":"ban","description":"Bans","default_member_permissions":"0","contexts":[0],"integration_types":[0],"options":[{"type":6,"name":"user","description":"Who","required":true}]}]`, false},
		{"an option no longer required", `[{"type":1,"name":"ban","description":"Bans","default_member_permissions":"4","contexts":[0],"integration_types":[0],"options":[{"type":6,"name":"user","description":"Who"}]}]`, false},
		{"nothing registered", `[]`, false},
	}
	want, err := normalizeCommands(ours)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		got, err := normalizeCommands([]byte(tc.have))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if (got == want) != tc.same {
			t.Errorf("%s: got same=%v; want %v\n have %s\n want %s", tc.name, got == want, tc.same, got, want)
		}
	}
}

func TestApplicationIDFromToken(t *testing.T) {
	cases := []struct {
		token string
		want  uint64
		ok    bool
	}{
		{"MTIzNDU2Nzg5MDEyMzQ1Njc4.x.y", 123456789012345678, true},
		{"MTIzNDU2Nzg5MDEyMzQ1Njc4", 0, false},
		{"bm90LWFuLWlk.x.y", 0, false},
	}
	for _, tc := range cases {
		id, err := applicationID(tc.token)
		if (err == nil) != tc.ok || uint64(id) != tc.want {
			t.Errorf("%q: got %d, %v; want %d, ok=%v", tc.token, id, err, tc.want, tc.ok)
		}
		if err != nil && len(tc.token) > 5 && strings.Contains(err.Error(), tc.token) {
			t.Errorf("%q: the error shows the token", tc.token)
		}
	}
}
