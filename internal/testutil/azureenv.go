package testutil

import (
	"os"
	"testing"
)

// AzureCredentialEnv is every variable the Azure SDKs (Go and JavaScript)
// read to choose a credential or a managed-identity source, and the vault
// URL the emulator prints: a developer's own values would change which
// source a test's credential picks, or where it sends its requests.
var AzureCredentialEnv = []string{
	"IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT",
	"MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT", "DEFAULT_IDENTITY_CLIENT_ID",
	"AZURE_POD_IDENTITY_AUTHORITY_HOST", "AZURE_CLIENT_ID", "AZURE_TENANT_ID",
	"AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST", "AZURE_CLIENT_SECRET",
	"AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_USERNAME", "AZURE_PASSWORD",
	"AZURE_TOKEN_CREDENTIALS", "AZURE_KEYVAULT_URL",
}

// ClearAzureCredentialEnv unsets each of AzureCredentialEnv for the rest of
// t and puts the old values back at cleanup; like t.Setenv, it cannot be
// used in a parallel test. Unset rather than empty: some SDK paths treat a
// set-but-empty variable unlike a missing one.
func ClearAzureCredentialEnv(t *testing.T) {
	t.Helper()
	for _, v := range AzureCredentialEnv {
		t.Setenv(v, "") // registers the restore
		os.Unsetenv(v)
	}
}

// UnsetAzureCredentialEnv unsets each of AzureCredentialEnv for the whole
// process. Call it from TestMain before m.Run, so that no test, parallel
// ones included, sees the environment change under it.
func UnsetAzureCredentialEnv() {
	for _, v := range AzureCredentialEnv {
		os.Unsetenv(v)
	}
}
