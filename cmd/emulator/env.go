package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/secretkit/secretkit/emulator"
	"github.com/secretkit/secretkit/emulator/identity"
	"github.com/secretkit/secretkit/internal/envflag"
)

// envPollInterval is how often "emulator env" retries an emulator that
// does not answer yet.
const envPollInterval = 100 * time.Millisecond

// runEnv is "emulator env": the client environment of a running emulator,
// fetched from its identity listener, so a shell can load it without a
// file that may be missing (not written yet) or stale (left by an earlier
// run): eval "$(emulator env)".
func runEnv(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("emulator env", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("identity-addr", emulator.DefaultIdentityAddr, "identity listener of the running emulator (env EMULATOR_IDENTITY_ADDR); a wildcard host is asked on 127.0.0.1")
	flavour := fs.String("flavour", string(identity.AppService), "managed-identity flavour of the environment (env EMULATOR_FLAVOUR)")
	wait := fs.Duration("wait", 30*time.Second, "how long to wait for the emulator to answer")
	format := fs.String("format", "sh", "sh (export KEY='VALUE' lines, for eval) or dotenv (KEY=VALUE lines, the -env-file format)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: emulator env [flags]

Prints the client environment of the emulator running at -identity-addr,
waiting up to -wait for it to answer. Load it into a shell with
  eval "$(emulator env)"
Flags:`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return usage(err)
	}
	if fs.NArg() > 0 {
		return usage(fmt.Errorf("env: unexpected argument %q (all settings are flags)", fs.Arg(0)))
	}
	// Only the settings shared with the emulator itself fall back to its
	// EMULATOR_* variables; src records which values came from one.
	src := sources{}
	err := envflag.Fill(fs, getenv, func(name string) string {
		if name != "identity-addr" && name != "flavour" {
			return ""
		}
		v := envName(name)
		if getenv(v) != "" {
			src[name] = v
		}
		return v
	})
	if err != nil {
		return usage(err)
	}
	f, err := identity.ParseFlavour(*flavour)
	if err != nil {
		return usage(fmt.Errorf("%s: %w", src.of("flavour"), err))
	}
	if *format != "sh" && *format != "dotenv" {
		return usage(fmt.Errorf("-format %q: want sh or dotenv", *format))
	}
	host, port, err := net.SplitHostPort(*addr)
	if err != nil || port == "" || port == "0" {
		return usage(fmt.Errorf("%s=%q: want host:port with a fixed port", src.of("identity-addr"), *addr))
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	target := "http://" + net.JoinHostPort(host, port) + "/_emulator/env?flavour=" + url.QueryEscape(string(f))

	lines, err := fetchEnv(ctx, target, *wait)
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, line := range lines {
		if *format == "sh" {
			k, v, _ := strings.Cut(line, "=")
			line = "export " + k + "=" + shellQuote(v)
		}
		b.WriteString(line + "\n")
	}
	_, err = io.WriteString(stdout, b.String())
	return err
}

// fetchEnv asks target for KEY=VALUE lines until it answers or wait has
// passed; only a refused or reset connection (the emulator still
// starting) is retried.
func fetchEnv(ctx context.Context, target string, wait time.Duration) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	client := &http.Client{}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set(emulator.AdminHeader, "1")
		req.Header.Set("Accept", "text/plain")
		resp, err := client.Do(req)
		if err == nil {
			return readEnvLines(resp, target)
		}
		if ctx.Err() != nil || !retryable(err) {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("no emulator answered at %s within %s (is it running? started with another -identity-addr?)", strings.TrimSuffix(target, "?"+req.URL.RawQuery), wait)
			}
			return nil, err
		}
		select {
		case <-ctx.Done():
		case <-time.After(envPollInterval):
		}
	}
}

func retryable(err error) bool {
	var op *net.OpError
	return errors.As(err, &op)
}

func readEnvLines(resp *http.Response, target string) ([]string, error) {
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %s: %s", target, resp.Status, strings.TrimSpace(string(body)))
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		line := sc.Text()
		if k, _, ok := strings.Cut(line, "="); !ok || k == "" || strings.ContainsAny(k, " \t'\"$") {
			return nil, fmt.Errorf("%s answered a line that is not KEY=VALUE: %q (not an emulator?)", target, line)
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("%s answered no environment (not an emulator?)", target)
	}
	return lines, nil
}

// shellQuote quotes v for a POSIX shell: single quotes, each ' written
// as '\”.
func shellQuote(v string) string {
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}
