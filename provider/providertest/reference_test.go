package providertest_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"

	"github.com/secretkit/secretkit/internal/testutil"
	"github.com/secretkit/secretkit/provider"
	"github.com/secretkit/secretkit/provider/providertest"
)

// The watch cases wait on poll intervals and quiet periods, and each mutant
// is a test subprocess spending most of its time in those same waits; they
// compute little, so they run side by side rather than two at a time. The
// subprocesses are this binary too, so their cases run side by side as well.
func TestMain(m *testing.M) {
	testutil.WaitersInParallel(32)
	os.Exit(m.Run())
}

// vault is a small in-memory, versioned backend with Key Vault's naming
// rule. It exists so every case of the suite, including versions and
// denial, runs here, and so broken variants (mutations) can show that each
// case can fail.
type vault struct {
	mu       sync.Mutex
	versions map[string][]storedVersion // oldest first
}

type storedVersion struct {
	id, value string
	created   time.Time
}

var validName = regexp.MustCompile(`^[0-9a-zA-Z-]{1,127}$`)

// memProvider reads a vault. mutation names a deliberate bug.
type memProvider struct {
	v        *vault
	denied   bool
	mutation string
}

func (p *memProvider) fail(op, name string, kind error, format string, args ...any) error {
	if p.mutation == "untyped-error" && kind == provider.ErrNotFound {
		return provider.ErrNotFound
	}
	if p.mutation == "two-kinds" && kind == provider.ErrNotFound {
		// As a chain that joined its providers' misses did.
		return provider.NewError("mem", op, name, kind, errors.Join(
			provider.NewError("other", op, name, provider.ErrInvalidArgument, nil), fmt.Errorf(format, args...)))
	}
	return provider.NewError("mem", op, name, kind, fmt.Errorf(format, args...))
}

func (p *memProvider) GetSecret(ctx context.Context, name, version string) (provider.Secret, error) {
	if err := ctx.Err(); err != nil && p.mutation != "ignore-ctx" {
		return provider.Secret{}, provider.NewError("mem", "get", name, nil, err)
	}
	if !validName.MatchString(name) {
		return provider.Secret{}, p.fail("get", name, provider.ErrInvalidArgument, "names are 1-127 of [0-9a-zA-Z-]")
	}
	if p.denied && p.mutation != "allow-denied" {
		return provider.Secret{}, p.fail("get", name, provider.ErrPermissionDenied, "caller lacks get permission")
	}
	p.v.mu.Lock()
	defer p.v.mu.Unlock()
	vs := p.v.versions[name]
	if len(vs) == 0 {
		if p.mutation == "missing-empty" {
			return provider.Secret{}, nil
		}
		return provider.Secret{}, p.fail("get", name, provider.ErrNotFound, "no such secret")
	}
	pick := vs[len(vs)-1]
	if p.mutation == "stale-update" {
		pick = vs[0]
	}
	if version != "" {
		found := false
		for _, v := range vs {
			if v.id == version {
				pick, found = v, true
			}
		}
		if !found {
			if p.mutation == "leak-in-error" {
				return provider.Secret{}, p.fail("get", name, provider.ErrNotFound, "no version %s; latest is %s", version, pick.value)
			}
			return provider.Secret{}, p.fail("get", name, provider.ErrNotFound, "no version %s", version)
		}
	}
	return provider.Secret{
		Metadata: provider.Metadata{Name: name, Version: pick.id, Enabled: true, Created: pick.created, Updated: pick.created},
		Value:    provider.NewValue(pick.value),
	}, nil
}

