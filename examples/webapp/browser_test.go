package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The browser test drives headless Chromium through chromedriver over the
// W3C WebDriver protocol, spoken with net/http: no driver module, and no
// tool that downloads a browser of its own. CI installs the Debian packages
// chromium and chromium-driver (scripts/test).
const (
	chromiumPath     = "/usr/bin/chromium"
	chromedriverPath = "/usr/bin/chromedriver"
	// webElementKey is the W3C name of an element reference in JSON.
	webElementKey = "element-6066-11e4-a52e-4f735466cecf"
)

// screenshotDirEnv names a directory that, when set, receives PNG
// screenshots of the pages the test visits (how docs/*.png are made).
const screenshotDirEnv = "WEBAPP_SCREENSHOTS"

func TestBrowserReadsAndRevealsSecret(t *testing.T) {
	browser := startBrowser(t)
	e := startSampleEmulator(t)
	shots := os.Getenv(screenshotDirEnv)

	app := emulatorApp(t, e, "myvault", "system", "greeting")
	browser.open(app.URL + "/")
	if got := browser.text("h1"); got != "Home" {
		t.Fatalf("home page heading %q, want Home", got)
	}
	browser.screenshot(shots, "webapp-home.png")
	browser.click("#get-secret")
	if got := browser.waitText("#secret-name", "greeting"); got != "greeting" {
		t.Fatalf("secret name %q, want greeting", got)
	}
	masked := browser.text("#secret-value")
	if masked == "" || strings.Contains(masked, greeting) || strings.Trim(masked, "•") != "" {
		t.Fatalf("value before reveal is %q, want only mask characters", masked)
	}
	if v := browser.text("#secret-version"); len(v) != 32 {
		t.Errorf("version %q, want 32 hex characters", v)
	}
	browser.screenshot(shots, "webapp-secret-masked.png")
	browser.click("#reveal")
	if got := browser.waitText("#secret-value", greeting); got != greeting {
		t.Fatalf("value after reveal %q, want %q", got, greeting)
	}
	browser.screenshot(shots, "webapp-secret.png")

	denied := emulatorApp(t, e, "myvault", "client:"+noGetClientID, "greeting")
	browser.open(denied.URL + "/")
	browser.click("#get-secret")
	if got := browser.waitText("#problem-title", "Permission denied"); got != "Permission denied" {
		t.Fatalf("page title %q, want Permission denied", got)
	}
	if got := browser.text("#missing-permission"); got != "get" {
		t.Errorf("missing permission %q, want get", got)
	}
	browser.screenshot(shots, "webapp-permission-denied.png")
}

// browser is one WebDriver session.
type browser struct {
	t       *testing.T
	base    string // http://127.0.0.1:port/session/{id}
	client  *http.Client
	timeout time.Duration
}

// startBrowser runs chromedriver and opens a headless Chromium session,
// both ended by t.Cleanup. Without the packages it fails when CI is set
// (the CI run must not silently skip the browser) and skips otherwise.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	for _, p := range []string{chromiumPath, chromedriverPath} {
		if _, err := os.Stat(p); err != nil {
			msg := fmt.Sprintf("%s is missing: install the Debian packages chromium and chromium-driver (scripts/test does as root)", p)
			if os.Getenv("CI") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	var logs bytes.Buffer
	driver := exec.Command(chromedriverPath, fmt.Sprintf("--port=%d", port))
	driver.Stdout, driver.Stderr = &logs, &logs
	if err := driver.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		driver.Process.Kill()
		driver.Wait()
	})
	root := fmt.Sprintf("http://127.0.0.1:%d", port)
	b := &browser{t: t, client: &http.Client{Timeout: 60 * time.Second}, timeout: 30 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var status struct {
			Ready bool `json:"ready"`
		}
		if err := b.call("GET", root+"/status", nil, &status); err == nil && status.Ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("chromedriver not ready within 30s; its output:\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}

	profile := t.TempDir()
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName": "chrome",
		"goog:chromeOptions": map[string]any{
			"binary": chromiumPath,
			"args": []string{
				"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
				"--disable-background-networking", "--disable-component-update", "--disable-sync",
				"--disable-dev-shm-usage", "--window-size=1000,640", "--user-data-dir=" + profile,
			},
		},
	}}}
	var session struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call("POST", root+"/session", caps, &session); err != nil {
		t.Fatalf("new session: %v; chromedriver output:\n%s", err, logs.String())
	}
	b.base = root + "/session/" + session.SessionID
	t.Cleanup(func() { b.call("DELETE", b.base, nil, nil) })
	return b
}

// call sends one WebDriver command and decodes its "value" into out.
func (b *browser) call(method, url string, body, out any) error {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var envelope struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&envelope); err != nil {
		return fmt.Errorf("%s %s: status %d, undecodable body: %v", method, url, resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK {
		var werr struct {
			Error   string `json:"error"`
			Message string `json:"message"`
		}
		json.Unmarshal(envelope.Value, &werr)
		return fmt.Errorf("%s %s: status %d: %s: %s", method, url, resp.StatusCode, werr.Error, werr.Message)
	}
	if out != nil {
		return json.Unmarshal(envelope.Value, out)
	}
	return nil
}

func (b *browser) open(url string) {
	b.t.Helper()
	if err := b.call("POST", b.base+"/url", map[string]string{"url": url}, nil); err != nil {
		b.t.Fatal(err)
	}
}

// find returns the element matching the CSS selector, waiting for it while
// a navigation finishes.
func (b *browser) find(css string) string {
	b.t.Helper()
	deadline := time.Now().Add(b.timeout)
	for {
		var ref map[string]string
		err := b.call("POST", b.base+"/element", map[string]string{"using": "css selector", "value": css}, &ref)
		if err == nil {
			return ref[webElementKey]
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("no element %s: %v; page text:\n%s", css, err, b.pageText())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (b *browser) click(css string) {
	b.t.Helper()
	if err := b.call("POST", b.base+"/element/"+b.find(css)+"/click", map[string]any{}, nil); err != nil {
		b.t.Fatal(err)
	}
}

// text is the element's rendered text, as the user sees it. An element
// that went stale (its page was replaced between finding and reading it) is
// looked up again.
func (b *browser) text(css string) string {
	b.t.Helper()
	deadline := time.Now().Add(b.timeout)
	for {
		var s string
		err := b.call("GET", b.base+"/element/"+b.find(css)+"/text", nil, &s)
		if err == nil {
			return s
		}
		if !strings.Contains(err.Error(), "stale element") || time.Now().After(deadline) {
			b.t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitText reads the element's text until it is want or the timeout
// passes, returning the last text read. A click that navigates leaves the
// old page (with elements of the same ids) in place for a moment, so the
// first reads after it may see the page before.
func (b *browser) waitText(css, want string) string {
	b.t.Helper()
	deadline := time.Now().Add(b.timeout)
	for {
		got := b.text(css)
		if got == want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (b *browser) pageText() string {
	var ref map[string]string
	if b.call("POST", b.base+"/element", map[string]string{"using": "css selector", "value": "body"}, &ref) != nil {
		return "(no body)"
	}
	var s string
	b.call("GET", b.base+"/element/"+ref[webElementKey]+"/text", nil, &s)
	return s
}

// screenshot saves the viewport as dir/name when dir is set.
func (b *browser) screenshot(dir, name string) {
	b.t.Helper()
	if dir == "" {
		return
	}
	var encoded string
	if err := b.call("GET", b.base+"/screenshot", nil, &encoded); err != nil {
		b.t.Fatal(err)
	}
	png, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}
