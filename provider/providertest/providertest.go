// Package providertest is the contract suite every provider backend must
// pass. A backend's test supplies a [Harness] and calls [Run]; the suite
// checks the behaviour documented on provider.SecretProvider and the
// optional ability interfaces.
//
// The suite is written for remote backends as much as local ones: harness
// methods take a context and a *testing.T and return errors (seeding may be
// a network call), every case uses fresh unique secret names so cases may
// share one backend, and a backend declares its naming and value rules
// instead of the suite assuming them. A case for an ability the backend
// lacks is skipped with a message; nothing passes silently.
package providertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secretkit/secretkit/provider"
)

// Harness lets the suite drive one backend. A fresh Harness is made for
// every case; release its resources with t.Cleanup in the [HarnessMaker].
type Harness interface {
	// MakeProvider returns a provider that sees every secret seeded through
	// this harness, including later changes. The suite closes it.
	MakeProvider(ctx context.Context, t *testing.T) (provider.SecretProvider, error)
	// MakeUnauthorizedProvider returns a provider over the same secrets
	// whose every read is denied. It returns (nil, nil) when the backend
	// cannot produce a denied caller; the permission case is then skipped.
	MakeUnauthorizedProvider(ctx context.Context, t *testing.T) (provider.SecretProvider, error)
	// SetSecret creates the secret, or updates it (adding a version where
	// the backend has versions).
	SetSecret(ctx context.Context, t *testing.T, name, value string) error
	// DeleteSecret removes the secret so that reads report not found.
	DeleteSecret(ctx context.Context, t *testing.T, name string) error
	// Rules declares what the backend can do and which names and values it
	// accepts.
	Rules() Rules
}

// HarnessMaker makes a Harness for one case.
type HarnessMaker func(ctx context.Context, t *testing.T) (Harness, error)

// Rules are a backend's declared abilities and limits.
type Rules struct {
	// Capabilities must equal provider.CapabilitiesOf(the provider).
	Capabilities provider.Capabilities
	// Versioned: the backend keeps versions, names them in Secret.Version,
	// and serves old versions by name.
	Versioned bool
	// NewName returns a unique name valid for the backend, containing base.
	// Nil means [UniqueName], whose names suit most backends.
	NewName func(base string) string
	// InvalidNames are names the backend must reject with
	// ErrInvalidArgument. Empty skips the invalid-name case.
	InvalidNames []string
	// BinarySafe: values may hold any bytes (NUL, invalid UTF-8).
	BinarySafe bool
	// EmptyValues: a secret may have an empty value.
	EmptyValues bool
	// MaxValueBytes is the largest value the backend stores; zero means no
	// limit below the suite's 25,600-byte case.
	MaxValueBytes int
	// Parallel runs the cases in parallel (t.Parallel), which shortens
	// runs against remote backends. Harnesses that use t.Setenv or other
	// process-wide state must leave it false.
	Parallel bool
}

// UniqueName returns "pt-<base>-<16 hex digits>": lower case, digits and
// dashes only, so valid for env variables, files and Azure Key Vault alike.
func UniqueName(base string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "pt-" + base + "-" + hex.EncodeToString(b[:])
}

// MissingVersion is the version the suite asks for when it expects not
// found: well-formed for Key Vault (32 lower-case hex digits), never issued.
const MissingVersion = "00000000000000000000000000000000"

// LargeValueBytes is the size of the large-value case: Key Vault's limit.
const LargeValueBytes = 25600

// caseTimeout bounds each case so a hung backend fails instead of stalling.
const caseTimeout = 60 * time.Second

type testCase struct {
	name string
	run  func(ctx context.Context, t *testing.T, s *suite)
}

// CaseNames lists the suite's cases in the order Run runs them.
func CaseNames() []string {
	names := make([]string, len(cases))
	for i, c := range cases {
		names[i] = c.name
	}
	return names
}

