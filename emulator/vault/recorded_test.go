package vault_test

import (
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/secretkit/secretkit/emulator/vault"
)

// These tests pin answers that the real service gave in recorded live
// tests (Azure/azure-sdk-for-net SessionRecords for
// Azure.Security.KeyVault.Secrets, azure-sdk-for-js recordings, api-versions
// 7.0-7.4) and that the emulator once answered differently.

const notFoundTail = " was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"

// Recorded: GET /secrets/{missing}/versions is 200 with an empty list.
func TestRecordedListVersionsOfMissingSecretIsEmpty(t *testing.T) {
	f := start(t, vault.Options{})
	r := f.raw(t, http.MethodGet, "", "/secrets/never-set/versions?api-version=7.4", "", nil)
	if r.status != http.StatusOK || string(r.body) != `{"value":[],"nextLink":null}` {
		t.Fatalf("list versions of a missing secret: %d %s, want 200 {\"value\":[],\"nextLink\":null}", r.status, r.body)
	}
	// A deleted secret has no active versions either.
	f.raw(t, http.MethodPut, "", "/secrets/gone?api-version=7.4", `{"value":"v"}`, nil)
	f.raw(t, http.MethodDelete, "", "/secrets/gone?api-version=7.4", "", nil)
	r = f.raw(t, http.MethodGet, "", "/secrets/gone/versions?api-version=7.4", "", nil)
	if r.status != http.StatusOK || string(r.body) != `{"value":[],"nextLink":null}` {
		t.Errorf("list versions of a deleted secret: %d %s", r.status, r.body)
	}
	// Through the SDK: the pager ends after one empty page, no error.
	pager := f.client.NewListSecretPropertiesVersionsPager("never-set", nil)
	page, err := pager.NextPage(t.Context())
	if err != nil || len(page.Value) != 0 || pager.More() {
		t.Errorf("SDK pager: %d items, more=%v, err %v; want an empty last page", len(page.Value), pager.More(), err)
	}
}

// Recorded: restoring a blob the service cannot read is 400 with code
// "Malformed backup blob" and message "Backup blob is corrupt.".
func TestRecordedMalformedBackupBlob(t *testing.T) {
	f := start(t, vault.Options{})
	f.raw(t, http.MethodPut, "", "/secrets/b?api-version=7.4", `{"value":"x"}`, nil)
	good, _ := f.raw(t, http.MethodPost, "", "/secrets/b/backup?api-version=7.4", "", nil).json(t)["value"].(string)
	flipped := []byte(good)
	flipped[len(flipped)/2] ^= 1
	for name, body := range map[string]string{
		"not base64":       `{"value":"!!notbase64"}`,
		"random bytes":     `{"value":"` + base64.RawURLEncoding.EncodeToString([]byte("not a key vault backup at all")) + `"}`,
		"one bit flipped":  `{"value":"` + string(flipped) + `"}`,
		"value missing":    `{}`,
		"another emulator": `{"value":"` + backupFromAnotherKey(t) + `"}`,
	} {
		r := f.raw(t, http.MethodPost, "", "/secrets/restore?api-version=7.4", body, nil)
		if r.status != http.StatusBadRequest {
			t.Errorf("%s: status %d %s, want 400", name, r.status, r.body)
			continue
		}
		if msg := checkErrorBody(t, r.body, "Malformed backup blob", ""); msg != "Backup blob is corrupt." {
			t.Errorf("%s: message %q", name, msg)
		}
	}
}

func backupFromAnotherKey(t *testing.T) string {
	other := start(t, vault.Options{})
	other.raw(t, http.MethodPut, "", "/secrets/b2?api-version=7.4", `{"value":"x"}`, nil)
	blob, _ := other.raw(t, http.MethodPost, "", "/secrets/b2/backup?api-version=7.4", "", nil).json(t)["value"].(string)
	return blob
}

// Recorded: get-deleted of a name the vault never had is 404
// SecretNotFound with the "A secret with (name/id) ..." text (.NET, 2021);
// of a secret that exists but is not deleted, "Deleted Secret not found:"
// (JS, 2022).
func TestRecordedGetDeletedMissingText(t *testing.T) {
	f := start(t, vault.Options{})
	f.raw(t, http.MethodPut, "", "/secrets/alive?api-version=7.4", `{"value":"v"}`, nil)
	for name, want := range map[string]string{
		"never-existed": "A secret with (name/id) never-existed" + notFoundTail,
		"alive":         "Deleted Secret not found: alive",
	} {
		r := f.raw(t, http.MethodGet, "", "/deletedsecrets/"+name+"?api-version=7.4", "", nil)
		if msg := wantError(t, r, http.StatusNotFound, "SecretNotFound", ""); msg != want {
			t.Errorf("get-deleted %s: message %q, want %q", name, msg, want)
		}
	}
}

// Recorded: the challenge names https://login.windows.net/{tenant}, and
// the Go SDK still finds the tenant in it (the client fixture completes a
// request through the challenge).
func TestRecordedChallengeAuthority(t *testing.T) {
	f := start(t, vault.Options{Tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47"})
	r := f.raw(t, http.MethodGet, "", "/secrets/x?api-version=7.4", "", map[string]string{"Authorization": ""})
	want := `Bearer authorization="https://login.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="https://vault.azure.net"`
	if got := r.header.Get("WWW-Authenticate"); r.status != http.StatusUnauthorized || got != want {
		t.Fatalf("challenge: %d %q, want 401 %q", r.status, got, want)
	}
	if _, err := f.client.SetSecret(t.Context(), "through-challenge", azsecrets.SetSecretParameters{Value: ptr("v")}, nil); err != nil {
		t.Fatalf("SDK through the login.windows.net challenge: %v", err)
	}
}
