package provider

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
)

// NameMapping translates between the names a program uses and the names a
// backend stores, so a program keeps its names when its backend changes.
type NameMapping struct {
	// ToBackend returns the stored name for a caller's name, or an error
	// (reported with ErrInvalidArgument) for a name it cannot map. Nil
	// keeps names as they are.
	ToBackend func(name string) (string, error)
	// FromBackend returns the caller's name for a stored name in listings
	// and in Secret.Name, or false to hide a stored name no caller's name
	// maps to. Nil keeps names as they are.
	FromBackend func(stored string) (name string, ok bool)
}

// PrefixMapping stores every name after prefix: with "app-", "db-password"
// is stored as "app-db-password". Listings show only stored names that
// start with prefix, without it.
func PrefixMapping(prefix string) NameMapping {
	return NameMapping{
		ToBackend: func(name string) (string, error) { return prefix + name, nil },
		FromBackend: func(stored string) (string, bool) {
			name, ok := strings.CutPrefix(stored, prefix)
			return name, ok && name != ""
		},
	}
}

// HierarchyMapping maps the ':' that joins the levels of a configuration
// key ("ConnectionStrings:Db") to sep in stored names, following the
// conventions .NET users know: "--" for Key Vault, whose names cannot hold
// ':' ("ConnectionStrings--Db"), and "__" for environment variables
// ("ConnectionStrings__Db"). Names holding sep themselves are rejected, so
// the mapping stays reversible.
func HierarchyMapping(sep string) NameMapping {
	return NameMapping{
		ToBackend: func(name string) (string, error) {
			if strings.Contains(name, sep) {
				return "", fmt.Errorf("the name holds %q, which stands for ':' in stored names", sep)
			}
			return strings.ReplaceAll(name, ":", sep), nil
		},
		FromBackend: func(stored string) (string, bool) {
			return strings.ReplaceAll(stored, sep, ":"), true
		},
	}
}

// CaseMapping stores names in upper case (upper true) or lower case;
// listings show stored names in the other case when they are entirely in
// the stored case, and hide the rest.
func CaseMapping(upper bool) NameMapping {
	to, from := strings.ToLower, strings.ToUpper
	if upper {
		to, from = strings.ToUpper, strings.ToLower
	}
	return NameMapping{
		ToBackend: func(name string) (string, error) { return to(name), nil },
		FromBackend: func(stored string) (string, bool) {
			return from(stored), to(stored) == stored
		},
	}
}

// Then returns the mapping that applies m and then next on the way to the
// backend, and next's inverse and then m's on the way back.
func (m NameMapping) Then(next NameMapping) NameMapping {
	return NameMapping{
		ToBackend: func(name string) (string, error) {
			mid, err := m.to(name)
			if err != nil {
				return "", err
			}
			return next.to(mid)
		},
		FromBackend: func(stored string) (string, bool) {
			mid, ok := next.from(stored)
			if !ok {
				return "", false
			}
			return m.from(mid)
		},
	}
}

func (m NameMapping) to(name string) (string, error) {
	if m.ToBackend == nil {
		return name, nil
	}
	return m.ToBackend(name)
}

func (m NameMapping) from(stored string) (string, bool) {
	if m.FromBackend == nil {
		return stored, true
	}
	return m.FromBackend(stored)
}

// Mapped is a decorator, made by [MapNames], that reads the wrapped
// provider under mapped names. It has the wrapped provider's listing,
// bulk-read and Close abilities (not its writes), and also [Watcher] (the wrapped provider's own watch, when it
// has one). Errors name the caller's name; the backend's error, reachable
// with errors.As, may name the stored one.
type Mapped struct {
	inner SecretProvider
	m     NameMapping
}

// MapNames returns p reading each name through m.
func MapNames(p SecretProvider, m NameMapping) *Mapped {
	return &Mapped{inner: p, m: m}
}

// store maps a caller's name, reporting a refusal as ErrInvalidArgument.
func (d *Mapped) store(op, name string) (string, error) {
	stored, err := d.m.to(name)
	if err != nil {
		return "", &Error{Provider: "mapnames", Op: op, Name: name, Kind: ErrInvalidArgument,
			Err: fmt.Errorf("invalid name: %w", err)}
	}
	return stored, nil
}

// rename makes err name the caller's name, keeping its provider, op and kind.
func rename(err error, name string) error {
	var perr *Error
	if err == nil || !errors.As(err, &perr) || perr.Name == name {
		return err
	}
	if e, ok := err.(*Error); ok {
		return &Error{Provider: e.Provider, Op: e.Op, Name: name, Kind: e.Kind, Err: e.Err}
	}
	return &Error{Provider: perr.Provider, Op: perr.Op, Name: name, Err: err}
}