var cases = []testCase{
	{"Capabilities", testCapabilities},
	{"GetExisting", testGetExisting},
	{"GetMissing", testGetMissing},
	{"GetMissingVersion", testGetMissingVersion},
	{"EmptyValueIsNotAbsent", testEmptyValue},
	{"DeletedIsNotFound", testDeleted},
	{"InvalidName", testInvalidName},
	{"UnicodeValue", testUnicodeValue},
	{"BinaryValue", testBinaryValue},
	{"LargeValue", testLargeValue},
	{"UpdateSeenBySameProvider", testUpdate},
	{"OldVersionAfterUpdate", testOldVersion},
	{"CancelledContext", testCancelled},
	{"ExpiredDeadline", testDeadline},
	{"ConcurrentGets", testConcurrent},
	{"ListIsSuperset", testList},
	{"ListVersions", testListVersions},
	{"BulkPartialResults", testBulk},
	{"GetManyHelper", testGetManyHelper},
	{"ValueNeverPrinted", testNoLeak},
	{"PermissionDenied", testDenied},
}

// Run runs every case of the contract suite as a subtest of t.
func Run(t *testing.T, newHarness HarnessMaker) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			setupCtx, cancelSetup := context.WithTimeout(context.Background(), caseTimeout)
			h, err := newHarness(setupCtx, t)
			cancelSetup()
			if err != nil {
				t.Fatalf("making harness: %v", err)
			}
			s := &suite{h: h, rules: h.Rules()}
			if s.rules.Parallel {
				t.Parallel()
			}
			// The case's own deadline starts after any wait for a parallel slot.
			ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
			defer cancel()
			if s.rules.NewName == nil {
				s.rules.NewName = UniqueName
			}
			c.run(ctx, t, s)
		})
	}
}

type suite struct {
	h     Harness
	rules Rules
}

