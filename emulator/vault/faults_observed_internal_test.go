package vault

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/secretkit/secretkit/emulator/access"
	"github.com/secretkit/secretkit/emulator/store"
	"github.com/secretkit/secretkit/internal/testutil"
)

// A client that goes away is not a server fault: no ERROR line, no 500 in
// the request log; the log says it was cancelled (issue 11, item 12).
func TestCancelledRequestIsNotAnError(t *testing.T) {
	var logs testutil.Buffer
	a, err := New(Options{Store: store.NewMemory(),
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/secrets/x?api-version=7.6", nil)
	r.Header.Set("Authorization", "Bearer t")
	a.ServeHTTP(httptest.NewRecorder(), r)
	out := logs.String()
	if strings.Contains(out, "level=ERROR") || strings.Contains(out, "status=500") {
		t.Errorf("a cancelled request is logged as a server error:\n%s", out)
	}
	for _, want := range []string{
		`level=DEBUG msg="vault request cancelled" path=/secrets/x`,
		`level=INFO msg="vault request" method=GET path=/secrets/x vault=emulator op=get status=499`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

type panicking struct{}

func (panicking) Authenticate(context.Context, string, string) (access.Caller, error) {
	panic("authenticator bug")
}

// A panic in a handler (a bug, or a storage fault surfacing as one) is
// answered with Key Vault's 500 shape and logged at WARN; the server
// goes on.
func TestHandlerPanicAnswers500(t *testing.T) {
	var logs testutil.Buffer
	a, err := New(Options{Store: store.NewMemory(), Authenticator: panicking{},
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	defer srv.Close()
	for range 2 {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/secrets/x?api-version=7.6", nil)
		req.Header.Set("Authorization", "Bearer t")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e wireErrorBody
		decodeErr := json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != 500 || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Fatalf("status %d %s, want 500 JSON", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if decodeErr != nil || e.Error.Code != "InternalServerError" {
			t.Fatalf("body: code %q (%v), want InternalServerError", e.Error.Code, decodeErr)
		}
	}
	out := logs.String()
	if !strings.Contains(out, `level=WARN msg="vault handler panic" path=/secrets/x panic="authenticator bug"`) {
		t.Errorf("panic not logged at WARN:\n%s", out)
	}
}

// panickingLong panics with a message whose 200th byte falls inside a
// three-byte character.
type panickingLong struct{}

func (panickingLong) Authenticate(context.Context, string, string) (access.Caller, error) {
	panic(strings.Repeat("x", 199) + "€ and more")
}

// The logged panic message is cut at 200 bytes without splitting a
// character: the log line stays valid UTF-8.
func TestHandlerPanicMessageCutKeepsUTF8(t *testing.T) {
	var logs testutil.Buffer
	a, err := New(Options{Store: store.NewMemory(), Authenticator: panickingLong{},
		Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/secrets/x?api-version=7.6", nil)
	req.Header.Set("Authorization", "Bearer t")
	w := httptest.NewRecorder()
	a.ServeHTTP(w, req)
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", w.Code)
	}
	var line struct{ Msg, Panic string }
	for l := range strings.Lines(logs.String()) {
		if json.Unmarshal([]byte(l), &line) == nil && line.Msg == "vault handler panic" {
			break
		}
	}
	if line.Panic != strings.Repeat("x", 199) {
		t.Errorf("logged panic %q; want the 199 bytes before the cut character", line.Panic)
	}
}
