package vault

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/secretkit/secretkit/internal/atomicfile"
)

// LoadOrCreateBackupKey returns the 32-byte key (Options.BackupKey) kept in
// dir/backup.key, creating it on first use. Kept next to the emulator's
// other key material, so backups survive restarts but no other emulator
// (or a tampered blob) restores them.
func LoadOrCreateBackupKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, "backup.key")
	key, err := readBackupKey(path)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return key, err
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	// Of emulators starting at once on a fresh directory, the first key
	// published wins and the others read it below instead of replacing it.
	if _, err := atomicfile.Create(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("writing backup key: %w", err)
	}
	return readBackupKey(path)
}

func readBackupKey(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("reading backup key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("backup key %s is corrupt: want 64 hex characters", path)
	}
	return key, nil
}
