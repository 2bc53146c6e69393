package main

import (
	"context"
	"errors"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/secretkit/secretkit/provider"
)

// keyVault is a stand-in for the azurekv provider until that package lands:
// GetSecret over azsecrets with the error kinds of package provider.
type keyVault struct{ client *azsecrets.Client }

func newKeyVault(vaultURL string, cred azcore.TokenCredential, clientOptions azcore.ClientOptions, disableVerification bool) (provider.SecretProvider, error) {
	c, err := azsecrets.NewClient(vaultURL, cred, &azsecrets.ClientOptions{
		ClientOptions:                        clientOptions,
		DisableChallengeResourceVerification: disableVerification,
	})
	if err != nil {
		return nil, err
	}
	return &keyVault{client: c}, nil
}

func (k *keyVault) GetSecret(ctx context.Context, name, version string) (provider.Secret, error) {
	resp, err := k.client.GetSecret(ctx, name, version, nil)
	if err != nil {
		var kind error = provider.ErrUnavailable
		var re *azcore.ResponseError
		if errors.As(err, &re) {
			switch re.StatusCode {
			case http.StatusNotFound:
				kind = provider.ErrNotFound
			case http.StatusUnauthorized, http.StatusForbidden:
				kind = provider.ErrPermissionDenied
			case http.StatusBadRequest:
				kind = provider.ErrInvalidArgument
			}
		}
		return provider.Secret{}, provider.NewError("azurekv", "get", name, kind, err)
	}
	s := provider.Secret{Value: provider.NewValue(deref(resp.Value))}
	if resp.ID != nil {
		s.Name, s.Version = resp.ID.Name(), resp.ID.Version()
	}
	if resp.ContentType != nil {
		s.ContentType = *resp.ContentType
	}
	if a := resp.Attributes; a != nil && a.Updated != nil {
		s.Updated = *a.Updated
	}
	return s, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
