package identity

import (
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// API versions each flavour's real endpoint documents for its token
// route. Any other value is refused, so a client built against a protocol
// revision the endpoint never had fails here as it would in Azure.
var (
	// IMDS: every dated IMDS version from 2018-02-01 (the first with the
	// identity route) serves the same token request.
	// unconfirmed: that every later IMDS version serves /identity/oauth2/token unchanged.
	imdsAPIVersions = []string{"2018-02-01", "2018-04-02", "2018-06-01", "2018-10-01", "2019-02-01", "2019-03-11",
		"2019-04-30", "2019-06-01", "2019-06-04", "2019-08-01", "2019-08-15", "2019-11-01", "2020-06-01", "2020-07-15",
		"2020-09-01", "2020-10-01", "2020-12-01", "2021-01-01", "2021-02-01", "2021-03-01", "2021-05-01", "2021-10-01",
		"2021-11-01", "2021-11-15", "2021-12-13", "2022-02-01", "2022-03-01", "2022-07-01", "2022-08-01", "2022-11-01",
		"2023-07-01", "2023-11-15"}
	// App Service: 2019-08-01 (IDENTITY_ENDPOINT); 2017-09-01 is the
	// legacy protocol on the same endpoint (legacy.go).
	appServiceAPIVersions    = []string{appServiceAPIVersion, legacyAPIVersion}
	azureMLAPIVersions       = []string{legacyAPIVersion}
	arcAPIVersions           = []string{"2019-11-01", "2020-06-01"}
	serviceFabricAPIVersions = []string{"2019-07-01-preview"}
)

const (
	appServiceAPIVersion = "2019-08-01"
	legacyAPIVersion     = "2017-09-01"
)

func checkMethod(r *http.Request, want string) *miError {
	if r.Method != want {
		return &miError{http.StatusMethodNotAllowed, "invalid_request", "The HTTP method " + r.Method + " is not supported; use " + want}
	}
	return nil
}

// checkAPIVersion wording is unconfirmed for every flavour; the status (400)
// is what the SDKs' own tests expect for a bad request.
func checkAPIVersion(q url.Values, supported []string) *miError {
	got := q.Get("api-version")
	if got == "" {
		return badRequest("Required api-version parameter not specified")
	}
	if !slices.Contains(supported, got) {
		return badRequest("Invalid api-version '" + got + "'; supported: " + strings.Join(supported, ", "))
	}
	return nil
}

func requireResource(resource string) *miError {
	if resource == "" {
		return badRequest("Required audience parameter not specified")
	}
	return nil
}

func hasMetadataHeader(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Metadata"), "true")
}

// serveIMDS is the VM endpoint. Checks, in the real endpoint's order: the
// Metadata header (so the SDKs' bare availability probe gets its 400),
// X-Forwarded-For (IMDS refuses proxied requests as SSRF protection), GET,
// api-version, resource, then the identity.
func (e *Endpoints) serveIMDS(w http.ResponseWriter, r *http.Request) {
	const flavour = "imds"
	if !hasMetadataHeader(r) {
		e.fail(w, flavour, badRequest("Required metadata header not specified"))
		return
	}
	if len(r.Header.Values("X-Forwarded-For")) > 0 {
		// unconfirmed: wording; real IMDS refuses such requests with 400.
		e.fail(w, flavour, badRequest("Request contains X-Forwarded-For header and cannot be processed"))
		return
	}
	if m := checkMethod(r, http.MethodGet); m != nil {
		e.fail(w, flavour, m)
		return
	}
	q := r.URL.Query()
	if m := checkAPIVersion(q, imdsAPIVersions); m != nil {
		e.fail(w, flavour, m)
		return
	}
	e.issueFor(w, flavour, q.Get("resource"), selection{q.Get("client_id"), q.Get("object_id"), q.Get("msi_res_id")})
}

// serveAppService is App Service / Functions (IDENTITY_ENDPOINT). A missing
// or wrong X-IDENTITY-HEADER gets 401, as App Service answers it.
//
// The same endpoint serves the legacy 2017-09-01 protocol (legacy.go),
// told apart by api-version. Clients that declare client capabilities
// send xms_cc (e.g. "cp1"), which the token then carries, and may name a
// token the vault refused in token_sha256_to_refresh; the emulator keeps
// no token cache, so every answer is a fresh token anyway.
func (e *Endpoints) serveAppService(w http.ResponseWriter, r *http.Request) {
	const flavour = "appservice"
	if m := checkMethod(r, http.MethodGet); m != nil {
		e.fail(w, flavour, m)
		return
	}
	q := r.URL.Query()
	if q.Get("api-version") == legacyAPIVersion {
		e.serveLegacyAppService(w, r, q)
		return
	}
	if !e.secretMatches(r.Header.Get("X-IDENTITY-HEADER")) {
		e.fail(w, flavour, &miError{http.StatusUnauthorized, "unauthorized", "X-IDENTITY-HEADER is missing or invalid"})
		return
	}
	if m := checkAPIVersion(q, appServiceAPIVersions); m != nil {
		e.fail(w, flavour, m)
		return
	}
	if m := checkRefreshHash(q); m != nil {
		e.fail(w, flavour, m)
		return
	}
	e.issueWith(w, flavour, q.Get("resource"), selection{q.Get("client_id"), q.Get("object_id"), q.Get("mi_res_id")}, queryCapabilities(q))
}

// checkRefreshHash accepts token_sha256_to_refresh when it is what MSAL
// sends: the hex SHA-256 of the token to replace.
func checkRefreshHash(q url.Values) *miError {
	h := q.Get("token_sha256_to_refresh")
	if h == "" {
		return nil
	}
	if b, err := hex.DecodeString(h); err != nil || len(b) != 32 {
		// unconfirmed: the endpoints' answer to a token_sha256_to_refresh that is not a SHA-256.
		return badRequest("token_sha256_to_refresh must be the hex SHA-256 of an access token")
	}
	return nil
}

// serveCloudShell is Cloud Shell (MSI_ENDPOINT without MSI_SECRET): a POST
// with a form body, Metadata: true, and no user-assigned selection.
func (e *Endpoints) serveCloudShell(w http.ResponseWriter, r *http.Request) {
	const flavour = "cloudshell"
	if m := checkMethod(r, http.MethodPost); m != nil {
		e.fail(w, flavour, m)
		return
	}
	if !hasMetadataHeader(r) {
		e.fail(w, flavour, badRequest("Required metadata header not specified"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		e.fail(w, flavour, badRequest("The request body is not a valid form"))
		return
	}
	// Cloud Shell has only the signed-in account's identity: a request
	// for a user-assigned one is refused, never answered with another
	// identity's token.
	for _, key := range []string{"client_id", "object_id", "msi_res_id", "mi_res_id", "principal_id"} {
		if r.Form.Get(key) != "" {
			// unconfirmed: Cloud Shell's wording; MSAL refuses such a request before sending it.
			e.fail(w, flavour, badRequest("Cloud Shell supports only the system-assigned identity; "+key+" is not supported"))
			return
		}
	}
	if e.system == nil {
		e.fail(w, flavour, errIdentityNotFound())
		return
	}
	if m := requireResource(r.PostForm.Get("resource")); m != nil {
		e.fail(w, flavour, m)
		return
	}
	resp, m := e.mint(e.system, r.PostForm.Get("resource"), nil)
	if m != nil {
		e.fail(w, flavour, m)
		return
	}
	e.succeed(w, flavour, resp)
}

// serveAzureML is Azure ML compute (MSI_ENDPOINT with MSI_SECRET). The SDK
// always sends clientid, empty when no identity is chosen.
func (e *Endpoints) serveAzureML(w http.ResponseWriter, r *http.Request) {
	const flavour = "azureml"
	if m := checkMethod(r, http.MethodGet); m != nil {
		e.fail(w, flavour, m)
		return
	}
	if !e.secretMatches(r.Header.Get("secret")) {
		// unconfirmed: status; treated like App Service's header check.
		e.fail(w, flavour, &miError{http.StatusUnauthorized, "unauthorized", "secret header is missing or invalid"})
		return
	}
	q := r.URL.Query()
	if m := checkAPIVersion(q, azureMLAPIVersions); m != nil {
		e.fail(w, flavour, m)
		return
	}
	e.issueFor(w, flavour, q.Get("resource"), selection{clientID: q.Get("clientid")})
}

// serveServiceFabric is Service Fabric (IDENTITY_ENDPOINT with
// IDENTITY_SERVER_THUMBPRINT); the identity is the application's, so no
// selection is accepted.
func (e *Endpoints) serveServiceFabric(w http.ResponseWriter, r *http.Request) {
	const flavour = "servicefabric"
	if m := checkMethod(r, http.MethodGet); m != nil {
		e.fail(w, flavour, m)
		return
	}
	if !e.secretMatches(r.Header.Get("Secret")) {
		// unconfirmed: status; treated like App Service's header check.
		e.fail(w, flavour, &miError{http.StatusUnauthorized, "unauthorized", "Secret header is missing or invalid"})
		return
	}
	q := r.URL.Query()
	if m := checkAPIVersion(q, serviceFabricAPIVersions); m != nil {
		e.fail(w, flavour, m)
		return
	}
	if m := checkRefreshHash(q); m != nil {
		e.fail(w, flavour, m)
		return
	}
	e.issueWith(w, flavour, q.Get("resource"), selection{}, queryCapabilities(q))
}

func (e *Endpoints) issueFor(w http.ResponseWriter, flavour, resource string, sel selection) {
	e.issueWith(w, flavour, resource, sel, nil)
}

// issueWith is issueFor for a client that declared capabilities.
func (e *Endpoints) issueWith(w http.ResponseWriter, flavour, resource string, sel selection, capabilities []string) {
	resp, _, m := e.tokenFor(resource, sel, capabilities)
	if m != nil {
		e.fail(w, flavour, m)
		return
	}
	e.succeed(w, flavour, resp)
}

// tokenFor checks the resource, finds the selected identity and mints its
// token: the part every flavour shares once its own checks passed.
func (e *Endpoints) tokenFor(resource string, sel selection, capabilities []string) (tokenResponse, *Identity, *miError) {
	if m := requireResource(resource); m != nil {
		return tokenResponse{}, nil, m
	}
	id, m := e.find(sel)
	if m != nil {
		return tokenResponse{}, nil, m
	}
	resp, m := e.mint(id, resource, capabilities)
	return resp, id, m
}
