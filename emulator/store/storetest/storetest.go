// Package storetest is the conformance suite for store.Store
// implementations: every behaviour the interface documents is checked here,
// so an implementation that passes Run can be swapped for another. It is
// meant to be imported only by tests.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/secretkit/secretkit/emulator/store"
)

// Run runs the suite. open must return a new, empty, open store for each
// call; Run closes every store it opens (Close is idempotent, so open may
// register its own cleanup too).
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	fresh := func(t *testing.T) store.Store {
		t.Helper()
		s := open(t)
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	}
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"GetMissing", testGetMissing},
		{"Create", testCreate},
		{"Replace", testReplace},
		{"Remove", testRemove},
		{"RemoveMissing", testRemoveMissing},
		{"EmptyVaultRefused", testEmptyVaultRefused},
		{"MutationErrorAbortsCreate", testMutationErrorAbortsCreate},
		{"MutationErrorAbortsChange", testMutationErrorAbortsChange},
		{"CaseInsensitiveNames", testCaseInsensitiveNames},
		{"GetIsolation", testGetIsolation},
		{"GetVersion", testGetVersion},
		{"MutationIsolation", testMutationIsolation},
		{"ListIsolation", testListIsolation},
		{"ListOrder", testListOrder},
		{"ListPaging", testListPaging},
		{"ListAfterIgnoresCase", testListAfterIgnoresCase},
		{"ListEmptyVault", testListEmptyVault},
		{"VaultsIndependent", testVaultsIndependent},
		{"Vaults", testVaults},
		{"Reset", testReset},
		{"CanceledContext", testCanceledContext},
		{"Closed", testClosed},
		{"ConcurrentAppends", testConcurrentAppends},
		{"ConcurrentMixed", testConcurrentMixed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, fresh(t)) })
	}
}

// base is a fixed UTC instant without a monotonic reading, so records
// survive any encoding an implementation uses and compare with cmp.
var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// VersionID returns the n-th deterministic version id (32 hex characters).
func VersionID(n int) string { return fmt.Sprintf("%032x", n) }

// SampleRecord returns a record that uses every field of Record and
// Version, including a soft-deletion, so round trips lose nothing silently.
func SampleRecord(name string) store.Record {
	nbf := base.Add(-time.Hour)
	exp := base.Add(24 * time.Hour)
	return store.Record{
		Name: name,
		Versions: []store.Version{
			{
				ID: VersionID(1), Value: "first value of " + name, Enabled: false,
				Created: base, Updated: base.Add(time.Minute),
			},
			{
				ID: VersionID(2), Value: "second value of " + name, ContentType: "text/plain",
				Tags: map[string]string{"env": "test", "owner": "suite"}, Enabled: true,
				NotBefore: &nbf, Expires: &exp,
				Created: base.Add(time.Hour), Updated: base.Add(2 * time.Hour),
			},
		},
		Deleted: &store.Deletion{DeletedAt: base.Add(3 * time.Hour), ScheduledPurge: base.Add(90 * 24 * time.Hour)},
	}
}

// simpleRecord is an active record with one version.
func simpleRecord(name, value string) store.Record {
	return store.Record{
		Name: name,
		Versions: []store.Version{{
			ID: VersionID(7), Value: value, Enabled: true, Created: base, Updated: base,
		}},
	}
}

// Put stores rec under rec.Name, failing the test on error.
func Put(t *testing.T, s store.Store, vault string, rec store.Record) {
	t.Helper()
	_, _, err := s.Update(context.Background(), vault, rec.Name, func(store.Record, bool) (*store.Record, error) {
		r := rec.Clone()
		return &r, nil
	})
	if err != nil {
		t.Fatalf("Update(%s, %s): %v", vault, rec.Name, err)
	}
}

func mustGet(t *testing.T, s store.Store, vault, name string) store.Record {
	t.Helper()
	rec, err := s.Get(context.Background(), vault, name)
	if err != nil {
		t.Fatalf("Get(%s, %s): %v", vault, name, err)
	}
	return rec
}

