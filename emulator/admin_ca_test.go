package emulator_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/secretkit/secretkit/emulator"

	"github.com/secretkit/secretkit/emulator/emulatortest"
)

// The CA route serves byte for byte the CA file clients are told to
// trust, for the machines and containers that cannot read that file.
func TestCARouteServesTheCAFile(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, nil)
	status, body := admin(t, e, http.MethodGet, "/_emulator/ca.pem")
	file, err := os.ReadFile(e.Server.Authority().CAPath)
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusOK || !bytes.Equal(body, file) || !bytes.HasPrefix(body, []byte("-----BEGIN CERTIFICATE-----")) {
		t.Errorf("GET /_emulator/ca.pem: %d, %d bytes; the CA file has %d", status, len(body), len(file))
	}
	// Only on the identity listener, like every admin route.
	r := vaultCall(t, e.Client(), http.MethodGet, e.VaultURL+"_emulator/ca.pem?api-version=7.6", "", "")
	if r.status != http.StatusUnauthorized {
		t.Errorf("vault listener answered the CA route with %d, want the 401 challenge", r.status)
	}
}

// The env route answers any flavour, as JSON or as the KEY=VALUE lines
// "emulator env" reads, and names an unknown flavour.
func TestEnvRouteFlavoursAndFormats(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, nil)
	req, _ := http.NewRequest(http.MethodGet, e.IdentityURL+"/_emulator/env?flavour=azureml", nil)
	req.Header.Set("Accept", "text/plain")
	req.Header.Set(emulator.AdminHeader, "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	resp.Body.Close()
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if resp.StatusCode != 200 || lines[0] != "AZURE_KEYVAULT_URL="+e.VaultURL ||
		!strings.Contains(b.String(), "\nMSI_ENDPOINT="+e.IdentityURL+"/azureml/token\n") {
		t.Errorf("text env for azureml: %d\n%s", resp.StatusCode, b.String())
	}
	status, body := admin(t, e, http.MethodGet, "/_emulator/env?flavour=mainframe")
	if status != http.StatusBadRequest || !strings.Contains(string(body), `mainframe`) {
		t.Errorf("unknown flavour: %d %s", status, body)
	}
}

// A refused request's log line says which operation was refused and why,
// never with the token itself.
func TestUnauthorizedLogNamesOperationAndReason(t *testing.T) {
	t.Parallel()
	var logs logRecords
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: seededConfig, Logger: logs.logger(),
		FrozenAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	client := e.Client()
	secretURL := e.VaultURLFor("myvault") + "secrets/db-password?api-version=7.6"
	storageToken := imdsToken(t, e, "", "https://storage.azure.com")
	vaultToken := imdsToken(t, e, "", "https://vault.azure.net")

	vaultCall(t, client, http.MethodGet, secretURL, "", "")
	vaultCall(t, client, http.MethodGet, secretURL, "Bearer "+storageToken, "")
	e.Server.Advance(context.Background(), 48*time.Hour)
	vaultCall(t, client, http.MethodPut, secretURL, "Bearer "+vaultToken, `{"value":"x"}`)

	recs := logs.records(t, "vault request")
	want := []struct{ op, reason string }{
		{"get", "AKV10000: Request is missing a Bearer or PoP token."},
		{"get", "AKV10022: Invalid audience."},
		{"set", "AKV10010: Token expired."},
	}
	if len(recs) != len(want) {
		t.Fatalf("%d vault request lines, want %d:\n%s", len(recs), len(want), logs.text())
	}
	for i, w := range want {
		r := recs[i]
		if r["status"] != float64(401) || r["op"] != w.op || r["error"] != "Unauthorized" ||
			!strings.HasPrefix(r["reason"].(string), w.reason) || r["challengeResource"] != "https://vault.azure.net" {
			t.Errorf("line %d = %v, want op %s, reason %q", i, r, w.op, w.reason)
		}
	}
	for _, tok := range []string{storageToken, vaultToken} {
		sig := tok[strings.LastIndex(tok, ".")+1:]
		if strings.Contains(logs.text(), sig) {
			t.Error("a token's signature appeared in the log")
		}
	}
}
