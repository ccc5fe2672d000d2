//go:build !race

package main

import (
	"strings"
	"testing"
)

// The README's promise, through the same code path as `hearth sandbox`:
// the real bot, disgo's gateway, the emulator.
func TestDisgoSandboxTourPrintsPingHelpAndAbout(t *testing.T) {
	out, err := run(t, nil, "sandbox", "--script", "examples/sandbox/tour.txt", "--admin", "off")
	if err != nil {
		t.Fatalf("sandbox: %v\n%s", err, out)
	}
	for _, want := range []string{"you> /ping", "Pong! Gateway: shard 0", "Commands you can use here", "Uptime:", "Modules: core", "error: there is no command /nope"} {
		if !strings.Contains(out, want) {
			t.Errorf("the transcript lacks %q:\n%s", want, out)
		}
	}
}
