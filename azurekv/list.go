package azurekv

import (
	"context"
	"errors"
	"iter"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/secretkit/secretkit/provider"
)

// ListSecrets implements provider.Lister over Key Vault's "list secrets"
// pages (25 items per page). Metadata.Version is empty, because the service
// does not name the latest version in a listing, and Enabled, ContentType
// and Tags are those of the latest version. Secrets in the soft-deleted
// state are not listed. Each page is fetched only when the previous one has
// been consumed, so breaking out of the loop early saves the remaining
// requests.
func (p *Provider) ListSecrets(ctx context.Context) iter.Seq2[provider.Metadata, error] {
	return func(yield func(provider.Metadata, error) bool) {
		pager := p.client.NewListSecretPropertiesPager(nil)
		listPages(ctx, "list", "", pager, func(r azsecrets.ListSecretPropertiesResponse) []*azsecrets.SecretProperties {
			return r.Value
		}, yield)
	}
}

// ListSecretVersions implements provider.VersionLister over Key Vault's
// "list versions" pages, disabled versions included (Enabled false). A name
// with no versions, which Key Vault may answer with 404 or with an empty
// list, yields one ErrNotFound error.
func (p *Provider) ListSecretVersions(ctx context.Context, name string) iter.Seq2[provider.Metadata, error] {
	return func(yield func(provider.Metadata, error) bool) {
		if err := checkName(name); err != nil {
			yield(provider.Metadata{}, provider.NewError(Name, "listversions", name, provider.ErrInvalidArgument, err))
			return
		}
		pager := p.client.NewListSecretPropertiesVersionsPager(name, nil)
		n := listPages(ctx, "listversions", name, pager, func(r azsecrets.ListSecretPropertiesVersionsResponse) []*azsecrets.SecretProperties {
			return r.Value
		}, yield)
		if n == 0 {
			yield(provider.Metadata{}, provider.NewError(Name, "listversions", name, provider.ErrNotFound,
				errors.New("the secret has no versions")))
		}
	}
}

// listPages yields every item of pager. It returns the number of items
// yielded, or -1 when it stopped early (an error, or yield returned false),
// so the caller knows whether "no items" is the whole answer.
func listPages[R any](ctx context.Context, op, name string, pager *runtime.Pager[R],
	items func(R) []*azsecrets.SecretProperties, yield func(provider.Metadata, error) bool) int {
	n := 0
	for pager.More() {
		if err := ctx.Err(); err != nil {
			yield(provider.Metadata{}, provider.NewError(Name, op, name, nil, err))
			return -1
		}
		page, err := pager.NextPage(ctx)
		if err != nil {
			yield(provider.Metadata{}, classify(ctx, op, name, err))
			return -1
		}
		for _, item := range items(page) {
			if item == nil {
				continue
			}
			if !yield(metadataOf(item.ID, item.ContentType, item.Tags, item.Attributes), nil) {
				return -1
			}
			n++
		}
	}
	return n
}
