package mi_test

import (
	"fmt"

	"github.com/secretkit/secretkit/mi"
)

func ExampleParse() {
	for _, s := range []string{
		"system",
		"client:6f1a4c2e-0b7d-4e58-9a3c-2d8e5f7b1c90",
		"6f1a4c2e-0b7d-4e58-9a3c-2d8e5f7b1c90",
		"resource:/subscriptions/6f1a4c2e-0b7d-4e58-9a3c-2d8e5f7b1c90/resourceGroups/apps/providers/Microsoft.ManagedIdentity/userAssignedIdentities/api",
	} {
		sel, err := mi.Parse(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(sel.Kind, sel)
	}
	_, err := mi.Parse("object:api")
	fmt.Println(err)
	// Output:
	// system system
	// client client:6f1a4c2e-0b7d-4e58-9a3c-2d8e5f7b1c90
	// client client:6f1a4c2e-0b7d-4e58-9a3c-2d8e5f7b1c90
	// resource resource:/subscriptions/6f1a4c2e-0b7d-4e58-9a3c-2d8e5f7b1c90/resourceGroups/apps/providers/Microsoft.ManagedIdentity/userAssignedIdentities/api
	// mi: invalid identity "object:api": object id "api" is not a GUID; accepted forms: "system", "client:<guid>", "object:<guid>", "resource:/subscriptions/<guid>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>" (a bare GUID is read as a client id, a bare resource id as a resource id)
}

func ExampleDetectSource() {
	env := map[string]string{
		"IDENTITY_ENDPOINT": "http://127.0.0.1:8081/msi/token",
		"MSI_ENDPOINT":      "http://127.0.0.1:8082/token",
	}
	src := mi.DetectSource(mi.Environment{
		Getenv:     func(name string) string { return env[name] },
		FileExists: func(string) bool { return false },
		GOOS:       "linux",
	})
	fmt.Println(src.Name, src.Endpoint)
	fmt.Println("because", src.Reason)
	for _, note := range src.Notes {
		fmt.Println("note:", note)
	}
	sel, _ := mi.Parse("client:6f1a4c2e-0b7d-4e58-9a3c-2d8e5f7b1c90")
	fmt.Println(sel.Check(src))
	// Output:
	// Cloud Shell http://127.0.0.1:8082/token
	// because MSI_ENDPOINT is set and MSI_SECRET is not
	// note: IDENTITY_ENDPOINT is ignored: without IDENTITY_HEADER, MSI_ENDPOINT takes precedence
	// mi: Cloud Shell (MSI_ENDPOINT is set and MSI_SECRET is not) cannot use client:6f1a4c2e-0b7d-4e58-9a3c-2d8e5f7b1c90: it supports only the system-assigned identity: identity not supported by this managed-identity source
}
