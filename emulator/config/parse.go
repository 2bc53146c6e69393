package config

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// parser walks the yaml.Node tree itself instead of decoding into structs,
// so that every problem, including an unknown key, carries the line of the
// node it is about. It stops at the first problem.
type parser struct {
	file string

	sawIdentities bool
	sawVaults     bool
	// identityLines remembers where each identity and its explicit ids
	// were declared, for checks that need every identity (and the tenant,
	// which may come later in the file) first.
	identityLines []identityLines
	// refs are identity names used by access entries, resolved once all
	// identities are known.
	refs []identityRef
}

type identityLines struct {
	name, clientID, objectID, resourceID int
}

type identityRef struct {
	line    int
	name    string
	context string
	set     func(canonical string)
}

// entry is one key/value pair of a mapping.
type entry struct {
	key, value *yaml.Node
}

var yamlLinePattern = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError turns a yaml.v3 syntax error into an *Error. yaml.v3 puts
// "line N" in its message except for the first line and for errors of its
// byte reader (encoding, control characters), so those lines are found
// here.
func (p *parser) yamlError(err error, data []byte) error {
	if m := yamlLinePattern.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: p.file, Line: line, Msg: m[2]}
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := badByteLine(data)
	if line == 0 && !strings.Contains(msg, "anchor") {
		line = 1
	}
	return &Error{File: p.file, Line: line, Msg: msg}
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

func (p *parser) errorf(n *yaml.Node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) errorAt(line int, format string, args ...any) error {
	return &Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// mapping returns n's entries in order, rejecting duplicate keys. what
// names the mapping for messages ("vault \"x\"").
func (p *parser) mapping(n *yaml.Node, what string) ([]entry, error) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		return nil, p.errorf(n, "%s must be a mapping", what)
	}
	entries := make([]entry, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := resolve(n.Content[i])
		if k.Kind != yaml.ScalarNode {
			return nil, p.errorf(k, "keys in %s must be plain names", what)
		}
		for _, e := range entries {
			if e.key.Value == k.Value {
				return nil, p.errorf(k, "duplicate key %q in %s (first at line %d)", k.Value, what, e.key.Line)
			}
		}
		entries = append(entries, entry{k, n.Content[i+1]})
	}
	return entries, nil
}

// known rejects any key not in keys. where completes "unknown key %q ...".
func (p *parser) known(entries []entry, where string, keys ...string) error {
	for _, e := range entries {
		if !slices.Contains(keys, e.key.Value) {
			return p.errorf(e.key, "unknown key %q%s", e.key.Value, where)
		}
	}
	return nil
}

func lookup(entries []entry, key string) *yaml.Node {
	for _, e := range entries {
		if e.key.Value == key {
			return e.value
		}
	}
	return nil
}

// str returns a scalar's text. Numbers and booleans are accepted as the
// text written, so `tags: {build: 42}` means "42". The message never
// quotes the value, which may be a secret.
func (p *parser) str(n *yaml.Node, what string) (string, error) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return "", p.errorf(n, "%s must be a string", what)
	}
	return n.Value, nil
}

func (p *parser) integer(n *yaml.Node, what string) (int, error) {
	n = resolve(n)
	var v int
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		return 0, p.errorf(n, "%s must be an integer", what)
	}
	return v, nil
}

func (p *parser) boolean(n *yaml.Node, what string) (bool, error) {
	n = resolve(n)
	var v bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&v) != nil {
		return false, p.errorf(n, "%s must be true or false", what)
	}
	return v, nil
}

// sequence returns a list's items; null means an empty list.
func (p *parser) sequence(n *yaml.Node, what string) ([]*yaml.Node, error) {
	if isNull(n) {
		return nil, nil
	}
	n = resolve(n)
	if n.Kind != yaml.SequenceNode {
		return nil, p.errorf(n, "%s must be a list", what)
	}
	return n.Content, nil
}

