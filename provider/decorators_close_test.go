package provider_test

import (
	"errors"
	"io"
	"testing"

	"github.com/secretkit/secretkit/provider"
)

// Observed and Mapped have the wrapped provider's Close ability: Close
// closes a closer, and called directly over one without that ability it
// says errors.ErrUnsupported, while provider.Close skips it.
func TestDecoratorsCloseAsTheWrappedProvider(t *testing.T) {
	decorators := map[string]func(provider.SecretProvider) io.Closer{
		"Observe":  func(p provider.SecretProvider) io.Closer { return provider.Observe(p, "mem", &eventLog{}) },
		"MapNames": func(p provider.SecretProvider) io.Closer { return provider.MapNames(p, provider.PrefixMapping("x-")) },
	}
	for name, wrap := range decorators {
		m := newMem("mem")
		m.closeErr = errBoom
		if err := wrap(m).Close(); !errors.Is(err, errBoom) || !m.closed.Load() {
			t.Errorf("%s over a closer: Close = %v, closed %v; want the closer's error, closed", name, err, m.closed.Load())
		}
		bare := wrap(getOnly{newMem("mem")})
		if err := bare.Close(); !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("%s over a non-closer: Close = %v; want errors.ErrUnsupported", name, err)
		}
		if err := provider.Close(bare.(provider.SecretProvider)); err != nil {
			t.Errorf("%s over a non-closer: provider.Close = %v; want nil", name, err)
		}
	}
}
