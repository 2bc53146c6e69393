package vault

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Emulators starting at once on a fresh directory must agree on one backup
// key, the one left in the file: a process holding another key would seal
// backups that no later run can restore.
func TestConcurrentBackupKeyCreationAgrees(t *testing.T) {
	dir := t.TempDir()
	const n = 16
	keys := make([][]byte, n)
	errs := make([]error, n)
	var ready, wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		ready.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			ready.Done()
			<-start
			keys[i], errs[i] = LoadOrCreateBackupKey(dir)
		}()
	}
	ready.Wait()
	close(start)
	wg.Wait()
	data, err := os.ReadFile(filepath.Join(dir, "backup.key"))
	if err != nil {
		t.Fatal(err)
	}
	stored, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("call %d: %v", i, errs[i])
		}
		if !bytes.Equal(keys[i], stored) {
			t.Fatalf("call %d returned a key other than the stored one", i)
		}
	}
}
