package azurekv_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/secretkit/secretkit/azurekv"
	"github.com/secretkit/secretkit/mi"
	"github.com/secretkit/secretkit/provider"
	"github.com/secretkit/secretkit/provider/providertest"
)

var kinds = []error{provider.ErrNotFound, provider.ErrPermissionDenied, provider.ErrInvalidArgument, provider.ErrUnavailable}

// wantError checks that err is a *provider.Error from azurekv for op and
// name, of exactly kind (nil: none of the kinds), that the SDK's
// *azcore.ResponseError with status is reachable (status 0: none is), and
// that ErrorCode returns code.
func wantError(t *testing.T, err error, op, name string, kind error, status int, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil; want %v", kind)
	}
	var perr *provider.Error
	if !errors.As(err, &perr) {
		t.Fatalf("err %v (%T) is not a *provider.Error", err, err)
	}
	if perr.Provider != azurekv.Name || perr.Op != op || perr.Name != name {
		t.Errorf("*provider.Error = {Provider:%q Op:%q Name:%q}; want {%q %q %q}",
			perr.Provider, perr.Op, perr.Name, azurekv.Name, op, name)
	}
	for _, k := range kinds {
		if got, want := errors.Is(err, k), k == kind; got != want {
			t.Errorf("errors.Is(err, %v) = %v; want %v (err: %v)", k, got, want, err)
		}
	}
	var respErr *azcore.ResponseError
	switch {
	case status == 0 && errors.As(err, &respErr):
		t.Errorf("err unexpectedly holds a ResponseError with status %d", respErr.StatusCode)
	case status != 0 && !errors.As(err, &respErr):
		t.Errorf("err %v holds no *azcore.ResponseError; want status %d", err, status)
	case status != 0 && respErr.StatusCode != status:
		t.Errorf("ResponseError.StatusCode = %d; want %d", respErr.StatusCode, status)
	}
	if got := azurekv.ErrorCode(err); got != code {
		t.Errorf("ErrorCode = %q; want %q", got, code)
	}
}

// audienceSwap asks the real credential for a token meant for another
// resource, so the vault sees a valid token with the wrong audience.
type audienceSwap struct{ cred azcore.TokenCredential }

func (a audienceSwap) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	opts.Scopes = []string{"https://management.azure.com/.default"}
	return a.cred.GetToken(ctx, opts)
}

func seed(t *testing.T, c *azsecrets.Client, name, value string) azsecrets.Secret {
	t.Helper()
	resp, err := c.SetSecret(context.Background(), name, azsecrets.SetSecretParameters{Value: &value}, nil)
	if err != nil {
		t.Fatalf("seeding %q: %v", name, err)
	}
	return resp.Secret
}

