package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/secretkit/secretkit/emulator/faults"
	"github.com/secretkit/secretkit/emulator/identity"
	"github.com/secretkit/secretkit/emulator/internal/yamlnode"
	"github.com/secretkit/secretkit/emulator/vault"
	"github.com/secretkit/secretkit/internal/yamlmsg"
	"github.com/secretkit/secretkit/kv"
)

// Parse parses and validates data, naming it name in errors. Unknown keys,
// duplicate keys, wrong types, out-of-range values and dangling references
// are errors; an empty document yields the defaults.
func Parse(name string, data []byte) (*Config, error) {
	if yamlmsg.IsUTF16(data) {
		return nil, &Error{File: name, Line: 1, Msg: yamlmsg.MsgUTF16}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, syntaxError(name, err, data)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{File: name, Line: extra.Line, Msg: "only one YAML document is allowed"}
	} else if !errors.Is(err, io.EOF) {
		return nil, syntaxError(name, err, data)
	}
	var root *yaml.Node
	if len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	cfg := &Config{Tenant: DefaultTenant, TokenLifetime: DefaultTokenLifetime}
	if err := cfg.decode(root); err != nil {
		var ye *yamlnode.Error
		if errors.As(err, &ye) {
			return nil, &Error{File: name, Line: ye.Line, Msg: ye.Msg}
		}
		return nil, err
	}
	return cfg, nil
}

// syntaxError turns a yaml.v3 syntax error into an *Error that names the
// line and the problem but no text of the file (internal/yamlmsg): an
// unquoted "*value" is read as an alias, whose name yaml.v3 would quote.
// yaml.v3 puts "line N" in its message except for the first line and for
// errors of its byte reader (encoding, control characters), so those
// lines are found here.
func syntaxError(file string, err error, data []byte) error {
	line, msg := yamlmsg.Syntax(err, data)
	if line == 0 {
		line = max(badByteLine(data), 1)
	}
	return &Error{File: file, Line: line, Msg: msg}
}

// badByteLine returns the line of the first byte yaml.v3's reader rejects
// (invalid UTF-8 or a control character other than tab, CR and LF), or 0.
func badByteLine(data []byte) int {
	line := 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 || r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return line
		}
		if r == '\n' {
			line++
		}
		i += size
	}
	return 0
}

// decode reads the top level, its own keys itself and identities and
// vaults through their types' UnmarshalYAML, then applies the defaults and
// checks that span the file. root may be nil (an empty document).
func (c *Config) decode(root *yaml.Node) error {
	var identityNodes, vaultNodes []*yaml.Node
	if !yamlnode.IsNull(root) {
		m, err := yamlnode.Strict(root, "the top level", "", "tenant", "identityHeader", "tokenLifetime", "claimsChallenge", "tlsNames", "identities", "vaults", "faults")
		if err != nil {
			return err
		}
		for _, e := range m.Entries() {
			if yamlnode.IsNull(e.Value) {
				continue
			}
			switch e.Key.Value {
			case "identities":
				identityNodes, err = c.decodeIdentities(e.Value)
			case "vaults":
				vaultNodes, err = c.decodeVaults(e.Value)
			case "faults":
				err = c.decodeFaults(e.Value)
			default:
				err = c.decodeScalar(e.Key.Value, e.Value)
			}
			if err != nil {
				return err
			}
		}
	}
	if !hasManagedIdentity(c.Identities) {
		// Service principals alone leave the managed-identity endpoints
		// without an identity: add the default one, as for an empty list.
		c.Identities = append(c.Identities, identity.Identity{Name: DefaultIdentityName, Kind: kv.KindSystem})
		if identityNodes != nil {
			identityNodes = append(identityNodes, nil)
		}
	}
	if len(c.Vaults) == 0 {
		c.Vaults = []vault.Settings{{Name: DefaultVaultName, RetentionDays: kv.DefaultRetentionDays}}
		vaultNodes = nil
	}
	if err := c.deriveIDs(identityNodes); err != nil {
		return err
	}
	return c.resolveReferences(vaultNodes)
}