func (s *suite) provider(ctx context.Context, t *testing.T) provider.SecretProvider {
	t.Helper()
	p, err := s.h.MakeProvider(ctx, t)
	if err != nil {
		t.Fatalf("MakeProvider: %v", err)
	}
	t.Cleanup(func() {
		if err := provider.Close(p); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

func (s *suite) seed(ctx context.Context, t *testing.T, base, value string) string {
	t.Helper()
	name := s.rules.NewName(base)
	if err := s.h.SetSecret(ctx, t, name, value); err != nil {
		t.Fatalf("seeding %q: %v", name, err)
	}
	return name
}

// get reads name and fails the test on error.
func get(ctx context.Context, t *testing.T, p provider.SecretProvider, name, version string) provider.Secret {
	t.Helper()
	sec, err := p.GetSecret(ctx, name, version)
	if err != nil {
		t.Fatalf("GetSecret(%q, %q): %v", name, version, err)
	}
	return sec
}

// Kinds are the outcomes an error may have: the four provider kinds, and
// the context's own errors for a call whose context ended.
var Kinds = []error{
	provider.ErrNotFound, provider.ErrPermissionDenied, provider.ErrInvalidArgument, provider.ErrUnavailable,
	context.Canceled, context.DeadlineExceeded,
}

// CheckOneKind returns nil if err matches exactly one of [Kinds] with
// errors.Is, and otherwise an error saying which kinds it matches. The
// provider package promises one kind per error, so a caller branching on
// errors.Is never takes two branches; wrapping a second kind (joining the
// errors of several backends, say) breaks that promise.
func CheckOneKind(err error) error {
	if err == nil {
		return errors.New("got no error")
	}
	var matched []string
	for _, kind := range Kinds {
		if errors.Is(err, kind) {
			matched = append(matched, fmt.Sprintf("%q", kind))
		}
	}
	if len(matched) != 1 {
		return fmt.Errorf("error %q matches %d kinds [%s]; want exactly one", err, len(matched), strings.Join(matched, ", "))
	}
	return nil
}

// wantOneKind fails the test unless err has exactly one kind, and it is
// kind.
func wantOneKind(t *testing.T, err, kind error, what string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Errorf("%s: err = %v; want errors.Is(err, %v)", what, err, kind)
		return
	}
	if e := CheckOneKind(err); e != nil {
		t.Errorf("%s: %v", what, e)
	}
}

// wantKind checks err is kind, and only kind, and a *provider.Error naming
// the secret.
func wantKind(t *testing.T, err, kind error, name string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("error = %v; want errors.Is(err, %v)", err, kind)
	}
	if e := CheckOneKind(err); e != nil {
		t.Fatal(e)
	}
	var perr *provider.Error
	if !errors.As(err, &perr) {
		t.Fatalf("error %v (%T) is not a *provider.Error", err, err)
	}
	if perr.Name != name || perr.Provider == "" || perr.Op == "" {
		t.Errorf("*provider.Error = {Provider:%q Op:%q Name:%q}; want the provider, an op and name %q",
			perr.Provider, perr.Op, perr.Name, name)
	}
}

func wantValue(t *testing.T, sec provider.Secret, want string) {
	t.Helper()
	if got := sec.Value.Reveal(); got != want {
		t.Fatalf("value of %q: got %d bytes %s, want %d bytes %s",
			sec.Name, len(got), describe(got), len(want), describe(want))
	}
}

// describe summarises a test value for failure messages. Test values are
// not secret, but a 25 KB dump helps nobody.
func describe(v string) string {
	if len(v) > 40 {
		return fmt.Sprintf("%q...", v[:40])
	}
	return fmt.Sprintf("%q", v)
}

func testCapabilities(ctx context.Context, t *testing.T, s *suite) {
	p := s.provider(ctx, t)
	if got, want := provider.CapabilitiesOf(p), s.rules.Capabilities; got != want {
		t.Fatalf("CapabilitiesOf(provider) = %+v; harness declares %+v", got, want)
	}
}

func testGetExisting(ctx context.Context, t *testing.T, s *suite) {
	name := s.seed(ctx, t, "existing", "s3cr3t-value")
	p := s.provider(ctx, t)
	sec := get(ctx, t, p, name, "")
	wantValue(t, sec, "s3cr3t-value")
	if sec.Name != name {
		t.Errorf("Name = %q; want %q", sec.Name, name)
	}
	if !sec.Enabled {
		t.Errorf("Enabled = false for a readable secret")
	}
	if s.rules.Versioned && sec.Version == "" {
		t.Errorf("Version is empty for a versioned backend")
	}
	if !s.rules.Versioned && sec.Version != "" {
		t.Errorf("Version = %q for a backend without versions; want empty", sec.Version)
	}
}

func testGetMissing(ctx context.Context, t *testing.T, s *suite) {
	p := s.provider(ctx, t)
	name := s.rules.NewName("missing")
	_, err := p.GetSecret(ctx, name, "")
	wantKind(t, err, provider.ErrNotFound, name)
}

func testGetMissingVersion(ctx context.Context, t *testing.T, s *suite) {
	name := s.seed(ctx, t, "missingversion", "v")
	p := s.provider(ctx, t)
	_, err := p.GetSecret(ctx, name, MissingVersion)
	wantKind(t, err, provider.ErrNotFound, name)
}

func testEmptyValue(ctx context.Context, t *testing.T, s *suite) {
	if !s.rules.EmptyValues {
		t.Skip("backend declares that values cannot be empty")
	}
	name := s.seed(ctx, t, "empty", "")
	p := s.provider(ctx, t)
	sec := get(ctx, t, p, name, "")
	if sec.Value.Len() != 0 {
		t.Fatalf("value length = %d; want 0", sec.Value.Len())
	}
	absent := s.rules.NewName("absent")
	_, err := p.GetSecret(ctx, absent, "")
	wantKind(t, err, provider.ErrNotFound, absent)
}

func testDeleted(ctx context.Context, t *testing.T, s *suite) {
	name := s.seed(ctx, t, "deleted", "gone-soon")
	p := s.provider(ctx, t)
	get(ctx, t, p, name, "")
	if err := s.h.DeleteSecret(ctx, t, name); err != nil {
		t.Fatalf("DeleteSecret: %v", err)
	}
	_, err := p.GetSecret(ctx, name, "")
	wantKind(t, err, provider.ErrNotFound, name)
}

func testInvalidName(ctx context.Context, t *testing.T, s *suite) {
	if len(s.rules.InvalidNames) == 0 {
		t.Skip("harness declares no invalid names")
	}
	p := s.provider(ctx, t)
	for _, name := range s.rules.InvalidNames {
		_, err := p.GetSecret(ctx, name, "")
		wantKind(t, err, provider.ErrInvalidArgument, name)
	}
}

func roundTrip(ctx context.Context, t *testing.T, s *suite, base, value string) {
	t.Helper()
	name := s.seed(ctx, t, base, value)
	p := s.provider(ctx, t)
	wantValue(t, get(ctx, t, p, name, ""), value)
}

func testUnicodeValue(ctx context.Context, t *testing.T, s *suite) {
	roundTrip(ctx, t, s, "unicode", "pässwörd ✓ 日本語 🔑 \"quoted\" 'single' $HOME \\n\n\tline2 # not a comment")
}

func testBinaryValue(ctx context.Context, t *testing.T, s *suite) {
	if !s.rules.BinarySafe {
		t.Skip("backend declares values are text, not arbitrary bytes")
	}
	var b bytes.Buffer
	for i := range 256 {
		b.WriteByte(byte(i))
	}
	b.WriteString("\xff\xfe\x00tail")
	roundTrip(ctx, t, s, "binary", b.String())
}

func testLargeValue(ctx context.Context, t *testing.T, s *suite) {
	n := LargeValueBytes
	if s.rules.MaxValueBytes > 0 && s.rules.MaxValueBytes < n {
		t.Skipf("backend declares a %d-byte value limit, below the %d-byte case", s.rules.MaxValueBytes, n)
	}
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	v := make([]byte, n)
	for i := range v {
		v[i] = alphabet[(i*7+i/len(alphabet))%len(alphabet)]
	}
	roundTrip(ctx, t, s, "large", string(v))
}

func testUpdate(ctx context.Context, t *testing.T, s *suite) {
	name := s.seed(ctx, t, "update", "value-one")
	p := s.provider(ctx, t)
	wantValue(t, get(ctx, t, p, name, ""), "value-one")
	// Same length on purpose: a cache keyed on file size alone must not
	// serve the old value.
	if err := s.h.SetSecret(ctx, t, name, "value-two"); err != nil {
		t.Fatalf("updating: %v", err)
	}
	wantValue(t, get(ctx, t, p, name, ""), "value-two")
}

func testOldVersion(ctx context.Context, t *testing.T, s *suite) {
	if !s.rules.Versioned {
		t.Skip("backend has no versions")
	}
	name := s.seed(ctx, t, "oldversion", "first")
	p := s.provider(ctx, t)
	first := get(ctx, t, p, name, "")
	if err := s.h.SetSecret(ctx, t, name, "second"); err != nil {
		t.Fatalf("updating: %v", err)
	}
	latest := get(ctx, t, p, name, "")
	wantValue(t, latest, "second")
	if latest.Version == first.Version {
		t.Fatalf("update kept version %q", first.Version)
	}
	old := get(ctx, t, p, name, first.Version)
	wantValue(t, old, "first")
	if old.Version != first.Version {
		t.Errorf("Version = %q; want %q", old.Version, first.Version)
	}
}

// promptly is how long a call with a done context may take.
const promptly = 2 * time.Second

func testCancelled(ctx context.Context, t *testing.T, s *suite) {
	name := s.seed(ctx, t, "cancelled", "v")
	p := s.provider(ctx, t)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	start := time.Now()
	_, err := p.GetSecret(cctx, name, "")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("GetSecret with a cancelled context: err = %v; want context.Canceled", err)
	}
	wantOneKind(t, err, context.Canceled, "GetSecret with a cancelled context")
	if d := time.Since(start); d > promptly {
		t.Errorf("GetSecret took %v after cancellation", d)
	}
	if l, ok := p.(provider.Lister); ok && s.rules.Capabilities.List {
		wantOnlyError(t, l.ListSecrets(cctx), context.Canceled, "ListSecrets with a cancelled context")
	}
	if vl, ok := p.(provider.VersionLister); ok && s.rules.Capabilities.ListVersions {
		wantOnlyError(t, vl.ListSecretVersions(cctx, name), context.Canceled, "ListSecretVersions with a cancelled context")
	}
	_, err = provider.GetMany(cctx, p, []string{name})
	wantOneKind(t, err, context.Canceled, "GetMany with a cancelled context")
}

