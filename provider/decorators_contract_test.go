package provider_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/secretkit/secretkit/provider"
	"github.com/secretkit/secretkit/provider/env"
	"github.com/secretkit/secretkit/provider/providertest"
)

// decoratedEnv runs the contract suite through a decorator over the env
// provider: decorators must keep the contract they forward.
type decoratedEnv struct {
	prefix   string
	decorate func(provider.SecretProvider) provider.SecretProvider
	caps     provider.Capabilities
	made     []provider.SecretProvider
}

func (h *decoratedEnv) MakeProvider(ctx context.Context, t *testing.T) (provider.SecretProvider, error) {
	p := h.decorate(env.New(&env.Options{Prefix: h.prefix}))
	h.made = append(h.made, p)
	return p, nil
}

func (h *decoratedEnv) MakeUnauthorizedProvider(context.Context, *testing.T) (provider.SecretProvider, error) {
	return nil, nil
}

// changed tells every cache this harness made that name changed, as a
// writer sharing a process with a cache must.
func (h *decoratedEnv) changed(name string) {
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
	t.Setenv(variable, value)
	h.changed(name)
	return nil
}

func (h *decoratedEnv) DeleteSecret(ctx context.Context, t *testing.T, name string) error {
	variable, err := env.New(&env.Options{Prefix: h.prefix}).VariableName(name)
	if err != nil {
		return err
	}
	t.Setenv(variable, "")
	h.changed(name)
	return os.Unsetenv(variable)
}

func (h *decoratedEnv) Rules() providertest.Rules {
	return providertest.Rules{
		Capabilities: h.caps,
		InvalidNames: []string{"", "db.password"},
		EmptyValues:  true,
	}
}

func decoratedHarness(decorate func(provider.SecretProvider) provider.SecretProvider, caps provider.Capabilities) providertest.HarnessMaker {
	return func(context.Context, *testing.T) (providertest.Harness, error) {
		var b [4]byte
		_, _ = rand.Read(b[:])
		return &decoratedEnv{prefix: "SKDEC_" + strings.ToUpper(hex.EncodeToString(b[:])) + "_", decorate: decorate, caps: caps}, nil
	}
}

func TestDecoratorsKeepTheContract(t *testing.T) {
	all := provider.Capabilities{List: true, GetMany: true, Close: true}
	t.Run("Cache", func(t *testing.T) {
		providertest.Run(t, decoratedHarness(func(p provider.SecretProvider) provider.SecretProvider {
			return provider.NewCache(p, nil)
		}, all))
	})
	t.Run("Chain", func(t *testing.T) {
		providertest.Run(t, decoratedHarness(func(p provider.SecretProvider) provider.SecretProvider {
			return provider.NewChain(env.New(&env.Options{Prefix: "SKDEC_UNUSED_"}), p)
		}, all))
	})
}
