package emulator_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/secretkit/secretkit/azurekv"
	"github.com/secretkit/secretkit/emulator/access"
	"github.com/secretkit/secretkit/emulator/config"
	"github.com/secretkit/secretkit/emulator/emulatortest"
	"github.com/secretkit/secretkit/emulator/store"
	"github.com/secretkit/secretkit/emulator/vault"
	"github.com/secretkit/secretkit/kv"
	"github.com/secretkit/secretkit/mi"
	"github.com/secretkit/secretkit/provider"
)

// Issue 9: a role given by its role-definition GUID, as Bicep and
// Terraform write it, goes from the config file through the RBAC decision
// to the unmodified SDK: Key Vault Secrets User's GUID reads the secret,
// Key Vault Reader's GUID (written in upper case) gets the service's exact
// ForbiddenByRbac.
func TestRoleByDefinitionGUIDEndToEnd(t *testing.T) {
	clearManagedIdentityEnv(t) // IMDS, whatever the host's environment says
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: `
identities:
  - {name: app, kind: user}
  - {name: auditor, kind: user}
vaults:
  - name: guidvault
    access:
      roles:
        - {identity: app, role: 4633458b-17de-408a-b874-0445c86b69e6}
        - {identity: auditor, role: 21090545-7CA7-4776-B22C-E363652D74D2, scope: /secrets/db-password}
    secrets:
      - {name: db-password, value: hunter2}
`})
	roles := e.Config.Vaults[0].Access.Roles
	if roles[0].Role != kv.RoleSecretsUser || roles[1].Role != kv.RoleReader {
		t.Fatalf("config kept roles %q and %q, want the display names", roles[0].Role, roles[1].Role)
	}
	client := func(identity string) *azsecrets.Client {
		t.Helper()
		opts := azcore.ClientOptions{Transport: e.Client()}
		cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{
			ClientOptions: opts, ID: azidentity.ClientID(e.Identity(t, identity).ClientID),
		})
		if err != nil {
			t.Fatal(err)
		}
		c, err := azsecrets.NewClient(e.VaultURLFor("guidvault"), cred, &azsecrets.ClientOptions{ClientOptions: opts})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	got, err := client("app").GetSecret(t.Context(), "db-password", "", nil)
	if err != nil || got.Value == nil || *got.Value != "hunter2" {
		t.Fatalf("Secrets User by GUID: GetSecret = %v, %v; want hunter2", got.Value, err)
	}

	_, err = client("auditor").GetSecret(t.Context(), "db-password", "", nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusForbidden || re.ErrorCode != "Forbidden" {
		t.Fatalf("Reader by GUID: GetSecret error %v, want 403 Forbidden", err)
	}
	body, _ := io.ReadAll(re.RawResponse.Body)
	var wire struct {
		Error struct {
			Code, Message string
			InnerError    struct{ Code string } `json:"innererror"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &wire); err != nil {
		t.Fatalf("403 body %q: %v", body, err)
	}
	auditor := e.Identity(t, "auditor")
	callerID := "appid=" + auditor.ClientID + ";oid=" + auditor.ObjectID + ";iss=https://sts.windows.net/" + e.Config.Tenant + "/"
	want := expectedDenial("guidvault", callerID, matrixOps[1], e.Config.SubscriptionID())
	want.message = strings.Replace(want.message, "/secrets/target'", "/secrets/db-password'", 1)
	if wire.Error.InnerError.Code != want.inner || wire.Error.Message != want.message {
		t.Errorf("Reader by GUID: %s %q\nwant %s %q", wire.Error.InnerError.Code, wire.Error.Message, want.inner, want.message)
	}
}

// Issue 9: the vault-name rule is kv's everywhere. Each name gets the same
// verdict from config validation, vault.New and the vault API's routing by
// host (a vault host with an impossible name is refused with 400 instead of
// reaching a vault).
func TestVaultNameRulesAgree(t *testing.T) {
	t.Parallel()
	for name, valid := range map[string]bool{
		"abc": true, "my-vault1": true, "MyVault": true, strings.Repeat("a", 24): true, "k9s": true,
		"ab": false, strings.Repeat("a", 25): false, "1abc": false, "-abc": false, "abc-": false,
		"a--b": false, "a_bc": false,
	} {
		if got := kv.ValidVaultName(name); got != valid {
			t.Errorf("kv.ValidVaultName(%q) = %v, want %v", name, got, valid)
		}
		_, err := config.Parse("names.yaml", []byte("vaults: [{name: "+name+"}]\n"))
		if (err == nil) != valid {
			t.Errorf("config with vault %q: %v, want valid=%v", name, err, valid)
		}
		_, err = vault.New(vault.Options{Store: store.NewMemory(), Vaults: []vault.Settings{{Name: name}}})
		if (err == nil) != valid {
			t.Errorf("vault.New with vault %q: %v, want valid=%v", name, err, valid)
		}
		api, err := vault.New(vault.Options{Store: store.NewMemory()})
		if err != nil {
			t.Fatal(err)
		}
		for _, host := range []string{name + ".vault.azure.net", name + ".localhost:8443"} {
			r := httptest.NewRequest(http.MethodGet, "/secrets?api-version=7.6", nil)
			r.Host = host
			w := httptest.NewRecorder()
			api.ServeHTTP(w, r)
			wantStatus, wantBody := http.StatusUnauthorized, "AKV10000"
			if !valid {
				wantStatus = http.StatusBadRequest
				wantBody = `"code":"BadParameter","message":"The vault name \"` + strings.ToLower(name) + `\" in the host is invalid: use 3-24 letters`
			}
			if w.Code != wantStatus || !strings.Contains(w.Body.String(), wantBody) {
				t.Errorf("host %s: %d %s, want %d with %s", host, w.Code, w.Body, wantStatus, wantBody)
			}
		}
	}
}