func TestErrorMappingThroughEmulator(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	admin := f.admin(t, "myvault")
	rbacAdmin := f.admin(t, "rbacvault")
	name := providertest.UniqueName("mapping")
	seed(t, admin, name, "value")
	seed(t, rbacAdmin, name, "value")

	t.Run("NotFound", func(t *testing.T) {
		missing := providertest.UniqueName("missing")
		_, err := f.provider(t, f.systemCred, "myvault").GetSecret(ctx, missing, "")
		wantError(t, err, "get", missing, provider.ErrNotFound, 404, "SecretNotFound")
	})
	t.Run("MissingVersion", func(t *testing.T) {
		_, err := f.provider(t, f.systemCred, "myvault").GetSecret(ctx, name, providertest.MissingVersion)
		wantError(t, err, "get", name, provider.ErrNotFound, 404, "SecretNotFound")
	})
	t.Run("AccessPolicyDenial", func(t *testing.T) {
		_, err := f.provider(t, f.readerCred, "myvault").GetSecret(ctx, name, "")
		wantError(t, err, "get", name, provider.ErrPermissionDenied, 403, "AccessDenied")
		if msg := azurekv.ErrorMessage(err); !strings.Contains(msg, "does not have secrets get permission") {
			t.Errorf("ErrorMessage = %q, want the service's message naming the permission", msg)
		}
	})
	t.Run("RBACDenial", func(t *testing.T) {
		_, err := f.provider(t, f.readerCred, "rbacvault").GetSecret(ctx, name, "")
		wantError(t, err, "get", name, provider.ErrPermissionDenied, 403, "ForbiddenByRbac")
		if msg := azurekv.ErrorMessage(err); !strings.Contains(msg, "Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'") {
			t.Errorf("ErrorMessage = %q, want the service's message naming the data action", msg)
		}
	})
	t.Run("NoServiceError", func(t *testing.T) {
		if msg := azurekv.ErrorMessage(context.Canceled); msg != "" {
			t.Errorf("ErrorMessage(context.Canceled) = %q, want empty", msg)
		}
	})
	t.Run("WrongAudience", func(t *testing.T) {
		_, err := f.provider(t, audienceSwap{f.systemCred}, "myvault").GetSecret(ctx, name, "")
		wantError(t, err, "get", name, provider.ErrPermissionDenied, 401, "Unauthorized")
	})
	t.Run("ValueTooLarge", func(t *testing.T) {
		big := provider.NewValue(strings.Repeat("x", providertest.LargeValueBytes+1))
		_, err := f.provider(t, f.systemCred, "myvault").Set(ctx, name, big, nil)
		wantError(t, err, "set", name, provider.ErrInvalidArgument, 400, "BadParameter")
	})
	t.Run("TooManyTags", func(t *testing.T) {
		tags := map[string]string{}
		for i := range 16 {
			tags[string(rune('a'+i))] = "v"
		}
		_, err := f.provider(t, f.systemCred, "myvault").Set(ctx, name, provider.NewValue("v"), &azurekv.SetOptions{Tags: tags})
		wantError(t, err, "set", name, provider.ErrInvalidArgument, 400, "BadParameter")
	})
	t.Run("ListDeniedByPolicy", func(t *testing.T) {
		getter := f.credential(t, mi.Selector{Kind: mi.ClientID, Value: f.e.Identity(t, "getter").ClientID})
		p := f.provider(t, getter, "myvault")
		n := 0
		for _, err := range p.ListSecrets(ctx) {
			n++
			wantError(t, err, "list", "", provider.ErrPermissionDenied, 403, "AccessDenied")
		}
		for _, err := range p.ListSecretVersions(ctx, name) {
			n++
			wantError(t, err, "listversions", name, provider.ErrPermissionDenied, 403, "AccessDenied")
		}
		if n != 2 {
			t.Errorf("the listings yielded %d times; want one error each", n)
		}
	})
	t.Run("ListWithWrongAudience", func(t *testing.T) {
		p := f.provider(t, audienceSwap{f.systemCred}, "rbacvault")
		for _, err := range p.ListSecrets(ctx) {
			wantError(t, err, "list", "", provider.ErrPermissionDenied, 401, "Unauthorized")
			break
		}
	})
	t.Run("IdentityUnknownToTheEndpoint", func(t *testing.T) {
		// The identity endpoint refuses the token request (400): no
		// Key Vault response exists, and the same identity will fail again.
		stranger := f.credential(t, mi.Selector{Kind: mi.ClientID, Value: "6f1a4c2e-0b7d-4e58-9a3c-2d8e5f7b1c90"})
		_, err := f.provider(t, stranger, "myvault").GetSecret(ctx, name, "")
		wantError(t, err, "get", name, provider.ErrPermissionDenied, 0, "")
		var authErr *azidentity.AuthenticationFailedError
		if !errors.As(err, &authErr) {
			t.Errorf("err %v does not hold the *azidentity.AuthenticationFailedError", err)
		}
	})
}

func TestInvalidNamesAndVersionsSendNoRequest(t *testing.T) {
	t.Parallel()
	// A credential that fails the test proves no request was attempted:
	// the first request of a client elicits a challenge and then a token.
	p, err := azurekv.New("https://myvault.vault.azure.net/", failingCredential{t}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, name := range []string{"", "db_password", "a/b", "a?b", "%41", strings.Repeat("a", 128), "naïve"} {
		_, err := p.GetSecret(ctx, name, "")
		wantError(t, err, "get", name, provider.ErrInvalidArgument, 0, "")
		_, err = p.Set(ctx, name, provider.NewValue("v"), nil)
		wantError(t, err, "set", name, provider.ErrInvalidArgument, 0, "")
		wantError(t, p.Delete(ctx, name), "delete", name, provider.ErrInvalidArgument, 0, "")
		for _, err := range p.ListSecretVersions(ctx, name) {
			wantError(t, err, "listversions", name, provider.ErrInvalidArgument, 0, "")
		}
	}
	for _, version := range []string{"../x", "abc/def", "v?x=1", "ab cd", "%2F"} {
		_, err := p.GetSecret(ctx, "ok-name", version)
		wantError(t, err, "get", "ok-name", provider.ErrInvalidArgument, 0, "")
	}
	// Valid names and versions pass validation and reach the context check,
	// which a cancelled context fails before any request.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, name := range []string{strings.Repeat("a", azurekv.MaxNameLength), "0-leading-digit", "-", "MiXeD"} {
		if _, err := p.GetSecret(cancelled, name, "0123456789abcdefABCDEF0123456789"); !errors.Is(err, context.Canceled) {
			t.Errorf("GetSecret(%q) with a cancelled context: %v; want context.Canceled", name, err)
		}
	}
}

