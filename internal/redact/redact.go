// Package redact keeps what may be a credential out of error messages and
// logs that mention a URL: its user information and query (tokens, SAS
// signatures, passwords), and the whole URL that a url.Parse error repeats.
// provider, azurekv and cmd/secrets all report URLs through it, so one rule
// decides what is shown.
package redact

import (
	"errors"
	"net/url"
)

// URL returns u as a string without its user information and query. The
// scheme, host, path and fragment stay: they locate the secret (a fragment
// names one) and carry no credential.
func URL(u *url.URL) string {
	c := *u
	c.User, c.RawQuery, c.ForceQuery = nil, "", false
	return c.String()
}

// URLString is URL for a URL not yet parsed; it returns "" when raw is
// empty or does not parse, since the parser's complaint would repeat it.
func URLString(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return URL(u)
}

// ParseError returns the reason inside a url.Parse error without the URL
// it repeats, which may hold credentials; other errors come back as they
// are.
func ParseError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
