package emulator_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/secretkit/secretkit/emulator"
	"github.com/secretkit/secretkit/emulator/emulatortest"
	"github.com/secretkit/secretkit/emulator/store"
)

// A data file damaged while the emulator runs (here: truncated
// underneath) fails the requests that meet the damage with Key Vault's
// 500, and the emulator keeps serving; on the next start the damaged file
// is refused with one line naming it (issue 11, item 3).
func TestDamagedDataFile(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "data.db")
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: seededConfig, DataFile: data})
	// 500s are retried; quickly, here.
	c := fastRetryClient(t, e, "myvault")
	ctx := context.Background()
	value := strings.Repeat("v", 20000)
	for _, name := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		if _, err := c.SetSecret(ctx, name, azsecrets.SetSecretParameters{Value: &value}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Truncate(data, 8<<10); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetSecret(ctx, "h", "", nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 500 || re.ErrorCode != "InternalServerError" {
		t.Fatalf("get from a truncated file: %v; want 500 InternalServerError", err)
	}
	if status, _ := admin(t, e, "GET", "/_emulator/health"); status != 200 {
		t.Errorf("health after the fault: %d", status)
	}
	e.Close()

	_, err = emulator.Start(ctx, emulator.Options{DataFile: data, TLSDir: t.TempDir(), VaultAddr: "127.0.0.1:0", IdentityAddr: "127.0.0.1:0"})
	if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), data) || strings.Contains(err.Error(), "\n") {
		t.Errorf("start on the damaged file: %v; want one ErrCorrupt line naming it", err)
	}
}
