package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secretkit/secretkit/emulator/emulatortest"
)

// lifecycleConfig: "app" may do everything; "keeper" everything but
// purge; "lister" only list. "lockedvault" has purge protection.
const lifecycleConfig = `
identities:
  - {name: app, kind: system}
  - {name: keeper, kind: user}
  - {name: lister, kind: user}
vaults:
  - name: myvault
    retentionDays: 7
    access:
      policies:
        - {identity: app, secrets: [all]}
        - {identity: keeper, secrets: [get, list, set, delete, recover, backup, restore]}
        - {identity: lister, secrets: [list]}
    secrets:
      - {name: db-password, value: hunter2, contentType: text/plain, tags: {env: dev}, enabled: true}
      - {name: api-key, value: s3cr3t-api, enabled: true}
  - name: lockedvault
    purgeProtection: true
    access:
      policies:
        - {identity: app, secrets: [all]}
    secrets:
      - {name: kept, value: kept-value, enabled: true}
`

// TestLifecycle runs every Key Vault life-cycle command through the real
// azurekv opener against the emulator: delete → set conflicts with a hint
// → recover → delete → purge → set works again; backups to a 0600 file and
// restores; property updates; and each command's error exit statuses.
func TestLifecycle(t *testing.T) {
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: lifecycleConfig})
	c := cli{mux: emulatorMux(e)}
	kv := func(t *testing.T, stdin string, args ...string) result {
		t.Helper()
		return runWith(t, c, nil, stdin, args...)
	}
	const vault = "azurekv://myvault.vault.azure.net"
	sys := "?identity=system"
	keeper := "?identity=client:" + e.Identity(t, "keeper").ClientID
	lister := "?identity=client:" + e.Identity(t, "lister").ClientID
	uri := func(name, id string) string { return vault + "/" + name + id }
	noLeak := func(t *testing.T, r result, values ...string) {
		t.Helper()
		for _, v := range append(values, "hunter2", "s3cr3t-api") {
			if strings.Contains(r.stdout+r.stderr, v) {
				t.Errorf("output shows a value: %q %q", r.stdout, r.stderr)
			}
		}
	}

	t.Run("set after delete says what to do", func(t *testing.T) {
		kv(t, "", "delete", uri("db-password", sys)).want(t, exitOK)
		r := kv(t, "new-value", "set", uri("db-password", sys))
		r.want(t, exitError)
		for _, want := range []string{"409 ObjectIsDeletedButRecoverable",
			"'secrets recover " + uri("db-password", sys) + "' brings it back",
			"'secrets purge " + uri("db-password", sys) + "' frees the name"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr = %q; want %q", r.stderr, want)
			}
		}
		noLeak(t, r, "new-value")
	})
	t.Run("show-deleted and list-deleted", func(t *testing.T) {
		r := kv(t, "", "show-deleted", uri("db-password", sys))
		r.want(t, exitOK)
		for _, want := range []string{"name:", "db-password", "text/plain", "env=dev", "scheduled purge:"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("stdout =\n%s\nwant %q", r.stdout, want)
			}
		}
		noLeak(t, r)
		r = kv(t, "", "list-deleted", "-o", "json", vault+sys)
		r.want(t, exitOK)
		var got []deletedJSON
		r.decode(t, &got)
		if len(got) != 1 || got[0].Name != "db-password" || got[0].Deleted == nil || got[0].ScheduledPurge == nil ||
			got[0].ScheduledPurge.Sub(*got[0].Deleted) != 7*24*time.Hour || got[0].Value != nil {
			t.Errorf("json = %s; want db-password, purged 7 days after deletion", r.stdout)
		}
		r = kv(t, "", "list-deleted", vault+lister)
		r.want(t, exitOK)
		if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[1], "db-password ") {
			t.Errorf("stdout =\n%s", r.stdout)
		}
		kv(t, "", "show-deleted", uri("api-key", sys)).want(t, exitNotFound)
	})
	t.Run("recover", func(t *testing.T) {
		kv(t, "", "recover", uri("db-password", lister)).want(t, exitDenied)
		r := kv(t, "", "recover", uri("db-password", keeper))
		r.want(t, exitOK)
		if r.stdout != "recovered db-password\n" {
			t.Errorf("stdout = %q", r.stdout)
		}
		r = kv(t, "", "get", uri("db-password", sys))
		r.want(t, exitOK)
		if r.stdout != "hunter2\n" {
			t.Errorf("after recover, get = %q", r.stdout)
		}
		kv(t, "", "recover", uri("db-password", sys)).want(t, exitNotFound)
		kv(t, "", "recover", uri("never-was", sys)).want(t, exitNotFound)
	})
	t.Run("purge", func(t *testing.T) {
		kv(t, "", "purge", uri("api-key", sys)).want(t, exitNotFound) // live, not deleted
		kv(t, "", "delete", uri("api-key", sys)).want(t, exitOK)
		r := kv(t, "", "purge", uri("api-key", keeper))
		r.want(t, exitDenied)
		if !strings.Contains(r.stderr, "403") || !strings.Contains(r.stderr, "purge") {
			t.Errorf("stderr = %q; want the 403 and the missing purge permission", r.stderr)
		}
		r = kv(t, "", "purge", "-o", "json", uri("api-key", sys))
		r.want(t, exitOK)
		if strings.TrimSpace(r.stdout) != "{\n  \"name\": \"api-key\",\n  \"purged\": true\n}" {
			t.Errorf("stdout = %q", r.stdout)
		}
		kv(t, "", "show-deleted", uri("api-key", sys)).want(t, exitNotFound)
		kv(t, "", "recover", uri("api-key", sys)).want(t, exitNotFound)
		r = kv(t, "fresh", "set", uri("api-key", sys))
		r.want(t, exitOK)
	})
	t.Run("purge protection", func(t *testing.T) {
		locked := "azurekv://lockedvault.vault.azure.net/kept" + sys
		kv(t, "", "delete", locked).want(t, exitOK)
		r := kv(t, "", "purge", locked)
		r.want(t, exitDenied)
		if !strings.Contains(r.stderr, "purge protection") {
			t.Errorf("stderr = %q", r.stderr)
		}
	})

	dir := t.TempDir()
	backupFile := filepath.Join(dir, "db-password.kvbackup")
	t.Run("backup", func(t *testing.T) {
		r := kv(t, "", "backup", uri("db-password", sys))
		r.want(t, exitUsage)
		if !strings.Contains(r.stderr, "--file is required") {
			t.Errorf("stderr = %q", r.stderr)
		}
		kv(t, "", "backup", "--file", backupFile, uri("db-password", lister)).want(t, exitDenied)
		kv(t, "", "backup", "--file", backupFile, uri("no-such-secret", sys)).want(t, exitNotFound)
		if _, err := os.Stat(backupFile); !os.IsNotExist(err) {
			t.Fatalf("a failed backup left a file: %v", err)
		}
		r = kv(t, "", "backup", "--file", backupFile, uri("db-password", keeper))
		r.want(t, exitOK)
		if !strings.HasPrefix(r.stdout, "backed up db-password to "+backupFile+" (") {
			t.Errorf("stdout = %q", r.stdout)
		}
		info, err := os.Stat(backupFile)
		if err != nil || info.Mode().Perm() != 0o600 || info.Size() == 0 {
			t.Fatalf("backup file: %v, %v; want a non-empty 0600 file", info, err)
		}
		blob, _ := os.ReadFile(backupFile)
		if strings.Contains(string(blob), "hunter2") {
			t.Errorf("the backup holds the value in plain text")
		}
		r = kv(t, "", "backup", "--file", backupFile, uri("db-password", sys))
		r.want(t, exitUsage)
		if !strings.Contains(r.stderr, "exists; give --force") {
			t.Errorf("stderr = %q", r.stderr)
		}
		// Refused before any request: the lister, whom the vault would
		// answer 403, gets the same usage error.
		r = kv(t, "", "backup", "--file", backupFile, uri("db-password", lister))
		r.want(t, exitUsage)
		if !strings.Contains(r.stderr, "exists; give --force") {
			t.Errorf("stderr = %q", r.stderr)
		}
		// --force replaces the file and its mode, whatever it was.
		os.Chmod(backupFile, 0o644)
		kv(t, "", "backup", "--force", "--file", backupFile, uri("db-password", sys)).want(t, exitOK)
		if info, err := os.Stat(backupFile); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("after --force: %v, %v; want a 0600 file", info, err)
		}
	})
	t.Run("restore", func(t *testing.T) {
		r := kv(t, "", "restore", "--file", backupFile, vault+sys)
		r.want(t, exitError)
		if !strings.Contains(r.stderr, "409 Conflict") || !strings.Contains(r.stderr, "delete and purge it first") {
			t.Errorf("stderr = %q; want the conflict and what to do", r.stderr)
		}
		malformed := writeFile(t, dir, "malformed", "not a backup")
		r = kv(t, "", "restore", "--file", malformed, vault+sys)
		r.want(t, exitUsage)
		want := `secrets restore: azurekv: restore: invalid argument: 400 Malformed backup blob: Backup blob is corrupt.; run 'secrets restore --help' for usage` + "\n"
		if r.stderr != want {
			t.Errorf("stderr = %q; want %q", r.stderr, want)
		}
		r = kv(t, "", "restore", "--file", filepath.Join(dir, "nope"), vault+sys)
		r.want(t, exitError)
		if !strings.Contains(r.stderr, "--file: open "+filepath.Join(dir, "nope")) {
			t.Errorf("stderr = %q", r.stderr)
		}
		kv(t, "", "restore", "--file", backupFile, vault+lister).want(t, exitDenied)

		kv(t, "", "delete", uri("db-password", sys)).want(t, exitOK)
		kv(t, "", "purge", uri("db-password", sys)).want(t, exitOK)
		r = kv(t, "", "restore", "--file", backupFile, vault+keeper)
		r.want(t, exitOK)
		if !strings.HasPrefix(r.stdout, "restored db-password version ") {
			t.Errorf("stdout = %q", r.stdout)
		}
		r = kv(t, "", "get", uri("db-password", sys))
		if r.stdout != "hunter2\n" {
			t.Errorf("after restore, get = %q", r.stdout)
		}
	})
	t.Run("update", func(t *testing.T) {
		r := kv(t, "", "update", uri("db-password", sys))
		r.want(t, exitUsage)
		if !strings.Contains(r.stderr, "nothing to update") {
			t.Errorf("stderr = %q", r.stderr)
		}
		kv(t, "", "update", "--enabled", "maybe", uri("db-password", sys)).want(t, exitUsage)
		kv(t, "", "update", "--expires", "tomorrow", uri("db-password", sys)).want(t, exitUsage)
		kv(t, "", "update", "--tag", "a=b", "--clear-tags", uri("db-password", sys)).want(t, exitUsage)
		kv(t, "", "update", "--enabled=false", uri("db-password", lister)).want(t, exitDenied)
		kv(t, "", "update", "--enabled=false", uri("no-such-secret", sys)).want(t, exitNotFound)

		r = kv(t, "", "update", "-o", "json", "--content-type", "application/json", "--tag", "owner=ops",
			"--expires", "2030-01-31T00:00:00Z", "--not-before", "2020-01-01T00:00:00Z", uri("db-password", sys))
		r.want(t, exitOK)
		var got secretJSON
		r.decode(t, &got)
		if got.ContentType != "application/json" || len(got.Tags) != 1 || got.Tags["owner"] != "ops" ||
			got.Expires == nil || !got.Expires.Equal(time.Date(2030, 1, 31, 0, 0, 0, 0, time.UTC)) ||
			got.NotBefore == nil || !got.Enabled || got.Value != nil {
			t.Errorf("json = %s", r.stdout)
		}
		r = kv(t, "", "update", "--enabled=false", uri("db-password", sys))
		r.want(t, exitOK)
		if !strings.HasPrefix(r.stdout, "updated db-password version ") {
			t.Errorf("stdout = %q", r.stdout)
		}
		r = kv(t, "", "get", uri("db-password", sys))
		r.want(t, exitDenied)
		if !strings.Contains(r.stderr, "SecretDisabled") {
			t.Errorf("stderr = %q", r.stderr)
		}
		kv(t, "", "update", "--enabled=true", "--clear-tags", uri("db-password", sys)).want(t, exitOK)
		r = kv(t, "", "get", "-o", "json", uri("db-password", sys))
		r.want(t, exitOK)
		var after secretJSON
		r.decode(t, &after)
		if !after.Enabled || len(after.Tags) != 0 || after.ContentType != "application/json" {
			t.Errorf("json = %s", r.stdout)
		}
	})
	t.Run("read-only providers say so", func(t *testing.T) {
		for _, args := range [][]string{
			{"recover", "env://X"}, {"purge", "env://X"}, {"show-deleted", "env://X"},
			{"list-deleted", "env://"}, {"backup", "--file", filepath.Join(dir, "x"), "env://X"},
			{"restore", "--file", backupFile, "env://"}, {"update", "--enabled=false", "env://X"},
		} {
			r := kv(t, "", args...)
			r.want(t, exitUsage)
			if !strings.Contains(r.stderr, "this provider cannot") {
				t.Errorf("%v: stderr = %q", args, r.stderr)
			}
		}
	})
	t.Run("a version is refused where it has no meaning", func(t *testing.T) {
		for _, cmd := range []string{"recover", "purge", "show-deleted"} {
			kv(t, "", cmd, uri("db-password", sys)+"&version="+strings.Repeat("0", 32)).want(t, exitUsage)
		}
	})
	t.Run("help", func(t *testing.T) {
		for _, cmd := range []string{"recover", "purge", "list-deleted", "show-deleted", "backup", "restore", "update"} {
			r := kv(t, "", cmd, "--help")
			r.want(t, exitOK)
			if !strings.HasPrefix(r.stdout, "Usage: secrets "+cmd+" ") || !strings.Contains(r.stdout, "4  permission denied") {
				t.Errorf("%s --help =\n%s", cmd, r.stdout)
			}
		}
	})
}
