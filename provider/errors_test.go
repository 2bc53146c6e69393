package provider_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"testing"

	"github.com/secretkit/secretkit/provider"
)

func TestErrorMessageAndUnwrap(t *testing.T) {
	_, backend := os.Open("/nonexistent/secretkit")
	err := provider.NewError("file", "get", "db-password", provider.ErrNotFound, backend)
	want := `file: get "db-password": secret not found: open /nonexistent/secretkit: no such file or directory`
	if err.Error() != want {
		t.Errorf("Error() = %q\nwant      %q", err.Error(), want)
	}
	if !errors.Is(err, provider.ErrNotFound) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is misses the kind or the backend error")
	}
	if errors.Is(err, provider.ErrPermissionDenied) || errors.Is(err, provider.ErrUnavailable) {
		t.Errorf("errors.Is matches a kind it is not")
	}
	var pathErr *fs.PathError
	if !errors.As(err, &pathErr) {
		t.Errorf("errors.As cannot reach the backend's *fs.PathError")
	}
	var perr *provider.Error
	if !errors.As(err, &perr) || perr.Provider != "file" || perr.Op != "get" || perr.Name != "db-password" {
		t.Errorf("errors.As(*provider.Error) = %+v", perr)
	}
}

func TestErrorPassesContextErrorsThrough(t *testing.T) {
	err := provider.NewError("env", "list", "", nil, context.DeadlineExceeded)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("context error lost")
	}
	if got, want := err.Error(), "env: list: context deadline exceeded"; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
	if got, want := provider.NewError("x", "get", "n", provider.ErrUnavailable, nil).Error(), `x: get "n": backend unavailable`; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
}
