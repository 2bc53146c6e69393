package file

import (
	"errors"
	"io/fs"
	"syscall"
	"testing"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"

	"github.com/secretkit/secretkit/provider"
)

// Permission errors cannot be produced by file modes when tests run as
// root, so the mapping is checked directly.
func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want error
	}{
		{&fs.PathError{Op: "open", Path: "/x", Err: syscall.EACCES}, provider.ErrPermissionDenied},
		{&fs.PathError{Op: "open", Path: "/x", Err: syscall.EPERM}, provider.ErrPermissionDenied},
		{&fs.PathError{Op: "open", Path: "/x", Err: syscall.ENOENT}, provider.ErrNotFound},
		{&fs.PathError{Op: "stat", Path: "/x", Err: syscall.ENOTDIR}, provider.ErrNotFound},
		{&fs.PathError{Op: "read", Path: "/x", Err: syscall.EIO}, provider.ErrUnavailable},
		{&ParseError{Path: "/x", Line: 1, Msg: "m"}, nil},
		{errors.Join(errTooLarge), nil},
	} {
		if got := classify(tc.err); got != tc.want {
			t.Errorf("classify(%v) = %v; want %v", tc.err, got, tc.want)
		}
	}
}

// The provider's own path missing is the source unavailable, never a
// missing secret; other errors classify as for a secret's file.
func TestClassifySource(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want error
	}{
		{&fs.PathError{Op: "stat", Path: "/x", Err: syscall.ENOENT}, provider.ErrUnavailable},
		{&fs.PathError{Op: "stat", Path: "/x", Err: syscall.ENOTDIR}, provider.ErrUnavailable},
		{&fs.PathError{Op: "open", Path: "/x", Err: syscall.EACCES}, provider.ErrPermissionDenied},
		{&ParseError{Path: "/x", Line: 1, Msg: "m"}, nil},
	} {
		if got := classifySource(tc.err); got != tc.want {
			t.Errorf("classifySource(%v) = %v; want %v", tc.err, got, tc.want)
		}
	}
}
