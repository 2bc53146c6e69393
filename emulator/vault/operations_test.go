package vault_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/google/go-cmp/cmp"
	"github.com/secretkit/secretkit/emulator/access"
	"github.com/secretkit/secretkit/emulator/store"
	"github.com/secretkit/secretkit/emulator/vault"
)

var versionPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestSetAndGetThroughSDK(t *testing.T) {
	f := start(t, vault.Options{})
	ctx := t.Context()
	nbf := epoch.Add(-time.Hour)
	exp := epoch.Add(24 * time.Hour)
	set, err := f.client.SetSecret(ctx, "db-Password", azsecrets.SetSecretParameters{
		Value:       ptr("s3cret"),
		ContentType: ptr("text/plain"),
		Tags:        map[string]*string{"env": ptr("dev")},
		SecretAttributes: &azsecrets.SecretAttributes{
			NotBefore: &nbf, Expires: &exp,
		},
	}, nil)
	if err != nil {
		t.Fatalf("SetSecret: %v", err)
	}
	if got := *set.Value; got != "s3cret" {
		t.Errorf("set value = %q", got)
	}
	if set.ID.Name() != "db-Password" || !versionPattern.MatchString(set.ID.Version()) {
		t.Errorf("set id = %s, want name db-Password and a 32-hex version", *set.ID)
	}
	if !strings.HasPrefix(string(*set.ID), f.srv.URL+"/secrets/db-Password/") {
		t.Errorf("id %s is not on the called host %s", *set.ID, f.srv.URL)
	}
	a := set.Attributes
	if !*a.Enabled || !a.Created.Equal(epoch) || !a.Updated.Equal(epoch) || !a.NotBefore.Equal(nbf) || !a.Expires.Equal(exp) {
		t.Errorf("attributes = %+v", a)
	}
	if *a.RecoveryLevel != "Recoverable+Purgeable" || *a.RecoverableDays != 90 {
		t.Errorf("recovery = %s/%d", *a.RecoveryLevel, *a.RecoverableDays)
	}

	// Latest (the SDK sends a trailing slash), by version, and by another
	// case of the name.
	for _, tc := range []struct{ name, version string }{
		{"db-Password", ""}, {"db-Password", set.ID.Version()}, {"DB-PASSWORD", ""},
	} {
		got, err := f.client.GetSecret(ctx, tc.name, tc.version, nil)
		if err != nil {
			t.Fatalf("GetSecret(%s, %q): %v", tc.name, tc.version, err)
		}
		if *got.Value != "s3cret" || *got.ID != *set.ID || *got.ContentType != "text/plain" || *got.Tags["env"] != "dev" {
			t.Errorf("GetSecret(%s, %q) = %+v", tc.name, tc.version, got.Secret)
		}
	}

	// A second set is a new latest version; the first stays readable.
	f.clock.Advance(time.Minute)
	second, err := f.client.SetSecret(ctx, "db-password", azsecrets.SetSecretParameters{Value: ptr("v2")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if second.ID.Name() != "db-Password" {
		t.Errorf("name case changed to %s", second.ID.Name())
	}
	latest, err := f.client.GetSecret(ctx, "db-password", "", nil)
	if err != nil || *latest.Value != "v2" {
		t.Fatalf("latest = %v, %v", latest.Value, err)
	}
	old, err := f.client.GetSecret(ctx, "db-password", set.ID.Version(), nil)
	if err != nil || *old.Value != "s3cret" {
		t.Fatalf("old version = %v, %v", old.Value, err)
	}
}

func TestGetErrors(t *testing.T) {
	f := start(t, vault.Options{})
	ctx := t.Context()
	_, err := f.client.GetSecret(ctx, "missing", "", nil)
	msg := wantSDKError(t, err, 404, "SecretNotFound", "")
	if want := "A secret with (name/id) missing was not found in this key vault."; !strings.HasPrefix(msg, want) {
		t.Errorf("message = %q, want prefix %q", msg, want)
	}
	if _, err := f.client.SetSecret(ctx, "present", azsecrets.SetSecretParameters{Value: ptr("x")}, nil); err != nil {
		t.Fatal(err)
	}
	_, err = f.client.GetSecret(ctx, "present", "0123456789abcdef0123456789abcdef", nil)
	msg = wantSDKError(t, err, 404, "SecretNotFound", "")
	if want := "A secret with (name/id) present/0123456789abcdef0123456789abcdef was not found in this key vault."; !strings.HasPrefix(msg, want) {
		t.Errorf("message = %q, want prefix %q", msg, want)
	}
}

func TestDisabledVersion(t *testing.T) {
	f := start(t, vault.Options{})
	ctx := t.Context()
	set, err := f.client.SetSecret(ctx, "off", azsecrets.SetSecretParameters{
		Value: ptr("x"), SecretAttributes: &azsecrets.SecretAttributes{Enabled: ptr(false)},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if *set.Attributes.Enabled {
		t.Fatal("set ignored enabled=false")
	}
	_, err = f.client.GetSecret(ctx, "off", "", nil)
	if msg := wantSDKError(t, err, 403, "Forbidden", "SecretDisabled"); msg != "Operation get is not allowed on a disabled secret." {
		t.Errorf("message = %q", msg)
	}
	// It still lists, with enabled false.
	pager := f.client.NewListSecretPropertiesPager(nil)
	page, err := pager.NextPage(ctx)
	if err != nil || len(page.Value) != 1 || *page.Value[0].Attributes.Enabled {
		t.Fatalf("list = %+v, %v", page.Value, err)
	}
	// PATCH re-enables it.
	if _, err := f.client.UpdateSecretProperties(ctx, "off", set.ID.Version(), azsecrets.UpdateSecretPropertiesParameters{
		SecretAttributes: &azsecrets.SecretAttributes{Enabled: ptr(true)},
	}, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := f.client.GetSecret(ctx, "off", "", nil); err != nil || *got.Value != "x" {
		t.Fatalf("after re-enable: %v, %v", got.Value, err)
	}
}

func TestUpdateProperties(t *testing.T) {
	f := start(t, vault.Options{})
	ctx := t.Context()
	set, err := f.client.SetSecret(ctx, "upd", azsecrets.SetSecretParameters{
		Value: ptr("v"), ContentType: ptr("a"), Tags: map[string]*string{"old": ptr("1")},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour)
	exp := epoch.Add(48 * time.Hour)
	got, err := f.client.UpdateSecretProperties(ctx, "upd", "", azsecrets.UpdateSecretPropertiesParameters{
		ContentType:      ptr("b"),
		Tags:             map[string]*string{"new": ptr("2")},
		SecretAttributes: &azsecrets.SecretAttributes{Expires: &exp},
	}, nil)
	if err != nil {
		t.Fatalf("UpdateSecretProperties latest: %v", err)
	}
	if got.Value != nil {
		t.Error("update response carries the value")
	}
	if *got.ID != *set.ID || *got.ContentType != "b" || !got.Attributes.Expires.Equal(exp) ||
		!got.Attributes.Updated.Equal(epoch.Add(time.Hour)) || !got.Attributes.Created.Equal(epoch) {
		t.Errorf("updated = %+v %+v", got.Secret, got.Attributes)
	}
	if diff := cmp.Diff(map[string]*string{"new": ptr("2")}, got.Tags); diff != "" {
		t.Errorf("tags not replaced (-want +got):\n%s", diff)
	}
	// By explicit version; omitted fields stay.
	got, err = f.client.UpdateSecretProperties(ctx, "upd", set.ID.Version(), azsecrets.UpdateSecretPropertiesParameters{}, nil)
	if err != nil || *got.ContentType != "b" || len(got.Tags) != 1 {
		t.Fatalf("empty update changed something: %+v, %v", got.Secret, err)
	}
	_, err = f.client.UpdateSecretProperties(ctx, "nope", "", azsecrets.UpdateSecretPropertiesParameters{}, nil)
	wantSDKError(t, err, 404, "SecretNotFound", "")
	_, err = f.client.UpdateSecretProperties(ctx, "upd", "ffffffffffffffffffffffffffffffff", azsecrets.UpdateSecretPropertiesParameters{}, nil)
	wantSDKError(t, err, 404, "SecretNotFound", "")
}

func TestSoftDeleteLifecycle(t *testing.T) {
	f := start(t, vault.Options{})
	ctx := t.Context()
	if _, err := f.client.SetSecret(ctx, "test2", azsecrets.SetSecretParameters{Value: ptr("one")}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.SetSecret(ctx, "test2", azsecrets.SetSecretParameters{Value: ptr("two")}, nil); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	del, err := f.client.DeleteSecret(ctx, "test2", nil)
	if err != nil {
		t.Fatalf("DeleteSecret: %v", err)
	}
	deletedAt := epoch.Add(time.Minute)
	if del.Value != nil || !del.DeletedDate.Equal(deletedAt) || !del.ScheduledPurgeDate.Equal(deletedAt.Add(90*24*time.Hour)) {
		t.Errorf("deleted = %+v", del.DeletedSecret)
	}
	if want := f.srv.URL + "/deletedsecrets/test2"; *del.RecoveryID != want {
		t.Errorf("recoveryId = %s, want %s", *del.RecoveryID, want)
	}

	// While deleted: get 404, set (any case) 409, delete 404, update 404,
	// backup 404.
	_, err = f.client.GetSecret(ctx, "test2", "", nil)
	wantSDKError(t, err, 404, "SecretNotFound", "")
	_, err = f.client.SetSecret(ctx, "Test2", azsecrets.SetSecretParameters{Value: ptr("x")}, nil)
	if msg := wantSDKError(t, err, 409, "Conflict", "ObjectIsDeletedButRecoverable"); !strings.Contains(msg, "deleted but recoverable state") {
		t.Errorf("conflict message = %q", msg)
	}
	_, err = f.client.DeleteSecret(ctx, "test2", nil)
	wantSDKError(t, err, 404, "SecretNotFound", "")
	_, err = f.client.UpdateSecretProperties(ctx, "test2", "", azsecrets.UpdateSecretPropertiesParameters{}, nil)
	wantSDKError(t, err, 404, "SecretNotFound", "")
	_, err = f.client.BackupSecret(ctx, "test2", nil)
	wantSDKError(t, err, 404, "SecretNotFound", "")

	got, err := f.client.GetDeletedSecret(ctx, "TEST2", nil)
	if err != nil || *got.ID != *del.ID {
		t.Fatalf("GetDeletedSecret = %+v, %v", got.DeletedSecret, err)
	}
	pager := f.client.NewListDeletedSecretPropertiesPager(nil)
	page, err := pager.NextPage(ctx)
	if err != nil || len(page.Value) != 1 || *page.Value[0].RecoveryID != *del.RecoveryID {
		t.Fatalf("list deleted = %+v, %v", page.Value, err)
	}
	if active, _ := f.client.NewListSecretPropertiesPager(nil).NextPage(ctx); len(active.Value) != 0 {
		t.Errorf("deleted secret still listed as active")
	}

	rec, err := f.client.RecoverDeletedSecret(ctx, "test2", nil)
	if err != nil || rec.ID.Name() != "test2" {
		t.Fatalf("RecoverDeletedSecret = %+v, %v", rec, err)
	}
	v, err := f.client.GetSecret(ctx, "test2", "", nil)
	if err != nil || *v.Value != "two" {
		t.Fatalf("after recover: %v, %v", v.Value, err)
	}
	versions := 0
	for p := f.client.NewListSecretPropertiesVersionsPager("test2", nil); p.More(); {
		pg, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		versions += len(pg.Value)
	}
	if versions != 2 {
		t.Errorf("recovered %d versions, want 2", versions)
	}
	// Recover/get-deleted/purge of a secret that is not deleted: 404.
	_, err = f.client.RecoverDeletedSecret(ctx, "test2", nil)
	if msg := wantSDKError(t, err, 404, "SecretNotFound", ""); !strings.HasPrefix(msg, "A secret with (name/id) test2 was not found in this key vault.") {
		t.Errorf("recover message = %q", msg)
	}
	_, err = f.client.GetDeletedSecret(ctx, "test2", nil)
	if msg := wantSDKError(t, err, 404, "SecretNotFound", ""); msg != "Deleted Secret not found: test2" {
		t.Errorf("get-deleted message = %q", msg)
	}
	_, err = f.client.PurgeDeletedSecret(ctx, "test2", nil)
	wantSDKError(t, err, 404, "SecretNotFound", "")

	// Delete and purge frees the name.
	if _, err := f.client.DeleteSecret(ctx, "test2", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.PurgeDeletedSecret(ctx, "test2", nil); err != nil {
		t.Fatalf("PurgeDeletedSecret: %v", err)
	}
	_, err = f.client.GetDeletedSecret(ctx, "test2", nil)
	wantSDKError(t, err, 404, "SecretNotFound", "")
	if _, err := f.client.SetSecret(ctx, "test2", azsecrets.SetSecretParameters{Value: ptr("fresh")}, nil); err != nil {
		t.Fatalf("set after purge: %v", err)
	}
	n := 0
	for p := f.client.NewListSecretPropertiesVersionsPager("test2", nil); p.More(); {
		pg, _ := p.NextPage(ctx)
		n += len(pg.Value)
	}
	if n != 1 {
		t.Errorf("purged versions came back: %d versions", n)
	}
}

func TestRetentionAndPurgeProtection(t *testing.T) {
	f := start(t, vault.Options{Vaults: []vault.Settings{{Name: "Locked", RetentionDays: 7, PurgeProtection: true}}})
	ctx := t.Context()
	if _, err := f.client.SetSecret(ctx, "keep", azsecrets.SetSecretParameters{Value: ptr("x")}, nil); err != nil {
		t.Fatal(err)
	}
	del, err := f.client.DeleteSecret(ctx, "keep", nil)
	if err != nil {
		t.Fatal(err)
	}
	if *del.Attributes.RecoveryLevel != "CustomizedRecoverable" || *del.Attributes.RecoverableDays != 7 ||
		!del.ScheduledPurgeDate.Equal(epoch.Add(7*24*time.Hour)) {
		t.Errorf("deleted = %s/%d purge %v", *del.Attributes.RecoveryLevel, *del.Attributes.RecoverableDays, del.ScheduledPurgeDate)
	}
	_, err = f.client.PurgeDeletedSecret(ctx, "keep", nil)
	if msg := wantSDKError(t, err, 403, "Forbidden", ""); !strings.HasPrefix(msg, `Operation "purge" is not allowed because purge protection is enabled for this vault.`) {
		t.Errorf("message = %q", msg)
	}
}

func TestRecoveryLevels(t *testing.T) {
	for _, tc := range []struct {
		settings vault.Settings
		level    string
		days     int32
	}{
		{vault.Settings{Name: "aaa"}, "Recoverable+Purgeable", 90},
		{vault.Settings{Name: "aaa", PurgeProtection: true}, "Recoverable", 90},
		{vault.Settings{Name: "aaa", RetentionDays: 30}, "CustomizedRecoverable+Purgeable", 30},
	} {
		f := start(t, vault.Options{Vaults: []vault.Settings{tc.settings}})
		s, err := f.client.SetSecret(t.Context(), "x", azsecrets.SetSecretParameters{Value: ptr("v")}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if *s.Attributes.RecoveryLevel != tc.level || *s.Attributes.RecoverableDays != tc.days {
			t.Errorf("%+v: got %s/%d, want %s/%d", tc.settings, *s.Attributes.RecoveryLevel, *s.Attributes.RecoverableDays, tc.level, tc.days)
		}
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	mem := func() vault.Options { return vault.Options{Store: store.NewMemory()} }
	for name, opts := range map[string]vault.Options{
		"no store":       {},
		"retention 6":    withVaults(mem(), vault.Settings{Name: "vvv", RetentionDays: 6}),
		"retention 91":   withVaults(mem(), vault.Settings{Name: "vvv", RetentionDays: 91}),
		"bad vault name": withVaults(mem(), vault.Settings{Name: "no_underscores"}),
		"duplicate":      withVaults(mem(), vault.Settings{Name: "vvv"}, vault.Settings{Name: "VVV"}),
		"short key":      {Store: mem().Store, BackupKey: make([]byte, 16)},
		"access and an authorizer": withVaults(vault.Options{Store: store.NewMemory(), Authorizer: &seam{}},
			vault.Settings{Name: "vvv", Access: &access.VaultRules{Model: access.RBAC}}),
	} {
		if _, err := vault.New(opts); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
}

func withVaults(o vault.Options, s ...vault.Settings) vault.Options {
	o.Vaults = s
	return o
}

func TestScheduledPurge(t *testing.T) {
	f := start(t, vault.Options{Vaults: []vault.Settings{{Name: "vvv", RetentionDays: 7}}})
	ctx := t.Context()
	if _, err := f.client.SetSecret(ctx, "temp", azsecrets.SetSecretParameters{Value: ptr("x")}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.DeleteSecret(ctx, "temp", nil); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(7*24*time.Hour - time.Second)
	if _, err := f.client.GetDeletedSecret(ctx, "temp", nil); err != nil {
		t.Fatalf("deleted secret gone before its purge date: %v", err)
	}
	if n, err := f.api.PurgeDue(ctx); err != nil || n != 0 {
		t.Fatalf("PurgeDue before date = %d, %v", n, err)
	}
	f.clock.Advance(time.Second)
	// Gone for reads even before PurgeDue runs, and the name is free.
	_, err := f.client.GetDeletedSecret(ctx, "temp", nil)
	wantSDKError(t, err, 404, "SecretNotFound", "")
	if page, _ := f.client.NewListDeletedSecretPropertiesPager(nil).NextPage(ctx); len(page.Value) != 0 {
		t.Errorf("due secret still listed as deleted")
	}
	if n, err := f.api.PurgeDue(ctx); err != nil || n != 1 {
		t.Fatalf("PurgeDue = %d, %v; want 1", n, err)
	}
	if _, err := f.store.Get(ctx, "vvv", "temp"); err == nil {
		t.Error("record still stored after PurgeDue")
	}
	if _, err := f.client.SetSecret(ctx, "temp", azsecrets.SetSecretParameters{Value: ptr("y")}, nil); err != nil {
		t.Fatalf("name not freed: %v", err)
	}
}

func TestScheduledPurgeFreesNameWithoutPurgeDue(t *testing.T) {
	f := start(t, vault.Options{Vaults: []vault.Settings{{Name: "vvv", RetentionDays: 7, PurgeProtection: true}}})
	ctx := t.Context()
	for _, v := range []string{"a", "b"} {
		if _, err := f.client.SetSecret(ctx, "temp", azsecrets.SetSecretParameters{Value: ptr(v)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.client.DeleteSecret(ctx, "temp", nil); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(8 * 24 * time.Hour)
	if _, err := f.client.SetSecret(ctx, "temp", azsecrets.SetSecretParameters{Value: ptr("new")}, nil); err != nil {
		t.Fatalf("name not freed: %v", err)
	}
	n := 0
	for p := f.client.NewListSecretPropertiesVersionsPager("temp", nil); p.More(); {
		pg, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(pg.Value)
	}
	if n != 1 {
		t.Errorf("purged versions survived: %d versions", n)
	}
}

func TestBackupRestore(t *testing.T) {
	key := make([]byte, 32)
	f := start(t, vault.Options{BackupKey: key})
	ctx := t.Context()
	for _, v := range []string{"one", "two"} {
		if _, err := f.client.SetSecret(ctx, "Bk", azsecrets.SetSecretParameters{Value: ptr(v), Tags: map[string]*string{"t": ptr(v)}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	b, err := f.client.BackupSecret(ctx, "bk", nil)
	if err != nil {
		t.Fatalf("BackupSecret: %v", err)
	}
	if strings.Contains(string(b.Value), "one") {
		t.Fatal("backup blob contains the value in clear")
	}
	// Restore into the same name while active or deleted: 409.
	latest, err := f.client.GetSecret(ctx, "bk", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	wantConflict := "There was a conflict restoring the secret '" + string(*latest.ID) + "'."
	_, err = f.client.RestoreSecret(ctx, azsecrets.RestoreSecretParameters{SecretBackup: b.Value}, nil)
	if msg := wantSDKError(t, err, 409, "Conflict", ""); !strings.HasPrefix(msg, wantConflict) {
		t.Errorf("active conflict message = %q, want prefix %q", msg, wantConflict)
	}
	if _, err := f.client.DeleteSecret(ctx, "bk", nil); err != nil {
		t.Fatal(err)
	}
	_, err = f.client.RestoreSecret(ctx, azsecrets.RestoreSecretParameters{SecretBackup: b.Value}, nil)
	if msg := wantSDKError(t, err, 409, "Conflict", ""); !strings.HasPrefix(msg, wantConflict) {
		t.Errorf("deleted conflict message = %q", msg)
	}
	if _, err := f.client.PurgeDeletedSecret(ctx, "bk", nil); err != nil {
		t.Fatal(err)
	}
	got, err := f.client.RestoreSecret(ctx, azsecrets.RestoreSecretParameters{SecretBackup: b.Value}, nil)
	if err != nil {
		t.Fatalf("RestoreSecret: %v", err)
	}
	if got.ID.Name() != "Bk" || *got.Tags["t"] != "two" {
		t.Errorf("restored = %s %v", *got.ID, got.Tags)
	}
	v, err := f.client.GetSecret(ctx, "bk", "", nil)
	if err != nil || *v.Value != "two" {
		t.Fatalf("restored latest = %v, %v", v.Value, err)
	}

	// Another emulator with the same key restores it; one with another
	// key, or a tampered blob, is refused.
	same := start(t, vault.Options{BackupKey: key})
	if _, err := same.client.RestoreSecret(ctx, azsecrets.RestoreSecretParameters{SecretBackup: b.Value}, nil); err != nil {
		t.Fatalf("restore with the same key: %v", err)
	}
	other := start(t, vault.Options{})
	_, err = other.client.RestoreSecret(ctx, azsecrets.RestoreSecretParameters{SecretBackup: b.Value}, nil)
	wantSDKError(t, err, 400, "Malformed backup blob", "")
	// Tampering is refused by a vault holding the right key (another key
	// refuses every blob, so it would prove nothing here).
	fresh := start(t, vault.Options{BackupKey: key})
	tampered := append([]byte(nil), b.Value...)
	tampered[len(tampered)-1] ^= 1
	_, err = fresh.client.RestoreSecret(ctx, azsecrets.RestoreSecretParameters{SecretBackup: tampered}, nil)
	wantSDKError(t, err, 400, "Malformed backup blob", "")
	if _, err := fresh.client.GetSecret(ctx, "bk", "", nil); err == nil {
		t.Error("a tampered blob restored the secret")
	}

	_, err = f.client.BackupSecret(ctx, "never", nil)
	wantSDKError(t, err, 404, "SecretNotFound", "")
}

func TestBackupIsUnpaddedBase64URL(t *testing.T) {
	f := start(t, vault.Options{})
	f.raw(t, http.MethodPut, "", "/secrets/b?api-version=7.6", `{"value":"x"}`, nil)
	r := f.raw(t, http.MethodPost, "", "/secrets/b/backup?api-version=7.6", "", nil)
	if r.status != 200 {
		t.Fatalf("backup status %d %s", r.status, r.body)
	}
	blob, _ := r.json(t)["value"].(string)
	if blob == "" || strings.ContainsAny(blob, "=+/") {
		t.Fatalf("blob %q is not unpadded base64url", blob)
	}
	r = f.raw(t, http.MethodPost, "", "/secrets/restore?api-version=7.6", `{"value":"!!notbase64"}`, nil)
	if msg := wantError(t, r, 400, "Malformed backup blob", ""); msg != "Backup blob is corrupt." {
		t.Errorf("message = %q", msg)
	}
}

func TestPagingWalksAllPages(t *testing.T) {
	f := start(t, vault.Options{})
	ctx := t.Context()
	const n = 60
	for i := range n {
		if _, err := f.client.SetSecret(ctx, fmt.Sprintf("s%02d", i), azsecrets.SetSecretParameters{Value: ptr("v")}, nil); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	pages := 0
	for p := f.client.NewListSecretPropertiesPager(nil); p.More(); {
		pg, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		pages++
		for _, it := range pg.Value {
			if it.ID.Version() != "" {
				t.Errorf("list item id %s carries a version", *it.ID)
			}
			names = append(names, it.ID.Name())
		}
	}
	if len(names) != n || pages != 3 {
		t.Fatalf("listed %d secrets in %d pages, want %d in 3", len(names), pages, n)
	}
	for i, name := range names {
		if want := fmt.Sprintf("s%02d", i); name != want {
			t.Fatalf("names[%d] = %s, want %s", i, name, want)
		}
	}

	// Versions page too.
	for range 30 {
		if _, err := f.client.SetSecret(ctx, "many", azsecrets.SetSecretParameters{Value: ptr("v")}, nil); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for p := f.client.NewListSecretPropertiesVersionsPager("many", nil); p.More(); {
		pg, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range pg.Value {
			seen[it.ID.Version()] = true
		}
	}
	if len(seen) != 30 {
		t.Errorf("listed %d distinct versions, want 30", len(seen))
	}

	// Deleted listing pages as well.
	for i := range 27 {
		if _, err := f.client.DeleteSecret(ctx, fmt.Sprintf("s%02d", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	deleted := 0
	for p := f.client.NewListDeletedSecretPropertiesPager(nil); p.More(); {
		pg, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		deleted += len(pg.Value)
	}
	if deleted != 27 {
		t.Errorf("listed %d deleted, want 27", deleted)
	}
}

func TestConcurrentSetsMakeDistinctVersions(t *testing.T) {
	f := start(t, vault.Options{})
	ctx := t.Context()
	const n = 32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, err := f.client.SetSecret(ctx, "hot", azsecrets.SetSecretParameters{Value: ptr(fmt.Sprint(i))}, nil)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	rec, err := f.store.Get(ctx, "emulator", "hot")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, v := range rec.Versions {
		ids[v.ID] = true
	}
	if len(rec.Versions) != n || len(ids) != n {
		t.Fatalf("%d versions (%d distinct), want %d", len(rec.Versions), len(ids), n)
	}
}
