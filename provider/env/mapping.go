package env

import (
	"errors"
	"strings"

	"github.com/secretkit/secretkit/provider"
)

// MapName returns the variable name (before any prefix) that holds the
// secret called name in mapped mode: upper case, with '-' as '_', so
// "db-password" is DB_PASSWORD. A name is 1 or more of [A-Za-z0-9_-].
// It is the one mapping the env provider uses; [Mapping] lends it to other
// providers.
func MapName(name string) (string, error) {
	if name == "" {
		return "", errors.New("empty")
	}
	var b strings.Builder
	b.Grow(len(name))
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		case r == '-':
			b.WriteByte('_')
		default:
			return "", errors.New("only letters, digits, '-' and '_' are allowed")
		}
	}
	return b.String(), nil
}

// canonicalName is the secret name a mapped variable lists as: lower case
// with '_' as '-'.
func canonicalName(variable string) string {
	return strings.ReplaceAll(strings.ToLower(variable), "_", "-")
}

// Mapping returns the env provider's mapped-mode naming, after prefix, as
// a provider.NameMapping. Wrapping another provider with it
// (provider.MapNames) makes that provider answer to the names env:// does:
// a dotenv file holding DB_PASSWORD serves "db-password", so swapping
// env://?prefix=APP_ for a file of APP_ variables changes no caller.
// Listings show the canonical names env lists, and hide stored names that
// env could not read back.
func Mapping(prefix string) provider.NameMapping {
	return provider.NameMapping{
		ToBackend: MapName,
		FromBackend: func(variable string) (string, bool) {
			name := canonicalName(variable)
			back, err := MapName(name)
			return name, err == nil && back == variable
		},
	}.Then(provider.PrefixMapping(prefix))
}
