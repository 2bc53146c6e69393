package redact_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"

	"github.com/secretkit/secretkit/internal/redact"
)

func TestURLString(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"https://user:hunter2@v.vault.azure.net/path?sig=SECRET#name", "https://v.vault.azure.net/path#name"},
		{"file:///run/secrets/app?format=yaml&token=SECRET#db-password", "file:///run/secrets/app#db-password"},
		{"env://?prefix=APP_", "env:"},
		{"file:relative/dir?x=SECRET", "file:relative/dir"},
		{"https://host/?", "https://host/"},
		{"regtest://vault/%zz?token=SECRET", ""}, // does not parse
		{"", ""},
	} {
		if got := redact.URLString(c.in); got != c.want {
			t.Errorf("URLString(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestURLLeavesItsArgumentAlone(t *testing.T) {
	u, err := url.Parse("https://user:pw@host/p?q=1")
	if err != nil {
		t.Fatal(err)
	}
	if got := redact.URL(u); got != "https://host/p" {
		t.Errorf("URL = %q", got)
	}
	if u.User == nil || u.RawQuery != "q=1" {
		t.Errorf("URL changed its argument: %v", u)
	}
}

func TestParseError(t *testing.T) {
	_, err := url.Parse("https://host/%zz?token=SECRET")
	if err == nil {
		t.Fatal("the URL parsed")
	}
	got := redact.ParseError(err)
	if strings.Contains(got.Error(), "SECRET") || !strings.Contains(got.Error(), "invalid URL escape") {
		t.Errorf("ParseError = %q; want the reason without the URL", got)
	}
	other := errors.New("not a url error")
	if redact.ParseError(other) != other {
		t.Error("ParseError changed an error that is not a *url.Error")
	}
}