// wantOnlyError checks that seq yields exactly one item, a zero Metadata
// with an error of kind (and only that kind), and stops. An iterator that
// yields nothing fails: silence is not an error report.
func wantOnlyError(t *testing.T, seq iter.Seq2[provider.Metadata, error], kind error, what string) {
	t.Helper()
	n := 0
	for m, err := range seq {
		n++
		if n > 1 {
			t.Errorf("%s: yielded more than one item after its error", what)
			return
		}
		if m.Name != "" || m.Version != "" {
			t.Errorf("%s: the error came with metadata %q/%q; want a zero Metadata", what, m.Name, m.Version)
		}
		wantOneKind(t, err, kind, what)
	}
	if n == 0 {
		t.Errorf("%s: yielded nothing; want one %v error", what, kind)
	}
}

func testDeadline(ctx context.Context, t *testing.T, s *suite) {
	name := s.seed(ctx, t, "deadline", "v")
	p := s.provider(ctx, t)
	dctx, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
	defer cancel()
	start := time.Now()
	_, err := p.GetSecret(dctx, name, "")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("GetSecret past its deadline: err = %v; want context.DeadlineExceeded", err)
	}
	wantOneKind(t, err, context.DeadlineExceeded, "GetSecret past its deadline")
	if d := time.Since(start); d > promptly {
		t.Errorf("GetSecret took %v past its deadline", d)
	}
}

