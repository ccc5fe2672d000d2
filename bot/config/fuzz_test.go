package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzLoad feeds Load arbitrary bytes: it must never panic, every problem must be one line
// starting with "config: ", and a configuration it accepts must be valid.
func FuzzLoad(f *testing.F) {
	example, err := os.ReadFile(filepath.Join("..", "..", "config.example.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		string(example),
		"",
		"discord: {shards: many, bogus: 1, token: x}",
		"commands:\n  sync: [1, x, 0]\n",
		"a: &a [*a]\n",
		"x: &x {a: 1}\ndiscord: *x\n",
		"modules:\n  m:\n    a: &b [1, 2]\n    b: *b\n    <<: {c: 1}\n",
		"- 1\n---\n- 2\n",
		"pipeline: {handler_timeout: 9223372036854775807ns, concurrency: 0x7fffffffffffffff}",
		"\t\x00",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := load("fuzz.yaml", data, nil)
		if err != nil {
			for line := range strings.Lines(err.Error()) {
				if !strings.HasPrefix(line, "config: ") {
					t.Errorf("got the problem line %q; want it to start with config: ", line)
				}
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Errorf("got %v from Validate of a loaded configuration; want nil", err)
		}
		for _, id := range c.ModuleIDs() {
			var m map[string]any
			_ = c.Module(id, &m)
			var s struct {
				A int
				B []struct{ C string }
				D map[string]time.Duration
			}
			_ = c.Module(id, &s)
		}
	})
}
