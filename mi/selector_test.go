package mi

import (
	"testing"
)

const (
	guidA  = "6f1a4c2e-0b7d-4e58-9a3c-2d8e5f7b1c90"
	guidB  = "0A1B2C3D-4E5F-6A7B-8C9D-0E1F2A3B4C5D"
	goodRS = "/subscriptions/" + guidA + "/resourceGroups/rg-apps/providers/Microsoft.ManagedIdentity/userAssignedIdentities/api-identity"
)

// Spelled out here, not taken from the package, so a change to the message
// users see has to be made on purpose.
const wantForms = `accepted forms: "system", "client:<guid>", "object:<guid>", ` +
	`"resource:/subscriptions/<guid>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>"` +
	` (a bare GUID is read as a client id, a bare resource id as a resource id)`

func TestParseAccepts(t *testing.T) {
	lowerRS := "/SUBSCRIPTIONS/" + guidA + "/resourcegroups/rg-apps/providers/microsoft.managedidentity/userassignedidentities/api-identity"
	for input, want := range map[string]Selector{
		"system":              {Kind: System},
		"  SYSTEM ":           {Kind: System},
		"client:" + guidA:     {Kind: ClientID, Value: guidA},
		"Client: " + guidB:    {Kind: ClientID, Value: guidB},
		"object:" + guidA:     {Kind: ObjectID, Value: guidA},
		"OBJECT:" + guidB:     {Kind: ObjectID, Value: guidB},
		"resource:" + goodRS:  {Kind: ResourceID, Value: goodRS},
		"resource:" + lowerRS: {Kind: ResourceID, Value: lowerRS},
		guidA:                 {Kind: ClientID, Value: guidA},
		" " + guidB + "\n":    {Kind: ClientID, Value: guidB},
		goodRS:                {Kind: ResourceID, Value: goodRS},
	} {
		got, err := Parse(input)
		if err != nil {
			t.Errorf("Parse(%q): %v", input, err)
			continue
		}
		if got != want {
			t.Errorf("Parse(%q) = %+v, want %+v", input, got, want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, c := range []struct{ input, why string }{
		{"", "it is empty"},
		{"   ", "it is empty"},
		{"user", "it has no known prefix"},
		{"system-assigned", "it has no known prefix"},
		{"principal:" + guidA, "it has no known prefix"},
		{"client:", `client id "" is not a GUID`},
		{"client:abc", `client id "abc" is not a GUID`},
		{"client:" + guidA + "0", `client id "` + guidA + `0" is not a GUID`},
		{"client:6f1a4c2e0b7d-4e58-9a3c-2d8e5f7b1c90-", `client id "6f1a4c2e0b7d-4e58-9a3c-2d8e5f7b1c90-" is not a GUID`},
		{"object:{" + guidA + "}", `object id "{` + guidA + `}" is not a GUID`},
		{"object:6g1a4c2e-0b7d-4e58-9a3c-2d8e5f7b1c90", `object id "6g1a4c2e-0b7d-4e58-9a3c-2d8e5f7b1c90" is not a GUID`},
		{"resource:api-identity", `resource id "api-identity" is not of the form /subscriptions/<guid>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>`},
		{"resource:" + goodRS + "/", `resource id "` + goodRS + `/" is not of the form /subscriptions/<guid>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>`},
		{"/subscriptions/" + guidA + "/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1",
			`resource id "/subscriptions/` + guidA + `/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1" is not of the form /subscriptions/<guid>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>`},
		{"resource:/subscriptions/prod/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/x",
			`resource id "/subscriptions/prod/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/x": subscription "prod" is not a GUID`},
		{"resource:/subscriptions/" + guidA + "/resourceGroups//providers/Microsoft.ManagedIdentity/userAssignedIdentities/x",
			`resource id "/subscriptions/` + guidA + `/resourceGroups//providers/Microsoft.ManagedIdentity/userAssignedIdentities/x": resource group "" is not a valid name`},
		{"resource:/subscriptions/" + guidA + "/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/",
			`resource id "/subscriptions/` + guidA + `/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/": identity name "" is not a valid name`},
	} {
		_, err := Parse(c.input)
		want := `mi: invalid identity "` + c.input + `": ` + c.why + "; " + wantForms
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want error", c.input)
			continue
		}
		if err.Error() != want {
			t.Errorf("Parse(%q) error:\n got %s\nwant %s", c.input, err, want)
		}
	}
}

func TestStringRoundTrip(t *testing.T) {
	for _, input := range []string{"system", "client:" + guidA, "object:" + guidB, "resource:" + goodRS, guidA, goodRS} {
		sel, err := Parse(input)
		if err != nil {
			t.Fatalf("Parse(%q): %v", input, err)
		}
		again, err := Parse(sel.String())
		if err != nil || again != sel {
			t.Errorf("Parse(%q).String() = %q, which parses to %+v, %v; want %+v", input, sel.String(), again, err, sel)
		}
	}
	for sel, want := range map[Selector]string{
		{}:                                "system",
		{Kind: ClientID, Value: guidA}:    "client:" + guidA,
		{Kind: ObjectID, Value: guidA}:    "object:" + guidA,
		{Kind: ResourceID, Value: goodRS}: "resource:" + goodRS,
	} {
		if got := sel.String(); got != want {
			t.Errorf("%+v.String() = %q, want %q", sel, got, want)
		}
	}
	if got := Kind(9).String(); got != "Kind(9)" {
		t.Errorf("Kind(9).String() = %q", got)
	}
}

func TestFromEnv(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want Selector
	}{
		{map[string]string{}, Selector{Kind: System}},
		{map[string]string{"AZURE_CLIENT_ID": ""}, Selector{Kind: System}},
		{map[string]string{"AZURE_CLIENT_ID": "  "}, Selector{Kind: System}},
		{map[string]string{"AZURE_CLIENT_ID": guidA}, Selector{Kind: ClientID, Value: guidA}},
		{map[string]string{"AZURE_CLIENT_ID": " " + guidB + " "}, Selector{Kind: ClientID, Value: guidB}},
		// Passed through as azidentity does; NewCredential rejects it.
		{map[string]string{"AZURE_CLIENT_ID": "my-app"}, Selector{Kind: ClientID, Value: "my-app"}},
		// Only AZURE_CLIENT_ID selects; the other service-principal variables do not.
		{map[string]string{"AZURE_TENANT_ID": guidA, "AZURE_OBJECT_ID": guidB}, Selector{Kind: System}},
	} {
		if got := FromEnv(mapEnv(c.env)); got != c.want {
			t.Errorf("FromEnv(%v) = %+v, want %+v", c.env, got, c.want)
		}
	}
}

func TestFromEnvNilReadsProcess(t *testing.T) {
	t.Setenv("AZURE_CLIENT_ID", guidA)
	if got := FromEnv(nil); got != (Selector{Kind: ClientID, Value: guidA}) {
		t.Errorf("FromEnv(nil) = %+v with AZURE_CLIENT_ID=%s", got, guidA)
	}
}

func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}
