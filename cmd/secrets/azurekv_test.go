package main

import (
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/secretkit/secretkit/azurekv"
	"github.com/secretkit/secretkit/emulator/emulatortest"
	"github.com/secretkit/secretkit/provider"
	"github.com/secretkit/secretkit/provider/env"
	"github.com/secretkit/secretkit/provider/file"
)

// kvConfig has one vault: "app" (system-assigned) may do everything,
// "lister" (user-assigned) may only list.
const kvConfig = `
identities:
  - {name: app, kind: system}
  - {name: lister, kind: user}
vaults:
  - name: myvault
    access:
      policies:
        - {identity: app, secrets: [all]}
        - {identity: lister, secrets: [list]}
    secrets:
      - {name: db-password, value: hunter2, contentType: text/plain, tags: {env: dev}, enabled: true}
`

// emulatorMux is the command's mux with one difference: its azurekv
// opener is the real, exported azurekv.URLOpener configured with the
// emulator's transport, which a URI cannot carry. Every URI, its ?identity=
// included, goes through the same grammar and opener code as in production.
func emulatorMux(e *emulatortest.Emulator) *provider.URLMux {
	m := new(provider.URLMux)
	m.RegisterProvider(env.Scheme, &env.URLOpener{})
	m.RegisterProvider(file.Scheme, &file.URLOpener{})
	m.RegisterProvider(azurekv.Scheme, &azurekv.URLOpener{
		ClientOptions: azcore.ClientOptions{Transport: e.Client()},
	})
	return m
}

