package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/secretkit/secretkit/azurekv"
	"github.com/secretkit/secretkit/provider"
)

// problemKind names a diagnosis, for logs and tests.
type problemKind string

const (
	kindIdentityNotAssigned problemKind = "identity-not-assigned"
	kindIdentityFailed      problemKind = "identity-failed"
	kindPermissionDenied    problemKind = "permission-denied"
	kindSecretDisabled      problemKind = "secret-disabled"
	kindNotFound            problemKind = "not-found"
	kindUntrusted           problemKind = "certificate-not-trusted"
	kindChallengeMismatch   problemKind = "challenge-resource-mismatch"
	kindTokenRejected       problemKind = "token-rejected"
	kindVaultError          problemKind = "vault-error"
	kindUnreachable         problemKind = "vault-unreachable"
	kindInvalid             problemKind = "invalid-name"
	kindUnknown             problemKind = "unknown"
)

// problem is an error explained for the person looking at the page: what
// went wrong in plain words and what to change. It never holds a value.
type problem struct {
	Kind   problemKind
	Status int
	Title  string
	Plain  string
	// Missing is the permission or RBAC data action the vault said the
	// identity lacks, when it said so.
	Missing string
	Fix     string
}

// diagnose turns a failed secret read into a problem. The order matters:
// transport and identity failures are checked before the provider's error
// kinds, because a backend may classify, say, a refused token request as
// unavailable, while the person needs to know it was the identity.
func diagnose(err error, cfg config) problem {
	var (
		verifyErr   *tls.CertificateVerificationError
		unknownCA   x509.UnknownAuthorityError
		hostnameErr x509.HostnameError
		invalidCert x509.CertificateInvalidError
		authFailed  *azidentity.AuthenticationFailedError
		respErr     *azcore.ResponseError
		dnsErr      *net.DNSError
		opErr       *net.OpError
	)
	switch {
	case errors.As(err, &verifyErr), errors.As(err, &unknownCA), errors.As(err, &hostnameErr), errors.As(err, &invalidCert):
		return problem{
			Kind: kindUntrusted, Status: http.StatusBadGateway,
			Title: "The vault's certificate is not trusted",
			Plain: "The app reached the vault but refused its TLS certificate: it is not signed by a certificate authority this app trusts, or it is not valid for the vault's address.",
			Fix:   "For the emulator, point SSL_CERT_FILE at the CA file it prints (ca.pem in its TLS directory) before starting the app. Otherwise check that the vault URL is the vault's real address.",
		}
	case errors.As(err, &authFailed):
		if authFailed.RawResponse != nil && authFailed.RawResponse.StatusCode == http.StatusBadRequest {
			return problem{
				Kind: kindIdentityNotAssigned, Status: http.StatusForbidden,
				Title: "The managed identity is not assigned to this app",
				Plain: "The managed-identity endpoint refused to issue a token for " + identityLabel(cfg) + ": that identity is not assigned to the resource the app runs on.",
				Fix:   "Assign the identity to the app (or to the emulator's config), or choose an assigned one with -identity / WEBAPP_IDENTITY / AZURE_CLIENT_ID.",
			}
		}
		return problem{
			Kind: kindIdentityFailed, Status: http.StatusBadGateway,
			Title: "The app could not get a token for its managed identity",
			Plain: "The managed-identity endpoint did not give the app a token for " + identityLabel(cfg) + ".",
			Fix:   "Check that the app runs where a managed identity is available (IDENTITY_ENDPOINT and IDENTITY_HEADER on App Service or with the emulator; IMDS on a VM) and that the endpoint is up.",
		}
	case strings.Contains(err.Error(), "doesn't match the requested domain"):
		// The Key Vault SDK reports this with a plain fmt.Errorf; its text
		// is the only handle on it.
		return problem{
			Kind: kindChallengeMismatch, Status: http.StatusBadGateway,
			Title: "The vault's address does not look like a Key Vault address",
			Plain: "The vault asked for a token for https://vault.azure.net, but its URL (" + cfg.VaultURL + ") is not under vault.azure.net, so the Azure SDK refused to send one: that is how it protects tokens from look-alike servers.",
			Fix:   "Use the vault's real URL. Only for a local emulator addressed by IP, start the app with -disable-challenge-resource-verification (or WEBAPP_DISABLE_CHALLENGE_RESOURCE_VERIFICATION=true).",
		}
	case errors.Is(err, provider.ErrPermissionDenied):
		code := azurekv.ErrorCode(err)
		if errors.As(err, &respErr) && respErr.StatusCode == http.StatusUnauthorized {
			return problem{
				Kind: kindTokenRejected, Status: http.StatusForbidden,
				Title: "The vault rejected the app's token",
				Plain: "The app got a token for " + identityLabel(cfg) + ", but the vault did not accept it: it was issued for another audience or tenant, by an issuer the vault does not trust, or it has expired.",
				Fix:   "Check that the identity belongs to the vault's tenant. With the emulator, take the identity endpoint and the vault from the same emulator run.",
			}
		}
		if code == "SecretDisabled" {
			return problem{
				Kind: kindSecretDisabled, Status: http.StatusForbidden,
				Title: "The secret is disabled",
				Plain: "The secret " + quote(cfg.SecretName) + " exists, but its current version is disabled, so the vault will not hand out its value.",
				Fix:   "Enable the version in the vault, or set a new version.",
			}
		}
		p := problem{
			Kind: kindPermissionDenied, Status: http.StatusForbidden,
			Title: "Permission denied",
			Plain: "The vault knows the app's identity (" + identityLabel(cfg) + ") but does not let it read the secret " + quote(cfg.SecretName) + ".",
		}
		p.Missing = missingPermission(code, azurekv.ErrorMessage(err))
		switch {
		case strings.HasPrefix(p.Missing, "Microsoft."):
			p.Fix = "Give the identity a role that includes the data action " + p.Missing + ", such as Key Vault Secrets User, on the vault or on this secret."
		case p.Missing != "":
			p.Fix = "Add the secret permission \"" + p.Missing + "\" to the identity's access policy on the vault."
		default:
			p.Fix = "Grant the identity read access to secrets (access policy \"get\", or the Key Vault Secrets User role)."
		}
		return p
	case errors.Is(err, provider.ErrNotFound):
		return problem{
			Kind: kindNotFound, Status: http.StatusNotFound,
			Title: "Secret not found",
			Plain: "The vault has no secret called " + quote(cfg.SecretName) + " (or it was deleted).",
			Fix:   "Create it in the vault, recover it if it was deleted, or point the app at another one with -secret / WEBAPP_SECRET.",
		}
	case errors.Is(err, provider.ErrInvalidArgument):
		return problem{
			Kind: kindInvalid, Status: http.StatusBadRequest,
			Title: "The secret name is not valid here",
			Plain: "The backend cannot hold a secret called " + quote(cfg.SecretName) + ".",
			Fix:   "Key Vault names use only letters, digits and dashes, up to 127 characters. Change -secret / WEBAPP_SECRET.",
		}
	case errors.As(err, &respErr):
		// The vault answered, with a status none of the cases above
		// explains: throttling or a server error.
		return problem{
			Kind: kindVaultError, Status: http.StatusBadGateway,
			Title: "The vault answered with an error",
			Plain: "The vault" + vaultLabel(cfg) + " answered " + strconv.Itoa(respErr.StatusCode) + " " + http.StatusText(respErr.StatusCode) + " instead of the secret. It is usually temporary: the vault is throttling requests or having trouble.",
			Fix:   "Try again in a little while; if it persists, check the vault's health.",
		}
	case errors.As(err, &dnsErr), errors.As(err, &opErr), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, provider.ErrUnavailable):
		return problem{
			Kind: kindUnreachable, Status: http.StatusBadGateway,
			Title: "The vault is unreachable",
			Plain: "The app could not get an answer from the vault" + vaultLabel(cfg) + ": the name does not resolve, nothing listens there, or it did not answer in time.",
			Fix:   "Check the vault URL, including its port (the emulator's vault listens on 8443 unless -vault-addr says otherwise), and that the vault (or the emulator) is running and reachable from here.",
		}
	}
	return problem{
		Kind: kindUnknown, Status: http.StatusInternalServerError,
		Title: "Reading the secret failed",
		Plain: "Something unexpected went wrong while reading the secret " + quote(cfg.SecretName) + ".",
		Fix:   "The details below and the app's log say more.",
	}
}

var (
	// "... does not have secrets get permission on key vault ..."
	policyPermission = regexp.MustCompile(`does not have secrets (\w+) permission`)
	// "Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'"
	rbacAction = regexp.MustCompile(`Action: '([^']+)'`)
)

// missingPermission reads the permission a Key Vault 403 names: the access
// policy's secret permission for AccessDenied, the data action for
// ForbiddenByRbac. The service's messages are the only place it is given.
func missingPermission(code, message string) string {
	var re *regexp.Regexp
	switch code {
	case "AccessDenied":
		re = policyPermission
	case "ForbiddenByRbac":
		re = rbacAction
	default:
		return ""
	}
	if m := re.FindStringSubmatch(message); m != nil {
		return m[1]
	}
	return ""
}

func identityLabel(cfg config) string {
	if cfg.Identity != "" {
		return "the identity " + cfg.Identity
	}
	return "the app's default managed identity"
}

func vaultLabel(cfg config) string {
	if cfg.ProviderURI != "" || cfg.VaultURL == "" {
		return ""
	}
	return " at " + cfg.VaultURL
}

func quote(name string) string { return "\u201c" + name + "\u201d" }
