// Package mi chooses a managed identity and builds the azidentity credential
// for it: a Selector parsed from one config string or the conventional
// environment, a diagnostic that reports which hosting source the Azure SDK
// will talk to in this environment and why, and a check that the selector
// is one that source can serve.
package mi

import (
	"errors"
	"fmt"
	"strings"
)

// Kind says how a Selector names its identity.
type Kind int

const (
	// System selects the hosting resource's system-assigned identity. It is
	// the zero value: a zero Selector means "the default identity", as a
	// nil ManagedIdentityCredentialOptions.ID does in azidentity.
	System Kind = iota
	// ClientID selects a user-assigned identity by its client (application) id.
	ClientID
	// ObjectID selects a user-assigned identity by its object (principal) id.
	ObjectID
	// ResourceID selects a user-assigned identity by its ARM resource id.
	ResourceID
)

// String returns the kind's prefix in the config syntax.
func (k Kind) String() string {
	switch k {
	case System:
		return "system"
	case ClientID:
		return "client"
	case ObjectID:
		return "object"
	case ResourceID:
		return "resource"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Selector names one managed identity. Value is empty for System and holds
// the id otherwise.
type Selector struct {
	Kind  Kind
	Value string
}

// String returns the selector in the syntax Parse reads: "system",
// "client:<id>", "object:<id>" or "resource:<id>". For every Selector that
// Parse returned, Parse(s.String()) returns s again.
func (s Selector) String() string {
	if s.Kind == System {
		return "system"
	}
	return s.Kind.String() + ":" + s.Value
}

// acceptedForms is appended to every Parse error so that a user who got the
// syntax wrong sees the whole of it at once.
const acceptedForms = `accepted forms: "system", "client:<guid>", "object:<guid>", ` +
	`"resource:/subscriptions/<guid>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>"` +
	` (a bare GUID is read as a client id, a bare resource id as a resource id)`

// Parse reads a selector from its config syntax. Surrounding spaces and the
// case of the prefix are ignored; ids keep their spelling. Client and object
// ids must be GUIDs; a resource id must be a user-assigned identity's full
// ARM id. Two shorthands are accepted because they cannot be mistaken for
// anything else: a bare GUID is a client id (the meaning AZURE_CLIENT_ID
// gives it) and a bare "/subscriptions/..." id is a resource id. An empty
// string is an error, not System, so that a forgotten value is noticed. The
// error text quotes the input and lists every accepted form.
func Parse(s string) (Selector, error) {
	text := strings.TrimSpace(s)
	prefix, value, hasPrefix := strings.Cut(text, ":")
	var sel Selector
	switch {
	case strings.EqualFold(text, "system"):
		return Selector{Kind: System}, nil
	case text == "":
		return Selector{}, parseError(s, "it is empty")
	case hasPrefix && strings.EqualFold(prefix, "client"):
		sel = Selector{Kind: ClientID, Value: strings.TrimSpace(value)}
	case hasPrefix && strings.EqualFold(prefix, "object"):
		sel = Selector{Kind: ObjectID, Value: strings.TrimSpace(value)}
	case hasPrefix && strings.EqualFold(prefix, "resource"):
		sel = Selector{Kind: ResourceID, Value: strings.TrimSpace(value)}
	case isGUID(text):
		return Selector{Kind: ClientID, Value: text}, nil
	case strings.HasPrefix(strings.ToLower(text), "/subscriptions/"):
		sel = Selector{Kind: ResourceID, Value: text}
	default:
		return Selector{}, parseError(s, "it has no known prefix")
	}
	if err := sel.validate(); err != nil {
		return Selector{}, parseError(s, err.Error())
	}
	return sel, nil
}

func parseError(input, why string) error {
	return fmt.Errorf("mi: invalid identity %q: %s; %s", input, why, acceptedForms)
}

// validate checks Value against Kind.
func (s Selector) validate() error {
	switch s.Kind {
	case System:
		if s.Value != "" {
			return errors.New("a system-assigned selector takes no id")
		}
		return nil
	case ClientID, ObjectID:
		if !isGUID(s.Value) {
			return fmt.Errorf("%s id %q is not a GUID", s.Kind, s.Value)
		}
		return nil
	case ResourceID:
		return validateResourceID(s.Value)
	}
	return fmt.Errorf("unknown selector kind %d", int(s.Kind))
}

// isGUID reports whether s has the 8-4-4-4-12 hexadecimal form Entra ids
// always take.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// validateResourceID accepts exactly
// /subscriptions/{guid}/resourceGroups/{group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name},
// with the fixed segments in any case (ARM ids are case-insensitive).
func validateResourceID(id string) error {
	const shape = "/subscriptions/<guid>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>"
	parts := strings.Split(id, "/")
	if len(parts) != 9 || parts[0] != "" ||
		!strings.EqualFold(parts[1], "subscriptions") ||
		!strings.EqualFold(parts[3], "resourceGroups") ||
		!strings.EqualFold(parts[5], "providers") ||
		!strings.EqualFold(parts[6], "Microsoft.ManagedIdentity") ||
		!strings.EqualFold(parts[7], "userAssignedIdentities") {
		return fmt.Errorf("resource id %q is not of the form %s", id, shape)
	}
	if !isGUID(parts[2]) {
		return fmt.Errorf("resource id %q: subscription %q is not a GUID", id, parts[2])
	}
	if parts[4] == "" || strings.ContainsAny(parts[4], " \t") {
		return fmt.Errorf("resource id %q: resource group %q is not a valid name", id, parts[4])
	}
	if parts[8] == "" || strings.ContainsAny(parts[8], " \t") {
		return fmt.Errorf("resource id %q: identity name %q is not a valid name", id, parts[8])
	}
	return nil
}

// FromEnv returns the selector the conventional environment asks for: a
// client id from AZURE_CLIENT_ID when it is non-empty, else System. This is
// how DefaultAzureCredential picks the managed identity, with one deliberate
// difference: an AZURE_CLIENT_ID that is set but empty means System here,
// where azidentity would fail on an empty id. The value is passed through
// unvalidated, as azidentity does; NewCredential rejects one that is not a
// GUID. A nil getenv reads the process environment.
func FromEnv(getenv func(string) string) Selector {
	if getenv == nil {
		getenv = osGetenv
	}
	if id := strings.TrimSpace(getenv("AZURE_CLIENT_ID")); id != "" {
		return Selector{Kind: ClientID, Value: id}
	}
	return Selector{Kind: System}
}