func (p *memProvider) ListSecrets(ctx context.Context) iter.Seq2[provider.Metadata, error] {
	return func(yield func(provider.Metadata, error) bool) {
		if err := ctx.Err(); err != nil {
			if p.mutation != "list-silent-on-cancel" {
				yield(provider.Metadata{}, provider.NewError("mem", "list", "", nil, err))
			}
			return
		}
		p.v.mu.Lock()
		var all []provider.Metadata
		for name, vs := range p.v.versions {
			if len(vs) > 0 {
				all = append(all, provider.Metadata{Name: name, Version: vs[len(vs)-1].id, Enabled: true})
			}
		}
		p.v.mu.Unlock()
		if p.mutation == "list-nothing" {
			return
		}
		for _, m := range all {
			if !yield(m, nil) {
				return
			}
		}
	}
}

func (p *memProvider) ListSecretVersions(ctx context.Context, name string) iter.Seq2[provider.Metadata, error] {
	return func(yield func(provider.Metadata, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(provider.Metadata{}, provider.NewError("mem", "list versions", name, nil, err))
			return
		}
		if p.mutation == "list-nothing" {
			return
		}
		p.v.mu.Lock()
		vs := append([]storedVersion(nil), p.v.versions[name]...)
		p.v.mu.Unlock()
		if len(vs) == 0 {
			if p.mutation != "versions-silent-when-missing" {
				yield(provider.Metadata{}, p.fail("list versions", name, provider.ErrNotFound, "no such secret"))
			}
			return
		}
		for _, v := range vs {
			if !yield(provider.Metadata{Name: name, Version: v.id, Enabled: true, Created: v.created}, nil) {
				return
			}
		}
	}
}

func (p *memProvider) GetSecrets(ctx context.Context, names []string) ([]provider.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	results := make([]provider.Result, len(names))
	for i, name := range names {
		s, err := p.GetSecret(ctx, name, "")
		if err != nil && p.mutation == "batch-fails" {
			return nil, err
		}
		results[i] = provider.Result{Name: name, Secret: s, Err: err}
	}
	return results, nil
}

func (p *memProvider) Close() error { return nil }

type memHarness struct {
	v        *vault
	mutation string
}

func (h *memHarness) MakeProvider(ctx context.Context, t *testing.T) (provider.SecretProvider, error) {
	return &memProvider{v: h.v, mutation: h.mutation}, nil
}

func (h *memHarness) MakeUnauthorizedProvider(ctx context.Context, t *testing.T) (provider.SecretProvider, error) {
	return &memProvider{v: h.v, denied: true, mutation: h.mutation}, nil
}

func (h *memHarness) SetSecret(ctx context.Context, t *testing.T, name, value string) error {
	var id [16]byte
	_, _ = rand.Read(id[:])
	h.v.mu.Lock()
	defer h.v.mu.Unlock()
	h.v.versions[name] = append(h.v.versions[name], storedVersion{id: hex.EncodeToString(id[:]), value: value, created: time.Now()})
	return nil
}

func (h *memHarness) DeleteSecret(ctx context.Context, t *testing.T, name string) error {
	h.v.mu.Lock()
	defer h.v.mu.Unlock()
	delete(h.v.versions, name)
	return nil
}

// DeliveryTimeout is short for a mutant: the reference backend is polled
// every 25 ms, so a second is 40 chances to deliver, and a mutant that
// never delivers fails in a second instead of the default ten.
func (h *memHarness) DeliveryTimeout() time.Duration {
	if h.mutation != "" {
		return time.Second
	}
	return providertest.DefaultDeliveryTimeout
}

func (h *memHarness) Rules() providertest.Rules {
	caps := provider.Capabilities{List: true, ListVersions: true, GetMany: true, Close: true}
	if h.mutation == "wrong-caps" {
		caps.Close = false
	}
	return providertest.Rules{
		Capabilities:  caps,
		Versioned:     true,
		InvalidNames:  []string{"", "under_score", "dot.ted", strings.Repeat("a", 128)},
		BinarySafe:    true,
		EmptyValues:   true,
		MaxValueBytes: providertest.LargeValueBytes,
		Parallel:      true,
	}
}