// secretFor gives s the caller's name.
func (d *Mapped) secretFor(s Secret, name string) Secret {
	if n, ok := d.m.from(s.Name); ok {
		s.Name = n
	} else {
		s.Name = name
	}
	return s
}

// GetSecret implements [SecretProvider].
func (d *Mapped) GetSecret(ctx context.Context, name, version string) (Secret, error) {
	stored, err := d.store("get", name)
	if err != nil {
		return Secret{}, err
	}
	s, err := d.inner.GetSecret(ctx, stored, version)
	if err != nil {
		return Secret{}, rename(err, name)
	}
	return d.secretFor(s, name), nil
}

// Capabilities implements [CapabilityReporter]: those of the wrapped
// provider that Mapped forwards (see [forwarded]).
func (d *Mapped) Capabilities() Capabilities { return forwarded(d.inner) }

// ListSecrets lists the wrapped provider's secrets under the caller's
// names, leaving out stored names the mapping hides.
func (d *Mapped) ListSecrets(ctx context.Context) iter.Seq2[Metadata, error] {
	l, ok := d.inner.(Lister)
	if !ok || !CapabilitiesOf(d.inner).List {
		return yieldError(&Error{Provider: "mapnames", Op: "list", Err: errors.ErrUnsupported})
	}
	return d.mapList(l.ListSecrets(ctx), "")
}

// ListSecretVersions lists the versions of the secret stored under name's
// mapping.
func (d *Mapped) ListSecretVersions(ctx context.Context, name string) iter.Seq2[Metadata, error] {
	l, ok := d.inner.(VersionLister)
	if !ok || !CapabilitiesOf(d.inner).ListVersions {
		return yieldError(&Error{Provider: "mapnames", Op: "listversions", Name: name, Err: errors.ErrUnsupported})
	}
	stored, err := d.store("listversions", name)
	if err != nil {
		return yieldError(err)
	}
	return d.mapList(l.ListSecretVersions(ctx, stored), name)
}

func (d *Mapped) mapList(seq iter.Seq2[Metadata, error], name string) iter.Seq2[Metadata, error] {
	return func(yield func(Metadata, error) bool) {
		for m, err := range seq {
			if err != nil {
				if name != "" {
					err = rename(err, name)
				}
				yield(m, err)
				return
			}
			if n, ok := d.m.from(m.Name); ok {
				m.Name = n
			} else if name != "" {
				m.Name = name
			} else {
				continue
			}
			if !yield(m, nil) {
				return
			}
		}
	}
}

// GetSecrets implements [BulkGetter]: names the mapping refuses fail on
// their own, the rest go to the wrapped provider in one [GetMany].
func (d *Mapped) GetSecrets(ctx context.Context, names []string) ([]Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	results := make([]Result, len(names))
	var stored []string
	var at []int
	for i, name := range names {
		results[i].Name = name
		s, err := d.store("get", name)
		if err != nil {
			results[i].Err = err
			continue
		}
		stored = append(stored, s)
		at = append(at, i)
	}
	inner, err := GetMany(ctx, d.inner, stored)
	if err != nil {
		return nil, err
	}
	for j, r := range inner {
		i := at[j]
		if r.Err != nil {
			results[i].Err = rename(r.Err, names[i])
		} else {
			results[i].Secret = d.secretFor(r.Secret, names[i])
		}
	}
	return results, nil
}

// Close closes the wrapped provider if it has that ability.
func (d *Mapped) Close() error { return closeWrapped(d.inner) }

// WatchSecret implements [Watcher] over the wrapped provider's watch of the
// stored name.
func (d *Mapped) WatchSecret(ctx context.Context, name string) (WatchSource, error) {
	stored, err := d.store("watch", name)
	if err != nil {
		return nil, err
	}
	src, err := WatchSourceOf(ctx, d.inner, stored)
	if err != nil {
		return nil, rename(err, name)
	}
	return mappedSource{WatchSource: src, d: d, name: name}, nil
}

type mappedSource struct {
	WatchSource
	d    *Mapped
	name string
}

func (s mappedSource) Check(ctx context.Context) (Secret, bool, error) {
	sec, changed, err := s.WatchSource.Check(ctx)
	if err != nil {
		return Secret{}, false, rename(err, s.name)
	}
	if changed {
		sec = s.d.secretFor(sec, s.name)
	}
	return sec, changed, nil
}
