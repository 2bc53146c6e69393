package main

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseConfig(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want config
	}{
		{name: "emulator env lines alone",
			env:  map[string]string{"AZURE_KEYVAULT_URL": "https://127.0.0.1:8443/", "IDENTITY_ENDPOINT": "http://127.0.0.1:8080/msi/token"},
			want: config{Addr: defaultAddr, SecretName: defaultSecretName, VaultURL: "https://127.0.0.1:8443/", Identity: "system"}},
		{name: "every setting from the environment",
			env: map[string]string{
				"WEBAPP_ADDR": ":8000", "WEBAPP_SECRET": "db-password", "AZURE_KEYVAULT_URL": "https://myvault.vault.azure.net/",
				"WEBAPP_IDENTITY": "object:0b8d3c4e-2f5a-4d6b-8c7e-9f0a1b2c3d4e", "WEBAPP_DISABLE_CHALLENGE_RESOURCE_VERIFICATION": "true"},
			want: config{Addr: ":8000", SecretName: "db-password", VaultURL: "https://myvault.vault.azure.net/",
				Identity: "object:0b8d3c4e-2f5a-4d6b-8c7e-9f0a1b2c3d4e", DisableChallengeResourceVerification: true}},
		{name: "flags win over the environment",
			args: []string{"-secret", "from-flag", "-vault-url", "https://flag.vault.azure.net/", "-disable-challenge-resource-verification=false"},
			env:  map[string]string{"WEBAPP_SECRET": "from-env", "AZURE_KEYVAULT_URL": "https://env.vault.azure.net/", "WEBAPP_DISABLE_CHALLENGE_RESOURCE_VERIFICATION": "true"},
			want: config{Addr: defaultAddr, SecretName: "from-flag", VaultURL: "https://flag.vault.azure.net/", Identity: "system"}},
		{name: "AZURE_CLIENT_ID picks a user-assigned identity, as DefaultAzureCredential does",
			env:  map[string]string{"AZURE_KEYVAULT_URL": "https://myvault.vault.azure.net/", "AZURE_CLIENT_ID": "6f1d0c3e-5b7a-4e21-9c3d-2a8e4f6b1d07"},
			want: config{Addr: defaultAddr, SecretName: defaultSecretName, VaultURL: "https://myvault.vault.azure.net/", Identity: "client:6f1d0c3e-5b7a-4e21-9c3d-2a8e4f6b1d07"}},
		{name: "a provider URI needs no vault and no identity",
			args: []string{"-provider", "env://?prefix=APP_"},
			want: config{Addr: defaultAddr, SecretName: defaultSecretName, ProviderURI: "env://?prefix=APP_"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseConfig(c.args, envOf(c.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

// The verification switch is off unless asked for: nothing about a
// loopback vault URL turns it on.
func TestChallengeVerificationStaysOnForLoopbackURL(t *testing.T) {
	got, err := parseConfig([]string{"-vault-url", "https://127.0.0.1:8443/"}, envOf(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got.DisableChallengeResourceVerification {
		t.Fatal("verification was disabled without being asked")
	}
}

func TestParseConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{name: "no vault", want: "no vault URL: set -vault-url or AZURE_KEYVAULT_URL"},
		{name: "empty secret name", args: []string{"-secret", "", "-vault-url", "https://v.vault.azure.net/"}, want: "the secret name is empty"},
		{name: "identity syntax", args: []string{"-vault-url", "https://v.vault.azure.net/", "-identity", "client:not-a-guid"}, want: "not-a-guid"},
		{name: "switch not a boolean",
			env:  map[string]string{"AZURE_KEYVAULT_URL": "https://v.vault.azure.net/", "WEBAPP_DISABLE_CHALLENGE_RESOURCE_VERIFICATION": "yes please"},
			want: `WEBAPP_DISABLE_CHALLENGE_RESOURCE_VERIFICATION="yes please": want true or false`},
		{name: "positional argument", args: []string{"https://v.vault.azure.net/"}, want: `unexpected argument "https://v.vault.azure.net/"`},
		{name: "unknown flag", args: []string{"-vault", "x"}, want: "flag provided but not defined: -vault"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseConfig(c.args, envOf(c.env), io.Discard)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestHelpListsEveryEnvironmentVariable(t *testing.T) {
	var out strings.Builder
	_, err := parseConfig([]string{"-h"}, envOf(nil), &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err %v, want flag.ErrHelp", err)
	}
	for _, env := range []string{"WEBAPP_ADDR", "WEBAPP_SECRET", "WEBAPP_PROVIDER", "AZURE_KEYVAULT_URL", "WEBAPP_IDENTITY", "WEBAPP_DISABLE_CHALLENGE_RESOURCE_VERIFICATION"} {
		if !strings.Contains(out.String(), env) {
			t.Errorf("-h does not mention %s", env)
		}
	}
}
