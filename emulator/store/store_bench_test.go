package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secretkit/secretkit/emulator/store"
)

// benchRecords is the vault size the benchmarks run against.
const benchRecords = 1000

var benchStart = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// benchRecord is shaped like a typical emulator secret: three versions of
// a 64-byte value, two tags on each.
func benchRecord(name string) store.Record {
	rec := store.Record{Name: name}
	for i := range 3 {
		rec.Versions = append(rec.Versions, store.Version{
			ID:          fmt.Sprintf("%032x", i),
			Value:       strings.Repeat("s", 64),
			ContentType: "text/plain",
			Tags:        map[string]string{"env": "bench", "team": "store"},
			Enabled:     true,
			Created:     benchStart,
			Updated:     benchStart,
		})
	}
	return rec
}

func benchName(i int) string { return fmt.Sprintf("Secret-%05d", i%benchRecords) }

func benchStores(b *testing.B) []struct {
	name string
	open func(b *testing.B) store.Store
} {
	return []struct {
		name string
		open func(b *testing.B) store.Store
	}{
		{"Memory", func(*testing.B) store.Store { return store.NewMemory() }},
		{"Bolt", func(b *testing.B) store.Store {
			s, err := store.OpenBolt(filepath.Join(b.TempDir(), "bench.db"), nil)
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
	}
}

func fill(b *testing.B, s store.Store, n int) {
	b.Helper()
	for i := range n {
		rec := benchRecord(benchName(i))
		_, _, err := s.Update(context.Background(), "bench", rec.Name, func(store.Record, bool) (*store.Record, error) {
			return &rec, nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGet(b *testing.B) {
	for _, impl := range benchStores(b) {
		b.Run(impl.name, func(b *testing.B) {
			s := impl.open(b)
			defer s.Close()
			fill(b, s, benchRecords)
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := s.Get(ctx, "bench", benchName(i)); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkUpdate changes the latest version's properties in place, as a
// PATCH does, so the record keeps its size across iterations.
func BenchmarkUpdate(b *testing.B) {
	for _, impl := range benchStores(b) {
		b.Run(impl.name, func(b *testing.B) {
			s := impl.open(b)
			defer s.Close()
			fill(b, s, benchRecords)
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				_, _, err := s.Update(ctx, "bench", benchName(i), func(cur store.Record, _ bool) (*store.Record, error) {
					latest, _ := cur.Latest()
					latest.Updated = benchStart.Add(time.Duration(i) * time.Second)
					return &cur, nil
				})
				if err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkList reads one 25-record page (Key Vault's default page size)
// from the middle of the vault.
func BenchmarkList(b *testing.B) {
	for _, impl := range benchStores(b) {
		b.Run(impl.name, func(b *testing.B) {
			s := impl.open(b)
			defer s.Close()
			fill(b, s, benchRecords)
			ctx := context.Background()
			after := store.Key(benchName(benchRecords / 2))
			b.ReportAllocs()
			for b.Loop() {
				page, err := s.List(ctx, "bench", after, 25)
				if err != nil || len(page) != 25 {
					b.Fatalf("List = %d records, %v", len(page), err)
				}
			}
		})
	}
}

// BenchmarkMemoryCreateRemove adds a new name to a 10,000-record vault and
// removes it again: the cost Memory pays for keeping its key slice sorted
// (two binary searches and two shifts of the slice per iteration).
func BenchmarkMemoryCreateRemove(b *testing.B) {
	s := store.NewMemory()
	defer s.Close()
	ctx := context.Background()
	for i := range 10_000 {
		rec := benchRecord(fmt.Sprintf("Secret-%05d", i))
		if _, _, err := s.Update(ctx, "bench", rec.Name, func(store.Record, bool) (*store.Record, error) { return &rec, nil }); err != nil {
			b.Fatal(err)
		}
	}
	rec := benchRecord("Secret-05000-new")
	create := func(store.Record, bool) (*store.Record, error) { return &rec, nil }
	remove := func(store.Record, bool) (*store.Record, error) { return nil, nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := s.Update(ctx, "bench", rec.Name, create); err != nil {
			b.Fatal(err)
		}
		if _, _, err := s.Update(ctx, "bench", rec.Name, remove); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadLatestOf100 reads the latest version of a secret with 100
// versions whole (Get) and alone (GetVersion, what a vault GET uses).
func BenchmarkReadLatestOf100(b *testing.B) {
	for _, impl := range benchStores(b) {
		s := impl.open(b)
		rec := benchRecord("many")
		for i := len(rec.Versions); i < 100; i++ {
			v := rec.Versions[0]
			v.ID = fmt.Sprintf("%032x", i)
			rec.Versions = append(rec.Versions, v)
		}
		if _, _, err := s.Update(context.Background(), "bench", "many", func(store.Record, bool) (*store.Record, error) {
			return &rec, nil
		}); err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.Run(impl.name+"/Get", func(b *testing.B) {
			for b.Loop() {
				if _, err := s.Get(ctx, "bench", "many"); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(impl.name+"/GetVersion", func(b *testing.B) {
			for b.Loop() {
				if r, err := s.GetVersion(ctx, "bench", "many", ""); err != nil || len(r.Versions) != 1 {
					b.Fatal(err)
				}
			}
		})
		s.Close()
	}
}
