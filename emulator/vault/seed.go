package vault

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/secretkit/secretkit/emulator/store"
	"github.com/secretkit/secretkit/kv"
)

// SeedSecret is one secret to create at start-up. Enabled nil means true.
type SeedSecret struct {
	Name, Value, ContentType string
	Tags                     map[string]string
	Enabled                  *bool
}

// Seed creates each secret that is neither present nor soft-deleted in the
// named vault (created with default settings if not configured), and never
// overwrites stored state, so restarting with the same configuration keeps
// changes made through the API. It validates every secret before writing
// any; the error names the secret, never its value.
func (a *API) Seed(ctx context.Context, vault string, secrets []SeedSecret) error {
	p := a.vault(vault)
	for i, s := range secrets {
		if !kv.ValidSecretName(s.Name) {
			return fmt.Errorf("vault: seed %d: invalid secret name %q", i, s.Name)
		}
		if err := validateNewSecret(newSecret{Value: s.Value, ContentType: s.ContentType, Tags: s.Tags}); err != nil {
			return fmt.Errorf("vault: seed %q: %w", s.Name, err)
		}
	}
	now := a.rules.clock.Now().UTC()
	for _, s := range secrets {
		enabled := s.Enabled == nil || *s.Enabled
		_, _, err := a.rules.store.Update(ctx, p.name, s.Name, func(cur store.Record, exists bool) (*store.Record, error) {
			if stateOf(cur, exists, now) != stateAbsent {
				return nil, errAlreadySeeded
			}
			return &store.Record{Name: s.Name, Versions: []store.Version{{
				ID: newVersionID(), Value: s.Value, ContentType: s.ContentType,
				Tags: maps.Clone(s.Tags), Enabled: enabled, Created: now, Updated: now,
			}}}, nil
		})
		if err != nil && !errors.Is(err, errAlreadySeeded) {
			return fmt.Errorf("vault: seed %q: %w", s.Name, err)
		}
	}
	return nil
}

// errAlreadySeeded aborts a seed update for a name already in use, so that
// nothing is written.
var errAlreadySeeded = errors.New("vault: secret already present")

// PurgeDue permanently removes the soft-deleted secrets, in every vault
// holding data (configured or created on demand, in this run or an
// earlier one of a durable store), whose scheduled purge date has passed
// on the clock, and reports how many it removed. Reads already treat such
// secrets as purged, so calling it only frees storage. Vaults without data
// have nothing to purge and are not visited.
func (a *API) PurgeDue(ctx context.Context) (int, error) {
	names, err := a.rules.store.Vaults(ctx)
	if err != nil {
		return 0, fmt.Errorf("vault: listing vaults to purge: %w", err)
	}
	total := 0
	for _, name := range names {
		n, err := a.rules.purgeDue(ctx, name)
		total += n
		if err != nil {
			return total, fmt.Errorf("vault: purging %s: %w", name, err)
		}
	}
	return total, nil
}
