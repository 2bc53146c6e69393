package vault

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"maps"
	"time"
	"unicode/utf8"

	"github.com/secretkit/secretkit/emulator/clock"
	"github.com/secretkit/secretkit/emulator/store"
	"github.com/secretkit/secretkit/kv"
)

// policy is the soft-delete configuration of one vault.
type policy struct {
	name            string // lowercase; the store's vault namespace
	retentionDays   int
	purgeProtection bool
	limiter         *limiter // nil: never throttled
}

// recoveryLevel is the DeletionRecoveryLevel the service reports for a
// vault with this retention and purge protection.
func (p policy) recoveryLevel() string {
	level := "Recoverable"
	if p.retentionDays < kv.DefaultRetentionDays {
		level = "CustomizedRecoverable"
	}
	if !p.purgeProtection {
		level += "+Purgeable"
	}
	return level
}

// secretState is how a record looks at one instant: a soft-deleted record
// whose scheduled purge has passed counts as absent even before PurgeDue
// removes it, so behaviour never depends on when the purge loop runs.
type secretState int

const (
	stateAbsent secretState = iota
	stateActive
	stateDeleted
)

func stateOf(rec store.Record, exists bool, now time.Time) secretState {
	switch {
	case !exists || len(rec.Versions) == 0:
		return stateAbsent
	case rec.Deleted == nil:
		return stateActive
	case !now.Before(rec.Deleted.ScheduledPurge):
		return stateAbsent
	default:
		return stateDeleted
	}
}

// secretRules applies the Key Vault secret rules (soft delete, versions,
// validation) over a store.Store. Every change is one store.Update, so
// concurrent requests on one secret are serialised by the store.
type secretRules struct {
	store  store.Store
	clock  clock.Clock
	sealer *backupSealer
}

// newSecret is the validated content of a set request.
type newSecret struct {
	Value       string
	ContentType string
	Tags        map[string]string
	Enabled     bool
	NotBefore   *time.Time
	Expires     *time.Time
}

// propertyPatch is an update request; nil fields are left unchanged.
type propertyPatch struct {
	ContentType *string
	Tags        map[string]string
	TagsSet     bool // tags present (even empty) replaces the whole set
	Enabled     *bool
	NotBefore   *time.Time
	Expires     *time.Time
}

// The contentType and tag limits count characters, not UTF-8 bytes.
func validateProperties(contentType string, tags map[string]string) error {
	if utf8.RuneCountInString(contentType) > kv.MaxContentTypeLength || len(tags) > kv.MaxTags {
		return errInvalid(msgInvalidProperty)
	}
	for k, v := range tags {
		if utf8.RuneCountInString(k) > kv.MaxTagLength || utf8.RuneCountInString(v) > kv.MaxTagLength {
			return errInvalid(msgInvalidProperty)
		}
	}
	return nil
}

// Dates the service can hold: years 1–9999 (the range of the service's
// date type, and of the RFC 3339 times the bolt store and backup blobs
// write). unconfirmed: the service's answer outside it; the emulator uses
// its generic invalid-property refusal.
var (
	minDate = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxDate = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
)

// validateDates refuses nbf or exp outside minDate–maxDate, which would
// otherwise be stored in memory yet fail every backup, or fail the write
// to a bolt store with a 500.
func validateDates(dates ...*time.Time) error {
	for _, d := range dates {
		if d != nil && (d.Before(minDate) || d.After(maxDate)) {
			return errInvalid(msgInvalidProperty)
		}
	}
	return nil
}

func validateNewSecret(in newSecret) error {
	if len(in.Value) > kv.MaxSecretValueBytes {
		return errInvalid(msgValueTooLarge)
	}
	if err := validateDates(in.NotBefore, in.Expires); err != nil {
		return err
	}
	return validateProperties(in.ContentType, in.Tags)
}

func newVersionID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("vault: crypto/rand failed: " + err.Error()) // never happens on supported platforms
	}
	return hex.EncodeToString(b[:])
}

// set adds a new version (creating the secret if needed) and returns the
// record and the new version.
func (s *secretRules) set(ctx context.Context, p policy, name string, in newSecret) (store.Record, store.Version, error) {
	if err := validateNewSecret(in); err != nil {
		return store.Record{}, store.Version{}, err
	}
	now := s.clock.Now().UTC()
	rec, _, err := s.store.Update(ctx, p.name, name, func(cur store.Record, exists bool) (*store.Record, error) {
		switch stateOf(cur, exists, now) {
		case stateDeleted:
			return nil, errDeletedButRecoverable(name)
		case stateAbsent:
			cur = store.Record{Name: name}
		}
		cur.Versions = append(cur.Versions, store.Version{
			ID: newVersionID(), Value: in.Value, ContentType: in.ContentType,
			Tags: maps.Clone(in.Tags), Enabled: in.Enabled,
			NotBefore: in.NotBefore, Expires: in.Expires,
			Created: now, Updated: now,
		})
		return &cur, nil
	})
	if err != nil {
		return store.Record{}, store.Version{}, err
	}
	latest, _ := rec.Latest()
	return rec, *latest, nil
}

