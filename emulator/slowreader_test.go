package emulator_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"github.com/secretkit/secretkit/internal/testutil"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

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

// rawToken asks the server's IMDS endpoint for a vault token.
func rawToken(t *testing.T, s *emulator.Server) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.IdentityURL()+"/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net", nil)
	req.Header.Set("Metadata", "true")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("IMDS token: %d %v", resp.StatusCode, err)
	}
	return tok.AccessToken
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
	s := startRaw(t, emulator.Options{WriteTimeout: 300 * time.Millisecond})
	tok := rawToken(t, s)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: vaultTLS(s)}}
	put, _ := http.NewRequest(http.MethodPut, s.VaultURL()+"secrets/big?api-version=7.6",
		strings.NewReader(`{"value":"`+strings.Repeat("x", 25000)+`"}`))
	put.Header.Set("Authorization", "Bearer "+tok)
	put.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(put)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("set: %d", resp.StatusCode)
	}

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
		if ok := asNetError(err, &ne); ok && ne.Timeout() {
			t.Fatalf("client write timed out instead of the server closing: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("the connection of a client that never reads is still open after 60 s")
	}
}

func asNetError(err error, target *net.Error) bool {
	ne, ok := err.(net.Error)
	if ok {
		*target = ne
	}
	return ok
}

// A failed TLS handshake (a plain-HTTP client on the HTTPS port) is
// visible at WARN, not only at DEBUG (issue 11, item 12).
func TestTLSHandshakeErrorLoggedAtWarn(t *testing.T) {
	t.Parallel()
	var logs testutil.Buffer
	s := startRaw(t, emulator.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	conn, err := net.Dial("tcp", s.VaultAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	// The server logs the failure before it closes the connection.
	io.Copy(io.Discard, conn)
	if out := logs.String(); !strings.Contains(out, `level=WARN msg="http server error" err="http: TLS handshake error from`) {
		t.Errorf("no WARN line for the failed handshake:\n%s", out)
	}
}
