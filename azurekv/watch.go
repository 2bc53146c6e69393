package azurekv

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"strconv"

	"github.com/secretkit/secretkit/provider"
)

// WatchSecret implements provider.Watcher. Key Vault has no change feed a
// client can subscribe to without Event Grid, so each check lists the
// properties of the secret's versions (one request per 25 versions, no
// value on the wire) and reads the value with a GET only when a version
// was added or a version's attributes changed (disabled, re-enabled,
// expiry moved). provider.Watch adds the poll interval and its jitter.
//
// An identity that may get but not list (an access policy with only "get")
// is detected on the first check; the watch then reads the value on every
// check instead.
func (p *Provider) WatchSecret(ctx context.Context, name string) (provider.WatchSource, error) {
	if err := checkName(name); err != nil {
		return nil, provider.NewError(Name, "watch", name, provider.ErrInvalidArgument, err)
	}
	return &versionWatch{p: p, name: name}, nil
}

// versionWatch is driven by one goroutine; it needs no lock.
type versionWatch struct {
	p           *Provider
	name        string
	fingerprint [sha256.Size]byte // of the versions seen by the last listing
	readOK      bool              // the last value read succeeded
	getOnly     bool              // listing is denied to this identity
}

func (*versionWatch) Changes() <-chan struct{} { return nil }
func (*versionWatch) Close() error             { return nil }

func (w *versionWatch) Check(ctx context.Context) (provider.Secret, bool, error) {
	if !w.getOnly {
		fp, err := w.versions(ctx)
		switch {
		case errors.Is(err, provider.ErrPermissionDenied):
			w.getOnly = true
		case err != nil:
			w.readOK = false
			return provider.Secret{}, false, err
		case w.readOK && fp == w.fingerprint:
			return provider.Secret{}, false, nil
		default:
			w.fingerprint = fp
		}
	}
	s, err := w.p.GetSecret(ctx, w.name, "")
	w.readOK = err == nil
	return s, err == nil, err
}

// versions returns a digest of every version's id and mutable attributes.
func (w *versionWatch) versions(ctx context.Context) ([sha256.Size]byte, error) {
	var lines []string
	for m, err := range w.p.ListSecretVersions(ctx, w.name) {
		if err != nil {
			return [sha256.Size]byte{}, err
		}
		lines = append(lines, m.Version+" "+strconv.FormatBool(m.Enabled)+" "+
			strconv.FormatInt(m.Updated.UnixNano(), 10)+" "+strconv.FormatInt(m.Expires.UnixNano(), 10)+" "+
			strconv.FormatInt(m.NotBefore.UnixNano(), 10))
	}
	slices.Sort(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l + "\n"))
	}
	return [sha256.Size]byte(h.Sum(nil)), nil
}