// Issue 9: the secret-name rule is kv's everywhere. Each name gets the same
// verdict from config seeding and role scopes, the RBAC decision on a
// secret scope, the vault API's route (400 BadParameter for an invalid
// name) and the azurekv client (ErrInvalidArgument before any request).
func TestSecretNameRulesAgree(t *testing.T) {
	clearManagedIdentityEnv(t)
	e := emulatortest.Start(t, nil)
	network := azcore.ClientOptions{Transport: e.Client()}
	cred, err := mi.NewCredential(mi.Selector{Kind: mi.System}, &mi.Options{ClientOptions: network})
	if err != nil {
		t.Fatal(err)
	}
	p, err := azurekv.New(e.VaultURLFor("emulator"), cred, &azurekv.Options{ClientOptions: network})
	if err != nil {
		t.Fatal(err)
	}
	api, err := vault.New(vault.Options{Store: store.NewMemory()})
	if err != nil {
		t.Fatal(err)
	}
	alice := access.Caller{ObjectID: "11111111-1111-4111-8111-111111111111"}
	for name, valid := range map[string]bool{
		"a": true, "0-leading-digit": true, "-": true, "MiXeD": true, strings.Repeat("z", 127): true,
		strings.Repeat("z", 128): false, "db_password": false, "dot.name": false, "sp ace": false,
	} {
		if got := kv.ValidSecretName(name); got != valid {
			t.Errorf("kv.ValidSecretName(%q) = %v, want %v", name, got, valid)
		}
		_, err := config.Parse("names.yaml", []byte("vaults:\n  - name: kv1\n    secrets: [{name: '"+name+"', value: v}]\n"))
		if (err == nil) != valid {
			t.Errorf("config seeding %q: %v, want valid=%v", name, err, valid)
		}
		_, err = config.Parse("names.yaml", []byte("vaults:\n  - name: kv1\n    access: {roles: [{identity: system, role: Key Vault Reader, scope: '/secrets/"+name+"'}]}\n"))
		if (err == nil) != valid {
			t.Errorf("config scope /secrets/%s: %v, want valid=%v", name, err, valid)
		}
		rules := access.VaultRules{Model: access.RBAC, Roles: []access.RoleAssignment{{ObjectID: alice.ObjectID, Role: kv.RoleSecretsUser, Scope: "/secrets/" + name}}}
		if granted := access.Decide("kv1", rules, alice, kv.OpGet, name, access.Placement{}) == nil; granted != valid {
			t.Errorf("role scoped to /secrets/%s grants get on it: %v, want %v", name, granted, valid)
		}

		r := httptest.NewRequest(http.MethodGet, "/secrets/"+strings.ReplaceAll(name, " ", "%20")+"?api-version=7.6", nil)
		r.Header.Set("Authorization", "Bearer any")
		w := httptest.NewRecorder()
		api.ServeHTTP(w, r)
		wantStatus, wantBody := http.StatusNotFound, `"code":"SecretNotFound"`
		if !valid {
			wantStatus, wantBody = http.StatusBadRequest, `"message":"The request URI contains an invalid name: `+name+`"`
		}
		if w.Code != wantStatus || !strings.Contains(w.Body.String(), wantBody) {
			t.Errorf("GET /secrets/%s: %d %s, want %d with %s", name, w.Code, w.Body, wantStatus, wantBody)
		}

		_, err = p.GetSecret(t.Context(), name, "")
		wantKind := provider.ErrNotFound
		if !valid {
			wantKind = provider.ErrInvalidArgument
		}
		if !errors.Is(err, wantKind) {
			t.Errorf("azurekv GetSecret(%q) = %v, want %v", name, err, wantKind)
		}
	}
}
