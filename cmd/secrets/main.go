// Command secrets reads, lists and (for Azure Key Vault) writes secrets
// through any provider URI:
//
//	secrets get      [flags] <secret-uri>     print one secret's value
//	secrets list     [flags] <provider-uri>   list secret names and metadata
//	secrets versions [flags] <secret-uri>     list one secret's versions
//	secrets set      [flags] <secret-uri>     write a new version (Key Vault)
//	secrets update   [flags] <secret-uri>     change a version's properties (Key Vault)
//	secrets delete   [flags] <secret-uri>     delete a secret (Key Vault)
//	secrets recover  [flags] <secret-uri>     recover a deleted secret (Key Vault)
//	secrets purge    [flags] <secret-uri>     remove a deleted secret for good (Key Vault)
//	secrets list-deleted [flags] <provider-uri>  list deleted secrets (Key Vault)
//	secrets show-deleted [flags] <secret-uri>    show a deleted secret's metadata (Key Vault)
//	secrets backup   --file F <secret-uri>    write a secret's backup to a 0600 file (Key Vault)
//	secrets restore  --file F <provider-uri>  restore a secret from a backup file (Key Vault)
//	secrets run      [flags] -- <command>...  run a command with ${secret:URI} references in its environment expanded
//	secrets render   [flags] <file>           print a YAML, JSON or dotenv file with its references expanded
//
// A provider URI is what provider.Open accepts (env://, file:///path,
// azurekv://myvault.vault.azure.net?identity=system, or a chain of them:
// "chain:env:// file:///path"). A secret URI adds the secret's name as a
// #fragment, or as a trailing path segment, or for env as the host, and may
// pin ?version=: env://DB_PASSWORD, file:///etc/app/secrets.yaml#db-password,
// file:///run/secrets/app/db-password, azurekv://myvault.vault.azure.net/db-password.
// The grammar is package provider's (provider.URLMux), so the command and
// the library read exactly the same URIs.
//
// get in text mode prints the plaintext value: asking for it is the point of
// the command. Everything else — every other command, and get with
// --output json — prints metadata only; JSON carries a value only with
// --reveal. Life-cycle commands reach the backend through package
// provider's ability interfaces, never a concrete backend type.
//
// Misconfigurations that retrying cannot fix (an untrusted or mismatched
// certificate, an unknown host, nothing listening on a loopback port) fail
// at once, and the message says what to change. Values are never written to stderr, never taken from the command
// line unless --value is used, and never appear in error messages.
//
// run and render expand ${secret:URI} references with package
// provider/ref; run passes values to the command only in its environment,
// never on its command line, and once the command has started exits with
// its status. render --output writes a 0600 file.
//
// "secrets -version" (or "secrets version") prints the module version and
// VCS revision of the build.
//
// Exit status: 0 success, 1 any other error, 2 usage (bad command line, or a
// URI, name or option the provider rejects before doing anything),
// 3 not found, 4 permission denied. Every failure is one line on stderr.
//
// SECRETS_OUTPUT and SECRETS_TIMEOUT set the defaults of --output and
// --timeout. azurekv:// URIs use a managed identity (the URI's ?identity=,
// else AZURE_CLIENT_ID, else the system-assigned one) and the system's
// certificate trust, which SSL_CERT_FILE extends, so the environment the
// emulator prints is all the command needs to reach it.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/secretkit/secretkit/internal/buildinfo"
)

func main() {
	if len(os.Args) == 2 && (buildinfo.IsFlag(os.Args[1]) || os.Args[1] == "version") {
		fmt.Println(buildinfo.String("secrets"))
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
