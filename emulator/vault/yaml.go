package vault

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/secretkit/secretkit/emulator/access"
	"github.com/secretkit/secretkit/emulator/internal/yamlnode"
	"github.com/secretkit/secretkit/kv"
)

// UnmarshalYAML reads a vault from a config file:
//
//	name: myvault          # kv.ValidVaultName; kept lowercase
//	retentionDays: 90      # 7..90, default 90
//	purgeProtection: false
//	throttle: {creates: 300, other: 4000}   # optional; "throttle: {}" means Key Vault's limits
//	access: ...            # optional; see access.VaultRules.DecodeYAML
//	secrets:               # seeded when absent
//	  - {name: db-password, value: hunter2, contentType: text/plain, tags: {env: dev}, enabled: true}
//
// Errors are *yamlnode.Error with the line of the offending node; none
// quotes a secret value.
func (s *Settings) UnmarshalYAML(n *yaml.Node) error {
	m, name, err := yamlnode.Named(n, "vault", kv.ValidVaultName, kv.VaultNameRule,
		"name", "retentionDays", "purgeProtection", "throttle", "access", "secrets")
	if err != nil {
		return err
	}
	*s = Settings{Name: strings.ToLower(name), RetentionDays: kv.DefaultRetentionDays}
	if rn := m.Get("retentionDays"); !yamlnode.IsNull(rn) {
		days, err := yamlnode.Int(rn, fmt.Sprintf("retentionDays of vault %q", name))
		if err != nil {
			return err
		}
		if days < kv.MinRetentionDays || days > kv.MaxRetentionDays {
			return yamlnode.Errorf(rn, "retentionDays of vault %q must be between %d and %d, got %d", name, kv.MinRetentionDays, kv.MaxRetentionDays, days)
		}
		s.RetentionDays = days
	}
	if pn := m.Get("purgeProtection"); !yamlnode.IsNull(pn) {
		if s.PurgeProtection, err = yamlnode.Bool(pn, fmt.Sprintf("purgeProtection of vault %q", name)); err != nil {
			return err
		}
	}
	if tn := m.Get("throttle"); tn != nil {
		s.Throttle = &Throttle{}
		if err := s.Throttle.decodeYAML(tn, name); err != nil {
			return err
		}
	}
	if an := m.Get("access"); !yamlnode.IsNull(an) {
		s.Access = &access.VaultRules{}
		if err := s.Access.DecodeYAML(an, name); err != nil {
			return err
		}
	}
	if sn := m.Get("secrets"); !yamlnode.IsNull(sn) {
		if s.Secrets, err = decodeSeeds(sn, name); err != nil {
			return err
		}
	}
	return nil
}

// decodeYAML reads a vault's request limits; an empty mapping (or null)
// means Key Vault's own, which it fills in.
func (t *Throttle) decodeYAML(n *yaml.Node, vault string) error {
	*t = Throttle{Creates: kv.DefaultThrottleCreates, Other: kv.DefaultThrottleOther}
	if yamlnode.IsNull(n) {
		return nil
	}
	of := fmt.Sprintf("throttle of vault %q", vault)
	m, err := yamlnode.Strict(n, of, " in "+of, "creates", "other")
	if err != nil {
		return err
	}
	for _, f := range []struct {
		key string
		dst *int
	}{{"creates", &t.Creates}, {"other", &t.Other}} {
		vn := m.Get(f.key)
		if yamlnode.IsNull(vn) {
			continue
		}
		limit, err := yamlnode.Int(vn, f.key+" of "+of)
		if err != nil {
			return err
		}
		if limit < 1 {
			return yamlnode.Errorf(vn, "%s of %s must be at least 1, got %d", f.key, of, limit)
		}
		*f.dst = limit
	}
	return nil
}

