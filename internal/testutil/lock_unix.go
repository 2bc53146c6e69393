//go:build unix

package testutil

import (
	"os"
	"syscall"
)

// lockFile blocks until it holds an exclusive flock on path, which it
// creates if needed. The lock is released by unlock, or by the kernel if
// the process dies holding it. The file is opened read-only, which flock
// allows, so runs as different users can share it.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
