package vault_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/secretkit/secretkit/emulator/vault"
)

func TestThrottleAnswers429PastTheLimits(t *testing.T) {
	f := start(t, vault.Options{Vaults: []vault.Settings{{Name: "limited", Throttle: &vault.Throttle{Creates: 2, Other: 3}}}})
	set := func() rawResponse {
		return f.raw(t, http.MethodPut, "", "/secrets/s?api-version=7.6", `{"value":"v"}`, nil)
	}
	get := func() rawResponse {
		return f.raw(t, http.MethodGet, "", "/secrets/s?api-version=7.6", "", nil)
	}
	for i := 0; i < 2; i++ {
		if r := set(); r.status != 200 {
			t.Fatalf("set %d: %d %s", i, r.status, r.body)
		}
	}
	r := set()
	if msg := wantError(t, r, 429, "Throttled", ""); msg != "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached" {
		t.Errorf("message %q", msg)
	}
	if ra := r.header.Get("Retry-After"); ra != "5" { // the fixed clock stands 5 s into its window
		t.Errorf("Retry-After = %q, want 5", ra)
	}
	// Creates and other operations have separate budgets.
	for i := 0; i < 3; i++ {
		if r := get(); r.status != 200 {
			t.Fatalf("get %d: %d %s", i, r.status, r.body)
		}
	}
	wantError(t, get(), 429, "Throttled", "")

	// A new window, on the emulator clock, has a fresh budget.
	f.clock.Advance(10 * time.Second)
	if r := set(); r.status != 200 {
		t.Errorf("set in the next window: %d %s", r.status, r.body)
	}
	if r := get(); r.status != 200 {
		t.Errorf("get in the next window: %d %s", r.status, r.body)
	}
}

func TestThrottledSDKCallSeesResponseError(t *testing.T) {
	f := start(t, vault.Options{Vaults: []vault.Settings{{Name: "limited", Throttle: &vault.Throttle{Creates: 1}}}})
	client, err := azsecrets.NewClient(f.srv.URL, staticToken{}, &azsecrets.ClientOptions{
		ClientOptions:                        azcore.ClientOptions{Transport: f.srv.Client(), Retry: policy.RetryOptions{MaxRetries: -1}},
		DisableChallengeResourceVerification: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	value := "v"
	if _, err := client.SetSecret(t.Context(), "s", azsecrets.SetSecretParameters{Value: &value}, nil); err != nil {
		t.Fatal(err)
	}
	_, err = client.SetSecret(t.Context(), "s", azsecrets.SetSecretParameters{Value: &value}, nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 429 || re.ErrorCode != "Throttled" {
		t.Fatalf("second set: %v, want 429 Throttled", err)
	}
}

// Vaults without a throttle never answer 429.
func TestNoThrottleByDefault(t *testing.T) {
	f := start(t, vault.Options{})
	for i := 0; i < 400; i++ {
		if r := f.raw(t, http.MethodPut, "", "/secrets/s?api-version=7.6", `{"value":"v"}`, nil); r.status != 200 {
			t.Fatalf("set %d: %d %s", i, r.status, r.body)
		}
	}
}
