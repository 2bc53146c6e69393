package provider_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

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

// decoratedEnv runs the contract suite through a decorator over the env
// provider: decorators must keep the contract they forward.
type decoratedEnv struct {
	prefix   string
	decorate func(provider.SecretProvider) provider.SecretProvider
	caps     provider.Capabilities
	mu       sync.Mutex // guards made: cases may make providers in parallel
	made     []provider.SecretProvider
	exact    bool // the env provider under the decorator uses names as written
}

func (h *decoratedEnv) MakeProvider(ctx context.Context, t *testing.T) (provider.SecretProvider, error) {
	p := h.decorate(env.New(&env.Options{Prefix: h.prefix, Exact: h.exact}))
	h.mu.Lock()
	h.made = append(h.made, p)
	h.mu.Unlock()
	return p, nil
}

func (h *decoratedEnv) MakeUnauthorizedProvider(context.Context, *testing.T) (provider.SecretProvider, error) {
	return nil, nil
}

// changed tells every cache this harness made that name changed, as a
// writer sharing a process with a cache must.
func (h *decoratedEnv) changed(name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range h.made {
		if c, ok := p.(*provider.Cache); ok {
			c.Invalidate(name)
		}
	}
}

func (h *decoratedEnv) SetSecret(ctx context.Context, t *testing.T, name, value string) error {
	variable, err := env.New(&env.Options{Prefix: h.prefix}).VariableName(name)
	if err != nil {
		return err
	}
	testutil.Setenv(t, variable, value)
	h.changed(name)
	return nil
}

func (h *decoratedEnv) DeleteSecret(ctx context.Context, t *testing.T, name string) error {
	variable, err := env.New(&env.Options{Prefix: h.prefix}).VariableName(name)
	if err != nil {
		return err
	}
	testutil.Setenv(t, variable, "") // registers the restore
	h.changed(name)
	return os.Unsetenv(variable)
}

func (h *decoratedEnv) Rules() providertest.Rules {
	return providertest.Rules{
		Capabilities: h.caps,
		InvalidNames: []string{"", "db.password"},
		EmptyValues:  true,
		// Every harness has its own random prefix: cases touch disjoint variables.
		Parallel: true,
	}
}

func decoratedHarness(decorate func(provider.SecretProvider) provider.SecretProvider, caps provider.Capabilities) providertest.HarnessMaker {
	return decoratedHarnessOver(false, decorate, caps)
}

func decoratedHarnessOver(exact bool, decorate func(provider.SecretProvider) provider.SecretProvider, caps provider.Capabilities) providertest.HarnessMaker {
	return func(context.Context, *testing.T) (providertest.Harness, error) {
		var b [4]byte
		_, _ = rand.Read(b[:])
		return &decoratedEnv{prefix: "SKDEC_" + strings.ToUpper(hex.EncodeToString(b[:])) + "_", decorate: decorate, caps: caps, exact: exact}, nil
	}
}

func TestDecoratorsKeepTheContract(t *testing.T) {
	all := provider.Capabilities{List: true, GetMany: true, Close: true}
	t.Run("Cache", func(t *testing.T) {
		t.Parallel()
		providertest.Run(t, decoratedHarness(func(p provider.SecretProvider) provider.SecretProvider {
			return provider.NewCache(p, nil)
		}, all))
	})
	t.Run("Chain", func(t *testing.T) {
		t.Parallel()
		providertest.Run(t, decoratedHarness(func(p provider.SecretProvider) provider.SecretProvider {
			return provider.NewChain(env.New(&env.Options{Prefix: "SKDEC_UNUSED_"}), p)
		}, all))
	})
	// env's own mapping over an env provider that takes names as written
	// must be indistinguishable from env's mapped mode.
	t.Run("MapNames", func(t *testing.T) {
		t.Parallel()
		providertest.Run(t, decoratedHarnessOver(true, func(p provider.SecretProvider) provider.SecretProvider {
			return provider.MapNames(p, env.Mapping(""))
		}, provider.Capabilities{List: true, GetMany: true}))
	})
	t.Run("Observe", func(t *testing.T) {
		t.Parallel()
		providertest.Run(t, decoratedHarness(func(p provider.SecretProvider) provider.SecretProvider {
			return provider.Observe(p, "env", provider.ObserverFunc(func(context.Context, provider.Event) {}))
		}, provider.Capabilities{List: true, GetMany: true}))
	})
	t.Run("CacheOverObserve", func(t *testing.T) {
		t.Parallel()
		providertest.Run(t, decoratedHarness(func(p provider.SecretProvider) provider.SecretProvider {
			observed := provider.Observe(p, "env", provider.SlogObserver(slog.New(slog.DiscardHandler)))
			return provider.NewCache(observed, &provider.CacheOptions{MaxStale: time.Hour, Jitter: 0.1})
		}, all))
	})
}
