// Command benchserver is the yardstick of scripts/bench; it is not part of
// the emulator.
//
//	benchserver serve -tls-dir DIR -body FILE [-headers FILE] [-addr HOST:PORT]
//
// serves HTTPS with the emulator's server certificate (DIR/server.pem) and
// answers every request with the same status, headers and body, so that
// wrk driving it and the emulator in turn measures only the emulator's own
// work. It prints its URL on stdout once it listens. Its server settings
// (timeouts, HTTP/2 offered) are the emulator's.
//
//	benchserver startup -n N -env-file FILE -- EMULATOR [ARGS...]
//
// starts the emulator N times and prints, for each start, the time from
// exec to the env file being written (the emulator writes it atomically
// once both listeners are up), then stops it with SIGTERM.
package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchserver serve|startup [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "startup":
		err = startup(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q: want serve or startup", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchserver:", err)
		os.Exit(1)
	}
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	tlsDir := fs.String("tls-dir", "", "emulator TLS directory holding server.pem")
	bodyFile := fs.String("body", "", "file holding the response body")
	headerFile := fs.String("headers", "", "optional file of response header lines (Name: value), as curl -D writes them")
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pem, err := os.ReadFile(filepath.Join(*tlsDir, "server.pem"))
	if err != nil {
		return err
	}
	cert, err := tls.X509KeyPair(pem, pem)
	if err != nil {
		return fmt.Errorf("server.pem: %w", err)
	}
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		return err
	}
	header, err := readHeaders(*headerFile)
	if err != nil {
		return err
	}
	header.Set("Content-Length", fmt.Sprint(len(body)))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		// wrk closing its connections is no news (the emulator logs
		// these at DEBUG).
		ErrorLog: log.New(io.Discard, "", 0),
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			for k, v := range header {
				h[k] = v
			}
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(body)
		}),
	}
	fmt.Printf("https://%s/\n", ln.Addr())
	return srv.ServeTLS(ln, "", "")
}

// readHeaders reads curl -D output, leaving out the status line and the
// headers the server writes itself.
func readHeaders(path string) (http.Header, error) {
	h := http.Header{}
	if path == "" {
		h.Set("Content-Type", "application/json; charset=utf-8")
		return h, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	skip := []string{"Date", "Content-Length", "Connection", "Transfer-Encoding"}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		name, value, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		if !ok || strings.HasPrefix(name, "HTTP/") {
			continue
		}
		name = http.CanonicalHeaderKey(strings.TrimSpace(name))
		if slices.Contains(skip, name) {
			continue
		}
		h.Add(name, strings.TrimSpace(value))
	}
	return h, sc.Err()
}

func startup(args []string) error {
	fs := flag.NewFlagSet("startup", flag.ContinueOnError)
	n := fs.Int("n", 5, "number of starts")
	envFile := fs.String("env-file", "", "the env file the emulator is told to write (removed before each start)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 || *envFile == "" {
		return errors.New("startup needs -env-file and the emulator command after --")
	}
	for i := range *n {
		os.Remove(*envFile)
		cmd := exec.Command(fs.Arg(0), fs.Args()[1:]...)
		start := time.Now()
		if err := cmd.Start(); err != nil {
			return err
		}
		deadline := start.Add(30 * time.Second)
		for {
			if _, err := os.Stat(*envFile); err == nil {
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				cmd.Wait()
				return fmt.Errorf("start %d: no env file after 30 s", i+1)
			}
			time.Sleep(200 * time.Microsecond)
		}
		elapsed := time.Since(start)
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		fmt.Printf("%.1f\n", float64(elapsed.Microseconds())/1000)
	}
	return nil
}
