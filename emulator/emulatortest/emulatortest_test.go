package emulatortest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"

	"github.com/secretkit/secretkit/emulator/emulatortest"
)

func TestCloseRemovesTLSDirAndIsIdempotent(t *testing.T) {
	e, err := emulatortest.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	caDir := filepath.Dir(e.Server.Authority().CAPath)
	if _, err := os.Stat(caDir); err != nil {
		t.Fatalf("TLS directory missing while running: %v", err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := os.Stat(caDir); !os.IsNotExist(err) {
		t.Errorf("TLS directory %s still there after Close (%v)", caDir, err)
	}
	if _, err := e.Client().Get(e.IdentityURL + "/_emulator/health"); err == nil {
		t.Error("the emulator still answers after Close")
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	_, err := emulatortest.New(&emulatortest.Options{ConfigYAML: "vaults:\n  - name: x\n"})
	if err == nil || !strings.Contains(err.Error(), `emulatortest config:2: vault name "x" is invalid`) {
		t.Fatalf("err = %v, want the config error naming line 2 and the vault name", err)
	}
}
