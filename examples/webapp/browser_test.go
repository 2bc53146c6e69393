package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/secretkit/secretkit/internal/testutil"
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

// startedOnPort matches the line where chromedriver, started with
// --port=0, says which port it bound.
var startedOnPort = regexp.MustCompile(`started successfully on port (\d+)`)

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
	browser.clickAndLoad("#get-secret")
	if got := browser.text("#secret-name"); got != "greeting" {
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
	browser.clickAndLoad("#reveal")
	if got := browser.text("#secret-value"); got != greeting {
		t.Fatalf("value after reveal %q, want %q", got, greeting)
	}
	browser.screenshot(shots, "webapp-secret.png")

	denied := emulatorApp(t, e, "myvault", "client:"+noGetClientID, "greeting")
	browser.open(denied.URL + "/")
	browser.clickAndLoad("#get-secret")
	if got := browser.text("#problem-title"); got != "Permission denied" {
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
	// --port=0 lets chromedriver bind a free port itself and print it: no
	// port picked here that another process could take before it binds.
	logs := &testutil.Buffer{}
	driver := exec.Command(chromedriverPath, "--port=0")
	stdout, err := driver.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	driver.Stderr = logs
	// Chromium inherits chromedriver's stderr; should it outlive the
	// session, Wait stops waiting for the copy of stderr after this.
	driver.WaitDelay = 5 * time.Second
	if err := driver.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		driver.Process.Kill()
		driver.Wait() // closes the pipe, which ends the reader below
	})
	// The reader keeps draining chromedriver's output into logs after the
	// port line, so chromedriver never blocks on a full pipe.
	ports := make(chan string, 1)
	go func() {
		defer close(ports)
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			logs.Write([]byte(line + "\n"))
			if m := startedOnPort.FindStringSubmatch(line); m != nil && !sent {
				ports <- m[1]
				sent = true
			}
		}
	}()
	var port string
	select {
	case p, ok := <-ports:
		if !ok {
			t.Fatalf("chromedriver exited without printing its port; its output:\n%s", logs.String())
		}
		port = p
	case <-time.After(30 * time.Second):
		t.Fatalf("chromedriver printed no port within 30s; its output:\n%s", logs.String())
	}
	root := "http://127.0.0.1:" + port
	b := &browser{t: t, client: &http.Client{Timeout: 60 * time.Second}, timeout: 30 * time.Second}
	var status struct {
		Ready bool `json:"ready"`
	}
	if err := b.call("GET", root+"/status", nil, &status); err != nil || !status.Ready {
		t.Fatalf("chromedriver on port %s not ready (%v); its output:\n%s", port, err, logs.String())
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

// script runs js in the current page (WebDriver Execute Script) with args
// as its arguments and decodes what it returns into out.
func (b *browser) script(js string, out any, args ...any) error {
	if args == nil {
		args = []any{}
	}
	return b.call("POST", b.base+"/execute/sync", map[string]any{"script": js, "args": args}, out)
}

// poll runs js until it returns a non-null value, decoded into out, and
// fails the test when b.timeout passes first. Errors are retried: while a
// navigation commits, a script may run against the document being left.
func (b *browser) poll(what, js string, out any, args ...any) {
	b.t.Helper()
	deadline := time.Now().Add(b.timeout)
	for {
		var raw json.RawMessage
		err := b.script(js, &raw, args...)
		if err == nil && string(raw) != "null" {
			if err := json.Unmarshal(raw, out); err != nil {
				b.t.Fatalf("%s: %v", what, err)
			}
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: not within %v (last error: %v); page text:\n%s", what, b.timeout, err, b.pageText())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// clickAndLoad clicks the element matching css, which navigates (a link
// or a form's submit button), and returns once the new page has loaded.
// The document being left is marked first, so the wait cannot mistake it,
// still complete and with elements of the same ids, for the new one.
func (b *browser) clickAndLoad(css string) {
	b.t.Helper()
	var ref map[string]string
	if err := b.call("POST", b.base+"/element", map[string]string{"using": "css selector", "value": css}, &ref); err != nil {
		b.t.Fatalf("no element %s: %v; page text:\n%s", css, err, b.pageText())
	}
	if err := b.script(`document.documentElement.setAttribute("data-test-left", "")`, nil); err != nil {
		b.t.Fatal(err)
	}
	if err := b.call("POST", b.base+"/element/"+ref[webElementKey]+"/click", map[string]any{}, nil); err != nil {
		b.t.Fatal(err)
	}
	var loaded bool
	b.poll("page loaded after clicking "+css, `return document.readyState === "complete" &&
		!document.documentElement.hasAttribute("data-test-left") || null`, &loaded)
}

// text is the rendered text of the element matching css, as the user
// sees it, found and read in one script call so that no element reference
// can go stale between the two.
func (b *browser) text(css string) string {
	b.t.Helper()
	var s string
	b.poll("text of "+css, `const e = document.querySelector(arguments[0]); return e && e.innerText`, &s, css)
	return s
}

func (b *browser) pageText() string {
	var s string
	if err := b.script(`return document.body ? document.body.innerText : "(no body)"`, &s); err != nil {
		return "(" + err.Error() + ")"
	}
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
