package identity

import (
	"net/http"
	"net/url"
)

// The legacy App Service protocol (api-version 2017-09-01), from the days
// before IDENTITY_ENDPOINT, as its clients call it (msrestazure's
// MSIAuthentication, azure-identity for Python's legacy App Service
// source, MSAL's 2017 App Service source):
//
//	GET {MSI_ENDPOINT}?resource=https://vault.azure.net&api-version=2017-09-01[&clientid={guid}]
//	secret: {MSI_SECRET}
//
// answered with
//
//	{"access_token":"...","expires_on":"11/30/2026 10:00:00 +00:00","resource":"...","token_type":"Bearer"}
//
// The real App Service serves it on the same endpoint as 2019-08-01; the
// api-version picks the protocol.

// legacyExpiresOnLayout is expires_on in the 2017-09-01 responses: US
// month/day/year, 24-hour clock, always UTC with the offset written out.
const legacyExpiresOnLayout = "01/02/2006 15:04:05 +00:00"

// legacyTokenResponse is the 2017-09-01 answer: four fields, expires_on a
// date.
type legacyTokenResponse struct {
	AccessToken string `json:"access_token"`
	ExpiresOn   string `json:"expires_on"`
	Resource    string `json:"resource"`
	TokenType   string `json:"token_type"`
}

// serveLegacyAppService answers a 2017-09-01 request (method already
// checked). Its checks: the secret header, then resource, then the
// identity, chosen by clientid only (the 2019 selectors did not exist).
func (e *Endpoints) serveLegacyAppService(w http.ResponseWriter, r *http.Request, q url.Values) {
	const flavour = "appservice2017"
	if !e.secretMatches(r.Header.Get("secret")) {
		// unconfirmed: status; treated like App Service's header check.
		e.fail(w, flavour, &miError{http.StatusUnauthorized, "unauthorized", "secret header is missing or invalid"})
		return
	}
	for _, key := range []string{"client_id", "object_id", "mi_res_id"} {
		if q.Get(key) != "" {
			e.fail(w, flavour, badRequest("api-version 2017-09-01 selects a user-assigned identity by clientid only; "+key+" needs api-version 2019-08-01"))
			return
		}
	}
	resp, _, m := e.tokenFor(q.Get("resource"), selection{clientID: q.Get("clientid")}, nil)
	if m != nil {
		e.fail(w, flavour, m)
		return
	}
	e.logIssued(flavour, resp)
	writeJSON(w, http.StatusOK, legacyTokenResponse{
		AccessToken: resp.AccessToken,
		ExpiresOn:   resp.expiresOn.UTC().Format(legacyExpiresOnLayout),
		Resource:    resp.Resource,
		TokenType:   resp.TokenType,
	})
}
