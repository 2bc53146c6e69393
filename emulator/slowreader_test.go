package emulator_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secretkit/secretkit/emulator/clock"
	"github.com/secretkit/secretkit/emulator/config"
	"github.com/secretkit/secretkit/emulator/token"
	"github.com/secretkit/secretkit/internal/testutil"

	"github.com/secretkit/secretkit/emulator"
)

// startRaw runs an emulator on loopback with opts completed for a test.
func startRaw(t *testing.T, opts emulator.Options) *emulator.Server {
	t.Helper()
	opts.VaultAddr, opts.IdentityAddr = "127.0.0.1:0", "127.0.0.1:0"
	if opts.TLSDir == "" {
		opts.TLSDir = t.TempDir()
	}
	s, err := emulator.Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func vaultTLS(s *emulator.Server, protos ...string) *tls.Config {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.Authority().CAPEM)
	return &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: protos}
}

// A client that pipelines requests and never reads the answers must not
// hold its connection forever (issue 11, item 5): once a response cannot
// be written for the write timeout, the server closes the connection,
// which the client sees as its own writes failing.
func TestSlowReaderIsCutOff(t *testing.T) {
	t.Parallel()
	// The secret is seeded and the token minted here, so that no set-up
	// request runs under the short write timeout on a loaded machine.
	cfg, err := config.Parse("slow.yaml", []byte("vaults:\n  - name: emulator\n    secrets:\n      - {name: big, value: "+strings.Repeat("x", 25000)+"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	tlsDir := t.TempDir()
	key, err := token.LoadOrCreateKey(tlsDir)
	if err != nil {
		t.Fatal(err)
	}
	id := cfg.Identities[0]
	tok, _, err := (&token.Issuer{Key: key, Tenant: cfg.Tenant, Clock: &clock.Adjustable{}, Lifetime: time.Hour}).Issue(
		token.Subject{ObjectID: id.ObjectID, ClientID: id.ClientID, ResourceID: id.ResourceID}, token.VaultAudience)
	if err != nil {
		t.Fatal(err)
	}
	s := startRaw(t, emulator.Options{Config: cfg, TLSDir: tlsDir, WriteTimeout: 300 * time.Millisecond})

	conn, err := tls.Dial("tcp", s.VaultAddr().String(), vaultTLS(s, "http/1.1"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	request := fmt.Sprintf("GET /secrets/big?api-version=7.6 HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n", s.VaultAddr(), tok)
	// 100 MB of answers: far more than the socket buffers hold.
	const requests = 4000
	failed := make(chan error, 1)
	go func() {
		w := bufio.NewWriter(conn)
		for range requests {
			if _, err := w.WriteString(request); err != nil {
				failed <- err
				return
			}
		}
		failed <- w.Flush()
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	select {
	case err := <-failed:
		if err == nil {
			t.Fatal("the server read every pipelined request although none of the answers was read")
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("client write timed out instead of the server closing: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("the connection of a client that never reads is still open after 60 s")
	}
}

// A failed TLS handshake (a plain-HTTP client on the HTTPS port) is
// visible at WARN, not only at DEBUG (issue 11, item 12).
func TestTLSHandshakeErrorLoggedAtWarn(t *testing.T) {
	t.Parallel()
	var logs testutil.Buffer
	warned := make(chan struct{})
	var once sync.Once
	logger := slog.New(notifying{slog.NewTextHandler(&logs, nil), func(r slog.Record) {
		if r.Level == slog.LevelWarn && r.Message == "http server error" {
			once.Do(func() { close(warned) })
		}
	}})
	s := startRaw(t, emulator.Options{Logger: logger})
	conn, err := net.Dial("tcp", s.VaultAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	// net/http answers a plain-HTTP client 400 and closes the connection
	// before it logs the failure, so the end of the answer does not mean
	// the line is written: wait for the WARN record itself.
	io.Copy(io.Discard, conn)
	select {
	case <-warned:
	case <-time.After(30 * time.Second):
		t.Fatalf("no WARN record within 30 s of the failed handshake:\n%s", logs.String())
	}
	if out := logs.String(); !strings.Contains(out, `level=WARN msg="http server error" err="http: TLS handshake error from`) {
		t.Errorf("the WARN line is not the failed handshake's:\n%s", out)
	}
}

// notifying is a slog.Handler that calls seen after its inner handler has
// written each record, so a test can wait for a line instead of guessing
// when it is written.
type notifying struct {
	slog.Handler
	seen func(slog.Record)
}

func (h notifying) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	h.seen(r)
	return err
}

func (h notifying) WithAttrs(attrs []slog.Attr) slog.Handler {
	return notifying{h.Handler.WithAttrs(attrs), h.seen}
}

func (h notifying) WithGroup(name string) slog.Handler {
	return notifying{h.Handler.WithGroup(name), h.seen}
}

// "OPTIONS *" is answered by the vault API in Key Vault's shape, not by
// net/http's built-in handler (issue 11, item 12: Go's own answers where
// the server can hand them over).
func TestOptionsStarAnsweredByVaultAPI(t *testing.T) {
	t.Parallel()
	s := startRaw(t, emulator.Options{})
	conn, err := tls.Dial("tcp", s.VaultAddr().String(), vaultTLS(s, "http/1.1"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "OPTIONS * HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 401 || !strings.Contains(string(body), `"code":"Unauthorized"`) || resp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("OPTIONS *: %d %q, want Key Vault's 401 challenge", resp.StatusCode, body)
	}
}
