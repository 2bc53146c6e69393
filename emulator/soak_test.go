package emulator_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/secretkit/secretkit/emulator/emulatortest"
	"github.com/secretkit/secretkit/internal/testutil"
)

// soakOpsEnv raises the soak test's operations per client (default 12).
const soakOpsEnv = "SECRETKIT_SOAK_OPS"

// soakSecret is the model of one secret: what the emulator must hold.
type soakSecret struct {
	value    string
	versions int
	tag      string
	deleted  bool
}

// TestSoak runs 64 clients of mixed operations (set, get, update, delete,
// recover, purge, list, backup and restore) at once against one emulator,
// on each store, each client on its own names and checking every answer
// against its model; at the end the emulator's state must equal the
// models (issue 11: soak test). Run it under -race.
func TestSoak(t *testing.T) {
	t.Parallel()
	ops := 12
	if n, err := strconv.Atoi(os.Getenv(soakOpsEnv)); err == nil && n > 0 {
		ops = n
	}
	for _, durable := range []bool{false, true} {
		t.Run(map[bool]string{false: "memory", true: "bolt"}[durable], func(t *testing.T) {
			t.Parallel()
			opts := &emulatortest.Options{ConfigYAML: seededConfig}
			if durable {
				// RAM-backed, so the bolt run measures the store, not the disk's fsync.
				opts.DataFile = filepath.Join(testutil.MemDir(t), "data.db")
			}
			e := emulatortest.Start(t, opts)
			copts := azcore.ClientOptions{Transport: e.Client()}
			cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ClientOptions: copts})
			if err != nil {
				t.Fatal(err)
			}
			const clients = 64
			models := make([]map[string]*soakSecret, clients)
			var wg sync.WaitGroup
			for i := range clients {
				c, err := azsecrets.NewClient(e.VaultURLFor("myvault"), cred, &azsecrets.ClientOptions{ClientOptions: copts})
				if err != nil {
					t.Fatal(err)
				}
				models[i] = map[string]*soakSecret{}
				wg.Go(func() { soakClient(t, c, i, ops, models[i]) })
			}
			wg.Wait()
			soakCompare(t, e, models)
			t.Logf("%d clients × %d operations", clients, ops)
		})
	}
}

func soakClient(t *testing.T, c *azsecrets.Client, id, ops int, model map[string]*soakSecret) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(uint64(id), 11))
	names := []string{fmt.Sprintf("c%d-a", id), fmt.Sprintf("c%d-b", id), fmt.Sprintf("c%d-c", id)}
	fail := func(op, name string, err error) { t.Errorf("client %d: %s %s: %v", id, op, name, err) }
	for n := range ops {
		name := names[rng.IntN(len(names))]
		m := model[name]
		switch {
		case m == nil || (!m.deleted && rng.IntN(3) == 0):
			value := fmt.Sprintf("v-%d-%d-%s", id, n, strings.Repeat("x", rng.IntN(64)))
			if _, err := c.SetSecret(ctx, name, azsecrets.SetSecretParameters{Value: &value}, nil); err != nil {
				fail("set", name, err)
				continue
			}
			if m == nil {
				m = &soakSecret{}
				model[name] = m
			}
			// A new version carries no tags; update set those of the old one.
			m.value, m.versions, m.tag = value, m.versions+1, ""
		case m.deleted:
			if rng.IntN(2) == 0 {
				if _, err := c.RecoverDeletedSecret(ctx, name, nil); err != nil {
					fail("recover", name, err)
					continue
				}
				m.deleted = false
			} else {
				if _, err := c.PurgeDeletedSecret(ctx, name, nil); err != nil {
					fail("purge", name, err)
					continue
				}
				delete(model, name)
			}
		default:
			switch rng.IntN(5) {
			case 0:
				got, err := c.GetSecret(ctx, name, "", nil)
				if err != nil || *got.Value != m.value {
					fail("get", name, err)
				}
			case 1:
				tag := strconv.Itoa(n)
				if _, err := c.UpdateSecretProperties(ctx, name, "", azsecrets.UpdateSecretPropertiesParameters{Tags: map[string]*string{"n": &tag}}, nil); err != nil {
					fail("update", name, err)
					continue
				}
				m.tag = tag
			case 2:
				if _, err := c.DeleteSecret(ctx, name, nil); err != nil {
					fail("delete", name, err)
					continue
				}
				m.deleted = true
			case 3:
				count := 0
				for p := c.NewListSecretPropertiesVersionsPager(name, nil); p.More(); {
					page, err := p.NextPage(ctx)
					if err != nil {
						fail("list versions", name, err)
						break
					}
					count += len(page.Value)
				}
				if count != m.versions {
					t.Errorf("client %d: %s has %d versions, model %d", id, name, count, m.versions)
				}
			case 4:
				// Backup, purge, restore: the same secret comes back.
				b, err := c.BackupSecret(ctx, name, nil)
				if err != nil {
					fail("backup", name, err)
					continue
				}
				if _, err := c.DeleteSecret(ctx, name, nil); err != nil {
					fail("delete for restore", name, err)
					continue
				}
				if _, err := c.PurgeDeletedSecret(ctx, name, nil); err != nil {
					fail("purge for restore", name, err)
					continue
				}
				if _, err := c.RestoreSecret(ctx, azsecrets.RestoreSecretParameters{SecretBackup: b.Value}, nil); err != nil {
					fail("restore", name, err)
					delete(model, name)
				}
			}
		}
	}
}

// soakCompare reads the emulator's whole state and compares it with the
// clients' models.
func soakCompare(t *testing.T, e *emulatortest.Emulator, models []map[string]*soakSecret) {
	ctx := context.Background()
	c := secretsClient(t, e, "myvault")
	want := map[string]*soakSecret{"db-password": {value: "seeded-value", versions: 1}}
	for _, m := range models {
		maps.Copy(want, m)
	}
	active, deleted := map[string]bool{}, map[string]bool{}
	for p := c.NewListSecretPropertiesPager(nil); p.More(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.Value {
			active[s.ID.Name()] = true
		}
	}
	for p := c.NewListDeletedSecretPropertiesPager(nil); p.More(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.Value {
			deleted[s.ID.Name()] = true
		}
	}
	var wantActive, wantDeleted []string
	for name, m := range want {
		if m.deleted {
			wantDeleted = append(wantDeleted, name)
		} else {
			wantActive = append(wantActive, name)
		}
	}
	if got := slices.Sorted(maps.Keys(active)); !slices.Equal(got, slices.Sorted(slices.Values(wantActive))) {
		t.Errorf("active secrets %v, model %v", got, slices.Sorted(slices.Values(wantActive)))
	}
	if got := slices.Sorted(maps.Keys(deleted)); !slices.Equal(got, slices.Sorted(slices.Values(wantDeleted))) {
		t.Errorf("deleted secrets %v, model %v", got, slices.Sorted(slices.Values(wantDeleted)))
	}
	for _, name := range wantActive {
		m := want[name]
		got, err := c.GetSecret(ctx, name, "", nil)
		if err != nil {
			t.Errorf("get %s: %v", name, err)
			continue
		}
		if *got.Value != m.value {
			t.Errorf("%s: value differs from the model", name)
		}
		if tag := got.Tags["n"]; (m.tag == "") != (tag == nil) || (tag != nil && *tag != m.tag) {
			t.Errorf("%s: tags %v, model %q", name, got.Tags, m.tag)
		}
	}
}
