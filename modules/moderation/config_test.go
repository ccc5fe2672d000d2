package moderation

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot/config"
)

func TestSettingsValuesAreCheckedNamingTheKey(t *testing.T) {
	cases := []struct {
		name string
		edit func(*guildSettings)
		want string
	}{
		{"defaults", func(*guildSettings) {}, ""},
		{"timeout too long", func(s *guildSettings) { s.Escalation = escalation{TimeoutAfter: 3, TimeoutFor: 30 * 24 * time.Hour} },
			"escalation.timeout_for: want a duration above 0 and at most 28d (672h, Discord's limit); got 30d"},
		{"timeout without a length", func(s *guildSettings) { s.Escalation = escalation{TimeoutAfter: 3} },
			"escalation.timeout_for: want a duration above 0"},
		{"kick before timeout", func(s *guildSettings) {
			s.Escalation = escalation{TimeoutAfter: 3, TimeoutFor: time.Hour, KickAfter: 2}
		},
			"escalation.kick_after: want more warnings than escalation.timeout_after (3), or 0 (off); got 2"},
		{"negative", func(s *guildSettings) { s.Escalation.KickAfter = -1 }, "escalation.kick_after: want 0 (off) to 100 warnings; got -1"},
		{"too many", func(s *guildSettings) { s.Escalation.TimeoutAfter = 1000 }, "escalation.timeout_after: want 0 (off) to 100 warnings; got 1000"},
		{"negative window", func(s *guildSettings) { s.Escalation.Window = -time.Minute }, "escalation.window: want 0 (every active warning) or a positive duration; got -1m"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := defaultConfig().Defaults
			c.edit(&s)
			err := validateSettings(&s)
			if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
				t.Errorf("got %v; want %q", err, c.want)
			}
		})
	}
}

func TestTheConfigFileGivesTheDefaultsOfEveryGuild(t *testing.T) {
	cfg := loadConfig(t, "log_channel: 42\ndm_on_action: false\ncontent_matching: true\nescalation:\n  timeout_after: 2\n  timeout_for: 2h")
	m := New()
	if err := cfg.Module(ID, &m.cfg); err != nil {
		t.Fatal(err)
	}
	want := guildSettings{LogChannel: snowflake.ID(42), Escalation: escalation{TimeoutAfter: 2, TimeoutFor: 2 * time.Hour}}
	if m.cfg.Defaults != want || !m.cfg.ContentMatching {
		t.Errorf("got %+v; want defaults %+v and content matching on", m.cfg, want)
	}
}

func TestUnknownConfigKeysStopStartUp(t *testing.T) {
	for _, c := range []struct{ section, key string }{
		{"log_chanel: 1", "log_chanel"},
		{"purge_memory: 1000", "purge_memory"}, // gone with the message index
	} {
		cfg := loadConfig(t, c.section)
		m := New()
		err := cfg.Module(ID, &m.cfg)
		if err == nil || !strings.Contains(err.Error(), "modules.moderation."+c.key+": unknown key") {
			t.Errorf("%s: got %v; want the unknown key named", c.section, err)
		}
	}
}

func TestTheEnvironmentOverridesTheDefaults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hearth.yaml")
	if err := os.WriteFile(path, []byte("modules:\n  moderation:\n    log_channel: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HEARTH_MODULES_MODERATION_LOG_CHANNEL": "42", "HEARTH_MODULES_MODERATION_ESCALATION_KICK_AFTER": "4"}
	cfg, err := config.Load(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	m := New()
	if err := cfg.Module(ID, &m.cfg); err != nil {
		t.Fatal(err)
	}
	if d := m.cfg.Defaults; d.LogChannel != 42 || d.Escalation.KickAfter != 4 {
		t.Errorf("got %+v; want log_channel 42 and escalation.kick_after 4 from the environment", d)
	}
}
