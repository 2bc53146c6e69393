package main

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"
	"github.com/secretkit/secretkit/internal/refusing"
)

func TestHealthURL(t *testing.T) {
	cases := []struct{ addr, want, err string }{
		{"", "http://127.0.0.1:8080/_emulator/health", ""},
		{"0.0.0.0:9090", "http://127.0.0.1:9090/_emulator/health", ""},
		{":8080", "http://127.0.0.1:8080/_emulator/health", ""},
		{"0.0.0.0:0", "", `EMULATOR_IDENTITY_ADDR="0.0.0.0:0" has no fixed port to probe`},
		{"8080", "", `EMULATOR_IDENTITY_ADDR="8080" has no fixed port to probe`},
	}
	for _, c := range cases {
		got, err := healthURL(c.addr)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("healthURL(%q) error %v, want %q", c.addr, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("healthURL(%q) = %q, %v; want %q", c.addr, got, err, c.want)
		}
	}
}

func TestProbe(t *testing.T) {
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_emulator/health" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"status":"ok"}`))
	}))
	defer healthy.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "starting", http.StatusServiceUnavailable)
	}))
	defer failing.Close()
	_, healthyPort, _ := net.SplitHostPort(healthy.Listener.Addr().String())
	noEnv := func(string) string { return "" }

	if err := probe([]string{healthy.URL + "/_emulator/health"}, noEnv); err != nil {
		t.Errorf("healthy URL: %v", err)
	}
	env := func(k string) string {
		if k == "EMULATOR_IDENTITY_ADDR" {
			return "0.0.0.0:" + healthyPort
		}
		return ""
	}
	if err := probe(nil, env); err != nil {
		t.Errorf("URL from EMULATOR_IDENTITY_ADDR: %v", err)
	}
	if err := probe([]string{failing.URL}, noEnv); err == nil || !strings.Contains(err.Error(), "503 Service Unavailable") {
		t.Errorf("503: error %v, want one naming the status", err)
	}
	t.Run("nothing listening", func(t *testing.T) {
		// A bound, non-listening port: a closed listener's port could be
		// taken by another process before the probe dials it.
		addr := refusing.Addr(t)
		if err := probe([]string{"http://" + addr + "/"}, noEnv); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("error %v, want connection refused", err)
		}
	})
	if err := probe([]string{"a", "b"}, noEnv); err == nil || err.Error() != "usage: healthprobe [URL]" {
		t.Errorf("two arguments: error %v", err)
	}
}