func TestAzureKV(t *testing.T) {
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: kvConfig})
	c := cli{mux: emulatorMux(e)}
	kv := func(t *testing.T, stdin string, args ...string) result {
		t.Helper()
		return runWith(t, c, nil, stdin, args...)
	}
	const vault = "azurekv://myvault.vault.azure.net"
	secretURI := vault + "/db-password?identity=system"
	listerURI := vault + "/db-password?identity=client:" + e.Identity(t, "lister").ClientID

	t.Run("get text", func(t *testing.T) {
		r := kv(t, "", "get", secretURI)
		r.want(t, exitOK)
		if r.stdout != "hunter2\n" {
			t.Errorf("stdout = %q", r.stdout)
		}
	})
	t.Run("get by fragment", func(t *testing.T) {
		r := kv(t, "", "get", vault+"?identity=system#db-password")
		r.want(t, exitOK)
		if r.stdout != "hunter2\n" {
			t.Errorf("stdout = %q", r.stdout)
		}
	})
	var seededVersion string
	t.Run("get json", func(t *testing.T) {
		r := kv(t, "", "get", "-o", "json", secretURI)
		r.want(t, exitOK)
		var got secretJSON
		r.decode(t, &got)
		if got.Name != "db-password" || len(got.Version) != 32 || got.ContentType != "text/plain" ||
			got.Tags["env"] != "dev" || !got.Enabled || got.Created == nil || got.Value != nil {
			t.Errorf("json = %s", r.stdout)
		}
		if strings.Contains(r.stdout, "hunter2") {
			t.Errorf("json without --reveal shows the value: %s", r.stdout)
		}
		seededVersion = got.Version
	})
	t.Run("get json reveal", func(t *testing.T) {
		r := kv(t, "", "get", "-o", "json", "--reveal", secretURI)
		r.want(t, exitOK)
		var got secretJSON
		r.decode(t, &got)
		if got.Value == nil || *got.Value != "hunter2" {
			t.Errorf("json = %s", r.stdout)
		}
	})
	t.Run("a vault URI alone needs a secret name", func(t *testing.T) {
		r := kv(t, "", "get", vault+"?identity=system")
		r.want(t, exitUsage)
		if !strings.Contains(r.stderr, "#<name>") {
			t.Errorf("stderr = %q", r.stderr)
		}
	})
	t.Run("get missing", func(t *testing.T) {
		r := kv(t, "", "get", vault+"/no-such-secret?identity=system")
		r.want(t, exitNotFound)
		if !strings.Contains(r.stderr, "404 SecretNotFound") {
			t.Errorf("stderr = %q, want the status and Key Vault code", r.stderr)
		}
	})
	t.Run("get denied", func(t *testing.T) {
		r := kv(t, "", "get", listerURI)
		r.want(t, exitDenied)
		if !strings.Contains(r.stderr, "403 AccessDenied") || !strings.Contains(r.stderr, "does not have secrets get permission") {
			t.Errorf("stderr = %q, want the code and the missing permission", r.stderr)
		}
		if strings.Contains(r.stdout+r.stderr, "hunter2") {
			t.Errorf("a value leaked: %q %q", r.stdout, r.stderr)
		}
	})
	t.Run("identity not assigned", func(t *testing.T) {
		r := kv(t, "", "get", vault+"/db-password?identity=client:11111111-2222-3333-4444-555555555555")
		r.want(t, exitDenied)
		want := `azurekv: get "db-password": permission denied: ManagedIdentityCredential authentication failed. ` +
			`the requested identity isn't assigned to this resource (identity endpoint answered 400: Identity not found)`
		if !strings.Contains(r.stderr, want) || strings.Contains(r.stderr, "-----") {
			t.Errorf("stderr = %q, want it to contain %q without the SDK's banner", r.stderr, want)
		}
	})
	t.Run("list allowed to the lister", func(t *testing.T) {
		r := kv(t, "", "list", vault+"?identity=client:"+e.Identity(t, "lister").ClientID)
		r.want(t, exitOK)
		if !strings.Contains(r.stdout, "db-password") || !strings.Contains(r.stdout, "text/plain") {
			t.Errorf("stdout =\n%s", r.stdout)
		}
	})
	t.Run("get invalid name", func(t *testing.T) {
		kv(t, "", "get", vault+"/db_password?identity=system").want(t, exitUsage)
	})

	var newVersion string
	t.Run("set from stdin", func(t *testing.T) {
		// Key Vault records times in whole seconds; moving the emulator's
		// clock makes the new version strictly newer than the seeded one.
		e.Advance(2 * time.Second)
		r := kv(t, "rotated-1", "set", "-o", "json", "--content-type", "application/x-test",
			"--tag", "owner=cli", "--tag", "rotation=1", secretURI)
		r.want(t, exitOK)
		var got secretJSON
		r.decode(t, &got)
		if got.Name != "db-password" || len(got.Version) != 32 || got.Version == seededVersion ||
			got.ContentType != "application/x-test" || got.Tags["owner"] != "cli" || got.Tags["rotation"] != "1" || got.Value != nil {
			t.Errorf("json = %s", r.stdout)
		}
		if strings.Contains(r.stdout, "rotated-1") {
			t.Errorf("set printed the value: %s", r.stdout)
		}
		newVersion = got.Version
		r = kv(t, "", "get", "--no-newline", secretURI)
		r.want(t, exitOK)
		if r.stdout != "rotated-1" {
			t.Errorf("after set, get = %q, want the stdin bytes exactly", r.stdout)
		}
	})
	t.Run("get pinned old version", func(t *testing.T) {
		r := kv(t, "", "get", "--version", seededVersion, secretURI)
		r.want(t, exitOK)
		if r.stdout != "hunter2\n" {
			t.Errorf("stdout = %q", r.stdout)
		}
		kv(t, "", "get", "--version", strings.Repeat("0", 32), secretURI).want(t, exitNotFound)
		r = kv(t, "", "get", secretURI+"&version="+seededVersion)
		r.want(t, exitOK)
		if r.stdout != "hunter2\n" {
			t.Errorf("?version= pinned: stdout = %q", r.stdout)
		}
		r = kv(t, "", "get", vault+"?identity=system&version="+seededVersion+"#db-password")
		r.want(t, exitOK)
		if r.stdout != "hunter2\n" {
			t.Errorf("?version= with #name: stdout = %q", r.stdout)
		}
	})
	t.Run("versions text", func(t *testing.T) {
		r := kv(t, "", "versions", secretURI)
		r.want(t, exitOK)
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "VERSION") {
			t.Fatalf("stdout =\n%s\nwant a header and two versions", r.stdout)
		}
		if !strings.HasPrefix(lines[1], newVersion) || !strings.HasPrefix(lines[2], seededVersion) {
			t.Errorf("stdout =\n%s\nwant %s (newest) before %s", r.stdout, newVersion, seededVersion)
		}
		if strings.Contains(r.stdout, "hunter2") || strings.Contains(r.stdout, "rotated") {
			t.Errorf("versions shows a value:\n%s", r.stdout)
		}
	})
	t.Run("versions json", func(t *testing.T) {
		r := kv(t, "", "versions", "-o", "json", secretURI)
		r.want(t, exitOK)
		var got []secretJSON
		r.decode(t, &got)
		if len(got) != 2 || got[0].Version != newVersion || got[1].Version != seededVersion || got[0].Value != nil {
			t.Errorf("json = %s", r.stdout)
		}
	})
	t.Run("versions missing", func(t *testing.T) {
		kv(t, "", "versions", vault+"/no-such-secret?identity=system").want(t, exitNotFound)
	})
	t.Run("set from value-file and value", func(t *testing.T) {
		path := writeFile(t, t.TempDir(), "value", "line1\nline2\n")
		r := kv(t, "ignored stdin", "set", "--value-file", path, vault+"/from-file?identity=system")
		r.want(t, exitOK)
		if !strings.HasPrefix(r.stdout, "set from-file version ") || strings.Contains(r.stdout, "line1") {
			t.Errorf("stdout = %q", r.stdout)
		}
		r = kv(t, "", "get", "--no-newline", vault+"/from-file?identity=system")
		if r.stdout != "line1\nline2\n" {
			t.Errorf("get after --value-file = %q", r.stdout)
		}
		kv(t, "", "set", "--value", "from-argv", vault+"/from-argv?identity=system").want(t, exitOK)
		r = kv(t, "", "get", vault+"/from-argv?identity=system")
		if r.stdout != "from-argv\n" {
			t.Errorf("get after --value = %q", r.stdout)
		}
	})
	t.Run("set from a missing value-file", func(t *testing.T) {
		r := kv(t, "", "set", "--value-file", "/nonexistent/value", secretURI)
		r.want(t, exitError)
		if !strings.Contains(r.stderr, "--value-file") {
			t.Errorf("stderr = %q", r.stderr)
		}
	})
	t.Run("set refuses an empty value", func(t *testing.T) {
		for _, args := range [][]string{{"set", secretURI}, {"set", "--value", "", secretURI}} {
			r := kv(t, "", args...)
			r.want(t, exitUsage)
			if !strings.Contains(r.stderr, "--allow-empty") {
				t.Errorf("%v: stderr = %q", args, r.stderr)
			}
		}
		r := kv(t, "", "get", "--no-newline", secretURI)
		if r.stdout != "rotated-1" {
			t.Errorf("after refused sets, get = %q, want the value unchanged", r.stdout)
		}
		uri := vault + "/empty-on-purpose?identity=system"
		kv(t, "", "set", "--allow-empty", uri).want(t, exitOK)
		r = kv(t, "", "get", "-o", "json", "--reveal", uri)
		r.want(t, exitOK)
		var got secretJSON
		r.decode(t, &got)
		if got.Value == nil || *got.Value != "" {
			t.Errorf("json = %s, want an empty value", r.stdout)
		}
	})
	t.Run("set too large a value", func(t *testing.T) {
		r := kv(t, strings.Repeat("x", maxValueBytes+1), "set", secretURI)
		r.want(t, exitUsage)
		if !strings.Contains(r.stderr, "larger than") {
			t.Errorf("stderr = %q", r.stderr)
		}
	})
	t.Run("set denied", func(t *testing.T) {
		r := kv(t, "attacker-value", "set", listerURI)
		r.want(t, exitDenied)
		if !strings.Contains(r.stderr, "does not have secrets set permission") || strings.Contains(r.stderr, "attacker-value") {
			t.Errorf("stderr = %q, want the missing permission and no value", r.stderr)
		}
	})
	t.Run("delete denied", func(t *testing.T) {
		kv(t, "", "delete", listerURI).want(t, exitDenied)
	})
	t.Run("delete", func(t *testing.T) {
		r := kv(t, "", "delete", "-o", "json", vault+"/from-argv?identity=system")
		r.want(t, exitOK)
		var got struct {
			Name    string `json:"name"`
			Deleted bool   `json:"deleted"`
		}
		r.decode(t, &got)
		if got.Name != "from-argv" || !got.Deleted {
			t.Errorf("json = %s", r.stdout)
		}
		kv(t, "", "get", vault+"/from-argv?identity=system").want(t, exitNotFound)
		r = kv(t, "", "delete", secretURI)
		r.want(t, exitOK)
		if r.stdout != "deleted db-password\n" {
			t.Errorf("stdout = %q", r.stdout)
		}
	})
	t.Run("delete missing", func(t *testing.T) {
		kv(t, "", "delete", vault+"/no-such-secret?identity=system").want(t, exitNotFound)
	})
}

