package emulator

import (
	"context"
	"os"
	"testing"
	"time"
)

// The server, not the binary, keeps a written federated token file fresh:
// once it is older than workloadTokenRefresh on the wall clock, the chores
// rewrite it; before that, and before it was ever written, they leave it.
func TestServerRefreshesTheWorkloadTokenFile(t *testing.T) {
	s, err := newServer(context.Background(), Options{TLSDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	path := s.workloadTokenPath()
	s.refreshWorkloadToken(time.Now().Add(time.Hour), workloadTokenRefresh)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("refresh wrote a token file nobody asked for: %v", err)
	}
	if _, err := s.WriteWorkloadTokenFile(); err != nil {
		t.Fatal(err)
	}
	// Removed, so that a rewrite shows (the same second's token is the
	// same bytes).
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	s.refreshWorkloadToken(time.Now().Add(workloadTokenRefresh/2), workloadTokenRefresh)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a fresh token file was rewritten: %v", err)
	}
	s.refreshWorkloadToken(time.Now().Add(workloadTokenRefresh+time.Second), workloadTokenRefresh)
	if _, err := os.Stat(path); err != nil {
		t.Errorf("a token file older than the refresh interval was not rewritten: %v", err)
	}
	if _, err := s.endpoints.FederatedToken(s.endpoints.WorkloadIdentity().Name); err != nil {
		t.Errorf("workload identity has no federated token: %v", err)
	}
}