func (c *Config) decodeScalar(key string, n *yaml.Node) error {
	switch key {
	case "tenant":
		s, err := yamlnode.Str(n, "tenant")
		if err != nil {
			return err
		}
		if !identity.IsGUID(s) {
			return yamlnode.Errorf(n, "tenant %q is not a GUID", s)
		}
		c.Tenant = strings.ToLower(s)
	case "identityHeader":
		s, err := yamlnode.Str(n, "identityHeader")
		if err != nil {
			return err
		}
		if !validHeaderValue(s) {
			return yamlnode.Errorf(n, "identityHeader must be printable ASCII without spaces")
		}
		c.IdentityHeader = s
	case "tokenLifetime":
		s, err := yamlnode.Str(n, "tokenLifetime")
		if err != nil {
			return err
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return yamlnode.Errorf(n, "tokenLifetime %q is not a duration such as 24h or 90m", s)
		}
		if d < MinTokenLifetime || d > MaxTokenLifetime {
			return yamlnode.Errorf(n, "tokenLifetime %s is outside 5m..48h", s)
		}
		c.TokenLifetime = d
	case "claimsChallenge":
		s, err := yamlnode.Str(n, "claimsChallenge")
		if err != nil {
			return err
		}
		switch v := strings.ToLower(s); v {
		case ClaimsChallengeCapable, ClaimsChallengeRenewable:
			c.ClaimsChallenge = v
		default:
			return yamlnode.Errorf(n, "claimsChallenge %q must be %s or %s", s, ClaimsChallengeCapable, ClaimsChallengeRenewable)
		}
	case "tlsNames":
		items, err := yamlnode.Seq(n, "tlsNames")
		if err != nil {
			return err
		}
		for _, item := range items {
			s, err := yamlnode.Str(item, "each tlsNames entry")
			if err != nil {
				return err
			}
			name, ok := normalizeTLSName(s)
			if !ok {
				return yamlnode.Errorf(item, "tlsNames entry %q is neither a DNS name nor an IP address", s)
			}
			if !slices.Contains(c.TLSNames, name) {
				c.TLSNames = append(c.TLSNames, name)
			}
		}
	}
	return nil
}

// decodeIdentities reads the list and checks what one identity cannot
// know alone: names are unique and at most one identity is system-assigned.
// It returns each identity's mapping node for the later checks.
func (c *Config) decodeIdentities(n *yaml.Node) ([]*yaml.Node, error) {
	items, err := yamlnode.Seq(n, "identities")
	if err != nil {
		return nil, err
	}
	for i, item := range items {
		m, err := yamlnode.Require(item, fmt.Sprintf("identities[%d]", i), "name")
		if err != nil {
			return nil, err
		}
		var id identity.Identity
		if err := id.UnmarshalYAML(item); err != nil {
			return nil, err
		}
		for j, prev := range c.Identities {
			if strings.EqualFold(prev.Name, id.Name) {
				return nil, yamlnode.Errorf(m.Get("name"), "identity %q is defined twice (first at line %d)", id.Name, nameLine(items[j]))
			}
			if prev.Kind == kv.KindSystem && id.Kind == kv.KindSystem {
				return nil, yamlnode.Errorf(m.Get("kind"), "identity %q is a second system identity (%q is one already); a host has at most one", id.Name, prev.Name)
			}
		}
		c.Identities = append(c.Identities, id)
	}
	return items, nil
}

// decodeVaults reads the list and checks that names are unique.
func (c *Config) decodeVaults(n *yaml.Node) ([]*yaml.Node, error) {
	items, err := yamlnode.Seq(n, "vaults")
	if err != nil {
		return nil, err
	}
	for i, item := range items {
		m, err := yamlnode.Require(item, fmt.Sprintf("vaults[%d]", i), "name")
		if err != nil {
			return nil, err
		}
		var v vault.Settings
		if err := v.UnmarshalYAML(item); err != nil {
			return nil, err
		}
		for j, prev := range c.Vaults {
			if prev.Name == v.Name {
				written, _ := yamlnode.Str(m.Get("name"), "")
				return nil, yamlnode.Errorf(m.Get("name"), "vault %q is defined twice (first at line %d)", written, nameLine(items[j]))
			}
		}
		c.Vaults = append(c.Vaults, v)
	}
	return items, nil
}

// decodeFaults reads the fault-injection rules (faults.Rule.UnmarshalYAML).
func (c *Config) decodeFaults(n *yaml.Node) error {
	items, err := yamlnode.Seq(n, "faults")
	if err != nil {
		return err
	}
	for _, item := range items {
		var r faults.Rule
		if err := r.UnmarshalYAML(item); err != nil {
			return err
		}
		c.Faults = append(c.Faults, r)
	}
	return nil
}

// nameLine is the line of the name key's value in an already decoded
// mapping.
func nameLine(item *yaml.Node) int {
	m, _ := yamlnode.Map(item, "")
	return m.Get("name").Line
}

