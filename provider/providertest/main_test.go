package providertest_test

import (
	"os"
	"testing"

	"github.com/secretkit/secretkit/internal/testutil"
)

// The watch cases wait on poll intervals and quiet periods, and each mutant
// is a test subprocess spending most of its time in those same waits; they
// compute little, so they run side by side rather than two at a time. The
// subprocesses are this binary too, so their cases run side by side as well.
func TestMain(m *testing.M) {
	testutil.WaitersInParallel(32)
	os.Exit(m.Run())
}
