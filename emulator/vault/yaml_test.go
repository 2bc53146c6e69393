package vault_test

import (
	"errors"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/secretkit/secretkit/emulator/internal/yamlnode"
	"github.com/secretkit/secretkit/emulator/vault"
	"github.com/secretkit/secretkit/kv"
)

// Settings reads itself through yaml.v3 on its own, not only through the
// config: defaults filled in, problems as *yamlnode.Error with their line.
func TestSettingsUnmarshalYAML(t *testing.T) {
	var s vault.Settings
	src := "name: My-Vault\nthrottle: {}\naccess: {roles: [{identity: web, role: b86a8fe4-44ce-4948-aee5-eccb2c155cd7}]}\n"
	if err := yaml.Unmarshal([]byte(src), &s); err != nil {
		t.Fatal(err)
	}
	if s.Name != "my-vault" || s.RetentionDays != kv.DefaultRetentionDays || s.Throttle == nil ||
		*s.Throttle != (vault.Throttle{Creates: kv.DefaultThrottleCreates, Other: kv.DefaultThrottleOther}) ||
		s.Access == nil || s.Access.Roles[0].Role != kv.RoleSecretsOfficer || s.Access.Roles[0].Identity != "web" {
		t.Errorf("decoded %+v", s)
	}
	for src, want := range map[string]string{
		"retentionDays: 7\n":                "line 1: vault needs a name",
		"name: kv1\n\nsecrets: [{name: a}]": `line 3: secret "a" of vault "kv1" needs a value`,
		"name: kv1\nname: kv2\n":            `line 2: duplicate key "name" in vault (first at line 1)`,
		"name: k\n":                         `line 1: vault name "k" is invalid: ` + kv.VaultNameRule,
	} {
		var s vault.Settings
		err := yaml.Unmarshal([]byte(src), &s)
		var ye *yamlnode.Error
		if !errors.As(err, &ye) || err.Error() != want {
			t.Errorf("%q: error %v, want *yamlnode.Error %q", src, err, want)
		}
	}
}
