package moderation

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValuesAreChecked(t *testing.T) {
	cases := []struct {
		name string
		edit func(*settings)
		want string
	}{
		{"defaults", func(*settings) {}, ""},
		{"purge memory", func(s *settings) { s.PurgeMemory = 10 }, "purge_memory: want 100 to 10000"},
		{"timeout too long", func(s *settings) { s.Escalation = escalation{TimeoutAfter: 3, TimeoutFor: 30 * 24 * time.Hour} },
			"escalation.timeout_for: want a duration above 0 and at most 672h"},
		{"kick before timeout", func(s *settings) { s.Escalation = escalation{TimeoutAfter: 3, TimeoutFor: time.Hour, KickAfter: 2} },
			"escalation.kick_after (2) must be above timeout_after (3)"},
		{"negative", func(s *settings) { s.Escalation.KickAfter = -1 }, "want 0 (off) or more"},
	}
	for _, c := range cases {
		s := defaultConfig()
		c.edit(&s)
		err := s.validate()
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: got %v; want %q", c.name, err, c.want)
		}
	}
}

func TestUnknownConfigKeysStopStartUp(t *testing.T) {
	cfg := loadConfig(t, "log_chanel: 1")
	m := New()
	err := cfg.Module(ID, &m.cfg)
	if err == nil || !strings.Contains(err.Error(), "modules.moderation.log_chanel: unknown key") {
		t.Fatalf("got %v; want the unknown key named", err)
	}
}
