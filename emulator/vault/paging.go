package vault

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
)

const (
	defaultPageSize = 25
	maxPageSize     = 25
)

// unconfirmed: the service's wording for maxresults outside 1–25.
const msgBadMaxResults = "maxresults must be an integer between 1 and 25."

// unconfirmed: the service's wording for a $skiptoken it did not issue.
const msgBadSkipToken = "The $skiptoken is invalid."

// pageSize reads maxresults (default 25).
func pageSize(q url.Values) (int, error) {
	raw, ok := q["maxresults"]
	if !ok || len(raw) == 0 || raw[0] == "" {
		return defaultPageSize, nil
	}
	n, err := strconv.Atoi(raw[0])
	if err != nil || n < 1 || n > maxPageSize {
		return 0, errInvalid(msgBadMaxResults)
	}
	return n, nil
}

// Skip tokens are opaque to clients: base64url of a kind prefix and a
// position, so a token from one listing is refused by another.
const (
	tokenAfterKey = "k:" // list, list deleted: continue after this Key
	tokenOffset   = "o:" // list versions: continue at this index
)

func encodeSkipToken(kind, position string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + position))
}

// decodeSkipToken returns the position of a token of the given kind; an
// absent token is position "".
func decodeSkipToken(q url.Values, kind string) (string, error) {
	tok := q.Get("$skiptoken")
	if tok == "" {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || !strings.HasPrefix(string(raw), kind) {
		return "", errInvalid(msgBadSkipToken)
	}
	return strings.TrimPrefix(string(raw), kind), nil
}
