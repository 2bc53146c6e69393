package identity

import (
	"net/http"
	"testing"

	"github.com/secretkit/secretkit/kv"
)

// A service principal is no managed identity: the managed-identity
// endpoints never issue its token, by any selector, and do not count it
// when they pick the only user-assigned identity for a request that names
// none.
func TestManagedIdentityEndpointsIgnoreServicePrincipals(t *testing.T) {
	ci := Identity{Name: "ci", Kind: kv.KindServicePrincipal, ClientSecret: "ci-secret",
		ClientID: "5a1c0f7e-0000-4000-8000-0000000000c1", ObjectID: "0b1d0f7e-0000-4000-8000-0000000000c1"}
	f := newFixture(t, t.TempDir(), app1, ci)
	const imds = "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net"
	meta := map[string]string{"Metadata": "true"}
	f.runRaw(t, f.http.URL, f.http.Client(), []rawCase{
		{"by client_id", "", imds + "&client_id=" + ci.ClientID, meta, "", 400, "invalid_request", "Identity not found"},
		{"by object_id", "", imds + "&object_id=" + ci.ObjectID, meta, "", 400, "invalid_request", "Identity not found"},
	})
	status, body := f.get(t, http.MethodGet, imds, meta, nil)
	if status != http.StatusOK {
		t.Fatalf("no selector: %d %v, want app1's token", status, body)
	}
	if c, err := f.validator.Validate(body["access_token"].(string)); err != nil || c.ObjectID != app1.ObjectID {
		t.Errorf("no selector: token names %s (%v), want app1 %s", c.ObjectID, err, app1.ObjectID)
	}
}
