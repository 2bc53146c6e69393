package provider

import (
	"context"
	"iter"
	"time"
)

// DeletedSecret describes a soft-deleted secret without its value: the
// metadata of its latest version when it was deleted, and when it was
// deleted and will be purged. Zero times mean the backend does not record
// them.
type DeletedSecret struct {
	Metadata
	Deleted        time.Time
	ScheduledPurge time.Time
}

// Recoverer is the optional ability of a backend with soft delete (Key
// Vault) to undo [Deleter.DeleteSecret] within its retention period.
type Recoverer interface {
	// RecoverSecret restores the deleted secret called name with all its
	// versions and returns the metadata of its latest version. A name with
	// no deleted secret (never deleted, already recovered or purged) is
	// ErrNotFound. The secret may take a moment to become readable again
	// on a real service.
	RecoverSecret(ctx context.Context, name string) (Metadata, error)
}

// Purger is the optional ability to remove a soft-deleted secret for good,
// freeing its name before the retention period ends.
type Purger interface {
	// PurgeSecret permanently removes the deleted secret called name; it
	// cannot be recovered afterwards. Only a deleted secret can be purged:
	// a name with no deleted secret is ErrNotFound (delete a live secret
	// first). A caller or vault that may not purge gets
	// ErrPermissionDenied.
	PurgeSecret(ctx context.Context, name string) error
}

// DeletedLister is the optional ability to see soft-deleted secrets.
type DeletedLister interface {
	// ListDeletedSecrets yields every deleted secret the caller may see,
	// in no particular order, never with values. Errors and cancellation
	// behave as for [Lister.ListSecrets].
	ListDeletedSecrets(ctx context.Context) iter.Seq2[DeletedSecret, error]

	// GetDeletedSecret returns the deleted secret called name; a name
	// with no deleted secret is ErrNotFound.
	GetDeletedSecret(ctx context.Context, name string) (DeletedSecret, error)
}

// PropertiesUpdate is a change to a version's properties. A nil field is
// left as it is; Tags, when non-nil, replaces all tags (an empty map
// removes them).
type PropertiesUpdate struct {
	Enabled     *bool
	NotBefore   *time.Time
	Expires     *time.Time
	ContentType *string
	Tags        map[string]string
}

// Updater is the optional ability to change a version's properties without
// writing a new value.
type Updater interface {
	// UpdateSecretProperties applies update to the given version of the
	// secret called name (the latest when version is empty) and returns
	// the version's metadata afterwards. A missing secret or version is
	// ErrNotFound; a property the backend cannot hold is
	// ErrInvalidArgument.
	UpdateSecretProperties(ctx context.Context, name, version string, update PropertiesUpdate) (Metadata, error)
}
