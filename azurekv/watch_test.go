package azurekv_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/secretkit/secretkit/azurekv"
	"github.com/secretkit/secretkit/mi"
	"github.com/secretkit/secretkit/provider"
	"github.com/secretkit/secretkit/provider/providertest"
)

// requestLog reports each request the provider sends: "list" for a
// listing of versions, "get" for a read of a value.
type requestLog chan string

func (l requestLog) Do(req *policy.Request) (*http.Response, error) {
	kind := "get"
	if strings.HasSuffix(strings.TrimSuffix(req.Raw().URL.Path, "/"), "/versions") {
		kind = "list"
	}
	select {
	case l <- kind:
	default: // nobody is counting any more
	}
	return req.Next()
}

func watchProvider(t *testing.T, f *fixture, cred azcore.TokenCredential, log requestLog) *azurekv.Provider {
	t.Helper()
	opts := &azurekv.Options{ClientOptions: azcore.ClientOptions{Transport: f.e.Client()}}
	if log != nil {
		opts.ClientOptions.PerCallPolicies = []policy.Policy{log}
	}
	p, err := azurekv.New(f.e.VaultURLFor("myvault"), cred, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func nextOf(t *testing.T, w *provider.WatchedSecret) (provider.Secret, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	s, err := w.Next(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("no update within 30 s")
	}
	return s, err
}

func TestWatchDeliversANewVersionAndReadsValuesOnlyOnChange(t *testing.T) {
	f := newFixture(t)
	admin := f.admin(t, "myvault")
	name := providertest.UniqueName("watch")
	set := func(v string) string {
		resp, err := admin.SetSecret(t.Context(), name, azsecrets.SetSecretParameters{Value: &v}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return resp.ID.Version()
	}
	v1 := set("one")
	log := make(requestLog, 1000)
	p := watchProvider(t, f, f.systemCred, log)
	w, err := provider.Watch(t.Context(), p, name, &provider.WatchOptions{Interval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	s, err := nextOf(t, w)
	if err != nil || s.Value.Reveal() != "one" || s.Version != v1 {
		t.Fatalf("initial: version %q, err %v; want value one at %q", s.Version, err, v1)
	}
	// Ten unchanged checks list versions and read no value.
	counts := map[string]int{}
	for counts["list"] < 11 {
		counts[<-log]++
	}
	if counts["get"] != 1 {
		t.Fatalf("%d value reads over %d unchanged checks; want only the initial one", counts["get"], counts["list"])
	}
	v2 := set("two")
	s, err = nextOf(t, w)
	if err != nil || s.Value.Reveal() != "two" || s.Version != v2 {
		t.Fatalf("after rotation: version %q, err %v; want value two at %q", s.Version, err, v2)
	}
	for counts["list"] < 30 {
		counts[<-log]++
	}
	if counts["get"] != 2 {
		t.Errorf("%d value reads for one rotation; want 2 in all", counts["get"])
	}

	if _, err := admin.DeleteSecret(t.Context(), name, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := nextOf(t, w); !errors.Is(err, provider.ErrNotFound) {
		t.Fatalf("after deletion err = %v; want ErrNotFound", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if _, err := w.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the deletion was delivered more than once: %v", err)
	}
	if s, err := w.Latest(t.Context()); err != nil || s.Version != v2 {
		t.Errorf("Latest after deletion = %q, %v; want the last good version %q", s.Version, err, v2)
	}
}

// The "getter" identity may get but not list in myvault: the watch falls
// back to reading the value on each check and still sees the rotation.
func TestWatchWithoutListPermissionFallsBackToReading(t *testing.T) {
	f := newFixture(t)
	admin := f.admin(t, "myvault")
	name := providertest.UniqueName("watchget")
	for _, v := range []string{"one"} {
		if _, err := admin.SetSecret(t.Context(), name, azsecrets.SetSecretParameters{Value: &v}, nil); err != nil {
			t.Fatal(err)
		}
	}
	getter := f.credential(t, mi.Selector{Kind: mi.ClientID, Value: f.e.Identity(t, "getter").ClientID})
	p := watchProvider(t, f, getter, nil)
	w, err := provider.Watch(t.Context(), p, name, &provider.WatchOptions{Interval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if s, err := nextOf(t, w); err != nil || s.Value.Reveal() != "one" {
		t.Fatalf("initial: %d bytes, err %v", s.Value.Len(), err)
	}
	two := "two"
	if _, err := admin.SetSecret(t.Context(), name, azsecrets.SetSecretParameters{Value: &two}, nil); err != nil {
		t.Fatal(err)
	}
	if s, err := nextOf(t, w); err != nil || s.Value.Reveal() != "two" {
		t.Fatalf("after rotation: %d bytes, err %v", s.Value.Len(), err)
	}
}

func TestWatchRejectsAnInvalidName(t *testing.T) {
	f := newFixture(t)
	p := watchProvider(t, f, f.systemCred, nil)
	_, err := provider.Watch(t.Context(), p, "db_password", nil)
	if !errors.Is(err, provider.ErrInvalidArgument) {
		t.Fatalf("err = %v; want ErrInvalidArgument", err)
	}
}
