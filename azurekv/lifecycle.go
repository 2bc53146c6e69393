package azurekv

import (
	"context"
	"errors"
	"iter"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/secretkit/secretkit/provider"
)

// RecoverSecret implements provider.Recoverer: it recovers the
// soft-deleted secret called name with all its versions (Key Vault's
// "recover deleted secret", permission "recover"). A name with no deleted
// secret is ErrNotFound (code DeletedSecretNotFound or SecretNotFound). Key
// Vault recovers asynchronously: for a few seconds after the call a read
// may still answer 404.
func (p *Provider) RecoverSecret(ctx context.Context, name string) (provider.Metadata, error) {
	if err := p.precheck(ctx, "recover", name); err != nil {
		return provider.Metadata{}, err
	}
	resp, err := p.client.RecoverDeletedSecret(ctx, name, nil)
	if err != nil {
		return provider.Metadata{}, classify(ctx, "recover", name, err)
	}
	return metadataOf(resp.ID, resp.ContentType, resp.Tags, resp.Attributes), nil
}

// PurgeSecret implements provider.Purger: it permanently removes the
// soft-deleted secret called name (permission "purge"). A secret that is
// not deleted is ErrNotFound; a caller without the purge permission, or a
// vault with purge protection, is ErrPermissionDenied.
func (p *Provider) PurgeSecret(ctx context.Context, name string) error {
	if err := p.precheck(ctx, "purge", name); err != nil {
		return err
	}
	if _, err := p.client.PurgeDeletedSecret(ctx, name, nil); err != nil {
		return classify(ctx, "purge", name, err)
	}
	return nil
}

// GetDeletedSecret implements provider.DeletedLister with Key Vault's "get
// deleted secret" (permission "list"). The value the service may send is
// dropped: a deleted secret is described, not read.
func (p *Provider) GetDeletedSecret(ctx context.Context, name string) (provider.DeletedSecret, error) {
	if err := p.precheck(ctx, "getdeleted", name); err != nil {
		return provider.DeletedSecret{}, err
	}
	resp, err := p.client.GetDeletedSecret(ctx, name, nil)
	if err != nil {
		return provider.DeletedSecret{}, classify(ctx, "getdeleted", name, err)
	}
	return provider.DeletedSecret{
		Metadata:       metadataOf(resp.ID, resp.ContentType, resp.Tags, resp.Attributes),
		Deleted:        timeOf(resp.DeletedDate),
		ScheduledPurge: timeOf(resp.ScheduledPurgeDate),
	}, nil
}

// ListDeletedSecrets implements provider.DeletedLister over Key Vault's
// "list deleted secrets" pages (permission "list"), fetched as they are
// consumed.
func (p *Provider) ListDeletedSecrets(ctx context.Context) iter.Seq2[provider.DeletedSecret, error] {
	return func(yield func(provider.DeletedSecret, error) bool) {
		pager := p.client.NewListDeletedSecretPropertiesPager(nil)
		for pager.More() {
			if err := ctx.Err(); err != nil {
				yield(provider.DeletedSecret{}, provider.NewError(Name, "listdeleted", "", nil, err))
				return
			}
			page, err := pager.NextPage(ctx)
			if err != nil {
				yield(provider.DeletedSecret{}, classify(ctx, "listdeleted", "", err))
				return
			}
			for _, item := range page.Value {
				if item == nil {
					continue
				}
				d := provider.DeletedSecret{
					Metadata:       metadataOf(item.ID, item.ContentType, item.Tags, item.Attributes),
					Deleted:        timeOf(item.DeletedDate),
					ScheduledPurge: timeOf(item.ScheduledPurgeDate),
				}
				if !yield(d, nil) {
					return
				}
			}
		}
	}
}

// UpdateSecretProperties implements provider.Updater with Key Vault's
// "update secret" (permission "set"): enabled, not-before, expiry, content
// type and tags of one version (the latest when version is empty). The
// value cannot change; set a new version for that.
func (p *Provider) UpdateSecretProperties(ctx context.Context, name, version string, u provider.PropertiesUpdate) (provider.Metadata, error) {
	if err := p.precheck(ctx, "update", name); err != nil {
		return provider.Metadata{}, err
	}
	if err := checkVersion(version); err != nil {
		return provider.Metadata{}, provider.NewError(Name, "update", name, provider.ErrInvalidArgument, err)
	}
	var params azsecrets.UpdateSecretPropertiesParameters
	if u.Enabled != nil || u.NotBefore != nil || u.Expires != nil {
		params.SecretAttributes = &azsecrets.SecretAttributes{Enabled: u.Enabled, NotBefore: utcPtr(u.NotBefore), Expires: utcPtr(u.Expires)}
	}
	params.ContentType = u.ContentType
	if u.Tags != nil {
		params.Tags = make(map[string]*string, len(u.Tags))
		for k, v := range u.Tags {
			params.Tags[k] = &v
		}
	}
	resp, err := p.client.UpdateSecretProperties(ctx, name, version, params, nil)
	if err != nil {
		return provider.Metadata{}, classify(ctx, "update", name, err)
	}
	return metadataOf(resp.ID, resp.ContentType, resp.Tags, resp.Attributes), nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	utc := t.UTC()
	return &utc
}

// BackupSecret returns a protected blob holding every version of the
// secret called name (Key Vault's "backup secret", permission "backup").
// Only a vault of the same subscription and geography can restore it; the
// blob is encrypted by the service but is still a copy of the secret, so
// keep it as you would keep the values.
func (p *Provider) BackupSecret(ctx context.Context, name string) ([]byte, error) {
	if err := p.precheck(ctx, "backup", name); err != nil {
		return nil, err
	}
	resp, err := p.client.BackupSecret(ctx, name, nil)
	if err != nil {
		return nil, classify(ctx, "backup", name, err)
	}
	if len(resp.Value) == 0 {
		return nil, provider.NewError(Name, "backup", name, nil, errors.New("the service returned an empty backup"))
	}
	return resp.Value, nil
}

// RestoreSecret restores a secret from a blob made by [Provider.BackupSecret]
// (Key Vault's "restore secret", permission "restore") and returns the
// metadata of its latest version. A blob the vault cannot read is
// ErrInvalidArgument (400 BadParameter); a name in use in the vault, live or
// soft-deleted, fails with no kind and status 409 Conflict.
func (p *Provider) RestoreSecret(ctx context.Context, backup []byte) (provider.Metadata, error) {
	if len(backup) == 0 {
		return provider.Metadata{}, provider.NewError(Name, "restore", "", provider.ErrInvalidArgument, errors.New("the backup is empty"))
	}
	if err := ctx.Err(); err != nil {
		return provider.Metadata{}, provider.NewError(Name, "restore", "", nil, err)
	}
	resp, err := p.client.RestoreSecret(ctx, azsecrets.RestoreSecretParameters{SecretBackup: backup}, nil)
	if err != nil {
		return provider.Metadata{}, classify(ctx, "restore", "", err)
	}
	return metadataOf(resp.ID, resp.ContentType, resp.Tags, resp.Attributes), nil
}

// precheck refuses a name Key Vault would reject, without a request, and a
// context that is already done.
func (p *Provider) precheck(ctx context.Context, op, name string) error {
	if err := checkName(name); err != nil {
		return provider.NewError(Name, op, name, provider.ErrInvalidArgument, err)
	}
	if err := ctx.Err(); err != nil {
		return provider.NewError(Name, op, name, nil, err)
	}
	return nil
}
