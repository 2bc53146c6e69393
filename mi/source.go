package mi

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strings"
	"unicode"
)

var osGetenv = os.Getenv

// SourceName names a managed-identity hosting source: the kind of endpoint
// the SDK asks for tokens.
type SourceName string

// The sources the Azure SDK for Go (azidentity v1.15.0 over MSAL Go
// v1.10.1) can detect.
const (
	IMDS          SourceName = "IMDS"
	AppService    SourceName = "App Service"
	ServiceFabric SourceName = "Service Fabric"
	CloudShell    SourceName = "Cloud Shell"
	AzureML       SourceName = "Azure ML"
	AzureArc      SourceName = "Azure Arc"
)

// The endpoints the SDK uses when the environment names none.
const (
	IMDSEndpoint     = "http://169.254.169.254/metadata/identity/oauth2/token"
	AzureArcEndpoint = "http://127.0.0.1:40342/metadata/identity/oauth2/token"
)

// Source is DetectSource's finding: which source the SDK will use, where it
// will send token requests, and why.
type Source struct {
	Name SourceName
	// Endpoint is the URL token requests go to, before the SDK adds its
	// query parameters.
	Endpoint string
	// Reason states which environment variables or files decided Name, in
	// terms a user can check (e.g. "IDENTITY_ENDPOINT and IDENTITY_HEADER
	// are set").
	Reason string
	// Notes lists settings present in the environment that the SDK will
	// ignore or reject, each in one sentence: the usual cause of "my
	// endpoint is never called". Nil when there is nothing to say.
	Notes []string
	// UserAssignedSupported reports whether the source can serve any
	// user-assigned identity; Selector.Check gives the per-kind answer.
	UserAssignedSupported bool
}

// Environment is what DetectSource reads. Each nil or empty field falls
// back to the running process: os.Getenv, a stat of the path, runtime.GOOS.
type Environment struct {
	Getenv     func(string) string
	FileExists func(path string) bool
	// GOOS decides where the Azure Arc agent is looked for ("linux" and
	// "windows" have a location; other systems never detect Arc by file).
	GOOS string
}

func (e Environment) withDefaults() Environment {
	if e.Getenv == nil {
		e.Getenv = osGetenv
	}
	if e.FileExists == nil {
		e.FileExists = func(path string) bool {
			_, err := os.Stat(path)
			return err == nil
		}
	}
	if e.GOOS == "" {
		e.GOOS = runtime.GOOS
	}
	return e
}

// ArcAgentPath returns where the SDK looks for the Azure Arc agent
// executable on goos, whose presence alone selects Azure Arc; "" when the
// SDK does not look on that system. On Windows the path is under
// %ProgramData%, read through getenv.
func ArcAgentPath(goos string, getenv func(string) string) string {
	switch goos {
	case "linux":
		return "/opt/azcmagent/bin/himds"
	case "windows":
		if getenv == nil {
			getenv = osGetenv
		}
		// MSAL joins with filepath.Join, so an unset ProgramData yields a
		// relative path; mirror that rather than invent a drive.
		dir := strings.TrimRight(getenv("ProgramData"), `\/`)
		if dir == "" {
			return `AzureConnectedMachineAgent\himds.exe`
		}
		return dir + `\AzureConnectedMachineAgent\himds.exe`
	}
	return ""
}

// The environment variables the SDK reads to choose and call a source.
const (
	envIdentityEndpoint  = "IDENTITY_ENDPOINT"
	envIdentityHeader    = "IDENTITY_HEADER"
	envServerThumbprint  = "IDENTITY_SERVER_THUMBPRINT"
	envMSIEndpoint       = "MSI_ENDPOINT"
	envMSISecret         = "MSI_SECRET"
	envIMDSEndpoint      = "IMDS_ENDPOINT"
	envPodIdentityHost   = "AZURE_POD_IDENTITY_AUTHORITY_HOST"
	envDefaultMLClientID = "DEFAULT_IDENTITY_CLIENT_ID"
)

