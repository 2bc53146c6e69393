package main

import (
	"context"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/secretkit/secretkit/azurekv" // also azurekv:// for -provider
	"github.com/secretkit/secretkit/mi"
	"github.com/secretkit/secretkit/provider"
	_ "github.com/secretkit/secretkit/provider/env"  // env:// for -provider
	_ "github.com/secretkit/secretkit/provider/file" // file:// for -provider
)

// openSecrets opens the provider cfg names and describes it for the Home
// page. With no provider URI it is Azure Key Vault at cfg.VaultURL, with the
// managed identity cfg.Identity; clientOptions configures both the token
// requests and the vault requests (tests inject their transport here;
// production passes the zero value).
func openSecrets(ctx context.Context, cfg config, clientOptions azcore.ClientOptions) (provider.SecretProvider, string, error) {
	if cfg.ProviderURI != "" {
		p, err := provider.Open(ctx, cfg.ProviderURI)
		if err != nil {
			return nil, "", err
		}
		return p, "the provider " + cfg.ProviderURI, nil
	}
	sel, err := mi.Parse(cfg.Identity)
	if err != nil {
		return nil, "", err
	}
	cred, err := mi.NewCredential(sel, &mi.Options{ClientOptions: clientOptions})
	if err != nil {
		return nil, "", err
	}
	p, err := azurekv.New(cfg.VaultURL, cred, &azurekv.Options{
		ClientOptions:                        clientOptions,
		DisableChallengeResourceVerification: cfg.DisableChallengeResourceVerification,
	})
	if err != nil {
		return nil, "", err
	}
	source := fmt.Sprintf("Azure Key Vault %s, as the managed identity %s", cfg.VaultURL, sel)
	if cfg.DisableChallengeResourceVerification {
		source += " (challenge resource verification off)"
	}
	return p, source, nil
}