func testConcurrent(ctx context.Context, t *testing.T, s *suite) {
	const goroutines = 32
	names := make([]string, 4)
	for i := range names {
		names[i] = s.seed(ctx, t, fmt.Sprintf("concurrent%d", i), fmt.Sprintf("value-%d", i))
	}
	missing := s.rules.NewName("concurrentmissing")
	p := s.provider(ctx, t)
	var wg sync.WaitGroup
	errs := make(chan error, 2*goroutines)
	for g := range goroutines {
		wg.Go(func() {
			i := g % len(names)
			sec, err := p.GetSecret(ctx, names[i], "")
			if err != nil {
				errs <- fmt.Errorf("GetSecret(%q): %v", names[i], err)
			} else if got, want := sec.Value.Reveal(), fmt.Sprintf("value-%d", i); got != want {
				errs <- fmt.Errorf("GetSecret(%q) = %q; want %q", names[i], got, want)
			}
			if _, err := p.GetSecret(ctx, missing, ""); !errors.Is(err, provider.ErrNotFound) {
				errs <- fmt.Errorf("GetSecret(missing) err = %v; want ErrNotFound", err)
			} else if err := CheckOneKind(err); err != nil {
				errs <- fmt.Errorf("GetSecret(missing): %v", err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func testList(ctx context.Context, t *testing.T, s *suite) {
	if !s.rules.Capabilities.List {
		t.Skip("backend cannot list secrets")
	}
	want := map[string]bool{}
	for i := range 3 {
		want[s.seed(ctx, t, fmt.Sprintf("list%d", i), "listed-value")] = true
	}
	p := s.provider(ctx, t)
	yielded := 0
	for m, err := range p.(provider.Lister).ListSecrets(ctx) {
		yielded++
		if err != nil {
			t.Fatalf("ListSecrets: %v", err)
		}
		if m.Name == "" {
			t.Errorf("ListSecrets yielded metadata without a name: %+v", m)
		}
		delete(want, m.Name)
	}
	if yielded == 0 {
		t.Fatalf("ListSecrets yielded nothing; want at least the %d seeded names", len(want))
	}
	if len(want) > 0 {
		t.Errorf("ListSecrets did not yield seeded names %v", keys(want))
	}
}

func testListVersions(ctx context.Context, t *testing.T, s *suite) {
	if !s.rules.Capabilities.ListVersions {
		t.Skip("backend cannot list versions")
	}
	name := s.seed(ctx, t, "versions", "first")
	if err := s.h.SetSecret(ctx, t, name, "second"); err != nil {
		t.Fatalf("updating: %v", err)
	}
	p := s.provider(ctx, t)
	seen := map[string]bool{}
	for m, err := range p.(provider.VersionLister).ListSecretVersions(ctx, name) {
		if err != nil {
			t.Fatalf("ListSecretVersions: %v", err)
		}
		if m.Version == "" || seen[m.Version] {
			t.Fatalf("ListSecretVersions yielded empty or repeated version %q", m.Version)
		}
		seen[m.Version] = true
	}
	if len(seen) < 2 {
		t.Fatalf("ListSecretVersions yielded %d versions after an update; want 2", len(seen))
	}
	values := map[string]bool{}
	for v := range seen {
		values[get(ctx, t, p, name, v).Value.Reveal()] = true
	}
	if !values["first"] || !values["second"] {
		t.Errorf("listed versions do not read back as both values")
	}
	missing := s.rules.NewName("versionsmissing")
	wantOnlyError(t, p.(provider.VersionLister).ListSecretVersions(ctx, missing), provider.ErrNotFound, "ListSecretVersions(missing)")
}

func checkPartial(ctx context.Context, t *testing.T, s *suite, get func([]string) ([]provider.Result, error)) {
	t.Helper()
	a := s.seed(ctx, t, "bulk-a", "value-a")
	b := s.seed(ctx, t, "bulk-b", "value-b")
	missing := s.rules.NewName("bulkmissing")
	names := []string{a, missing, b}
	if len(s.rules.InvalidNames) > 0 {
		names = append(names, s.rules.InvalidNames[0])
	}
	results, err := get(names)
	if err != nil {
		t.Fatalf("bulk read: %v", err)
	}
	if len(results) != len(names) {
		t.Fatalf("bulk read returned %d results for %d names", len(results), len(names))
	}
	for i, r := range results {
		if r.Name != names[i] {
			t.Errorf("result %d is for %q; want %q (results must follow the order of names)", i, r.Name, names[i])
		}
	}
	for i, want := range map[int]string{0: "value-a", 2: "value-b"} {
		if results[i].Err != nil {
			t.Errorf("result for %q: %v", names[i], results[i].Err)
		} else if results[i].Secret.Value.Reveal() != want {
			t.Errorf("result for %q has the wrong value", names[i])
		}
	}
	wantOneKind(t, results[1].Err, provider.ErrNotFound, "result for missing name")
	if len(names) > 3 {
		wantOneKind(t, results[3].Err, provider.ErrInvalidArgument, "result for invalid name")
	}
}

func testBulk(ctx context.Context, t *testing.T, s *suite) {
	if !s.rules.Capabilities.GetMany {
		t.Skip("backend has no bulk read (GetManyHelper covers the fallback)")
	}
	p := s.provider(ctx, t)
	checkPartial(ctx, t, s, func(names []string) ([]provider.Result, error) {
		return p.(provider.BulkGetter).GetSecrets(ctx, names)
	})
}

func testGetManyHelper(ctx context.Context, t *testing.T, s *suite) {
	p := s.provider(ctx, t)
	checkPartial(ctx, t, s, func(names []string) ([]provider.Result, error) {
		return provider.GetMany(ctx, p, names)
	})
}

func testNoLeak(ctx context.Context, t *testing.T, s *suite) {
	sentinel := "sentinel-" + UniqueName("leak")
	name := s.seed(ctx, t, "leak", sentinel)
	p := s.provider(ctx, t)
	sec := get(ctx, t, p, name, "")
	wantValue(t, sec, sentinel)

	var out bytes.Buffer
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X"} {
		fmt.Fprintf(&out, verb+"\n", sec)
		fmt.Fprintf(&out, verb+"\n", &sec)
		fmt.Fprintf(&out, verb+"\n", sec.Value)
	}
	fmt.Fprintln(&out, sec, sec.Value)
	j, err := json.Marshal(sec)
	if err != nil {
		t.Fatalf("json.Marshal(secret): %v", err)
	}
	out.Write(j)
	for _, h := range []slog.Handler{slog.NewJSONHandler(&out, nil), slog.NewTextHandler(&out, nil)} {
		slog.New(h).Info("read", "secret", sec, "value", sec.Value, "ptr", &sec)
	}
	// Errors about this very secret must not quote it either.
	_, err = p.GetSecret(ctx, name, MissingVersion)
	wantOneKind(t, err, provider.ErrNotFound, "GetSecret(missing version)")
	fmt.Fprintf(&out, "%v %+v %#v\n", err, err, err)
	if results, err := provider.GetMany(ctx, p, []string{name}); err == nil {
		fmt.Fprintf(&out, "%v %+v %#v\n", results, results, results)
	}
	if strings.Contains(out.String(), sentinel) {
		t.Fatalf("the secret value appeared in formatted, encoded, logged or error output")
	}
	if !strings.Contains(out.String(), provider.Redacted) {
		t.Fatalf("formatted output lacks the %q marker", provider.Redacted)
	}
}

func testDenied(ctx context.Context, t *testing.T, s *suite) {
	name := s.seed(ctx, t, "denied", "forbidden-value")
	p, err := s.h.MakeUnauthorizedProvider(ctx, t)
	if err != nil {
		t.Fatalf("MakeUnauthorizedProvider: %v", err)
	}
	if p == nil {
		t.Skip("harness cannot produce a denied caller")
	}
	defer provider.Close(p)
	_, err = p.GetSecret(ctx, name, "")
	wantKind(t, err, provider.ErrPermissionDenied, name)
	if strings.Contains(fmt.Sprintf("%+v", err), "forbidden-value") {
		t.Fatalf("the denial quotes the secret value")
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
