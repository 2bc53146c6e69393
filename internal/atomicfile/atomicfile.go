// Package atomicfile writes files that must never be seen half-written (the
// emulator's key material, env files and federated tokens; the secrets
// command's backups and rendered files): no reader, and no crash, sees half
// of one:
// data goes to a synced temporary file in the same directory, which is then
// renamed or linked into place.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Write replaces path with data, with the given mode whatever the umask.
func Write(path string, data []byte, mode os.FileMode) error {
	tmpName, err := writeTemp(path, data, mode)
	if err != nil {
		return err
	}
	if err := os.Rename(tmpName, path); err != nil {
		os.Remove(tmpName)
		return fmt.Errorf("write %s: %w", path, err)
	}
	syncDir(filepath.Dir(path))
	return nil
}

// Create publishes data at path unless path already exists, and returns
// what path then holds: data, or the existing contents when another process
// published first. It links rather than renames, because a link fails
// instead of replacing an existing file: of processes creating the same
// file at once (two emulators starting on a fresh directory), the first
// wins and the others read its contents.
func Create(path string, data []byte, mode os.FileMode) ([]byte, error) {
	tmpName, err := writeTemp(path, data, mode)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmpName)
	switch err := os.Link(tmpName, path); {
	case err == nil:
	case errors.Is(err, fs.ErrExist):
		existing, rerr := os.ReadFile(path)
		if rerr != nil {
			return nil, rerr
		}
		return existing, nil
	default:
		// Filesystems without hard links: fall back to a rename, which is
		// still atomic but lets a simultaneous creator's file be replaced.
		if err := os.Rename(tmpName, path); err != nil {
			return nil, fmt.Errorf("write %s: %w", path, err)
		}
	}
	syncDir(filepath.Dir(path))
	return data, nil
}

// WriteNew publishes data at path only if nothing is there yet; when path
// exists it leaves it untouched and returns an error matching fs.ErrExist.
func WriteNew(path string, data []byte, mode os.FileMode) error {
	tmpName, err := writeTemp(path, data, mode)
	if err != nil {
		return err
	}
	defer os.Remove(tmpName)
	switch err := os.Link(tmpName, path); {
	case err == nil:
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("write %s: %w", path, fs.ErrExist)
	default:
		// Filesystems without hard links: check, then rename. Only a file
		// created between the two can be replaced.
		if _, serr := os.Lstat(path); serr == nil {
			return fmt.Errorf("write %s: %w", path, fs.ErrExist)
		}
		if err := os.Rename(tmpName, path); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	syncDir(filepath.Dir(path))
	return nil
}

// writeTemp writes data to a synced temporary file beside path and returns
// its name; on error nothing is left behind.
func writeTemp(path string, data []byte, mode os.FileMode) (string, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	// CreateTemp uses 0600; Chmod sets the final mode explicitly so the
	// umask can neither widen nor narrow it.
	err = tmp.Chmod(mode)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return tmp.Name(), nil
}

// syncDir makes a rename or link in dir durable; best effort, since not
// every filesystem supports syncing a directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
