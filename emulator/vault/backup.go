package vault

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"

	"github.com/secretkit/secretkit/emulator/store"
	"github.com/secretkit/secretkit/kv"
)

// backupMagic starts every blob and is bound into the AES-GCM tag, so a blob
// of another format (or a future version of this one) is rejected cleanly.
var backupMagic = []byte("secretkit-kv-backup-v1\x00")

// backupSealer seals backup blobs with AES-256-GCM: only an emulator holding
// the same key can open them, and any change to a blob is detected.
type backupSealer struct {
	aead cipher.AEAD
}

func newBackupSealer(key []byte) (*backupSealer, error) {
	if key == nil {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("vault: generating backup key: %w", err)
		}
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("vault: BackupKey must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("vault: backup key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("vault: backup key: %w", err)
	}
	return &backupSealer{aead: aead}, nil
}

// backupPayload is the sealed content. It is this package's own format, so
// blobs stay readable when the store's representation changes.
type backupPayload struct {
	Name     string          `json:"name"`
	Versions []backupVersion `json:"versions"`
}

type backupVersion struct {
	ID          string            `json:"id"`
	Value       string            `json:"value"`
	ContentType string            `json:"contentType,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	Enabled     bool              `json:"enabled"`
	NotBefore   *time.Time        `json:"nbf,omitempty"`
	Expires     *time.Time        `json:"exp,omitempty"`
	Created     time.Time         `json:"created"`
	Updated     time.Time         `json:"updated"`
}

// seal returns magic || nonce || ciphertext of the record's name and
// versions (never its deletion state).
func (b *backupSealer) seal(rec store.Record) ([]byte, error) {
	p := backupPayload{Name: rec.Name}
	for _, v := range rec.Versions {
		p.Versions = append(p.Versions, backupVersion(v))
	}
	// Without HTML escaping a value of '<' characters takes one byte per
	// character instead of six, keeping blobs close to their content.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, fmt.Errorf("vault: encoding backup: %w", err)
	}
	plain := buf.Bytes()
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("vault: backup nonce: %w", err)
	}
	out := append(bytes.Clone(backupMagic), nonce...)
	return b.aead.Seal(out, nonce, plain, backupMagic), nil
}

// open verifies and decodes a blob made by seal with the same key. Any
// other input yields the "Malformed backup blob" refusal.
func (b *backupSealer) open(blob []byte) (store.Record, error) {
	bad := errMalformedBackup()
	ns := b.aead.NonceSize()
	if !bytes.HasPrefix(blob, backupMagic) || len(blob) < len(backupMagic)+ns {
		return store.Record{}, bad
	}
	rest := blob[len(backupMagic):]
	plain, err := b.aead.Open(nil, rest[:ns], rest[ns:], backupMagic)
	if err != nil {
		return store.Record{}, bad
	}
	var p backupPayload
	if err := json.Unmarshal(plain, &p); err != nil || !kv.ValidSecretName(p.Name) || len(p.Versions) == 0 {
		return store.Record{}, bad
	}
	rec := store.Record{Name: p.Name}
	for _, v := range p.Versions {
		rec.Versions = append(rec.Versions, store.Version(v))
	}
	return rec, nil
}