func (p *parser) top(root *yaml.Node, cfg *Config) error {
	if isNull(root) {
		return nil
	}
	entries, err := p.mapping(root, "the top level")
	if err != nil {
		return err
	}
	if err := p.known(entries, "", "tenant", "identityHeader", "tokenLifetime", "tlsNames", "identities", "vaults"); err != nil {
		return err
	}
	for _, e := range entries {
		if isNull(e.value) {
			continue
		}
		switch e.key.Value {
		case "tenant":
			s, err := p.str(e.value, "tenant")
			if err != nil {
				return err
			}
			if !guidPattern.MatchString(s) {
				return p.errorf(e.value, "tenant %q is not a GUID", s)
			}
			cfg.Tenant = strings.ToLower(s)
		case "identityHeader":
			s, err := p.str(e.value, "identityHeader")
			if err != nil {
				return err
			}
			if !validHeaderValue(s) {
				return p.errorf(e.value, "identityHeader must be printable ASCII without spaces")
			}
			cfg.IdentityHeader = s
		case "tokenLifetime":
			s, err := p.str(e.value, "tokenLifetime")
			if err != nil {
				return err
			}
			d, err := time.ParseDuration(s)
			if err != nil {
				return p.errorf(e.value, "tokenLifetime %q is not a duration such as 24h or 90m", s)
			}
			if d < MinTokenLifetime || d > MaxTokenLifetime {
				return p.errorf(e.value, "tokenLifetime %s is outside 5m..48h", s)
			}
			cfg.TokenLifetime = d
		case "tlsNames":
			items, err := p.sequence(e.value, "tlsNames")
			if err != nil {
				return err
			}
			for _, item := range items {
				s, err := p.str(item, "each tlsNames entry")
				if err != nil {
					return err
				}
				n, ok := normalizeTLSName(s)
				if !ok {
					return p.errorf(item, "tlsNames entry %q is neither a DNS name nor an IP address", s)
				}
				if !slices.Contains(cfg.TLSNames, n) {
					cfg.TLSNames = append(cfg.TLSNames, n)
				}
			}
		case "identities":
			if err := p.identities(e.value, cfg); err != nil {
				return err
			}
		case "vaults":
			if err := p.vaults(e.value, cfg); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *parser) identities(n *yaml.Node, cfg *Config) error {
	items, err := p.sequence(n, "identities")
	if err != nil {
		return err
	}
	p.sawIdentities = len(items) > 0
	for i, item := range items {
		what := fmt.Sprintf("identities[%d]", i)
		entries, err := p.mapping(item, what)
		if err != nil {
			return err
		}
		nameNode := lookup(entries, "name")
		if isNull(nameNode) {
			return p.errorf(resolve(item), "%s needs a name", what)
		}
		name, err := p.str(nameNode, "identity name")
		if err != nil {
			return err
		}
		if !identityPattern.MatchString(name) {
			return p.errorf(nameNode, "identity name %q is invalid: use 1-128 letters, digits, hyphens and underscores, starting with a letter or digit", name)
		}
		where := fmt.Sprintf(" in identity %q", name)
		if err := p.known(entries, where, "name", "kind", "clientId", "objectId", "resourceId"); err != nil {
			return err
		}
		for j, prev := range cfg.Identities {
			if strings.EqualFold(prev.Name, name) {
				return p.errorf(nameNode, "identity %q is defined twice (first at line %d)", name, p.identityLines[j].name)
			}
		}
		id := Identity{Name: name}
		lines := identityLines{name: nameNode.Line}

		kindNode := lookup(entries, "kind")
		if isNull(kindNode) {
			return p.errorf(resolve(item), "identity %q needs kind: system or user", name)
		}
		kind, err := p.str(kindNode, fmt.Sprintf("kind of identity %q", name))
		if err != nil {
			return err
		}
		switch strings.ToLower(kind) {
		case KindSystem:
			if sys, ok := cfg.SystemIdentity(); ok {
				return p.errorf(kindNode, "identity %q is a second system identity (%q is one already); a host has at most one", name, sys.Name)
			}
			id.Kind = KindSystem
		case KindUser:
			id.Kind = KindUser
		default:
			return p.errorf(kindNode, "kind %q of identity %q must be system or user", kind, name)
		}

		for _, f := range []struct {
			key  string
			dst  *string
			line *int
		}{{"clientId", &id.ClientID, &lines.clientID}, {"objectId", &id.ObjectID, &lines.objectID}} {
			v := lookup(entries, f.key)
			if isNull(v) {
				continue
			}
			s, err := p.str(v, fmt.Sprintf("%s of identity %q", f.key, name))
			if err != nil {
				return err
			}
			if !guidPattern.MatchString(s) {
				return p.errorf(v, "%s %q of identity %q is not a GUID", f.key, s, name)
			}
			*f.dst = strings.ToLower(s)
			*f.line = resolve(v).Line
		}
		if v := lookup(entries, "resourceId"); !isNull(v) {
			s, err := p.str(v, fmt.Sprintf("resourceId of identity %q", name))
			if err != nil {
				return err
			}
			if !armIDPattern.MatchString(s) {
				return p.errorf(v, "resourceId %q of identity %q is not an ARM resource id (/subscriptions/{guid}/resourcegroups/{group}/providers/{namespace}/{type}/{name})", s, name)
			}
			id.ResourceID = s
			lines.resourceID = resolve(v).Line
		}
		cfg.Identities = append(cfg.Identities, id)
		p.identityLines = append(p.identityLines, lines)
	}
	return nil
}

func (p *parser) vaults(n *yaml.Node, cfg *Config) error {
	items, err := p.sequence(n, "vaults")
	if err != nil {
		return err
	}
	p.sawVaults = len(items) > 0
	vaultLines := make([]int, 0, len(items))
	for i, item := range items {
		what := fmt.Sprintf("vaults[%d]", i)
		entries, err := p.mapping(item, what)
		if err != nil {
			return err
		}
		nameNode := lookup(entries, "name")
		if isNull(nameNode) {
			return p.errorf(resolve(item), "%s needs a name", what)
		}
		name, err := p.str(nameNode, "vault name")
		if err != nil {
			return err
		}
		if !validVaultName(name) {
			return p.errorf(nameNode, "vault name %q is invalid: use 3-24 letters, digits and hyphens, starting with a letter, ending with a letter or digit, without \"--\"", name)
		}
		for j, prev := range cfg.Vaults {
			if strings.EqualFold(prev.Name, name) {
				return p.errorf(nameNode, "vault %q is defined twice (first at line %d)", name, vaultLines[j])
			}
		}
		if err := p.known(entries, fmt.Sprintf(" in vault %q", name), "name", "retentionDays", "purgeProtection", "throttle", "access", "secrets"); err != nil {
			return err
		}
		v := Vault{Name: strings.ToLower(name), RetentionDays: DefaultRetentionDays}
		if rn := lookup(entries, "retentionDays"); !isNull(rn) {
			days, err := p.integer(rn, fmt.Sprintf("retentionDays of vault %q", name))
			if err != nil {
				return err
			}
			if days < MinRetentionDays || days > MaxRetentionDays {
				return p.errorf(rn, "retentionDays of vault %q must be between %d and %d, got %d", name, MinRetentionDays, MaxRetentionDays, days)
			}
			v.RetentionDays = days
		}
		if pn := lookup(entries, "purgeProtection"); !isNull(pn) {
			if v.PurgeProtection, err = p.boolean(pn, fmt.Sprintf("purgeProtection of vault %q", name)); err != nil {
				return err
			}
		}
		if tn := lookup(entries, "throttle"); tn != nil {
			if v.Throttle, err = p.throttle(tn, name); err != nil {
				return err
			}
		}
		cfg.Vaults = append(cfg.Vaults, v)
		vaultLines = append(vaultLines, nameNode.Line)
		vi := len(cfg.Vaults) - 1
		if an := lookup(entries, "access"); !isNull(an) {
			if err := p.access(an, name, vi, cfg); err != nil {
				return err
			}
		}
		if sn := lookup(entries, "secrets"); !isNull(sn) {
			if err := p.secrets(sn, name, &cfg.Vaults[vi]); err != nil {
				return err
			}
		}
	}
	return nil
}

// throttle reads a vault's request limits; an empty mapping (or null)
// means Key Vault's own.
func (p *parser) throttle(n *yaml.Node, vault string) (*Throttle, error) {
	t := &Throttle{Creates: DefaultThrottleCreates, Other: DefaultThrottleOther}
	if isNull(n) {
		return t, nil
	}
	of := fmt.Sprintf("throttle of vault %q", vault)
	entries, err := p.mapping(n, of)
	if err != nil {
		return nil, err
	}
	if err := p.known(entries, " in "+of, "creates", "other"); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		key string
		dst *int
	}{{"creates", &t.Creates}, {"other", &t.Other}} {
		vn := lookup(entries, f.key)
		if isNull(vn) {
			continue
		}
		limit, err := p.integer(vn, f.key+" of "+of)
		if err != nil {
			return nil, err
		}
		if limit < 1 {
			return nil, p.errorf(vn, "%s of %s must be at least 1, got %d", f.key, of, limit)
		}
		*f.dst = limit
	}
	return t, nil
}

func (p *parser) access(n *yaml.Node, vault string, vi int, cfg *Config) error {
	of := fmt.Sprintf("access of vault %q", vault)
	entries, err := p.mapping(n, of)
	if err != nil {
		return err
	}
	if err := p.known(entries, " in "+of, "policies", "roles"); err != nil {
		return err
	}
	policies, roles := lookup(entries, "policies"), lookup(entries, "roles")
	switch {
	case policies != nil && roles != nil:
		return p.errorf(resolve(n), "vault %q uses both access policies and RBAC roles; choose one", vault)
	case policies != nil:
		return p.policies(policies, vault, vi, cfg)
	case roles != nil:
		return p.roles(roles, vault, vi, cfg)
	default:
		return p.errorf(resolve(n), "%s needs either policies or roles", of)
	}
}

func (p *parser) policies(n *yaml.Node, vault string, vi int, cfg *Config) error {
	access := &Access{Model: AccessPolicies, Policies: []Policy{}}
	cfg.Vaults[vi].Access = access
	items, err := p.sequence(n, fmt.Sprintf("policies of vault %q", vault))
	if err != nil {
		return err
	}
	where := fmt.Sprintf(" in access policy of vault %q", vault)
	firstLine := map[string]int{}
	for _, item := range items {
		entries, err := p.mapping(item, "an access policy of vault "+strconv.Quote(vault))
		if err != nil {
			return err
		}
		if err := p.known(entries, where, "identity", "secrets"); err != nil {
			return err
		}
		idNode := lookup(entries, "identity")
		if isNull(idNode) {
			return p.errorf(resolve(item), "access policy of vault %q needs an identity", vault)
		}
		ident, err := p.str(idNode, "identity of an access policy")
		if err != nil {
			return err
		}
		if line, dup := firstLine[strings.ToLower(ident)]; dup {
			return p.errorf(idNode, "vault %q has two access policies for identity %q (first at line %d); merge them", vault, ident, line)
		}
		firstLine[strings.ToLower(ident)] = resolve(idNode).Line

		secretsNode := lookup(entries, "secrets")
		perms, err := p.sequence(secretsNode, fmt.Sprintf("secrets of the access policy for %q", ident))
		if err != nil {
			return err
		}
		granted := map[string]bool{}
		for _, permNode := range perms {
			perm, err := p.str(permNode, "a secret permission")
			if err != nil {
				return err
			}
			perm = strings.ToLower(perm)
			switch {
			case perm == "all":
				for _, s := range SecretPermissions {
					granted[s] = true
				}
			case slices.Contains(SecretPermissions, perm):
				granted[perm] = true
			default:
				return p.errorf(permNode, "unknown secret permission %q for identity %q in vault %q (use %s or all)", perm, ident, vault, strings.Join(SecretPermissions, ", "))
			}
		}
		policy := Policy{Identity: ident, Secrets: []string{}}
		for _, s := range SecretPermissions {
			if granted[s] {
				policy.Secrets = append(policy.Secrets, s)
			}
		}
		access.Policies = append(access.Policies, policy)
		pi := len(access.Policies) - 1
		p.refs = append(p.refs, identityRef{
			line: resolve(idNode).Line, name: ident, context: fmt.Sprintf("access policy of vault %q", vault),
			set: func(c string) { cfg.Vaults[vi].Access.Policies[pi].Identity = c },
		})
	}
	return nil
}

func (p *parser) roles(n *yaml.Node, vault string, vi int, cfg *Config) error {
	access := &Access{Model: AccessRBAC, Roles: []RoleAssignment{}}
	cfg.Vaults[vi].Access = access
	items, err := p.sequence(n, fmt.Sprintf("roles of vault %q", vault))
	if err != nil {
		return err
	}
	where := fmt.Sprintf(" in role assignment of vault %q", vault)
	for _, item := range items {
		entries, err := p.mapping(item, "a role assignment of vault "+strconv.Quote(vault))
		if err != nil {
			return err
		}
		if err := p.known(entries, where, "identity", "role", "scope"); err != nil {
			return err
		}
		idNode, roleNode := lookup(entries, "identity"), lookup(entries, "role")
		if isNull(idNode) {
			return p.errorf(resolve(item), "role assignment of vault %q needs an identity", vault)
		}
		if isNull(roleNode) {
			return p.errorf(resolve(item), "role assignment of vault %q needs a role", vault)
		}
		ident, err := p.str(idNode, "identity of a role assignment")
		if err != nil {
			return err
		}
		roleName, err := p.str(roleNode, "role")
		if err != nil {
			return err
		}
		ra := RoleAssignment{Identity: ident, Scope: "/"}
		for _, r := range Roles {
			if strings.EqualFold(r, strings.Join(strings.Fields(roleName), " ")) {
				ra.Role = r
			}
		}
		if ra.Role == "" {
			return p.errorf(roleNode, "unknown role %q in vault %q (use %s)", roleName, vault, strings.Join(Roles, ", "))
		}
		if sn := lookup(entries, "scope"); !isNull(sn) {
			scope, err := p.str(sn, "scope")
			if err != nil {
				return err
			}
			switch secret, isSecret := strings.CutPrefix(scope, "/secrets/"); {
			case scope == "" || scope == "/":
			case isSecret && secretNamePattern.MatchString(secret):
				ra.Scope = scope
			default:
				return p.errorf(sn, "scope %q in vault %q must be / (the vault) or /secrets/{secret-name}", scope, vault)
			}
		}
		access.Roles = append(access.Roles, ra)
		ri := len(access.Roles) - 1
		p.refs = append(p.refs, identityRef{
			line: resolve(idNode).Line, name: ident, context: fmt.Sprintf("role assignment of vault %q", vault),
			set: func(c string) { cfg.Vaults[vi].Access.Roles[ri].Identity = c },
		})
	}
	return nil
}

func (p *parser) secrets(n *yaml.Node, vault string, v *Vault) error {
	items, err := p.sequence(n, fmt.Sprintf("secrets of vault %q", vault))
	if err != nil {
		return err
	}
	firstLine := map[string]int{}
	for i, item := range items {
		entries, err := p.mapping(item, fmt.Sprintf("secrets[%d] of vault %q", i, vault))
		if err != nil {
			return err
		}
		nameNode := lookup(entries, "name")
		if isNull(nameNode) {
			return p.errorf(resolve(item), "secrets[%d] of vault %q needs a name", i, vault)
		}
		name, err := p.str(nameNode, "secret name")
		if err != nil {
			return err
		}
		if !secretNamePattern.MatchString(name) {
			return p.errorf(nameNode, "secret name %q in vault %q is invalid: use 1-127 letters, digits and hyphens", name, vault)
		}
		if line, dup := firstLine[strings.ToLower(name)]; dup {
			return p.errorf(nameNode, "secret %q is seeded twice in vault %q (first at line %d)", name, vault, line)
		}
		firstLine[strings.ToLower(name)] = resolve(nameNode).Line
		of := fmt.Sprintf("secret %q of vault %q", name, vault)
		if err := p.known(entries, " in "+of, "name", "value", "contentType", "tags", "enabled"); err != nil {
			return err
		}
		s := SeedSecret{Name: name}

		valueNode := lookup(entries, "value")
		if isNull(valueNode) {
			return p.errorf(resolve(item), "%s needs a value", of)
		}
		if s.Value, err = p.str(valueNode, "value of "+of); err != nil {
			return err
		}
		if len(s.Value) > MaxSecretValueBytes {
			return p.errorf(valueNode, "value of %s is %d bytes; the limit is %d", of, len(s.Value), MaxSecretValueBytes)
		}
		if cn := lookup(entries, "contentType"); !isNull(cn) {
			if s.ContentType, err = p.str(cn, "contentType of "+of); err != nil {
				return err
			}
			if c := charCount(s.ContentType); c > MaxContentTypeLength {
				return p.errorf(cn, "contentType of %s is %d characters; the limit is %d", of, c, MaxContentTypeLength)
			}
		}
		if tn := lookup(entries, "tags"); !isNull(tn) {
			tags, err := p.mapping(tn, "tags of "+of)
			if err != nil {
				return err
			}
			if len(tags) > MaxTags {
				return p.errorf(tn, "%s has %d tags; the limit is %d", of, len(tags), MaxTags)
			}
			s.Tags = make(map[string]string, len(tags))
			for _, t := range tags {
				if c := charCount(t.key.Value); c > MaxTagLength {
					return p.errorf(t.key, "a tag name of %s is %d characters; the limit is %d", of, c, MaxTagLength)
				}
				val := ""
				if !isNull(t.value) {
					if val, err = p.str(t.value, fmt.Sprintf("tag %q of %s", t.key.Value, of)); err != nil {
						return err
					}
				}
				if c := charCount(val); c > MaxTagLength {
					return p.errorf(t.value, "tag %q of %s is %d characters; the limit is %d", t.key.Value, of, c, MaxTagLength)
				}
				s.Tags[t.key.Value] = val
			}
		}
		if en := lookup(entries, "enabled"); !isNull(en) {
			enabled, err := p.boolean(en, "enabled of "+of)
			if err != nil {
				return err
			}
			s.Enabled = &enabled
		}
		v.Secrets = append(v.Secrets, s)
	}
	return nil
}

// finish applies the defaults that depend on the whole file (the tenant
// may follow the identities) and the checks that span sections.
func (p *parser) finish(cfg *Config) error {
	if !p.sawIdentities {
		cfg.Identities = []Identity{{Name: DefaultIdentityName, Kind: KindSystem}}
		p.identityLines = []identityLines{{}}
	}
	if !p.sawVaults {
		cfg.Vaults = []Vault{{Name: DefaultVaultName, RetentionDays: DefaultRetentionDays}}
	}
	sub := cfg.SubscriptionID()
	for i := range cfg.Identities {
		id := &cfg.Identities[i]
		if id.ClientID == "" {
			id.ClientID = derivedGUID(cfg.Tenant, "client-id", id.Name)
		}
		if id.ObjectID == "" {
			id.ObjectID = derivedGUID(cfg.Tenant, "object-id", id.Name)
		}
		if id.ResourceID == "" {
			if id.Kind == KindSystem {
				id.ResourceID = "/subscriptions/" + sub + "/resourcegroups/emulator/providers/Microsoft.Compute/virtualMachines/" + id.Name
			} else {
				id.ResourceID = "/subscriptions/" + sub + "/resourcegroups/emulator/providers/Microsoft.ManagedIdentity/userAssignedIdentities/" + id.Name
			}
		}
	}

	type owner struct {
		identity, field string
	}
	seen := map[string]owner{}
	for i, id := range cfg.Identities {
		lines := p.identityLines[i]
		for _, f := range []struct {
			field, value string
			line         int
		}{
			{"clientId", strings.ToLower(id.ClientID), lines.clientID},
			{"objectId", strings.ToLower(id.ObjectID), lines.objectID},
			{"resourceId", strings.ToLower(id.ResourceID), lines.resourceID},
		} {
			if prev, dup := seen[f.value]; dup {
				line := f.line
				if line == 0 {
					line = lines.name
				}
				return p.errorAt(line, "%s of identity %q is already the %s of identity %q", f.field, id.Name, prev.field, prev.identity)
			}
			seen[f.value] = owner{id.Name, f.field}
		}
	}

	for _, ref := range p.refs {
		id, ok := cfg.IdentityByName(ref.name)
		if !ok {
			return p.errorAt(ref.line, "identity %q in %s is not defined under identities", ref.name, ref.context)
		}
		ref.set(id.Name)
	}
	return nil
}