func wantNotFound(t *testing.T, s store.Store, vault, name string) {
	t.Helper()
	rec, err := s.Get(context.Background(), vault, name)
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(%s, %s) = %+v, %v; want ErrNotFound", vault, name, rec, err)
	}
}

func mustList(t *testing.T, s store.Store, vault, after string, limit int) []store.Record {
	t.Helper()
	recs, err := s.List(context.Background(), vault, after, limit)
	if err != nil {
		t.Fatalf("List(%s, %q, %d): %v", vault, after, limit, err)
	}
	return recs
}

func names(recs []store.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Name
	}
	return out
}

func testGetMissing(t *testing.T, s store.Store) {
	wantNotFound(t, s, "v1", "absent")
	Put(t, s, "v1", simpleRecord("present", "x"))
	wantNotFound(t, s, "v1", "absent")
	wantNotFound(t, s, "v2", "present")
}

func testCreate(t *testing.T, s store.Store) {
	want := SampleRecord("Created")
	called := 0
	got, ok, err := s.Update(context.Background(), "v1", "Created", func(cur store.Record, exists bool) (*store.Record, error) {
		called++
		if exists {
			t.Errorf("Mutation got exists=true for a new record")
		}
		if diff := cmp.Diff(store.Record{}, cur); diff != "" {
			t.Errorf("Mutation got a non-zero record for a new name (-want +got):\n%s", diff)
		}
		r := want.Clone()
		return &r, nil
	})
	if err != nil || !ok {
		t.Fatalf("Update = _, %v, %v; want true, nil", ok, err)
	}
	if called != 1 {
		t.Errorf("Mutation called %d times, want 1", called)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Update returned (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, mustGet(t, s, "v1", "Created")); diff != "" {
		t.Errorf("Get after create (-want +got):\n%s", diff)
	}
}

func testReplace(t *testing.T, s store.Store) {
	first := SampleRecord("r")
	Put(t, s, "v1", first)
	got, ok, err := s.Update(context.Background(), "v1", "r", func(cur store.Record, exists bool) (*store.Record, error) {
		if !exists {
			t.Errorf("Mutation got exists=false for a stored record")
		}
		if diff := cmp.Diff(first, cur); diff != "" {
			t.Errorf("Mutation got (-want +got):\n%s", diff)
		}
		cur.Deleted = nil
		cur.Versions = append(cur.Versions, store.Version{ID: VersionID(3), Value: "third", Enabled: true, Created: base, Updated: base})
		return &cur, nil
	})
	if err != nil || !ok {
		t.Fatalf("Update = _, %v, %v; want true, nil", ok, err)
	}
	want := first.Clone()
	want.Deleted = nil
	want.Versions = append(want.Versions, store.Version{ID: VersionID(3), Value: "third", Enabled: true, Created: base, Updated: base})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Update returned (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, mustGet(t, s, "v1", "r")); diff != "" {
		t.Errorf("Get after replace (-want +got):\n%s", diff)
	}
	if latest, _ := got.Latest(); latest.ID != VersionID(3) {
		t.Errorf("latest version = %s, want %s (order must be kept)", latest.ID, VersionID(3))
	}
}

func testRemove(t *testing.T, s store.Store) {
	Put(t, s, "v1", simpleRecord("gone", "x"))
	Put(t, s, "v1", simpleRecord("kept", "y"))
	got, ok, err := s.Update(context.Background(), "v1", "GONE", func(store.Record, bool) (*store.Record, error) {
		return nil, nil
	})
	if err != nil || ok {
		t.Fatalf("Update(remove) = _, %v, %v; want false, nil", ok, err)
	}
	if diff := cmp.Diff(store.Record{}, got); diff != "" {
		t.Errorf("Update(remove) returned a non-zero record:\n%s", diff)
	}
	wantNotFound(t, s, "v1", "gone")
	if got := names(mustList(t, s, "v1", "", 0)); !cmp.Equal(got, []string{"kept"}) {
		t.Errorf("List after remove = %v, want [kept]", got)
	}
	// A removed name starts over: the next Mutation sees no record.
	_, _, err = s.Update(context.Background(), "v1", "gone", func(cur store.Record, exists bool) (*store.Record, error) {
		if exists || len(cur.Versions) != 0 {
			t.Errorf("Mutation after remove got exists=%v, %d versions", exists, len(cur.Versions))
		}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testRemoveMissing(t *testing.T, s store.Store) {
	_, ok, err := s.Update(context.Background(), "v1", "never", func(store.Record, bool) (*store.Record, error) {
		return nil, nil
	})
	if err != nil || ok {
		t.Fatalf("Update(remove missing) = _, %v, %v; want false, nil", ok, err)
	}
	wantNotFound(t, s, "v1", "never")
	if got := mustList(t, s, "v1", "", 0); len(got) != 0 {
		t.Errorf("List = %v, want empty", names(got))
	}
}

func testEmptyVaultRefused(t *testing.T, s store.Store) {
	_, ok, err := s.Update(context.Background(), "", "x", func(store.Record, bool) (*store.Record, error) {
		t.Error("Mutation called for an empty vault name")
		r := simpleRecord("x", "v")
		return &r, nil
	})
	if err == nil || ok || err.Error() != "store: empty vault name" {
		t.Fatalf("Update with empty vault = _, %v, %v; want false, store: empty vault name", ok, err)
	}
}

var errRefused = errors.New("storetest: mutation refused")

func testMutationErrorAbortsCreate(t *testing.T, s store.Store) {
	_, ok, err := s.Update(context.Background(), "v1", "n", func(cur store.Record, _ bool) (*store.Record, error) {
		r := simpleRecord("n", "x")
		return &r, fmt.Errorf("wrapped: %w", errRefused)
	})
	if !errors.Is(err, errRefused) || ok {
		t.Fatalf("Update = _, %v, %v; want false and the Mutation's error", ok, err)
	}
	if err.Error() != "wrapped: "+errRefused.Error() {
		t.Errorf("Update error = %q; want the Mutation's error unchanged", err)
	}
	wantNotFound(t, s, "v1", "n")
	if got := mustList(t, s, "v1", "", 0); len(got) != 0 {
		t.Errorf("List = %v, want empty", names(got))
	}
}

func testMutationErrorAbortsChange(t *testing.T, s store.Store) {
	want := SampleRecord("n")
	Put(t, s, "v1", want)
	for _, remove := range []bool{false, true} {
		_, _, err := s.Update(context.Background(), "v1", "n", func(cur store.Record, _ bool) (*store.Record, error) {
			if remove {
				return nil, errRefused
			}
			// Change the private copy in place before refusing: none of
			// it may reach the store.
			cur.Versions[0].Value = "changed"
			cur.Versions[1].Tags["env"] = "changed"
			cur.Deleted = nil
			return &cur, errRefused
		})
		if err != errRefused {
			t.Fatalf("Update(remove=%v) error = %v; want errRefused itself", remove, err)
		}
		if diff := cmp.Diff(want, mustGet(t, s, "v1", "n")); diff != "" {
			t.Errorf("record changed by an aborted Update(remove=%v) (-want +got):\n%s", remove, diff)
		}
	}
}

func testCaseInsensitiveNames(t *testing.T, s store.Store) {
	Put(t, s, "v1", simpleRecord("MySecret", "x"))
	for _, n := range []string{"MySecret", "mysecret", "MYSECRET", "mYsEcReT"} {
		if got := mustGet(t, s, "v1", n); got.Name != "MySecret" {
			t.Errorf("Get(%s).Name = %q, want the original case MySecret", n, got.Name)
		}
	}
	_, _, err := s.Update(context.Background(), "v1", "MYSECRET", func(cur store.Record, exists bool) (*store.Record, error) {
		if !exists || cur.Name != "MySecret" {
			t.Errorf("Mutation via other case got exists=%v name=%q", exists, cur.Name)
		}
		cur.Versions[0].Value = "y"
		return &cur, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	recs := mustList(t, s, "v1", "", 0)
	if len(recs) != 1 || recs[0].Name != "MySecret" || recs[0].Versions[0].Value != "y" {
		t.Errorf("List = %+v; want the one record MySecret with value y", recs)
	}
}

// scribble changes every reference-typed part of rec, so a test sees it if
// any of them is shared with the store.
func scribble(rec *store.Record) {
	rec.Name = "scribbled"
	rec.Versions[0].Value = "scribbled"
	rec.Versions[1].Tags["env"] = "scribbled"
	rec.Versions[1].Tags["new"] = "scribbled"
	*rec.Versions[1].NotBefore = time.Time{}
	*rec.Versions[1].Expires = time.Time{}
	rec.Deleted.DeletedAt = time.Time{}
	rec.Versions = append(rec.Versions[:1], store.Version{ID: "scribbled"})
}

// scribbleAll changes every field reachable from rec, whatever its
// number of versions.
func scribbleAll(rec *store.Record) {
	rec.Name = "scribbled"
	if rec.Deleted != nil {
		rec.Deleted.DeletedAt = time.Time{}
	}
	for i := range rec.Versions {
		v := &rec.Versions[i]
		v.Value = "scribbled"
		for k := range v.Tags {
			v.Tags[k] = "scribbled"
		}
		if v.NotBefore != nil {
			*v.NotBefore = time.Time{}
		}
		if v.Expires != nil {
			*v.Expires = time.Time{}
		}
	}
}

func testGetIsolation(t *testing.T, s store.Store) {
	want := SampleRecord("iso")
	Put(t, s, "v1", want)
	got := mustGet(t, s, "v1", "iso")
	scribble(&got)
	if diff := cmp.Diff(want, mustGet(t, s, "v1", "iso")); diff != "" {
		t.Errorf("changing a Get result changed the store (-want +got):\n%s", diff)
	}
}

func testGetVersion(t *testing.T, s store.Store) {
	ctx := context.Background()
	full := SampleRecord("Multi")
	Put(t, s, "v1", full)
	for _, tc := range []struct {
		version string
		want    []store.Version
	}{
		{"", full.Versions[1:]},                            // latest
		{VersionID(1), full.Versions[:1]},                  // a given one
		{strings.ToUpper(VersionID(2)), full.Versions[1:]}, // ids ignore case
		{VersionID(99), nil},                               // no such version
	} {
		got, err := s.GetVersion(ctx, "v1", "multi", tc.version)
		if err != nil {
			t.Fatalf("GetVersion(%q): %v", tc.version, err)
		}
		want := store.Record{Name: full.Name, Versions: tc.want, Deleted: full.Deleted}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("GetVersion(%q) (-want +got):\n%s", tc.version, diff)
		}
		scribbleAll(&got)
	}
	if diff := cmp.Diff(full, mustGet(t, s, "v1", "multi")); diff != "" {
		t.Errorf("changing GetVersion results changed the store (-want +got):\n%s", diff)
	}
	if _, err := s.GetVersion(ctx, "v1", "absent", ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetVersion of a missing record: %v, want ErrNotFound", err)
	}
}

func testMutationIsolation(t *testing.T, s store.Store) {
	want := SampleRecord("iso")
	var kept store.Record
	_, _, err := s.Update(context.Background(), "v1", "iso", func(store.Record, bool) (*store.Record, error) {
		kept = want.Clone()
		return &kept, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	scribble(&kept)
	if diff := cmp.Diff(want, mustGet(t, s, "v1", "iso")); diff != "" {
		t.Errorf("changing the record a Mutation returned changed the store (-want +got):\n%s", diff)
	}

	var seen store.Record
	returned, _, err := s.Update(context.Background(), "v1", "iso", func(cur store.Record, _ bool) (*store.Record, error) {
		seen = cur
		out := cur.Clone()
		return &out, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	scribble(&seen)
	scribble(&returned)
	if diff := cmp.Diff(want, mustGet(t, s, "v1", "iso")); diff != "" {
		t.Errorf("changing the Mutation's input or Update's result changed the store (-want +got):\n%s", diff)
	}
}

func testListIsolation(t *testing.T, s store.Store) {
	want := SampleRecord("iso")
	Put(t, s, "v1", want)
	recs := mustList(t, s, "v1", "", 0)
	if len(recs) != 1 {
		t.Fatalf("List returned %d records, want 1", len(recs))
	}
	scribble(&recs[0])
	if diff := cmp.Diff(want, mustGet(t, s, "v1", "iso")); diff != "" {
		t.Errorf("changing a List result changed the store (-want +got):\n%s", diff)
	}
}

// listNames are stored in this scrambled order; sorted by Key they are
// listSorted (byte order of the lower-cased names, so "-" < digits <
// letters).
var (
	listNames  = []string{"delta", "Alpha", "charlie-2", "CHARLIE", "bravo", "charlie-10", "a1", "Echo", "a-z"}
	listSorted = []string{"a-z", "a1", "Alpha", "bravo", "CHARLIE", "charlie-10", "charlie-2", "delta", "Echo"}
)

func putListNames(t *testing.T, s store.Store, vault string) {
	t.Helper()
	for i, n := range listNames {
		rec := simpleRecord(n, "v")
		if i%3 == 0 {
			// Deleted records are listed like active ones.
			rec.Deleted = &store.Deletion{DeletedAt: base, ScheduledPurge: base.Add(time.Hour)}
		}
		Put(t, s, vault, rec)
	}
}

func testListOrder(t *testing.T, s store.Store) {
	putListNames(t, s, "v1")
	for _, limit := range []int{0, -1, len(listSorted), len(listSorted) + 5} {
		if got := names(mustList(t, s, "v1", "", limit)); !cmp.Equal(got, listSorted) {
			t.Errorf("List(limit=%d) = %v, want %v", limit, got, listSorted)
		}
	}
	if got := mustList(t, s, "v1", "", 3); !cmp.Equal(names(got), listSorted[:3]) {
		t.Errorf("List(limit=3) = %v, want %v", names(got), listSorted[:3])
	}
	deleted := 0
	for _, r := range mustList(t, s, "v1", "", 0) {
		if r.Deleted != nil {
			deleted++
		}
	}
	if deleted != 3 {
		t.Errorf("List returned %d deleted records, want 3", deleted)
	}
}

func testListPaging(t *testing.T, s store.Store) {
	putListNames(t, s, "v1")
	for _, limit := range []int{1, 2, 4, 9, 10} {
		var got []string
		after := ""
		for pages := 0; ; pages++ {
			if pages > len(listSorted)+1 {
				t.Fatalf("limit %d: paging does not end", limit)
			}
			page := mustList(t, s, "v1", after, limit)
			if len(page) > limit {
				t.Fatalf("limit %d: page of %d records", limit, len(page))
			}
			got = append(got, names(page)...)
			if len(page) < limit {
				break
			}
			after = store.Key(page[len(page)-1].Name)
		}
		if !cmp.Equal(got, listSorted) {
			t.Errorf("paging with limit %d = %v, want %v", limit, got, listSorted)
		}
	}
	// after need not be a stored key: listing resumes at the next one.
	if got := names(mustList(t, s, "v1", "b", 2)); !cmp.Equal(got, []string{"bravo", "CHARLIE"}) {
		t.Errorf("List(after=b) = %v, want [bravo CHARLIE]", got)
	}
	if got := mustList(t, s, "v1", "echo", 5); len(got) != 0 {
		t.Errorf("List(after=last) = %v, want empty", names(got))
	}
	if got := mustList(t, s, "v1", "zzz", 5); len(got) != 0 {
		t.Errorf("List(after=beyond) = %v, want empty", names(got))
	}
}

func testListAfterIgnoresCase(t *testing.T, s store.Store) {
	putListNames(t, s, "v1")
	lower := names(mustList(t, s, "v1", "charlie", 0))
	upper := names(mustList(t, s, "v1", "CHARLIE", 0))
	want := listSorted[5:]
	if !cmp.Equal(lower, want) || !cmp.Equal(upper, want) {
		t.Errorf("List(after=charlie) = %v, List(after=CHARLIE) = %v; want both %v", lower, upper, want)
	}
}

func testListEmptyVault(t *testing.T, s store.Store) {
	if got := mustList(t, s, "nothing-here", "", 10); len(got) != 0 {
		t.Errorf("List of an unknown vault = %v, want empty", names(got))
	}
	Put(t, s, "v1", simpleRecord("only", "x"))
	_, _, err := s.Update(context.Background(), "v1", "only", func(store.Record, bool) (*store.Record, error) { return nil, nil })
	if err != nil {
		t.Fatal(err)
	}
	if got := mustList(t, s, "v1", "", 10); len(got) != 0 {
		t.Errorf("List of an emptied vault = %v, want empty", names(got))
	}
}

func testVaultsIndependent(t *testing.T, s store.Store) {
	Put(t, s, "v1", simpleRecord("shared", "one"))
	Put(t, s, "v2", simpleRecord("shared", "two"))
	Put(t, s, "v2", simpleRecord("only-in-v2", "x"))
	if got := mustGet(t, s, "v1", "shared").Versions[0].Value; got != "one" {
		t.Errorf("v1/shared = %q, want one", got)
	}
	if got := mustGet(t, s, "v2", "shared").Versions[0].Value; got != "two" {
		t.Errorf("v2/shared = %q, want two", got)
	}
	wantNotFound(t, s, "v1", "only-in-v2")
	if got := names(mustList(t, s, "v1", "", 0)); !cmp.Equal(got, []string{"shared"}) {
		t.Errorf("List(v1) = %v, want [shared]", got)
	}
	if got := names(mustList(t, s, "v2", "", 0)); !cmp.Equal(got, []string{"only-in-v2", "shared"}) {
		t.Errorf("List(v2) = %v, want [only-in-v2 shared]", got)
	}
	_, _, err := s.Update(context.Background(), "v2", "shared", func(store.Record, bool) (*store.Record, error) { return nil, nil })
	if err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, "v1", "shared").Versions[0].Value; got != "one" {
		t.Errorf("removing v2/shared changed v1/shared: %q", got)
	}
}

func testVaults(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustVaults := func(want ...string) {
		t.Helper()
		got, err := s.Vaults(ctx)
		if err != nil {
			t.Fatalf("Vaults: %v", err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("Vaults = %q, want %q", got, want)
		}
	}
	mustVaults()
	Put(t, s, "zeta", simpleRecord("a", "x"))
	Put(t, s, "alpha", simpleRecord("a", "x"))
	Put(t, s, "alpha", simpleRecord("b", "x"))
	mustVaults("alpha", "zeta")
	// A vault whose last record was removed holds nothing to look after.
	if _, _, err := s.Update(ctx, "zeta", "a", func(store.Record, bool) (*store.Record, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	mustVaults("alpha")
}

func testReset(t *testing.T, s store.Store) {
	Put(t, s, "v1", SampleRecord("a"))
	Put(t, s, "v2", SampleRecord("b"))
	if err := s.Reset(context.Background()); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	wantNotFound(t, s, "v1", "a")
	wantNotFound(t, s, "v2", "b")
	for _, v := range []string{"v1", "v2"} {
		if got := mustList(t, s, v, "", 0); len(got) != 0 {
			t.Errorf("List(%s) after Reset = %v, want empty", v, names(got))
		}
	}
	// The store stays usable.
	Put(t, s, "v1", simpleRecord("a", "again"))
	if got := mustGet(t, s, "v1", "a").Versions[0].Value; got != "again" {
		t.Errorf("after Reset and Put, value = %q", got)
	}
}

func testCanceledContext(t *testing.T, s store.Store) {
	Put(t, s, "v1", simpleRecord("a", "x"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Get(ctx, "v1", "a"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get with canceled context: %v, want context.Canceled", err)
	}
	_, _, err := s.Update(ctx, "v1", "a", func(store.Record, bool) (*store.Record, error) {
		t.Errorf("Mutation called with a canceled context")
		return nil, nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Update with canceled context: %v, want context.Canceled", err)
	}
	if _, err := s.List(ctx, "v1", "", 0); !errors.Is(err, context.Canceled) {
		t.Errorf("List with canceled context: %v, want context.Canceled", err)
	}
	if err := s.Reset(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Reset with canceled context: %v, want context.Canceled", err)
	}
	mustGet(t, s, "v1", "a")
}

func testClosed(t *testing.T, s store.Store) {
	Put(t, s, "v1", simpleRecord("a", "x"))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ctx := context.Background()
	if _, err := s.Get(ctx, "v1", "a"); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Get after Close: %v, want ErrClosed", err)
	}
	_, _, err := s.Update(ctx, "v1", "a", func(store.Record, bool) (*store.Record, error) {
		t.Errorf("Mutation called after Close")
		return nil, nil
	})
	if !errors.Is(err, store.ErrClosed) {
		t.Errorf("Update after Close: %v, want ErrClosed", err)
	}
	if _, err := s.List(ctx, "v1", "", 0); !errors.Is(err, store.ErrClosed) {
		t.Errorf("List after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Vaults(ctx); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Vaults after Close: %v, want ErrClosed", err)
	}
	if err := s.Reset(ctx); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Reset after Close: %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v, want nil", err)
	}
}

// testConcurrentAppends has many goroutines append a version to one record
// at once: with a non-atomic read-change-write some appends would be lost.
func testConcurrentAppends(t *testing.T, s store.Store) {
	const workers, each = 32, 4
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := VersionID(w*each + i)
				_, _, err := s.Update(context.Background(), "v1", "Counter", func(cur store.Record, exists bool) (*store.Record, error) {
					if !exists {
						cur.Name = "Counter"
					}
					cur.Versions = append(cur.Versions, store.Version{ID: id, Value: "v", Enabled: true, Created: base, Updated: base})
					return &cur, nil
				})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Update: %v", err)
	}
	rec := mustGet(t, s, "v1", "counter")
	if len(rec.Versions) != workers*each {
		t.Fatalf("record has %d versions, want %d: updates were lost", len(rec.Versions), workers*each)
	}
	seen := make(map[string]bool)
	for _, v := range rec.Versions {
		if seen[v.ID] {
			t.Errorf("version %s appended twice", v.ID)
		}
		seen[v.ID] = true
	}
}

// testConcurrentMixed runs writers of different records, readers and
// listers together, for the race detector and for lost updates across
// records.
func testConcurrentMixed(t *testing.T, s store.Store) {
	const writers, each = 8, 8
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("rec-%02d", w)
			for i := range each {
				_, _, err := s.Update(context.Background(), "v1", name, func(cur store.Record, _ bool) (*store.Record, error) {
					cur.Name = name
					cur.Versions = append(cur.Versions, store.Version{ID: VersionID(i), Value: "v", Enabled: true, Created: base, Updated: base})
					return &cur, nil
				})
				if err != nil {
					t.Errorf("Update(%s): %v", name, err)
					return
				}
			}
		}()
	}
	var readers sync.WaitGroup
	readers.Add(2)
	go func() {
		defer readers.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.List(context.Background(), "v1", "", 3); err != nil {
				t.Errorf("List: %v", err)
				return
			}
		}
	}()
	go func() {
		defer readers.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			_, err := s.Get(context.Background(), "v1", "rec-00")
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Get: %v", err)
				return
			}
		}
	}()
	wg.Wait()
	close(stop)
	readers.Wait()
	recs := mustList(t, s, "v1", "", 0)
	if len(recs) != writers {
		t.Fatalf("List returned %d records, want %d", len(recs), writers)
	}
	for _, r := range recs {
		if len(r.Versions) != each {
			t.Errorf("%s has %d versions, want %d", r.Name, len(r.Versions), each)
		}
	}
}
