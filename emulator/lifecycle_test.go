package emulator_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/secretkit/secretkit/emulator"
	"github.com/secretkit/secretkit/emulator/emulatortest"
)

// A listener that stops serving on its own is not dropped silently: the
// server reports it through Failed, and Shutdown returns why.
func TestListenerFailureIsReported(t *testing.T) {
	t.Parallel()
	vaultLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := emulator.Start(context.Background(), emulator.Options{
		VaultListener: vaultLn, IdentityAddr: "127.0.0.1:0", TLSDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.Failed():
		t.Fatal("Failed is closed while both listeners serve")
	default:
	}
	vaultLn.Close() // pulled from under the server
	select {
	case <-srv.Failed():
	case <-time.After(10 * time.Second):
		t.Fatal("Failed not closed after the vault listener went away")
	}
	err = srv.Close()
	if err == nil || !strings.Contains(err.Error(), "vault listener:") {
		t.Errorf("Close after a listener failure = %v, want the vault listener's error", err)
	}
}

// A clean shutdown is no failure.
func TestShutdownIsNoFailure(t *testing.T) {
	t.Parallel()
	e, err := emulatortest.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case <-e.Server.Failed():
		t.Error("Failed closed by a clean shutdown")
	default:
	}
}

// FrozenAt stops the clock; Advance is what moves it, and the admin clock
// route reports the same time.
func TestFrozenClockMovesOnlyByAdvance(t *testing.T) {
	t.Parallel()
	frozen := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	e := emulatortest.Start(t, &emulatortest.Options{FrozenAt: frozen})
	if !e.Now().Equal(frozen) {
		t.Fatalf("Now = %v, want %v", e.Now(), frozen)
	}
	if got := e.Advance(90 * time.Minute); !got.Equal(frozen.Add(90*time.Minute)) || !e.Now().Equal(got) {
		t.Errorf("Advance = %v, Now = %v; want both %v", got, e.Now(), frozen.Add(90*time.Minute))
	}
	status, body := admin(t, e, "GET", "/_emulator/clock")
	if want := `"now":1772606167`; status != 200 || !strings.Contains(string(body), want) {
		t.Errorf("GET /_emulator/clock = %d %s, want %s", status, body, want)
	}
}
