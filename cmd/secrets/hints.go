package main

import (
	"errors"
	"net"
	"regexp"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/secretkit/secretkit/azurekv"
	"github.com/secretkit/secretkit/internal/fastfail"
)

// hintFor says what to do about err in terms of this command — its
// subcommands, URI parameters and environment variables — or returns ""
// when the error says it all. uri is the user's own operand.
func hintFor(cmd, uri string, err error) string {
	switch azurekv.ErrorCode(err) {
	case "ObjectIsDeletedButRecoverable":
		return "the secret is deleted but recoverable: 'secrets recover " + uri + "' brings it back, 'secrets purge " + uri + "' frees the name"
	}
	if cmd == "restore" && azurekv.ErrorCode(err) == "Conflict" {
		return "a secret of that name is in the vault, live or deleted: delete and purge it first, or restore into another vault"
	}
	if challengeMismatch(err) {
		return "for a vault reached by IP address or a name outside vault.azure.net (the local emulator), add ?disableChallengeResourceVerification=true to the URI"
	}
	var authErr *azidentity.AuthenticationFailedError
	identity := errors.As(err, &authErr)
	switch fastfail.ReasonOf(err) {
	case fastfail.UntrustedCert:
		return "the vault's certificate is not signed by a CA this machine trusts: for the emulator, set SSL_CERT_FILE to the ca.pem it prints (Linux; see the README for other systems)"
	case fastfail.HostnameMismatch:
		return "the vault's certificate is for another host name: use the host the certificate names (the emulator's certificate names *.vault.azure.net, localhost and 127.0.0.1)"
	case fastfail.CertInvalid:
		return "the vault's certificate is expired or not yet valid: check the clock, or renew the certificate"
	case fastfail.NoSuchHost:
		if identity {
			return "the managed-identity endpoint's host name does not resolve: check IDENTITY_ENDPOINT (or IMDS_ENDPOINT)"
		}
		return "the URI's host name does not resolve: check it; the local emulator is azurekv://127.0.0.1:8443?disableChallengeResourceVerification=true"
	case fastfail.RefusedOnLoopback:
		if identity {
			return "nothing listens at the managed-identity endpoint on this machine: start the emulator, or fix the port in IDENTITY_ENDPOINT (or IMDS_ENDPOINT)"
		}
		port := refusedPort(err)
		return "nothing listens on port " + port + " of this machine: start the emulator, or use its vault port in the URI (8443 unless -vault-addr says otherwise)"
	}
	return ""
}

// refusedPort is the port of a refused connection, or "?".
func refusedPort(err error) string {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Addr != nil {
		if _, port, splitErr := net.SplitHostPort(opErr.Addr.String()); splitErr == nil {
			return port
		}
	}
	return "?"
}

// sdkChallengeMismatch is the Key Vault SDK's text for a challenge whose
// resource does not match the vault's host. The SDK makes it with
// fmt.Errorf, so its text is the only handle on it; it names the SDK's
// option (DisableChallengeResourceVerification), which a command-line user
// cannot set, so the command says it its own way.
var sdkChallengeMismatch = regexp.MustCompile(`challenge resource "([^"]*)" doesn't match the requested domain\..*$`)

func challengeMismatch(err error) bool {
	return err != nil && sdkChallengeMismatch.MatchString(err.Error())
}

// rewriteChallengeMismatch replaces the SDK's sentence in msg.
func rewriteChallengeMismatch(msg string) string {
	return sdkChallengeMismatch.ReplaceAllString(msg, `the vault's authentication challenge names the resource "$1", whose domain is not the vault URI's host`)
}
