package vault_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/secretkit/secretkit/emulator/clock"
	"github.com/secretkit/secretkit/emulator/store"
	"github.com/secretkit/secretkit/emulator/vault"
)

// A vault created on demand in an earlier run exists only in the store;
// scheduled purges must still reach its deleted secrets.
func TestPurgeDueReachesVaultsOnlyTheStoreKnows(t *testing.T) {
	ctx := context.Background()
	st := store.NewMemory()
	clk := clock.NewFixed(epoch)
	deleted := store.Record{
		Name:     "old",
		Versions: []store.Version{{ID: "0123456789abcdef0123456789abcdef", Value: "x", Enabled: true, Created: epoch, Updated: epoch}},
		Deleted:  &store.Deletion{DeletedAt: epoch, ScheduledPurge: epoch.Add(7 * 24 * time.Hour)},
	}
	if _, _, err := st.Update(ctx, "earlierrun", "old", func(store.Record, bool) (*store.Record, error) {
		return &deleted, nil
	}); err != nil {
		t.Fatal(err)
	}
	api, err := vault.New(vault.Options{Store: st, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := api.PurgeDue(ctx); err != nil || n != 0 {
		t.Fatalf("PurgeDue before the date = %d, %v; want 0", n, err)
	}
	clk.Advance(8 * 24 * time.Hour)
	if n, err := api.PurgeDue(ctx); err != nil || n != 1 {
		t.Fatalf("PurgeDue after the date = %d, %v; want 1", n, err)
	}
	if _, err := st.Get(ctx, "earlierrun", "old"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("record still stored after its purge date: %v", err)
	}
}