// serviceFabricSHA1Hex is the length of IDENTITY_SERVER_THUMBPRINT once
// separators are removed; the SDK refuses any other.
const serviceFabricSHA1Hex = 40

// DetectSource reports the source azidentity's ManagedIdentityCredential
// will use in env, applying the SDK's own order, first match wins:
//
//  1. IDENTITY_ENDPOINT and IDENTITY_HEADER set: Service Fabric if
//     IDENTITY_SERVER_THUMBPRINT is also set, else App Service;
//  2. MSI_ENDPOINT set: Azure ML if MSI_SECRET is also set, else Cloud Shell;
//  3. IDENTITY_ENDPOINT and IMDS_ENDPOINT set, or the Arc agent executable
//     exists (see ArcAgentPath): Azure Arc;
//  4. otherwise IMDS at IMDSEndpoint.
//
// "Set" means non-empty, as in the SDK. DetectSource only reads; it never
// contacts an endpoint, so IMDS is reported even where no IMDS answers.
func DetectSource(env Environment) Source {
	env = env.withDefaults()
	get := env.Getenv
	identityEndpoint, identityHeader := get(envIdentityEndpoint), get(envIdentityHeader)
	thumbprint := get(envServerThumbprint)
	msiEndpoint, msiSecret := get(envMSIEndpoint), get(envMSISecret)
	imdsEndpoint := get(envIMDSEndpoint)

	var src Source
	switch {
	case identityEndpoint != "" && identityHeader != "" && thumbprint != "":
		src = Source{Name: ServiceFabric, Endpoint: identityEndpoint,
			Reason: "IDENTITY_ENDPOINT, IDENTITY_HEADER and IDENTITY_SERVER_THUMBPRINT are set"}
		src.Notes = append(src.Notes, serviceFabricProblems(identityEndpoint, thumbprint)...)
	case identityEndpoint != "" && identityHeader != "":
		src = Source{Name: AppService, Endpoint: identityEndpoint, UserAssignedSupported: true,
			Reason: "IDENTITY_ENDPOINT and IDENTITY_HEADER are set and IDENTITY_SERVER_THUMBPRINT is not"}
	case msiEndpoint != "" && msiSecret != "":
		src = Source{Name: AzureML, Endpoint: msiEndpoint, UserAssignedSupported: true,
			Reason: "MSI_ENDPOINT and MSI_SECRET are set"}
		if get(envDefaultMLClientID) == "" {
			src.Notes = append(src.Notes, "DEFAULT_IDENTITY_CLIENT_ID is not set: a request for the system-assigned identity sends an empty clientid")
		}
	case msiEndpoint != "":
		src = Source{Name: CloudShell, Endpoint: msiEndpoint,
			Reason: "MSI_ENDPOINT is set and MSI_SECRET is not"}
	case identityEndpoint != "" && imdsEndpoint != "":
		src = Source{Name: AzureArc, Endpoint: identityEndpoint, UserAssignedSupported: true,
			Reason: "IDENTITY_ENDPOINT and IMDS_ENDPOINT are set and IDENTITY_HEADER is not"}
	default:
		if agent := ArcAgentPath(env.GOOS, get); agent != "" && env.FileExists(agent) {
			endpoint := identityEndpoint
			if endpoint == "" {
				endpoint = AzureArcEndpoint
			}
			src = Source{Name: AzureArc, Endpoint: endpoint, UserAssignedSupported: true,
				Reason: "the Azure Arc agent " + agent + " exists"}
			break
		}
		src = Source{Name: IMDS, Endpoint: IMDSEndpoint, UserAssignedSupported: true,
			Reason: "no other source is configured: IDENTITY_ENDPOINT with IDENTITY_HEADER or IMDS_ENDPOINT, " +
				"MSI_ENDPOINT, and the Azure Arc agent are all absent"}
	}
	src.Notes = append(src.Notes, ignoredSettings(src.Name, get)...)
	return src
}

