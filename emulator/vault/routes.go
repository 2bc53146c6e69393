package vault

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/secretkit/secretkit/kv"
)

// route is a matched request: the operation and the path parameters.
type route struct {
	op      kv.Operation
	name    string // "" for vault-wide operations
	version string // "" = latest
}

// routeMiss says why no route matched: unknownPath (404) or a known path
// with another method (405, with the methods it allows).
type routeMiss struct {
	allow     []string
	operation string // what the service calls the addressed operation
}

// matchRoute maps method and escaped path to an operation. Literal segments
// (restore, backup, versions, recover) are matched before a segment is
// taken as a name or version, but only for the method they belong to, so a
// secret may still be called "restore" or "backup".
func matchRoute(method, path string) (route, *routeMiss) {
	segs := strings.Split(strings.TrimLeft(path, "/"), "/")
	// Segments are split before unescaping, so an escaped slash stays
	// inside its segment (and then fails name validation).
	for i, seg := range segs {
		if u, err := url.PathUnescape(seg); err == nil {
			segs[i] = u
		}
	}
	// One trailing slash addresses the same resource (Go sends
	// /secrets/{name}/ for the latest version).
	if n := len(segs); n > 1 && segs[n-1] == "" {
		segs = segs[:n-1]
	}
	is := func(i int, lit string) bool { return strings.EqualFold(segs[i], lit) }
	miss := func(op string, allow ...string) (route, *routeMiss) {
		return route{}, &routeMiss{allow: allow, operation: op}
	}
	if len(segs) == 0 {
		return route{}, nil
	}
	switch {
	case is(0, "secrets"):
		switch len(segs) {
		case 1:
			if method == http.MethodGet {
				return route{op: kv.OpList}, nil
			}
			return miss("secrets", http.MethodGet)
		case 2:
			name := segs[1]
			if method == http.MethodPost && is(1, "restore") {
				return route{op: kv.OpRestore}, nil
			}
			switch method {
			case http.MethodPut:
				return route{op: kv.OpSet, name: name}, nil
			case http.MethodGet:
				return route{op: kv.OpGet, name: name}, nil
			case http.MethodPatch:
				// unconfirmed: PATCH without a version updates the latest.
				return route{op: kv.OpUpdate, name: name}, nil
			case http.MethodDelete:
				return route{op: kv.OpDelete, name: name}, nil
			}
			if is(1, "restore") {
				return miss("restore", http.MethodPost)
			}
			return miss("secrets", http.MethodPut, http.MethodGet, http.MethodPatch, http.MethodDelete)
		case 3:
			name, third := segs[1], segs[2]
			switch {
			case method == http.MethodPost && is(2, "backup"):
				return route{op: kv.OpBackup, name: name}, nil
			case method == http.MethodGet && is(2, "versions"):
				return route{op: kv.OpListVersions, name: name}, nil
			case method == http.MethodGet:
				return route{op: kv.OpGet, name: name, version: third}, nil
			case method == http.MethodPatch:
				return route{op: kv.OpUpdate, name: name, version: third}, nil
			case is(2, "backup"):
				return miss("backup", http.MethodPost)
			case is(2, "versions"):
				return miss("versions", http.MethodGet)
			}
			return miss("secrets", http.MethodGet, http.MethodPatch)
		}
	case is(0, "deletedsecrets"):
		switch len(segs) {
		case 1:
			if method == http.MethodGet {
				return route{op: kv.OpListDeleted}, nil
			}
			return miss("deletedsecrets", http.MethodGet)
		case 2:
			switch method {
			case http.MethodGet:
				return route{op: kv.OpGetDeleted, name: segs[1]}, nil
			case http.MethodDelete:
				return route{op: kv.OpPurge, name: segs[1]}, nil
			}
			return miss("deletedsecrets", http.MethodGet, http.MethodDelete)
		case 3:
			if is(2, "recover") {
				if method == http.MethodPost {
					return route{op: kv.OpRecover, name: segs[1]}, nil
				}
				return miss("recover", http.MethodPost)
			}
		}
	}
	return route{}, nil
}