// failingCredential fails the test when asked for a token, and returns an
// error so that no request is authorised.
type failingCredential struct{ t *testing.T }

func (c failingCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.t.Errorf("a token was requested")
	return azcore.AccessToken{}, errors.New("no tokens in this test")
}

func TestDisabledVersion(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	admin := f.admin(t, "myvault")
	name := providertest.UniqueName("disabled")
	first := seed(t, admin, name, "first")
	second := seed(t, admin, name, "second")
	disabled := false
	if _, err := admin.UpdateSecretProperties(ctx, name, second.ID.Version(), azsecrets.UpdateSecretPropertiesParameters{
		SecretAttributes: &azsecrets.SecretAttributes{Enabled: &disabled},
	}, nil); err != nil {
		t.Fatal(err)
	}
	p := f.provider(t, f.systemCred, "myvault")

	// The newest version is disabled: Key Vault does not fall back.
	_, err := p.GetSecret(ctx, name, "")
	wantError(t, err, "get", name, provider.ErrPermissionDenied, 403, "SecretDisabled")
	_, err = p.GetSecret(ctx, name, second.ID.Version())
	wantError(t, err, "get", name, provider.ErrPermissionDenied, 403, "SecretDisabled")

	old, err := p.GetSecret(ctx, name, first.ID.Version())
	if err != nil || old.Value.Reveal() != "first" || !old.Enabled {
		t.Fatalf("GetSecret(first version) = %v, enabled %v, %v; want the enabled first value", old.Value.Len(), old.Enabled, err)
	}

	enabled := map[string]bool{}
	for m, err := range p.ListSecretVersions(ctx, name) {
		if err != nil {
			t.Fatal(err)
		}
		enabled[m.Version] = m.Enabled
	}
	if len(enabled) != 2 || !enabled[first.ID.Version()] || enabled[second.ID.Version()] {
		t.Errorf("listed versions' Enabled = %v; want first enabled, second disabled", enabled)
	}
}

func TestSetGetListSurfaceProperties(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	p := f.provider(t, f.systemCred, "myvault")
	name := "Mixed-" + providertest.UniqueName("props")
	before := f.e.Now().Add(-2 * time.Second)

	set, err := p.Set(ctx, name, provider.NewValue("s3cr3t"), &azurekv.SetOptions{
		ContentType: "text/plain",
		Tags:        map[string]string{"env": "dev", "empty": ""},
	})
	if err != nil {
		t.Fatal(err)
	}
	if set.Name != name || len(set.Version) != 32 || set.Value.Reveal() != "s3cr3t" || !set.Enabled {
		t.Fatalf("Set returned %+v", set)
	}

	// Names are case-insensitive; the vault's spelling comes back.
	got, err := p.GetSecret(ctx, strings.ToLower(name), "")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != name || got.Version != set.Version || got.Value.Reveal() != "s3cr3t" {
		t.Errorf("GetSecret = {Name:%q Version:%q}; want {%q %q} and the value", got.Name, got.Version, name, set.Version)
	}
	if got.ContentType != "text/plain" || got.Tags["env"] != "dev" || got.Tags["empty"] != "" || len(got.Tags) != 2 {
		t.Errorf("GetSecret ContentType %q Tags %v; want text/plain and both tags", got.ContentType, got.Tags)
	}
	if got.Created.Before(before) || got.Updated.Before(before) || !got.NotBefore.IsZero() || !got.Expires.IsZero() {
		t.Errorf("times: created %v updated %v nbf %v exp %v", got.Created, got.Updated, got.NotBefore, got.Expires)
	}

	found := false
	for m, err := range p.ListSecrets(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if m.Name == name {
			found = true
			if m.Version != "" || m.ContentType != "text/plain" || m.Tags["env"] != "dev" || !m.Enabled {
				t.Errorf("listed metadata %+v", m)
			}
		}
	}
	if !found {
		t.Errorf("ListSecrets did not list %q", name)
	}

	if err := p.Delete(ctx, name); err != nil {
		t.Fatal(err)
	}
	_, err = p.GetSecret(ctx, name, "")
	wantError(t, err, "get", name, provider.ErrNotFound, 404, "SecretNotFound")
	wantError(t, p.Delete(ctx, name), "delete", name, provider.ErrNotFound, 404, "SecretNotFound")
	for m := range p.ListSecrets(ctx) {
		if m.Name == name {
			t.Errorf("a soft-deleted secret is listed")
		}
	}
	// The name stays taken while the secret is soft-deleted: no kind fits,
	// the code tells.
	_, err = p.Set(ctx, name, provider.NewValue("again"), nil)
	wantError(t, err, "set", name, nil, 409, "ObjectIsDeletedButRecoverable")
	if strings.Contains(err.Error(), "again") {
		t.Errorf("the error quotes the value: %v", err)
	}
}

