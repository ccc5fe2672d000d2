package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// moderation is a module's configuration as a module would declare it.
type moderation struct {
	LogChannel uint64        `yaml:"log_channel"`
	Cooldown   time.Duration `yaml:"cooldown"`
	Words      []string      `yaml:"words"`
	Strict     bool          // key "strict", from the lower-cased name
	Escalation escalation    `yaml:"escalation"`
	Rules      []rule        `yaml:"rules"`
	Skipped    string        `yaml:"-"`
	common     `yaml:",inline"`
}

type escalation struct {
	Warnings int    `yaml:"warnings"`
	Action   string `yaml:"action"`
}

type rule struct {
	Pattern string `yaml:"pattern"`
}

type common struct {
	Enabled bool `yaml:"enabled"`
}

func defaults() moderation {
	return moderation{Cooldown: 5 * time.Second, Escalation: escalation{Warnings: 3, Action: "mute"}, common: common{Enabled: true}}
}

func TestModuleDecodesItsSection(t *testing.T) {
	yml := `
modules:
  moderation:
    log_channel: 123456789012345678
    words: [a, b]
    escalation:
      action: kick
    rules:
      - pattern: x
    enabled: false
    strict: true
`
	c, err := load("hearth.yaml", []byte(yml), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := defaults()
	if err := c.Module("moderation", &got); err != nil {
		t.Fatal(err)
	}
	want := moderation{
		LogChannel: 123456789012345678,
		Cooldown:   5 * time.Second,
		Words:      []string{"a", "b"},
		Strict:     true,
		Escalation: escalation{Warnings: 3, Action: "kick"},
		Rules:      []rule{{Pattern: "x"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v; want %+v", got, want)
	}
}

func TestModuleWithoutSectionKeepsDefaults(t *testing.T) {
	for _, yml := range []string{"", "modules: {}", "modules:\n  moderation:\n", "modules:\n  other: {a: 1}"} {
		t.Run(yml, func(t *testing.T) {
			c, err := load("hearth.yaml", []byte(yml), nil)
			if err != nil {
				t.Fatal(err)
			}
			got := defaults()
			if err := c.Module("moderation", &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, defaults()) {
				t.Errorf("got %+v; want %+v", got, defaults())
			}
		})
	}
	got := defaults()
	if err := Default().Module("moderation", &got); err != nil || !reflect.DeepEqual(got, defaults()) {
		t.Errorf("got %+v, %v from Default; want the defaults, nil", got, err)
	}
}

func TestModuleReportsProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"unknown key", "modules:\n  moderation:\n    bogus: 1", `config: hearth.yaml:3: modules.moderation.bogus: unknown key; modules.moderation has cooldown, enabled, escalation, log_channel, rules, strict, words`},
		{"skipped field", "modules:\n  moderation:\n    skipped: x", `config: hearth.yaml:3: modules.moderation.skipped: unknown key; modules.moderation has cooldown, enabled, escalation, log_channel, rules, strict, words`},
		{"nested unknown key", "modules:\n  moderation:\n    escalation:\n      ban: true", `config: hearth.yaml:4: modules.moderation.escalation.ban: unknown key; modules.moderation.escalation has action, warnings`},
		{"unknown key in a list", "modules:\n  moderation:\n    rules:\n      - pattern: x\n      - patern: y", `config: hearth.yaml:5: modules.moderation.rules[1].patern: unknown key; modules.moderation.rules[1] has pattern`},
		{"wrong type", "modules:\n  moderation:\n    log_channel: general", "config: hearth.yaml:3: modules.moderation: cannot unmarshal !!str `general` into uint64"},
		{"bad duration", "modules:\n  moderation:\n    cooldown: soon", "config: hearth.yaml:3: modules.moderation: cannot unmarshal !!str `soon` into time.Duration"},
		{"every problem", "modules:\n  moderation:\n    a: 1\n    strict: maybe\n    b: 2", "config: hearth.yaml:3: modules.moderation.a: unknown key; modules.moderation has cooldown, enabled, escalation, log_channel, rules, strict, words\n" +
			"config: hearth.yaml:4: modules.moderation: cannot unmarshal !!str `maybe` into bool\n" +
			"config: hearth.yaml:5: modules.moderation.b: unknown key; modules.moderation has cooldown, enabled, escalation, log_channel, rules, strict, words"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := load("hearth.yaml", []byte(tt.yaml), nil)
			if err != nil {
				t.Fatal(err)
			}
			got := defaults()
			err = c.Module("moderation", &got)
			if err == nil || err.Error() != tt.want {
				t.Errorf("got %v; want %s", err, tt.want)
			}
		})
	}
}

func TestModuleIntoAMap(t *testing.T) {
	c, err := load("hearth.yaml", []byte("modules:\n  kv:\n    a: 1\n    b: [x]"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := c.Module("kv", &got); err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"a": 1, "b": []any{"x"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
}

func TestModuleNeedsAPointer(t *testing.T) {
	for _, into := range []any{nil, moderation{}, (*moderation)(nil)} {
		err := Default().Module("moderation", into)
		if err == nil || !strings.HasPrefix(err.Error(), "config: modules.moderation: decoding needs a non-nil pointer") {
			t.Errorf("got %v for %T; want a non-nil pointer error", err, into)
		}
	}
}

func TestModuleEnvironmentOverrides(t *testing.T) {
	e := map[string]string{
		"HEARTH_MODULES_MODERATION_LOG_CHANNEL":         "42",
		"HEARTH_MODULES_MODERATION_COOLDOWN":            "1m",
		"HEARTH_MODULES_MODERATION_WORDS":               "[x, y]",
		"HEARTH_MODULES_MODERATION_ESCALATION_ACTION":   "ban: now", // a string field takes the value as is
		"HEARTH_MODULES_MODERATION_ESCALATION_WARNINGS": "7",
		"HEARTH_MODULES_MODERATION_ENABLED":             "false",
		"HEARTH_MODULES_MODERATION_SKIPPED":             "never read",
	}
	c, err := load("hearth.yaml", []byte("modules:\n  moderation:\n    log_channel: 1\n    strict: true"), env(e))
	if err != nil {
		t.Fatal(err)
	}
	got := defaults()
	if err := c.Module("moderation", &got); err != nil {
		t.Fatal(err)
	}
	want := moderation{
		LogChannel: 42,
		Cooldown:   time.Minute,
		Words:      []string{"x", "y"},
		Strict:     true,
		Escalation: escalation{Warnings: 7, Action: "ban: now"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v; want %+v", got, want)
	}
}

func TestModuleEnvironmentProblemsNameTheVariable(t *testing.T) {
	e := map[string]string{
		"HEARTH_MODULES_AUTO_MOD_LOG_CHANNEL": "general",
		"HEARTH_MODULES_AUTO_MOD_WORDS":       "[x",
	}
	c, err := load("", nil, env(e))
	if err != nil {
		t.Fatal(err)
	}
	got := defaults()
	err = c.Module("auto-mod", &got)
	want := "config: HEARTH_MODULES_AUTO_MOD_LOG_CHANNEL: cannot unmarshal !!str `general` into uint64\n" +
		`config: HEARTH_MODULES_AUTO_MOD_WORDS: "[x" is not a YAML value`
	if err == nil || err.Error() != want {
		t.Errorf("got %v; want %s", err, want)
	}
}

func TestModuleIDs(t *testing.T) {
	c, err := load("hearth.yaml", []byte("modules:\n  welcome: {}\n  automod:\n  analytics: {a: 1}"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.ModuleIDs(), []string{"analytics", "automod", "welcome"}; !slices.Equal(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
}
