package identity

import (
	"net/http"
	"net/url"
	"strings"
)

// API versions each flavour's real endpoint is called with by the SDKs. Any
// other value is refused, so a client built against a different protocol
// revision fails here as it might in Azure.
const (
	imdsAPIVersion          = "2018-02-01"
	appServiceAPIVersion    = "2019-08-01"
	azureMLAPIVersion       = "2017-09-01"
	arcAPIVersion           = "2020-06-01"
	serviceFabricAPIVersion = "2019-07-01-preview"
)

func checkMethod(r *http.Request, want string) *miError {
	if r.Method != want {
		return &miError{http.StatusMethodNotAllowed, "invalid_request", "The HTTP method " + r.Method + " is not supported; use " + want}
	}
	return nil
}

// checkAPIVersion wording is unconfirmed for every flavour; the status (400)
// is what the SDKs' own tests expect for a bad request.
func checkAPIVersion(q url.Values, want string) *miError {
	got := q.Get("api-version")
	if got == "" {
		return badRequest("Required api-version parameter not specified")
	}
	if got != want {
		return badRequest("Invalid api-version '" + got + "'; supported: " + want)
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
	if m := checkAPIVersion(q, imdsAPIVersion); m != nil {
		e.fail(w, flavour, m)
		return
	}
	e.issueFor(w, flavour, q.Get("resource"), selection{q.Get("client_id"), q.Get("object_id"), q.Get("msi_res_id")})
}

// serveAppService is App Service / Functions (IDENTITY_ENDPOINT). A missing
// or wrong X-IDENTITY-HEADER gets 401, as App Service answers it.
func (e *Endpoints) serveAppService(w http.ResponseWriter, r *http.Request) {
	const flavour = "appservice"
	if m := checkMethod(r, http.MethodGet); m != nil {
		e.fail(w, flavour, m)
		return
	}
	if !e.secretMatches(r.Header.Get("X-IDENTITY-HEADER")) {
		e.fail(w, flavour, &miError{http.StatusUnauthorized, "unauthorized", "X-IDENTITY-HEADER is missing or invalid"})
		return
	}
	q := r.URL.Query()
	if m := checkAPIVersion(q, appServiceAPIVersion); m != nil {
		e.fail(w, flavour, m)
		return
	}
	e.issueFor(w, flavour, q.Get("resource"), selection{q.Get("client_id"), q.Get("object_id"), q.Get("mi_res_id")})
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
	e.issueFor(w, flavour, r.PostForm.Get("resource"), selection{})
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
	if m := checkAPIVersion(q, azureMLAPIVersion); m != nil {
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
	if m := checkAPIVersion(q, serviceFabricAPIVersion); m != nil {
		e.fail(w, flavour, m)
		return
	}
	e.issueFor(w, flavour, q.Get("resource"), selection{})
}

func (e *Endpoints) issueFor(w http.ResponseWriter, flavour, resource string, sel selection) {
	resp, _, m := e.tokenFor(resource, sel)
	if m != nil {
		e.fail(w, flavour, m)
		return
	}
	e.succeed(w, flavour, resp)
}

// tokenFor checks the resource, finds the selected identity and mints its
// token: the part every flavour shares once its own checks passed.
func (e *Endpoints) tokenFor(resource string, sel selection) (tokenResponse, *Identity, *miError) {
	if m := requireResource(resource); m != nil {
		return tokenResponse{}, nil, m
	}
	id, m := e.find(sel)
	if m != nil {
		return tokenResponse{}, nil, m
	}
	resp, m := e.mint(id, resource)
	return resp, id, m
}
