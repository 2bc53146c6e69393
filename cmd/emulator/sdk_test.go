package main

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/secretkit/secretkit/internal/testutil"
)

// TestBinaryServesEveryOperationToTheSDK runs all twelve secret operations
// with the unmodified SDKs against the built binary, configured only by the
// environment it printed (App Service managed identity, its CA).
func TestBinaryServesEveryOperationToTheSDK(t *testing.T) {
	// MSAL's managed-identity token cache is process-wide and keyed by
	// identity and resource, not by endpoint: under -count the credential
	// presents the token an earlier run's emulator signed. Every run uses
	// one key directory, so that token stays valid, as a token from one
	// Entra tenant is valid at every vault.
	p := startBinary(t, sdkKeyDir)
	testutil.ClearAzureCredentialEnv(t)
	for _, k := range []string{"IDENTITY_ENDPOINT", "IDENTITY_HEADER"} {
		t.Setenv(k, p.env[k])
	}
	opts := azcore.ClientOptions{Transport: p.client}
	cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ClientOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	c, err := azsecrets.NewClient(p.env["AZURE_KEYVAULT_URL"], cred, &azsecrets.ClientOptions{
		ClientOptions: opts,
		// The printed URL is https://127.0.0.1:PORT/, not under vault.azure.net.
		DisableChallengeResourceVerification: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	check := func(op string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
	}

	set, err := c.SetSecret(ctx, "op-secret", azsecrets.SetSecretParameters{Value: to.Ptr("first-value-7c1"), ContentType: to.Ptr("text/plain")}, nil)
	check("set", err)
	v1 := set.ID.Version()
	_, err = c.SetSecret(ctx, "op-secret", azsecrets.SetSecretParameters{Value: to.Ptr("second-value-9d4")}, nil)
	check("set again", err)

	got, err := c.GetSecret(ctx, "op-secret", v1, nil)
	check("get version", err)
	if *got.Value != "first-value-7c1" {
		t.Errorf("get version = %q", *got.Value)
	}
	_, err = c.UpdateSecretProperties(ctx, "op-secret", v1, azsecrets.UpdateSecretPropertiesParameters{
		Tags: map[string]*string{"env": to.Ptr("test")}}, nil)
	check("update", err)

	listed := 0
	for pager := c.NewListSecretPropertiesPager(nil); pager.More(); {
		page, err := pager.NextPage(ctx)
		check("list", err)
		listed += len(page.Value)
	}
	versions := 0
	for pager := c.NewListSecretPropertiesVersionsPager("op-secret", nil); pager.More(); {
		page, err := pager.NextPage(ctx)
		check("list versions", err)
		versions += len(page.Value)
	}
	if listed != 1 || versions != 2 {
		t.Errorf("listed %d secrets and %d versions, want 1 and 2", listed, versions)
	}

	backup, err := c.BackupSecret(ctx, "op-secret", nil)
	check("backup", err)
	_, err = c.DeleteSecret(ctx, "op-secret", nil)
	check("delete", err)
	_, err = c.GetDeletedSecret(ctx, "op-secret", nil)
	check("get deleted", err)
	deleted := 0
	for pager := c.NewListDeletedSecretPropertiesPager(nil); pager.More(); {
		page, err := pager.NextPage(ctx)
		check("list deleted", err)
		deleted += len(page.Value)
	}
	if deleted != 1 {
		t.Errorf("list deleted = %d, want 1", deleted)
	}
	_, err = c.RecoverDeletedSecret(ctx, "op-secret", nil)
	check("recover", err)
	_, err = c.DeleteSecret(ctx, "op-secret", nil)
	check("delete again", err)
	_, err = c.PurgeDeletedSecret(ctx, "op-secret", nil)
	check("purge", err)
	_, err = c.RestoreSecret(ctx, azsecrets.RestoreSecretParameters{SecretBackup: backup.Value}, nil)
	check("restore", err)
	restored, err := c.GetSecret(ctx, "op-secret", "", nil)
	check("get restored", err)
	if *restored.Value != "second-value-9d4" || restored.ContentType != nil {
		t.Errorf("restored latest = %q (%v), want the second value without the first's content type", *restored.Value, restored.ContentType)
	}

	// A restore into a name in use is the service's 409.
	_, err = c.RestoreSecret(ctx, azsecrets.RestoreSecretParameters{SecretBackup: backup.Value}, nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusConflict || re.ErrorCode != "Conflict" {
		t.Errorf("second restore: %v, want 409 Conflict", err)
	}
	p.stop(t)
	if strings.Contains(p.stderr.String(), "value-") {
		t.Error("a secret value appeared in the emulator's log")
	}
}
