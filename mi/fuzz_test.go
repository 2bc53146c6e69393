package mi

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that a refusal is one line
// quoting the input and listing the accepted forms, and that what it
// accepts is a valid selector whose String form parses back to it.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"system", " SYSTEM ", "", " ", "client:5a1c0f7e-0000-4000-8000-0000000000a1",
		"Client: 5A1C0F7E-0000-4000-8000-0000000000A1 ", "object:0b1d0f7e-0000-4000-8000-0000000000b1",
		"5a1c0f7e-0000-4000-8000-0000000000a1", "client:", "client:system", "system:x", "object:not-a-guid",
		"resource:/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app",
		"/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/resourcegroups/rg/providers/microsoft.managedidentity/userassignedidentities/a b",
		"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups//providers/Microsoft.ManagedIdentity/userAssignedIdentities/app",
		"resource:/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm",
		"client:5a1c0f7e-0000-4000-8000-0000000000a1\n", "client:\u00e95a1c0f7e-0000-4000-8000-0000000000a",
		"resource:/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/r\ng/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := Parse(s)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "mi: invalid identity "+strconv.Quote(s)+": ") || !strings.HasSuffix(msg, acceptedForms) {
				t.Fatalf("refusal %q does not quote the input and list the accepted forms", msg)
			}
			if strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("refusal is not one line: %q", msg)
			}
			return
		}
		if err := sel.validate(); err != nil {
			t.Fatalf("Parse(%q) = %#v, which is invalid: %v", s, sel, err)
		}
		if sel.Value != strings.TrimSpace(sel.Value) {
			t.Fatalf("Parse(%q) kept spaces around the id: %q", s, sel.Value)
		}
		again, err := Parse(sel.String())
		if err != nil || again != sel {
			t.Fatalf("Parse(%q) = %#v; its String %q parses to %#v, %v", s, sel, sel.String(), again, err)
		}
	})
}
