package mi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"
	"github.com/secretkit/secretkit/internal/testutil"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// clearSourceEnv unsets every variable that steers source detection, so a
// test sees only what it sets.
func clearSourceEnv(t *testing.T) {
	t.Helper()
	testutil.ClearAzureCredentialEnv(t)
	if agent := ArcAgentPath("linux", nil); fileExists(agent) {
		t.Skipf("the Azure Arc agent %s exists on this machine; detection would not be IMDS", agent)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func TestNewCredentialEveryKindOnIMDS(t *testing.T) {
	clearSourceEnv(t)
	for _, sel := range []Selector{
		{},
		{Kind: ClientID, Value: guidA},
		{Kind: ObjectID, Value: guidB},
		{Kind: ResourceID, Value: goodRS},
	} {
		cred, err := NewCredential(sel, nil)
		if err != nil || cred == nil {
			t.Errorf("NewCredential(%s) = %v, %v; want a credential", sel, cred, err)
		}
	}
}

func TestNewCredentialRejectsInvalidSelector(t *testing.T) {
	clearSourceEnv(t)
	for sel, want := range map[Selector]string{
		{Kind: ClientID, Value: "my-app"}: `mi: invalid identity client:my-app: client id "my-app" is not a GUID`,
		{Kind: ObjectID}:                  `mi: invalid identity object:: object id "" is not a GUID`,
		{Kind: ResourceID, Value: "/x"}:   `mi: invalid identity resource:/x: resource id "/x" is not of the form /subscriptions/<guid>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>`,
		{Kind: System, Value: guidA}:      `mi: invalid identity system: a system-assigned selector takes no id`,
		{Kind: Kind(7), Value: guidA}:     `mi: invalid identity Kind(7):` + guidA + `: unknown selector kind 7`,
	} {
		_, err := NewCredential(sel, nil)
		if err == nil || err.Error() != want {
			t.Errorf("NewCredential(%+v):\n got %v\nwant %s", sel, err, want)
		}
	}
}

func TestNewCredentialChecksTheSource(t *testing.T) {
	clearSourceEnv(t)
	t.Setenv("MSI_ENDPOINT", "http://127.0.0.1:1/token")
	_, err := NewCredential(Selector{Kind: ClientID, Value: guidA}, nil)
	if !errors.Is(err, ErrUnsupportedIdentity) {
		t.Fatalf("client id on Cloud Shell: got %v, want ErrUnsupportedIdentity", err)
	}
	if _, err := NewCredential(Selector{}, nil); err != nil {
		t.Errorf("system-assigned on Cloud Shell: %v", err)
	}
}

// TestNewCredentialSendsTheSelector runs the real credential against a
// loopback App Service endpoint and checks the identity parameter each kind
// produces, so a selector wired to the wrong azidentity ID type fails here.
func TestNewCredentialSendsTheSelector(t *testing.T) {
	clearSourceEnv(t)
	var (
		mu   sync.Mutex
		seen []*http.Request
	)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Clone(context.Background()))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{
			"access_token": "token-for-test",
			"expires_on":   strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10),
			"resource":     r.URL.Query().Get("resource"),
			"token_type":   "Bearer",
		})
	}))
	defer server.Close()
	t.Setenv("IDENTITY_ENDPOINT", server.URL+"/msi/token")
	t.Setenv("IDENTITY_HEADER", "header-for-test")

	for i, c := range []struct {
		sel        Selector
		param, val string
	}{
		{Selector{}, "", ""},
		{Selector{Kind: ClientID, Value: guidA}, "client_id", guidA},
		{Selector{Kind: ObjectID, Value: guidB}, "object_id", guidB},
		{Selector{Kind: ResourceID, Value: goodRS}, "mi_res_id", goodRS},
	} {
		cred, err := NewCredential(c.sel, &Options{ClientOptions: policy.ClientOptions{Transport: server.Client()}})
		if err != nil {
			t.Fatalf("NewCredential(%s): %v", c.sel, err)
		}
		// A distinct resource per case (and per run, for -count=N) keeps
		// MSAL's process-wide token cache from answering instead of the server.
		resource := "https://test" + strconv.Itoa(i) + "-" + strconv.FormatInt(resourceSeq.Add(1), 10) + ".example"
		tok, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{resource + "/.default"}})
		if err != nil {
			t.Fatalf("GetToken for %s: %v", c.sel, err)
		}
		if tok.Token != "token-for-test" {
			t.Errorf("GetToken for %s returned %q", c.sel, tok.Token)
		}
		mu.Lock()
		r := seen[len(seen)-1]
		mu.Unlock()
		q := r.URL.Query()
		if r.URL.Path != "/msi/token" || r.Header.Get("X-IDENTITY-HEADER") != "header-for-test" || q.Get("resource") != resource {
			t.Errorf("%s: request %s %v lacks the App Service shape", c.sel, r.URL, r.Header)
		}
		for _, p := range []string{"client_id", "object_id", "mi_res_id", "msi_res_id"} {
			want := ""
			if p == c.param {
				want = c.val
			}
			if got := q.Get(p); got != want {
				t.Errorf("%s: query %s = %q, want %q (query %s)", c.sel, p, got, want, strings.ReplaceAll(r.URL.RawQuery, "&", " "))
			}
		}
	}
}

// resourceSeq numbers token requests across runs in one process.
var resourceSeq atomic.Int64
