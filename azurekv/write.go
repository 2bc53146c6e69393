package azurekv

import (
	"context"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/secretkit/secretkit/provider"
)

// SetOptions are the optional properties of a new version; they are
// provider.SetOptions. Key Vault allows a ContentType of up to 255
// characters and up to 15 Tags, each key and value up to 512 characters.
type SetOptions = provider.SetOptions

// SetSecret implements provider.Setter; it is [Provider.Set].
func (p *Provider) SetSecret(ctx context.Context, name string, value provider.Value, opts *provider.SetOptions) (provider.Secret, error) {
	return p.Set(ctx, name, value, opts)
}

// DeleteSecret implements provider.Deleter; it is [Provider.Delete].
func (p *Provider) DeleteSecret(ctx context.Context, name string) error {
	return p.Delete(ctx, name)
}

// Set stores value as a new version of the secret called name, creating
// the secret if needed, and returns the new version (its Value is value).
// It needs the "set" permission (RBAC: setSecret/action).
//
// Errors follow the package's mapping: ErrInvalidArgument for a bad name
// (without a request) or a value, content type or tags the service rejects
// (400); ErrPermissionDenied when the caller may not set. Setting a name
// whose secret is soft-deleted fails with no kind and ErrorCode
// "ObjectIsDeletedButRecoverable" until the secret is recovered or purged.
// Values never appear in errors.
func (p *Provider) Set(ctx context.Context, name string, value provider.Value, opts *SetOptions) (provider.Secret, error) {
	if err := p.precheck(ctx, "set", name); err != nil {
		return provider.Secret{}, err
	}
	plain := value.Reveal()
	params := azsecrets.SetSecretParameters{Value: &plain}
	if opts != nil {
		if opts.ContentType != "" {
			params.ContentType = &opts.ContentType
		}
		if len(opts.Tags) > 0 {
			params.Tags = make(map[string]*string, len(opts.Tags))
			for k, v := range opts.Tags {
				params.Tags[k] = &v
			}
		}
	}
	resp, err := p.client.SetSecret(ctx, name, params, nil)
	if err != nil {
		return provider.Secret{}, classify(ctx, "set", name, err)
	}
	sec := secretOf(&resp.Secret, name)
	if resp.Value == nil {
		sec.Value = value
	}
	return sec, nil
}

// Delete soft-deletes the secret called name with all its versions; it can
// be recovered until the vault's retention period ends, and its name stays
// taken until then. It needs the "delete" permission. A secret that does
// not exist (or is already deleted) yields ErrNotFound.
func (p *Provider) Delete(ctx context.Context, name string) error {
	if err := p.precheck(ctx, "delete", name); err != nil {
		return err
	}
	if _, err := p.client.DeleteSecret(ctx, name, nil); err != nil {
		return classify(ctx, "delete", name, err)
	}
	return nil
}