// ignoredSettings names variables that are set but play no part for the
// chosen source, each with the reason; the order is fixed so output is
// stable.
func ignoredSettings(chosen SourceName, get func(string) string) []string {
	set := func(name string) bool { return get(name) != "" }
	appServiceWon := chosen == AppService || chosen == ServiceFabric
	var notes []string
	ignored := func(name, why string) { notes = append(notes, name+" is ignored: "+why) }

	if set(envIdentityEndpoint) && chosen != AppService && chosen != ServiceFabric && chosen != AzureArc {
		if chosen == IMDS {
			ignored(envIdentityEndpoint, "App Service needs IDENTITY_HEADER too, Azure Arc needs IMDS_ENDPOINT too")
		} else {
			ignored(envIdentityEndpoint, "without IDENTITY_HEADER, MSI_ENDPOINT takes precedence")
		}
	}
	if set(envIdentityHeader) && !appServiceWon {
		ignored(envIdentityHeader, "IDENTITY_ENDPOINT is empty")
	}
	if set(envServerThumbprint) && chosen != ServiceFabric {
		ignored(envServerThumbprint, "it counts only with IDENTITY_ENDPOINT and IDENTITY_HEADER")
	}
	if set(envMSIEndpoint) && appServiceWon {
		ignored(envMSIEndpoint, "IDENTITY_ENDPOINT with IDENTITY_HEADER takes precedence")
	}
	if set(envMSISecret) && chosen != AzureML {
		if appServiceWon {
			ignored(envMSISecret, "IDENTITY_ENDPOINT with IDENTITY_HEADER takes precedence")
		} else {
			ignored(envMSISecret, "MSI_ENDPOINT is empty")
		}
	}
	if set(envIMDSEndpoint) && chosen != AzureArc {
		if chosen == IMDS {
			ignored(envIMDSEndpoint, "Azure Arc needs IDENTITY_ENDPOINT too")
		} else {
			ignored(envIMDSEndpoint, string(chosen)+" takes precedence over Azure Arc")
		}
	}
	if set(envPodIdentityHost) && chosen == IMDS {
		ignored(envPodIdentityHost, "the Go SDK always uses "+IMDSEndpoint)
	}
	return notes
}

// serviceFabricProblems reports what would make the SDK refuse a Service
// Fabric configuration when the credential is built.
func serviceFabricProblems(endpoint, thumbprint string) []string {
	var notes []string
	if u, err := url.Parse(endpoint); err != nil || u.Scheme != "https" || u.Host == "" {
		notes = append(notes, "IDENTITY_ENDPOINT must be an https URL for Service Fabric; the SDK will refuse it")
	}
	digits := strings.Map(func(r rune) rune {
		if r == ':' || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, thumbprint)
	if len(digits) != serviceFabricSHA1Hex || strings.Trim(strings.ToLower(digits), "0123456789abcdef") != "" {
		notes = append(notes, "IDENTITY_SERVER_THUMBPRINT is not a SHA-1 thumbprint (40 hex digits); the SDK will refuse it")
	}
	return notes
}

// ErrUnsupportedIdentity is wrapped by every Check error, so callers can
// tell "this source cannot serve that identity" from other failures with
// errors.Is.
var ErrUnsupportedIdentity = errors.New("identity not supported by this managed-identity source")

// Check reports whether src can serve s, following the SDK's restrictions:
// Cloud Shell and Service Fabric serve only the system-assigned identity
// (Service Fabric's identity is fixed by the cluster's configuration); Azure
// ML accepts a user-assigned identity by client id only; IMDS, App Service
// and Azure Arc accept every kind. The error wraps ErrUnsupportedIdentity
// and names the source, the selector and what the source does accept.
func (s Selector) Check(src Source) error {
	if s.Kind == System {
		return nil
	}
	var accepts string
	switch src.Name {
	case CloudShell, ServiceFabric:
		accepts = "only the system-assigned identity"
	case AzureML:
		if s.Kind == ClientID {
			return nil
		}
		accepts = "a user-assigned identity by client id only"
	default:
		return nil
	}
	return fmt.Errorf("mi: %s (%s) cannot use %s: it supports %s: %w", src.Name, src.Reason, s, accepts, ErrUnsupportedIdentity)
}