func TestEmptyValueIsSetAndRead(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	p := f.provider(t, f.systemCred, "myvault")
	name := providertest.UniqueName("empty")
	if _, err := p.Set(ctx, name, provider.Value{}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := p.GetSecret(ctx, name, "")
	if err != nil || got.Value.Len() != 0 {
		t.Fatalf("GetSecret = %d bytes, %v; want an empty value", got.Value.Len(), err)
	}
}

func TestChallengeVerification(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	name := providertest.UniqueName("challenge")
	seed(t, f.admin(t, "myvault"), name, "v")

	// The loopback URL does not end in ".vault.azure.net", the resource
	// the challenge names: with verification on, the SDK refuses to
	// authenticate. No kind fits a misconfiguration.
	strict, err := azurekv.New(f.e.VaultURL, f.systemCred, &azurekv.Options{RootCAs: f.e.CAPool})
	if err != nil {
		t.Fatal(err)
	}
	_, err = strict.GetSecret(ctx, name, "")
	wantError(t, err, "get", name, nil, 0, "")
	if !strings.Contains(err.Error(), "DisableChallengeResourceVerification") {
		t.Errorf("the error does not name the switch: %v", err)
	}

	// The switch, and RootCAs building the transport, make it work.
	loose, err := azurekv.New(f.e.VaultURL, f.systemCred, &azurekv.Options{
		RootCAs: f.e.CAPool, DisableChallengeResourceVerification: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := loose.GetSecret(ctx, name, ""); err != nil || got.Value.Reveal() != "v" {
		t.Fatalf("GetSecret with verification off: %v", err)
	}

	// Without RootCAs the emulator's certificate is not trusted: a
	// configuration problem, not an outage.
	untrusting, err := azurekv.New(f.e.VaultURL, f.systemCred, &azurekv.Options{
		DisableChallengeResourceVerification: true,
		ClientOptions:                        azcore.ClientOptions{Retry: policy.RetryOptions{MaxRetries: -1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = untrusting.GetSecret(ctx, name, "")
	wantError(t, err, "get", name, nil, 0, "")
}

func TestNewRejectsBadOptions(t *testing.T) {
	cred := failingCredential{t}
	for _, tc := range []struct {
		url  string
		cred azcore.TokenCredential
		opts *azurekv.Options
	}{
		{"http://myvault.vault.azure.net/", cred, nil},
		{"myvault.vault.azure.net", cred, nil},
		{"https:///", cred, nil},
		{"https://myvault.vault.azure.net/?x=1", cred, nil},
		{"https://user@myvault.vault.azure.net/", cred, nil},
		{"https://myvault.vault.azure.net/#f", cred, nil},
		{"https://myvault.vault.azure.net/", nil, nil},
		{"https://myvault.vault.azure.net/", cred, &azurekv.Options{
			RootCAs:       x509.NewCertPool(),
			ClientOptions: azcore.ClientOptions{Transport: &http.Client{}},
		}},
	} {
		p, err := azurekv.New(tc.url, tc.cred, tc.opts)
		if p != nil {
			t.Errorf("New(%q) returned a provider", tc.url)
		}
		wantError(t, err, "open", "", provider.ErrInvalidArgument, 0, "")
	}
}

// TestNewErrorHidesURLCredentials: a URL's user, query and fragment parts
// can hold credentials (a password, a SAS signature, an OAuth implicit
// grant's token); errors must not repeat them.
func TestNewErrorHidesURLCredentials(t *testing.T) {
	for _, url := range []string{
		"https://user:hunter2@myvault.vault.azure.net/",
		"https://myvault.vault.azure.net/?sig=hunter2",
		"https://myvault.vault.azure.net/#access_token=hunter2",
		"http://myvault.vault.azure.net/?sig=hunter2",
		"https://user:hunter2@myvault.vault.azure.net/%zz",
	} {
		_, err := azurekv.New(url, failingCredential{t}, nil)
		if err == nil || !errors.Is(err, provider.ErrInvalidArgument) {
			t.Errorf("New(%q) err = %v; want ErrInvalidArgument", url, err)
			continue
		}
		if strings.Contains(fmt.Sprintf("%v %+v %#v", err, err, err), "hunter2") {
			t.Errorf("New(%q) err = %v; repeats the credential", url, err)
		}
	}
}
