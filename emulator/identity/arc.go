package identity

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// An Arc client proves it runs on the machine by reading a file only local
// administrators can read: the first request gets 401 with
// "WWW-Authenticate: Basic realm=<file>", the retry sends
// "Authorization: Basic <file contents>". Each key is good for one token
// request within arcChallengeTTL.
const (
	arcChallengeTTL  = time.Minute
	maxArcChallenges = 32 // bounds files left by clients that never retry
)

type arcChallenge struct {
	path    string
	key     string
	expires time.Time
}

// serveArc is an Azure Arc-enabled server's HIMDS endpoint.
func (e *Endpoints) serveArc(w http.ResponseWriter, r *http.Request) {
	const flavour = "arc"
	if m := checkMethod(r, http.MethodGet); m != nil {
		e.fail(w, flavour, m)
		return
	}
	if !hasMetadataHeader(r) {
		e.fail(w, flavour, badRequest("Required metadata header not specified"))
		return
	}
	q := r.URL.Query()
	if m := checkAPIVersion(q, arcAPIVersions); m != nil {
		e.fail(w, flavour, m)
		return
	}
	scheme, key, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Basic") || !e.consumeArcKey(strings.TrimSpace(key)) {
		path, err := e.newArcChallenge()
		if err != nil {
			e.log.Error("arc challenge file not written", "dir", e.arcKeyDir, "err", err)
			e.fail(w, flavour, &miError{http.StatusInternalServerError, "server_error", "could not create the challenge key file"})
			return
		}
		w.Header().Set("WWW-Authenticate", "Basic realm="+path)
		e.fail(w, flavour, &miError{http.StatusUnauthorized, "unauthorized_client", "Read the key file named in WWW-Authenticate and retry with Authorization: Basic <key>"})
		return
	}
	sel := selection{q.Get("client_id"), q.Get("object_id"), q.Get("msi_res_id")}
	resp, id, m := e.tokenFor(q.Get("resource"), sel, nil)
	if m != nil {
		e.fail(w, flavour, m)
		return
	}
	// MSAL Go refuses a user-assigned token unless the agent echoes the
	// selector it honoured (client_id is always in the response).
	if sel.objectID != "" {
		resp.ObjectID = id.ObjectID
	}
	if sel.resourceID != "" {
		resp.MsiResID = id.ResourceID
	}
	e.succeed(w, flavour, resp)
}

// newArcChallenge writes a fresh key file (0600, in a 0700 directory) and
// returns its path.
func (e *Endpoints) newArcChallenge() (string, error) {
	if err := os.MkdirAll(e.arcKeyDir, 0o700); err != nil {
		return "", err
	}
	c := arcChallenge{
		path:    filepath.Join(e.arcKeyDir, randomHex(16)+".key"),
		key:     randomHex(32),
		expires: time.Now().Add(arcChallengeTTL),
	}
	// O_EXCL: never follow or reuse a file someone else planted at this name.
	f, err := os.OpenFile(c.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	if _, err := f.WriteString(c.key); err != nil {
		f.Close()
		os.Remove(c.path)
		return "", err
	}
	if err := f.Close(); err != nil {
		os.Remove(c.path)
		return "", err
	}
	e.arcMu.Lock()
	defer e.arcMu.Unlock()
	e.pruneArcLocked(time.Now())
	for len(e.arcChallenges) >= maxArcChallenges {
		os.Remove(e.arcChallenges[0].path)
		e.arcChallenges = e.arcChallenges[1:]
	}
	e.arcChallenges = append(e.arcChallenges, c)
	return c.path, nil
}

// consumeArcKey reports whether key belongs to a live challenge, and if so
// retires it so it cannot be replayed.
func (e *Endpoints) consumeArcKey(key string) bool {
	if key == "" {
		return false
	}
	e.arcMu.Lock()
	defer e.arcMu.Unlock()
	e.pruneArcLocked(time.Now())
	found := -1
	for i, c := range e.arcChallenges {
		// Compare every entry in constant time, so timing does not reveal
		// how much of a guess matched.
		if subtle.ConstantTimeCompare([]byte(c.key), []byte(key)) == 1 {
			found = i
		}
	}
	if found < 0 {
		return false
	}
	os.Remove(e.arcChallenges[found].path)
	e.arcChallenges = append(e.arcChallenges[:found], e.arcChallenges[found+1:]...)
	return true
}

func (e *Endpoints) pruneArcLocked(now time.Time) {
	kept := e.arcChallenges[:0]
	for _, c := range e.arcChallenges {
		if now.After(c.expires) {
			os.Remove(c.path)
			continue
		}
		kept = append(kept, c)
	}
	e.arcChallenges = kept
}

// Close removes any Arc challenge key files not yet used. The endpoints keep
// working afterwards; Close only cleans up the filesystem.
func (e *Endpoints) Close() error {
	e.arcMu.Lock()
	defer e.arcMu.Unlock()
	var errs []error
	for _, c := range e.arcChallenges {
		if err := os.Remove(c.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("identity: remove %s: %w", c.path, err))
		}
	}
	e.arcChallenges = nil
	return errors.Join(errs...)
}
