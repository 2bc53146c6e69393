package emulator_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/secretkit/secretkit/azurekv"
	"github.com/secretkit/secretkit/emulator/emulatortest"
	"github.com/secretkit/secretkit/provider"
)

// fakeNow is a settable clock for provider.Cache.
type fakeNow struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeNow) Now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeNow) Add(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

// provider.Cache with MaxStale keeps serving a secret through an outage
// the emulator injects (every get answering 503), and only within
// MaxStale; without MaxStale the outage reaches the caller.
func TestCacheServesStaleThroughInjectedOutage(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: seededConfig})
	opts := azcore.ClientOptions{Transport: e.Client(),
		Retry: policy.RetryOptions{MaxRetries: 1, RetryDelay: time.Millisecond, MaxRetryDelay: 5 * time.Millisecond}}
	cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ClientOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	kv, err := azurekv.New(e.VaultURLFor("myvault"), cred, &azurekv.Options{ClientOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeNow{t: time.Now()}
	stale := provider.NewCache(kv, &provider.CacheOptions{TTL: time.Minute, MaxStale: time.Hour, Now: clock.Now})
	strict := provider.NewCache(kv, &provider.CacheOptions{TTL: time.Minute, Now: clock.Now})
	ctx := t.Context()
	for _, c := range []*provider.Cache{stale, strict} {
		if s, err := c.GetSecret(ctx, "db-password", ""); err != nil || s.Value.Reveal() != "seeded-value" {
			t.Fatalf("warm-up read: %v", err)
		}
	}
	if status, body := postFaults(t, e, `{"faults":[{"operation":"get","status":503,"retryAfter":0}]}`); status != 200 {
		t.Fatalf("POST faults: %d %s", status, body)
	}
	clock.Add(2 * time.Minute) // both entries expired
	s, err := stale.GetSecret(ctx, "db-password", "")
	if err != nil || s.Value.Reveal() != "seeded-value" {
		t.Errorf("MaxStale cache during the outage: %v; want the stale value", err)
	}
	if _, err := strict.GetSecret(ctx, "db-password", ""); !errors.Is(err, provider.ErrUnavailable) {
		t.Errorf("cache without MaxStale during the outage: %v; want ErrUnavailable", err)
	}
	clock.Add(2 * time.Hour) // past MaxStale
	if _, err := stale.GetSecret(ctx, "db-password", ""); !errors.Is(err, provider.ErrUnavailable) {
		t.Errorf("MaxStale cache past MaxStale: %v; want ErrUnavailable", err)
	}
}
