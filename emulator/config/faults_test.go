package config_test

import (
	"testing"
	"time"

	"github.com/secretkit/secretkit/emulator/config"
	"github.com/secretkit/secretkit/emulator/faults"
)

func TestFaultsBlock(t *testing.T) {
	cfg, err := config.Parse("emu.yaml", []byte(`
faults:
  - {operation: get, vault: myvault, status: 503, retryAfter: 2, count: 3}
  - {target: identity, delay: 1500ms, probability: 0.25}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []faults.Rule{
		{Operation: "get", Vault: "myvault", Status: 503, RetryAfter: 2, Count: 3},
		{Target: faults.Identity, Delay: 1500 * time.Millisecond, Probability: 0.25},
	}
	if len(cfg.Faults) != len(want) {
		t.Fatalf("faults = %+v", cfg.Faults)
	}
	for i := range want {
		if cfg.Faults[i] != want[i] {
			t.Errorf("faults[%d] = %+v, want %+v", i, cfg.Faults[i], want[i])
		}
	}
	for doc, msg := range map[string]string{
		"faults:\n  - {status: 404}\n":                  "emu.yaml:2: status must be 429, 500 or 503, got 404",
		"faults:\n  - {delay: soon}\n":                  "emu.yaml:2: delay of a fault must be a Go duration such as 2s",
		"faults:\n  - {status: 503, colour: red}\n":     `emu.yaml:2: unknown key "colour" in a fault`,
		"faults:\n  - {operation: fetch, drop: true}\n": `emu.yaml:2: operation "fetch" is not a vault operation (set, get, update, delete, getDeleted, listDeleted, purge, recover, backup, restore, list, listVersions)`,
		"faults: {status: 503}\n":                       "emu.yaml:1: faults must be a list",
	} {
		_, err := config.Parse("emu.yaml", []byte(doc))
		if err == nil || err.Error() != msg {
			t.Errorf("%q: %v, want %q", doc, err, msg)
		}
	}
}