func decodeSeeds(n *yaml.Node, vault string) ([]SeedSecret, error) {
	items, err := yamlnode.Seq(n, fmt.Sprintf("secrets of vault %q", vault))
	if err != nil {
		return nil, err
	}
	var seeds []SeedSecret
	firstLine := map[string]int{}
	for i, item := range items {
		m, err := yamlnode.Require(item, fmt.Sprintf("secrets[%d] of vault %q", i, vault), "name")
		if err != nil {
			return nil, err
		}
		nameNode := m.Get("name")
		name, err := yamlnode.Str(nameNode, "secret name")
		if err != nil {
			return nil, err
		}
		if !kv.ValidSecretName(name) {
			return nil, yamlnode.Errorf(nameNode, "secret name %q in vault %q is invalid: %s", name, vault, kv.SecretNameRule)
		}
		if line, dup := firstLine[strings.ToLower(name)]; dup {
			return nil, yamlnode.Errorf(nameNode, "secret %q is seeded twice in vault %q (first at line %d)", name, vault, line)
		}
		firstLine[strings.ToLower(name)] = yamlnode.Line(nameNode)
		s, err := decodeSeed(m, name, fmt.Sprintf("secret %q of vault %q", name, vault))
		if err != nil {
			return nil, err
		}
		seeds = append(seeds, s)
	}
	return seeds, nil
}

// decodeSeed reads the rest of one seeded secret; of names it in messages.
func decodeSeed(m yamlnode.Mapping, name, of string) (SeedSecret, error) {
	if err := m.Known(" in "+of, "name", "value", "contentType", "tags", "enabled"); err != nil {
		return SeedSecret{}, err
	}
	s := SeedSecret{Name: name}
	valueNode := m.Get("value")
	if yamlnode.IsNull(valueNode) {
		return s, yamlnode.Errorf(m.Node, "%s needs a value", of)
	}
	var err error
	if s.Value, err = yamlnode.Str(valueNode, "value of "+of); err != nil {
		return s, err
	}
	if len(s.Value) > kv.MaxSecretValueBytes {
		return s, yamlnode.Errorf(valueNode, "value of %s is %d bytes; the limit is %d", of, len(s.Value), kv.MaxSecretValueBytes)
	}
	if cn := m.Get("contentType"); !yamlnode.IsNull(cn) {
		if s.ContentType, err = yamlnode.Str(cn, "contentType of "+of); err != nil {
			return s, err
		}
		if c := utf8.RuneCountInString(s.ContentType); c > kv.MaxContentTypeLength {
			return s, yamlnode.Errorf(cn, "contentType of %s is %d characters; the limit is %d", of, c, kv.MaxContentTypeLength)
		}
	}
	if tn := m.Get("tags"); !yamlnode.IsNull(tn) {
		if s.Tags, err = decodeTags(tn, of); err != nil {
			return s, err
		}
	}
	if en := m.Get("enabled"); !yamlnode.IsNull(en) {
		enabled, err := yamlnode.Bool(en, "enabled of "+of)
		if err != nil {
			return s, err
		}
		s.Enabled = &enabled
	}
	return s, nil
}

func decodeTags(n *yaml.Node, of string) (map[string]string, error) {
	m, err := yamlnode.Map(n, "tags of "+of)
	if err != nil {
		return nil, err
	}
	entries := m.Entries()
	if len(entries) > kv.MaxTags {
		return nil, yamlnode.Errorf(n, "%s has %d tags; the limit is %d", of, len(entries), kv.MaxTags)
	}
	tags := make(map[string]string, len(entries))
	for _, t := range entries {
		if c := utf8.RuneCountInString(t.Key.Value); c > kv.MaxTagLength {
			return nil, yamlnode.Errorf(t.Key, "a tag name of %s is %d characters; the limit is %d", of, c, kv.MaxTagLength)
		}
		val := ""
		if !yamlnode.IsNull(t.Value) {
			if val, err = yamlnode.Str(t.Value, fmt.Sprintf("tag %q of %s", t.Key.Value, of)); err != nil {
				return nil, err
			}
		}
		if c := utf8.RuneCountInString(val); c > kv.MaxTagLength {
			return nil, yamlnode.Errorf(t.Value, "tag %q of %s is %d characters; the limit is %d", t.Key.Value, of, c, kv.MaxTagLength)
		}
		tags[t.Key.Value] = val
	}
	return tags, nil
}
