//go:build !linux

package testutil

func isMemFS(string) bool { return false }
