package emulator_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/secretkit/secretkit/emulator"
	"github.com/secretkit/secretkit/emulator/emulatortest"
	"github.com/secretkit/secretkit/internal/testutil"
)

// A web page can make a browser POST text/plain to the admin listener
// without a preflight; such a request must change nothing (issue 11,
// item 6): 403 with a message naming what is missing.
func TestAdminRefusesCrossSiteRequests(t *testing.T) {
	t.Parallel()
	var logs testutil.Buffer
	frozen := time.Now()
	e := emulatortest.Start(t, &emulatortest.Options{
		ConfigYAML: seededConfig, FrozenAt: frozen,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	c := secretsClient(t, e, "myvault")
	ctx := context.Background()
	if _, err := c.SetSecret(ctx, "keep", azsecrets.SetSecretParameters{Value: ptr("v")}, nil); err != nil {
		t.Fatal(err)
	}
	send := func(method, path, contentType, origin string, header bool) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, e.IdentityURL+path, strings.NewReader(`{"by":"2161h"}`))
		req.Header.Set("Content-Type", contentType)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if header {
			req.Header.Set(emulator.AdminHeader, "1")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	const refusal = `{"error":"admin routes need the header X-Emulator-Admin: 1 and no cross-site Origin; refused so that a web page cannot drive the emulator"}` + "\n"
	for _, tc := range []struct {
		name, method, path, contentType, origin string
		header                                  bool
	}{
		{"cross-site reset", "POST", "/_emulator/reset", "text/plain", "http://evil.example", false},
		{"cross-site advance", "POST", "/_emulator/clock/advance", "text/plain", "http://evil.example", false},
		{"reset without header", "POST", "/_emulator/reset", "application/json", "", false},
		{"advance with header but foreign origin", "POST", "/_emulator/clock/advance?by=2161h", "application/json", "http://evil.example", true},
		{"env without header", "GET", "/_emulator/env", "", "", false},
		{"federated token without header", "POST", "/_emulator/federated-token?identity=system", "", "", false},
	} {
		status, body := send(tc.method, tc.path, tc.contentType, tc.origin, tc.header)
		if status != http.StatusForbidden || body != refusal {
			t.Errorf("%s: %d %s, want 403 %s", tc.name, status, body, refusal)
		}
	}
	if !e.Now().Equal(frozen) {
		t.Errorf("refused requests moved the clock by %v", e.Now().Sub(frozen))
	}
	if _, err := c.GetSecret(ctx, "keep", "", nil); err != nil {
		t.Errorf("a refused reset dropped state: %v", err)
	}
	// With the header (and a same-origin or no Origin) it works, and it is
	// logged at info.
	if status, body := send("POST", "/_emulator/reset", "application/json", e.IdentityURL, true); status != 204 {
		t.Fatalf("reset with the header: %d %s", status, body)
	}
	if _, err := c.GetSecret(ctx, "keep", "", nil); err == nil {
		t.Error("reset with the header kept state")
	}
	if status, _ := send("GET", "/_emulator/health", "", "", false); status != 200 {
		t.Errorf("health without the header = %d, want 200 (probes send no header)", status)
	}
	out := logs.String()
	for _, want := range []string{
		`level=INFO msg="admin request" method=POST path=/_emulator/reset status=204`,
		`level=WARN msg="admin request refused" method=POST path=/_emulator/reset origin=http://evil.example`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}