// deriveIDs fills in the ids the file leaves out, which depend on the
// tenant (possibly declared after the identities), then checks that no id
// is used twice. nodes are the identities' mapping nodes, nil for the
// default identity.
func (c *Config) deriveIDs(nodes []*yaml.Node) error {
	sub := c.SubscriptionID()
	for i := range c.Identities {
		id := &c.Identities[i]
		if id.ClientID == "" {
			id.ClientID = derivedGUID(c.Tenant, "client-id", id.Name)
		}
		if id.ObjectID == "" {
			id.ObjectID = derivedGUID(c.Tenant, "object-id", id.Name)
		}
		if id.ResourceID == "" && id.Kind != kv.KindServicePrincipal {
			if id.Kind == kv.KindSystem {
				id.ResourceID = "/subscriptions/" + sub + "/resourcegroups/emulator/providers/Microsoft.Compute/virtualMachines/" + id.Name
			} else {
				id.ResourceID = "/subscriptions/" + sub + "/resourcegroups/emulator/providers/Microsoft.ManagedIdentity/userAssignedIdentities/" + id.Name
			}
		}
	}

	type owner struct {
		identity, field string
		index           int
	}
	seen := map[string]owner{}
	for i, id := range c.Identities {
		m := identityMapping(nodes, i)
		for _, f := range []struct{ field, value string }{
			{"clientId", id.ClientID}, {"objectId", id.ObjectID}, {"resourceId", id.ResourceID},
		} {
			value := strings.ToLower(f.value)
			if value == "" {
				continue // a service principal has no resource id
			}
			if prev, dup := seen[value]; dup {
				// The line of the id when the file gives it, else of
				// the identity's name.
				line := yamlnode.Line(m.Get(f.field))
				if line == 0 {
					line = yamlnode.Line(m.Get("name"))
				}
				if line == 0 {
					// The default identity is in no file: its ids are
					// derived from its name, so a service principal
					// given that name clashes with it. Point there.
					return yamlnode.ErrorAt(yamlnode.Line(identityMapping(nodes, prev.index).Get("name")),
						"%s of identity %q is already the %s of the default identity %q, added because no managed identity is configured; rename it or configure a managed identity",
						prev.field, prev.identity, f.field, id.Name)
				}
				return yamlnode.ErrorAt(line, "%s of identity %q is already the %s of identity %q", f.field, id.Name, prev.field, prev.identity)
			}
			seen[value] = owner{id.Name, f.field, i}
		}
	}
	return nil
}

// identityMapping is the mapping of identity i in the file; the zero
// Mapping (whose Get finds nothing) for the default identity.
func identityMapping(nodes []*yaml.Node, i int) yamlnode.Mapping {
	var m yamlnode.Mapping
	if i < len(nodes) && nodes[i] != nil {
		m, _ = yamlnode.Map(nodes[i], "")
	}
	return m
}

// resolveReferences points every access entry at a declared identity: its
// name as declared and its object id, which is what a token carries. nodes
// are the vaults' mapping nodes, nil for the default vault.
func (c *Config) resolveReferences(nodes []*yaml.Node) error {
	for i := range c.Vaults {
		a := c.Vaults[i].Access
		if a == nil {
			continue
		}
		refs := identityNodes(nodes[i])
		resolve := func(j int, name *string, objectID *string, context string) error {
			id, ok := c.IdentityByName(*name)
			if !ok {
				return yamlnode.ErrorAt(yamlnode.Line(refs[j]), "identity %q in %s of vault %q is not defined under identities", *name, context, c.Vaults[i].Name)
			}
			*name, *objectID = id.Name, id.ObjectID
			return nil
		}
		for j := range a.Policies {
			if err := resolve(j, &a.Policies[j].Identity, &a.Policies[j].ObjectID, "access policy"); err != nil {
				return err
			}
		}
		for j := range a.Roles {
			if err := resolve(j, &a.Roles[j].Identity, &a.Roles[j].ObjectID, "role assignment"); err != nil {
				return err
			}
		}
	}
	return nil
}

// identityNodes returns the identity value nodes of a decoded vault's
// access entries, in order.
func identityNodes(vaultNode *yaml.Node) []*yaml.Node {
	m, _ := yamlnode.Map(vaultNode, "")
	am, _ := yamlnode.Map(m.Get("access"), "")
	list := am.Get("policies")
	if list == nil {
		list = am.Get("roles")
	}
	items, _ := yamlnode.Seq(list, "")
	refs := make([]*yaml.Node, len(items))
	for i, item := range items {
		im, _ := yamlnode.Map(item, "")
		refs[i] = im.Get("identity")
	}
	return refs
}

func hasManagedIdentity(ids []identity.Identity) bool {
	for _, id := range ids {
		if id.Kind != kv.KindServicePrincipal {
			return true
		}
	}
	return false
}