// active returns the record of an active secret or SecretNotFound (naming
// the version when one is addressed).
func (s *secretRules) active(ctx context.Context, p policy, name, version string) (store.Record, error) {
	rec, err := s.store.Get(ctx, p.name, name)
	if errors.Is(err, store.ErrNotFound) {
		return store.Record{}, errVersionNotFound(name, version)
	}
	if err != nil {
		return store.Record{}, err
	}
	if stateOf(rec, true, s.clock.Now()) != stateActive {
		return store.Record{}, errVersionNotFound(name, version)
	}
	return rec, nil
}

// pick returns the named version, or the latest when version is empty.
func pick(rec store.Record, name, version string) (*store.Version, error) {
	if version == "" {
		v, ok := rec.Latest()
		if !ok {
			return nil, errSecretNotFound(name)
		}
		return v, nil
	}
	v, ok := rec.Version(version)
	if !ok {
		return nil, errVersionNotFound(name, version)
	}
	return v, nil
}

// get returns one version (latest when version is empty) with its value;
// a disabled version is refused.
func (s *secretRules) get(ctx context.Context, p policy, name, version string) (store.Record, store.Version, error) {
	// Only the one version is read: a secret may have hundreds.
	rec, err := s.store.GetVersion(ctx, p.name, name, version)
	if errors.Is(err, store.ErrNotFound) {
		return store.Record{}, store.Version{}, errVersionNotFound(name, version)
	}
	if err != nil {
		return store.Record{}, store.Version{}, err
	}
	// A record without the version reads as absent, as a missing version
	// of an active secret reads.
	if stateOf(rec, true, s.clock.Now()) != stateActive {
		return store.Record{}, store.Version{}, errVersionNotFound(name, version)
	}
	v := &rec.Versions[0]
	if !v.Enabled {
		return store.Record{}, store.Version{}, errDisabled("get")
	}
	return rec, *v, nil
}

// update changes the properties of one version (latest when version is
// empty); disabled versions may be updated, which is how they are
// re-enabled.
func (s *secretRules) update(ctx context.Context, p policy, name, version string, patch propertyPatch) (store.Record, store.Version, error) {
	ct := ""
	if patch.ContentType != nil {
		ct = *patch.ContentType
	}
	if err := validateProperties(ct, patch.Tags); err != nil {
		return store.Record{}, store.Version{}, err
	}
	if err := validateDates(patch.NotBefore, patch.Expires); err != nil {
		return store.Record{}, store.Version{}, err
	}
	now := s.clock.Now().UTC()
	var id string
	rec, _, err := s.store.Update(ctx, p.name, name, func(cur store.Record, exists bool) (*store.Record, error) {
		if stateOf(cur, exists, now) != stateActive {
			return nil, errVersionNotFound(name, version)
		}
		v, err := pick(cur, name, version)
		if err != nil {
			return nil, err
		}
		if patch.ContentType != nil {
			v.ContentType = *patch.ContentType
		}
		if patch.TagsSet {
			v.Tags = maps.Clone(patch.Tags)
		}
		if patch.Enabled != nil {
			v.Enabled = *patch.Enabled
		}
		if patch.NotBefore != nil {
			v.NotBefore = patch.NotBefore
		}
		if patch.Expires != nil {
			v.Expires = patch.Expires
		}
		v.Updated = now
		id = v.ID
		return &cur, nil
	})
	if err != nil {
		return store.Record{}, store.Version{}, err
	}
	v, _ := rec.Version(id)
	return rec, *v, nil
}

// remove soft-deletes every version of an active secret.
func (s *secretRules) remove(ctx context.Context, p policy, name string) (store.Record, error) {
	now := s.clock.Now().UTC()
	rec, _, err := s.store.Update(ctx, p.name, name, func(cur store.Record, exists bool) (*store.Record, error) {
		if stateOf(cur, exists, now) != stateActive {
			return nil, errSecretNotFound(name)
		}
		cur.Deleted = &store.Deletion{
			DeletedAt:      now,
			ScheduledPurge: now.Add(time.Duration(p.retentionDays) * 24 * time.Hour),
		}
		return &cur, nil
	})
	return rec, err
}

// deleted returns a soft-deleted record.
func (s *secretRules) deleted(ctx context.Context, p policy, name string) (store.Record, error) {
	rec, err := s.store.Get(ctx, p.name, name)
	if errors.Is(err, store.ErrNotFound) {
		return store.Record{}, errDeletedNotFound(name)
	}
	if err != nil {
		return store.Record{}, err
	}
	switch stateOf(rec, true, s.clock.Now()) {
	case stateDeleted:
		return rec, nil
	case stateAbsent:
		return store.Record{}, errDeletedNotFound(name)
	}
	return store.Record{}, errNotDeleted(name)
}

