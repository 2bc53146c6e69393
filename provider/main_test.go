package provider_test

import (
	"os"
	"testing"

	"github.com/secretkit/secretkit/internal/testutil"
)

// The contract's watch cases wait on poll intervals and quiet periods; they
// compute almost nothing, so they run side by side rather than two at a
// time.
func TestMain(m *testing.M) {
	testutil.WaitersInParallel(32)
	os.Exit(m.Run())
}
