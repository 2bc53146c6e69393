// Package store holds the emulator's vault state: every secret of every
// vault, with all its versions and its soft-deleted state. It knows nothing
// of HTTP, tokens or Key Vault rules (validation, soft-delete policy, ids);
// the vault package applies those and uses a Store only to read and to
// atomically replace one secret's record.
//
// Two implementations pass one suite (storetest): Memory, the default, and
// Bolt, which makes every acknowledged write durable before it returns.
package store

import (
	"context"
	"errors"
	"maps"
	"strings"
	"time"
)

// ErrNotFound is returned by Get when a vault holds no record for a name.
var ErrNotFound = errors.New("store: secret not found")

// ErrClosed is returned by every method called after Close.
var ErrClosed = errors.New("store: closed")

// errEmptyVault refuses writes without a vault: bbolt buckets need a name,
// and Memory refuses too so both behave alike.
var errEmptyVault = errors.New("store: empty vault name")

// Version is one immutable value of a secret plus its mutable properties
// (enabled, dates, content type, tags), which PATCH changes in place.
type Version struct {
	ID          string            `json:"id"` // 32 lowercase hex characters
	Value       string            `json:"value"`
	ContentType string            `json:"contentType,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	Enabled     bool              `json:"enabled"`
	NotBefore   *time.Time        `json:"nbf,omitempty"`
	Expires     *time.Time        `json:"exp,omitempty"`
	Created     time.Time         `json:"created"`
	Updated     time.Time         `json:"updated"`
}

// Deletion marks a record as soft-deleted.
type Deletion struct {
	DeletedAt      time.Time `json:"deletedAt"`
	ScheduledPurge time.Time `json:"scheduledPurge"`
}

// Record is everything a vault knows about one secret name.
type Record struct {
	// Name keeps the case the secret was first created with; lookups
	// ignore case (see Key).
	Name string `json:"name"`
	// Versions in creation order: the last one is the latest.
	Versions []Version `json:"versions"`
	// Deleted is non-nil while the secret is soft-deleted.
	Deleted *Deletion `json:"deleted,omitempty"`
}

// Latest returns the most recently created version, or false when there is
// none.
func (r *Record) Latest() (*Version, bool) {
	if len(r.Versions) == 0 {
		return nil, false
	}
	return &r.Versions[len(r.Versions)-1], true
}

// Version returns the version with the given id (compared without regard to
// case), or false.
func (r *Record) Version(id string) (*Version, bool) {
	for i := range r.Versions {
		if strings.EqualFold(r.Versions[i].ID, id) {
			return &r.Versions[i], true
		}
	}
	return nil, false
}

// Clone returns a deep copy, so a caller may change it without touching
// the stored record.
func (r Record) Clone() Record {
	out := r.withVersions(make([]Version, len(r.Versions)))
	for i, v := range r.Versions {
		out.Versions[i] = v.clone()
	}
	return out
}

// only returns a copy of r that keeps just the version with the given id
// (compared without regard to case), or the latest when id is empty; no
// version at all when there is no such version.
func (r Record) only(id string) Record {
	v, ok := r.Latest()
	if id != "" {
		v, ok = r.Version(id)
	}
	if !ok {
		return r.withVersions(nil)
	}
	return r.withVersions([]Version{v.clone()})
}

// withVersions copies r's own fields (name, deletion) around versions.
func (r Record) withVersions(versions []Version) Record {
	out := Record{Name: r.Name, Versions: versions}
	if r.Deleted != nil {
		d := *r.Deleted
		out.Deleted = &d
	}
	return out
}

func (v Version) clone() Version {
	v.Tags = maps.Clone(v.Tags)
	v.NotBefore = cloneTime(v.NotBefore)
	v.Expires = cloneTime(v.Expires)
	return v
}

func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

// Key is the case-insensitive identity of a secret name within a vault.
func Key(name string) string { return strings.ToLower(name) }

// Mutation is applied by Update to one record. It receives a private copy
// of the current record (zero Record and exists=false when there is none)
// and returns what to do:
//   - a non-nil error aborts the update; Update returns that error as is
//     and nothing is written;
//   - otherwise, when the returned *Record is nil the record is removed
//     (purge), else it replaces the stored one.
type Mutation func(current Record, exists bool) (*Record, error)

// Store is the emulator's state. Vaults are independent namespaces named
// by the vault name; names within a vault compare case-insensitively.
// All methods are safe for concurrent use. Methods that take a context
// return its error without doing anything when it is already done; they do
// not abandon a write half-way.
type Store interface {
	// Get returns a copy of the record for name, or ErrNotFound.
	Get(ctx context.Context, vault, name string) (Record, error)

	// GetVersion is Get reduced to one version: the one with the given id
	// (compared without regard to case), or the latest when version is
	// empty. The record comes back with no version when there is no such
	// version, and ErrNotFound when there is no record. It spares reads of
	// one version the copy of every other.
	GetVersion(ctx context.Context, vault, name, version string) (Record, error)

	// Update atomically reads, changes and writes one record: concurrent
	// Updates of the same record are serialised. When Update returns nil
	// the change is durable to the degree the implementation promises
	// (Bolt: synced to disk). It returns the record as written (zero and
	// false when removed). The Mutation runs while the store is locked, so
	// it must not call the store itself. Removing a record that does not
	// exist is not an error. An empty vault name is refused (the Mutation
	// is not called).
	Update(ctx context.Context, vault, name string, m Mutation) (Record, bool, error)

	// List returns up to limit records of a vault whose Key is greater than
	// Key(after), in ascending Key order, active and deleted alike (the
	// caller filters). after == "" starts at the beginning; limit <= 0
	// means no limit. The result being shorter than limit means the
	// listing is complete. A vault that holds nothing lists as empty.
	List(ctx context.Context, vault, after string, limit int) ([]Record, error)

	// Vaults returns the names of the vaults that hold at least one
	// record, in ascending order, so housekeeping (scheduled purges) can
	// reach vaults no request has named since start-up.
	Vaults(ctx context.Context) ([]string, error)

	// Reset removes every record of every vault.
	Reset(ctx context.Context) error

	// Close releases the store. Further calls of the other methods return
	// ErrClosed; a second Close returns nil.
	Close() error
}
