package azurekv

import (
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

func TestIDParts(t *testing.T) {
	cases := []struct{ id, name, version string }{
		{"https://v.vault.azure.net/secrets/db-password/0123456789abcdef0123456789abcdef", "db-password", "0123456789abcdef0123456789abcdef"},
		{"https://v.vault.azure.net/secrets/db-password", "db-password", ""},
		{"https://127.0.0.1:8443/secrets/a-b/v1", "a-b", "v1"},
		// Ids the SDK's parser cannot split (it panics on them) give
		// empty strings; the caller falls back to the name it asked for.
		{"https://v.vault.azure.net/", "", ""},
		{"https://v.vault.azure.net", "", ""},
		{"%zz", "", ""},
	}
	for _, c := range cases {
		id := azsecrets.ID(c.id)
		if name, version := idParts(&id); name != c.name || version != c.version {
			t.Errorf("idParts(%q) = %q, %q; want %q, %q", c.id, name, version, c.name, c.version)
		}
	}
}
