package modules_test

import (
	"os/exec"
	"strings"
	"testing"
)

const prefix = "github.com/hearthbot/hearth/modules/"

// TestModulesDoNotImportEachOther keeps modules independent, so any of
// them can move to another process: no module package may depend,
// directly or not, on another.
func TestModulesDoNotImportEachOther(t *testing.T) {
	out, err := exec.Command("go", "list", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	mods := strings.Fields(string(out))
	if len(mods) == 0 {
		t.Fatal("go list found no module packages")
	}
	for _, m := range mods {
		if !strings.HasPrefix(m, prefix) {
			continue
		}
		deps, err := exec.Command("go", "list", "-deps", m).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", m, err)
		}
		own := strings.SplitN(strings.TrimPrefix(m, prefix), "/", 2)[0]
		for _, d := range strings.Fields(string(deps)) {
			if !strings.HasPrefix(d, prefix) {
				continue
			}
			if other := strings.SplitN(strings.TrimPrefix(d, prefix), "/", 2)[0]; other != own {
				t.Errorf("%s depends on %s: modules never import each other (talk through the bus)", m, d)
			}
		}
	}
}