// run and render read Key Vault references through the real azurekv
// opener, one bulk read per vault, and map a denial to exit status 4.
func TestReferencesAzureKV(t *testing.T) {
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: kvConfig})
	const vault = "azurekv://myvault.vault.azure.net"
	lister := "client:" + e.Identity(t, "lister").ClientID
	c := cli{mux: emulatorMux(e), environ: func() []string {
		return []string{"PATH=/usr/bin:/bin", "DB_PASSWORD=${secret:" + vault + "/db-password?identity=system}"}
	}}
	r := runWith(t, c, nil, "", "run", "--", "sh", "-c", `printf %s "$DB_PASSWORD"`)
	r.want(t, exitOK)
	if r.stdout != "hunter2" {
		t.Errorf("run: stdout = %q", r.stdout)
	}

	path := writeFile(t, t.TempDir(), "app.yaml", "a: ${secret:"+vault+"/db-password?identity=system}\n"+
		"b: ${secret:"+vault+"?identity=system#db-password}\n")
	r = runWith(t, c, nil, "", "render", path)
	r.want(t, exitOK)
	if r.stdout != "a: hunter2\nb: hunter2\n" {
		t.Errorf("render: stdout = %q", r.stdout)
	}

	denied := cli{mux: emulatorMux(e), environ: func() []string {
		return []string{"PATH=/usr/bin:/bin", "DB_PASSWORD=${secret:" + vault + "/db-password?identity=" + lister + "}"}
	}}
	r = runWith(t, denied, nil, "", "run", "--", "true")
	r.want(t, exitDenied)
	if !strings.Contains(r.stderr, "environment: DB_PASSWORD: ${secret:"+vault+"/db-password?identity=...}:") ||
		!strings.Contains(r.stderr, "403") || strings.Contains(r.stderr, "hunter2") {
		t.Errorf("stderr = %q", r.stderr)
	}
}