// purge permanently removes a soft-deleted secret unless the vault has
// purge protection.
func (s *secretRules) purge(ctx context.Context, p policy, name string) error {
	now := s.clock.Now().UTC()
	_, _, err := s.store.Update(ctx, p.name, name, func(cur store.Record, exists bool) (*store.Record, error) {
		if stateOf(cur, exists, now) != stateDeleted {
			// unconfirmed: purge uses the get-deleted wording.
			return nil, errDeletedNotFound(name)
		}
		if p.purgeProtection {
			return nil, errPurgeProtected(p.name)
		}
		return nil, nil
	})
	return err
}

// recover makes a soft-deleted secret active again with all its versions.
func (s *secretRules) recover(ctx context.Context, p policy, name string) (store.Record, error) {
	now := s.clock.Now().UTC()
	rec, _, err := s.store.Update(ctx, p.name, name, func(cur store.Record, exists bool) (*store.Record, error) {
		if stateOf(cur, exists, now) != stateDeleted {
			// Recorded from the service: recover answers with the
			// secret-not-found wording, not "Deleted Secret not found".
			return nil, errSecretNotFound(name)
		}
		cur.Deleted = nil
		return &cur, nil
	})
	return rec, err
}

// backup seals every version of an active secret into an opaque blob.
func (s *secretRules) backup(ctx context.Context, p policy, name string) ([]byte, error) {
	rec, err := s.active(ctx, p, name, "")
	if err != nil {
		return nil, err
	}
	return s.sealer.seal(rec)
}

// restore recreates a secret, with all its versions, from a blob made by
// backup; the name must not be in use (active or soft-deleted).
func (s *secretRules) restore(ctx context.Context, p policy, blob []byte) (store.Record, error) {
	restored, err := s.sealer.open(blob)
	if err != nil {
		return store.Record{}, err
	}
	now := s.clock.Now().UTC()
	rec, _, err := s.store.Update(ctx, p.name, restored.Name, func(cur store.Record, exists bool) (*store.Record, error) {
		if stateOf(cur, exists, now) != stateAbsent {
			latest, _ := cur.Latest()
			return nil, errRestoreConflict(cur.Name, latest.ID)
		}
		out := restored.Clone()
		return &out, nil
	})
	return rec, err
}

// list returns up to limit records in the wanted state whose Key sorts
// after the given key, and the key to continue after ("" when the listing
// is complete). It reads one record past the page so that a last page is
// never followed by an empty one.
func (s *secretRules) list(ctx context.Context, p policy, after string, limit int, want secretState) ([]store.Record, string, error) {
	const batch = 100
	now := s.clock.Now()
	var page []store.Record
	cursor := after
	for {
		recs, err := s.store.List(ctx, p.name, cursor, batch)
		if err != nil {
			return nil, "", err
		}
		for _, rec := range recs {
			cursor = store.Key(rec.Name)
			if stateOf(rec, true, now) != want {
				continue
			}
			if len(page) == limit {
				return page, store.Key(page[len(page)-1].Name), nil
			}
			page = append(page, rec)
		}
		if len(recs) < batch {
			return page, "", nil
		}
	}
}

// purgeDue removes every record of the vault whose scheduled purge has
// passed and reports how many it removed.
func (s *secretRules) purgeDue(ctx context.Context, vault string) (int, error) {
	const batch = 100
	removed := 0
	cursor := ""
	for {
		recs, err := s.store.List(ctx, vault, cursor, batch)
		if err != nil {
			return removed, err
		}
		for _, rec := range recs {
			cursor = store.Key(rec.Name)
			now := s.clock.Now()
			if rec.Deleted == nil || now.Before(rec.Deleted.ScheduledPurge) {
				continue
			}
			gone := false
			// Re-check inside the update: the secret may have been
			// recovered or purged since it was listed.
			_, _, err := s.store.Update(ctx, vault, rec.Name, func(cur store.Record, exists bool) (*store.Record, error) {
				if exists && cur.Deleted != nil && !now.Before(cur.Deleted.ScheduledPurge) {
					gone = true
					return nil, nil
				}
				return nil, errNotDue
			})
			if err != nil && !errors.Is(err, errNotDue) {
				return removed, err
			}
			if gone {
				removed++
			}
		}
		if len(recs) < batch {
			return removed, nil
		}
	}
}

// errNotDue aborts a purge update whose record was recovered, purged or
// replaced since it was listed, so that nothing is written.
var errNotDue = errors.New("vault: record no longer due for purge")
