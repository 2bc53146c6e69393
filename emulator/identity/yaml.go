package identity

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/secretkit/secretkit/emulator/internal/yamlnode"
	"github.com/secretkit/secretkit/kv"
)

var (
	namePattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$`)
	guidPattern  = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	armIDPattern = regexp.MustCompile(`(?i)^/subscriptions/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/resourcegroups/[^/]+/providers/[a-z0-9.]+/[a-z0-9]+/[^/]+(/[a-z0-9]+/[^/]+)*$`)
)

// IsGUID reports whether s is a GUID in its usual 8-4-4-4-12 hex form, in
// any case: how Entra writes tenant, client and object ids.
func IsGUID(s string) bool { return guidPattern.MatchString(s) }

// UnmarshalYAML reads an identity from a config file:
//
//	name: batch        # 1-128 letters, digits, hyphens, underscores
//	kind: user         # system or user, any case
//	clientId: {guid}   # optional, lowercased
//	objectId: {guid}   # optional, lowercased
//	resourceId: /subscriptions/{guid}/resourcegroups/{group}/providers/...   # optional
//
// A service principal (kind: servicePrincipal) has no resourceId and at
// least one credential:
//
//	clientSecret: s3cr3t-value     # AZURE_CLIENT_SECRET
//	certificate: ./ci-cert.pem     # PEM certificate (with its key, for AZURE_CLIENT_CERTIFICATE_PATH); relative to the working directory
//
// Errors are *yamlnode.Error with the line of the offending node. Ids left
// out stay empty: the config derives them, since they depend on the
// tenant.
func (id *Identity) UnmarshalYAML(n *yaml.Node) error {
	m, name, err := yamlnode.Named(n, "identity", namePattern.MatchString,
		"use 1-128 letters, digits, hyphens and underscores, starting with a letter or digit",
		"name", "kind", "clientId", "objectId", "resourceId", "clientSecret", "certificate")
	if err != nil {
		return err
	}
	*id = Identity{Name: name}

	kindNode := m.Get("kind")
	if yamlnode.IsNull(kindNode) {
		return yamlnode.Errorf(m.Node, "identity %q needs kind: system, user or servicePrincipal", name)
	}
	kind, err := yamlnode.Str(kindNode, fmt.Sprintf("kind of identity %q", name))
	if err != nil {
		return err
	}
	var ok bool
	if id.Kind, ok = kv.ParseIdentityKind(kind); !ok {
		return yamlnode.Errorf(kindNode, "kind %q of identity %q must be system, user or servicePrincipal", kind, name)
	}
	if err := id.decodeCredentials(m, name); err != nil {
		return err
	}

	for _, f := range []struct {
		key string
		dst *string
	}{{"clientId", &id.ClientID}, {"objectId", &id.ObjectID}} {
		v := m.Get(f.key)
		if yamlnode.IsNull(v) {
			continue
		}
		s, err := yamlnode.Str(v, fmt.Sprintf("%s of identity %q", f.key, name))
		if err != nil {
			return err
		}
		if !IsGUID(s) {
			return yamlnode.Errorf(v, "%s %q of identity %q is not a GUID", f.key, s, name)
		}
		*f.dst = strings.ToLower(s)
	}
	if v := m.Get("resourceId"); !yamlnode.IsNull(v) && id.Kind == kv.KindServicePrincipal {
		return yamlnode.Errorf(v, "service principal %q has no resourceId; only managed identities do", name)
	}
	if v := m.Get("resourceId"); !yamlnode.IsNull(v) {
		s, err := yamlnode.Str(v, fmt.Sprintf("resourceId of identity %q", name))
		if err != nil {
			return err
		}
		if !armIDPattern.MatchString(s) {
			return yamlnode.Errorf(v, "resourceId %q of identity %q is not an ARM resource id (/subscriptions/{guid}/resourcegroups/{group}/providers/{namespace}/{type}/{name})", s, name)
		}
		id.ResourceID = s
	}
	return nil
}

// decodeCredentials reads a service principal's clientSecret and
// certificate; managed identities may have neither. Errors never repeat
// the secret.
func (id *Identity) decodeCredentials(m yamlnode.Mapping, name string) error {
	secretNode, certNode := m.Get("clientSecret"), m.Get("certificate")
	if id.Kind != kv.KindServicePrincipal {
		for _, n := range []*yaml.Node{secretNode, certNode} {
			if !yamlnode.IsNull(n) {
				return yamlnode.Errorf(n, "identity %q is a managed identity; only a service principal (kind: servicePrincipal) has a clientSecret or certificate", name)
			}
		}
		return nil
	}
	if yamlnode.IsNull(secretNode) && yamlnode.IsNull(certNode) {
		return yamlnode.Errorf(m.Node, "service principal %q needs a clientSecret or a certificate", name)
	}
	if !yamlnode.IsNull(secretNode) {
		if secretNode.Kind != yaml.ScalarNode || secretNode.Value == "" {
			return yamlnode.Errorf(secretNode, "clientSecret of service principal %q must be a non-empty string", name)
		}
		id.ClientSecret = ClientSecret(secretNode.Value)
	}
	if !yamlnode.IsNull(certNode) {
		path, err := yamlnode.Str(certNode, fmt.Sprintf("certificate of service principal %q", name))
		if err != nil {
			return err
		}
		if path == "" {
			return yamlnode.Errorf(certNode, "certificate of service principal %q must name a PEM file", name)
		}
		id.CertificateFile = path
	}
	return nil
}
