package env_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"
	"github.com/secretkit/secretkit/internal/testutil"

	"github.com/secretkit/secretkit/provider"
	"github.com/secretkit/secretkit/provider/env"
	"github.com/secretkit/secretkit/provider/providertest"
)

// The contract's watch cases wait on poll intervals and quiet periods; they
// compute almost nothing, so they run side by side rather than two at a
// time.
func TestMain(m *testing.M) {
	testutil.WaitersInParallel(32)
	os.Exit(m.Run())
}

// harness seeds variables under a random prefix, so listing sees only this
// case's variables and cases can run in parallel; testutil.Setenv restores
// them.
type harness struct {
	prefix string
	exact  bool
}

func newHarness(exact bool) providertest.HarnessMaker {
	return func(ctx context.Context, t *testing.T) (providertest.Harness, error) {
		var b [4]byte
		_, _ = rand.Read(b[:])
		return &harness{prefix: "SKTEST_" + strings.ToUpper(hex.EncodeToString(b[:])) + "_", exact: exact}, nil
	}
}

func (h *harness) provider() *env.Provider {
	return env.New(&env.Options{Prefix: h.prefix, Exact: h.exact})
}

func (h *harness) MakeProvider(ctx context.Context, t *testing.T) (provider.SecretProvider, error) {
	return h.provider(), nil
}

func (h *harness) MakeUnauthorizedProvider(ctx context.Context, t *testing.T) (provider.SecretProvider, error) {
	return nil, nil // a process can always read its own environment
}

func (h *harness) SetSecret(ctx context.Context, t *testing.T, name, value string) error {
	variable, err := h.provider().VariableName(name)
	if err != nil {
		return err
	}
	testutil.Setenv(t, variable, value)
	return nil
}

func (h *harness) DeleteSecret(ctx context.Context, t *testing.T, name string) error {
	variable, err := h.provider().VariableName(name)
	if err != nil {
		return err
	}
	testutil.Setenv(t, variable, "") // registers the restore
	return os.Unsetenv(variable)
}

func (h *harness) Rules() providertest.Rules {
	invalid := []string{"", "db.password", "db password", "a=b"}
	if h.exact {
		invalid = []string{"", "a=b", "nul\x00byte"}
	}
	return providertest.Rules{
		Capabilities: provider.Capabilities{List: true, GetMany: true},
		InvalidNames: invalid,
		EmptyValues:  true,
		// Environment strings cannot hold NUL.
		BinarySafe: false,
		Parallel:   true,
	}
}

func TestContract(t *testing.T) {
	t.Run("Mapped", func(t *testing.T) { providertest.Run(t, newHarness(false)) })
	t.Run("Exact", func(t *testing.T) { providertest.Run(t, newHarness(true)) })
}
