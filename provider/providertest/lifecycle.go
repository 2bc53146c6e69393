package providertest

import (
	"context"
	"testing"

	"github.com/secretkit/secretkit/provider"
)

// The cases for the soft-delete and property abilities (provider.Recoverer,
// Purger, DeletedLister, Updater). They run only for a backend that
// declares every ability a case needs, and skip otherwise.
func init() {
	cases = append(cases,
		testCase{"RecoverDeleted", testRecover},
		testCase{"PurgeDeleted", testPurge},
		testCase{"UpdateProperties", testUpdateProperties},
	)
}

func (s *suite) need(t *testing.T, caps ...bool) {
	t.Helper()
	for _, c := range caps {
		if !c {
			t.Skip("backend lacks an ability this case needs")
		}
	}
}

// deleteThroughProvider deletes name with the provider's own Deleter, as a
// program that later recovers or purges it would.
func deleteThroughProvider(ctx context.Context, t *testing.T, p provider.SecretProvider, name string) {
	t.Helper()
	if err := p.(provider.Deleter).DeleteSecret(ctx, name); err != nil {
		t.Fatalf("DeleteSecret(%q): %v", name, err)
	}
}

func testRecover(ctx context.Context, t *testing.T, s *suite) {
	c := s.rules.Capabilities
	s.need(t, c.Delete, c.Recover, c.ListDeleted)
	name := s.seed(ctx, t, "recover", "comes-back")
	p := s.provider(ctx, t)
	deleteThroughProvider(ctx, t, p, name)

	d, err := p.(provider.DeletedLister).GetDeletedSecret(ctx, name)
	if err != nil || d.Name != name {
		t.Fatalf("GetDeletedSecret(%q) = %+v, %v; want the deleted secret", name, d.Metadata, err)
	}
	listed := false
	for del, err := range p.(provider.DeletedLister).ListDeletedSecrets(ctx) {
		if err != nil {
			t.Fatalf("ListDeletedSecrets: %v", err)
		}
		listed = listed || del.Name == name
	}
	if !listed {
		t.Errorf("ListDeletedSecrets did not yield %q", name)
	}

	md, err := p.(provider.Recoverer).RecoverSecret(ctx, name)
	if err != nil || md.Name != name {
		t.Fatalf("RecoverSecret(%q) = %+v, %v", name, md, err)
	}
	wantValue(t, get(ctx, t, p, name, ""), "comes-back")
	_, err = p.(provider.DeletedLister).GetDeletedSecret(ctx, name)
	wantKind(t, err, provider.ErrNotFound, name)

	_, err = p.(provider.Recoverer).RecoverSecret(ctx, name) // live, not deleted
	wantKind(t, err, provider.ErrNotFound, name)
	never := s.rules.NewName("never-deleted")
	_, err = p.(provider.Recoverer).RecoverSecret(ctx, never)
	wantKind(t, err, provider.ErrNotFound, never)
}

func testPurge(ctx context.Context, t *testing.T, s *suite) {
	c := s.rules.Capabilities
	s.need(t, c.Delete, c.Purge, c.Recover, c.ListDeleted)
	name := s.seed(ctx, t, "purge", "gone-for-good")
	p := s.provider(ctx, t)

	err := p.(provider.Purger).PurgeSecret(ctx, name) // live: delete first
	wantKind(t, err, provider.ErrNotFound, name)
	wantValue(t, get(ctx, t, p, name, ""), "gone-for-good")

	deleteThroughProvider(ctx, t, p, name)
	if err := p.(provider.Purger).PurgeSecret(ctx, name); err != nil {
		t.Fatalf("PurgeSecret(%q): %v", name, err)
	}
	_, err = p.(provider.DeletedLister).GetDeletedSecret(ctx, name)
	wantKind(t, err, provider.ErrNotFound, name)
	_, err = p.(provider.Recoverer).RecoverSecret(ctx, name)
	wantKind(t, err, provider.ErrNotFound, name)
	_, err = p.GetSecret(ctx, name, "")
	wantKind(t, err, provider.ErrNotFound, name)
}

func testUpdateProperties(ctx context.Context, t *testing.T, s *suite) {
	s.need(t, s.rules.Capabilities.Update)
	name := s.seed(ctx, t, "update", "unchanged-value")
	p := s.provider(ctx, t)
	u := p.(provider.Updater)

	contentType := "application/x-providertest"
	md, err := u.UpdateSecretProperties(ctx, name, "", provider.PropertiesUpdate{
		ContentType: &contentType, Tags: map[string]string{"suite": "providertest"}})
	if err != nil {
		t.Fatalf("UpdateSecretProperties: %v", err)
	}
	if md.Name != name || md.ContentType != contentType || md.Tags["suite"] != "providertest" || !md.Enabled {
		t.Errorf("UpdateSecretProperties returned %+v", md)
	}
	sec := get(ctx, t, p, name, "")
	wantValue(t, sec, "unchanged-value")
	if sec.ContentType != contentType || sec.Tags["suite"] != "providertest" {
		t.Errorf("after the update GetSecret has %+v", sec.Metadata)
	}

	disabled := false
	if _, err := u.UpdateSecretProperties(ctx, name, "", provider.PropertiesUpdate{Enabled: &disabled}); err != nil {
		t.Fatalf("disabling: %v", err)
	}
	_, err = p.GetSecret(ctx, name, "")
	wantKind(t, err, provider.ErrPermissionDenied, name) // the contract for a disabled version

	missing := s.rules.NewName("update-missing")
	_, err = u.UpdateSecretProperties(ctx, missing, "", provider.PropertiesUpdate{Enabled: &disabled})
	wantKind(t, err, provider.ErrNotFound, missing)
}