func newMemHarness(mutation string) providertest.HarnessMaker {
	return func(ctx context.Context, t *testing.T) (providertest.Harness, error) {
		return &memHarness{v: &vault{versions: map[string][]storedVersion{}}, mutation: mutation}, nil
	}
}

// TestReference runs every case, none skipped, against the reference backend.
func TestReference(t *testing.T) {
	t.Parallel()
	providertest.Run(t, newMemHarness(""))
}

// TestMutant is the subprocess half of TestSuiteCatchesBrokenProviders.
func TestMutant(t *testing.T) {
	mutation := os.Getenv("PROVIDERTEST_MUTATION")
	if mutation == "" {
		t.Skip("runs only as a subprocess of TestSuiteCatchesBrokenProviders")
	}
	providertest.Run(t, newMemHarness(mutation))
}

// TestSuiteCatchesBrokenProviders runs the suite against deliberately broken
// variants of the reference backend and checks the case meant to catch each
// bug fails.
func TestSuiteCatchesBrokenProviders(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns test subprocesses")
	}
	t.Parallel()
	for mutation, wantFailing := range map[string]string{
		"missing-empty": "GetMissing",
		"untyped-error": "GetMissing",
		"ignore-ctx":    "CancelledContext",
		"leak-in-error": "ValueNeverPrinted",
		"stale-update":  "UpdateSeenBySameProvider",
		"wrong-caps":    "Capabilities",
		"batch-fails":   "BulkPartialResults",
		"allow-denied":  "PermissionDenied",
		"two-kinds":     "GetMissing",
		"list-nothing":  "ListIsSuperset",
		// An iterator that yields nothing must not pass for one that
		// reports its error.
		"list-silent-on-cancel":        "CancelledContext",
		"versions-silent-when-missing": "ListVersions",
	} {
		t.Run(mutation, func(t *testing.T) {
			t.Parallel() // each mutant is a subprocess of its own
			wantMutantCaught(t, "TestMutant", "^TestMutant$", "PROVIDERTEST_MUTATION", mutation, wantFailing)
		})
	}
}

// wantMutantCaught runs this test binary's test (selected by run) with
// env set to mutation, and checks that it fails in case wantFailing.
func wantMutantCaught(t *testing.T, test, run, env, mutation, wantFailing string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run="+run, "-test.v")
	cmd.Env = append(os.Environ(), env+"="+mutation)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the suite passed a provider with bug %q", mutation)
	}
	if !strings.Contains(string(out), "--- FAIL: "+test+"/"+wantFailing+" ") {
		t.Errorf("bug %q: case %s did not fail; output:\n%s", mutation, wantFailing, out)
	}
}

func TestCaseNames(t *testing.T) {
	names := providertest.CaseNames()
	if len(names) < 20 || names[0] != "Capabilities" {
		t.Errorf("CaseNames() = %v", names)
	}
}

func TestCheckOneKind(t *testing.T) {
	notFound := provider.NewError("p", "get", "n", provider.ErrNotFound, nil)
	for _, tc := range []struct {
		err  error
		want string // empty: no complaint
	}{
		{notFound, ""},
		{fmt.Errorf("wrapped: %w", notFound), ""},
		{provider.NewError("p", "get", "n", nil, context.Canceled), ""},
		{nil, "got no error"},
		{errors.New("plain"), "matches 0 kinds"},
		{provider.NewError("chain", "get", "n", provider.ErrNotFound,
			errors.Join(provider.NewError("a", "get", "n", provider.ErrInvalidArgument, nil))), "matches 2 kinds"},
		{provider.NewError("p", "get", "n", provider.ErrUnavailable, context.DeadlineExceeded), "matches 2 kinds"},
	} {
		err := providertest.CheckOneKind(tc.err)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckOneKind(%v) = %v; want nil", tc.err, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("CheckOneKind(%v) = %v; want it to say %q", tc.err, err, tc.want)
		}
	}
}
