package azurekv

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/secretkit/secretkit/provider"
)

// GetSecrets implements provider.BulkGetter. Key Vault has no batch read,
// so it issues one GetSecret per name, at most Options.MaxConcurrency at a
// time, and returns each name's own outcome in the order of names. Invalid
// names fail without a request. If ctx ends midway, the names not yet read
// report the context's error.
func (p *Provider) GetSecrets(ctx context.Context, names []string) ([]provider.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, provider.NewError(Name, "getmany", "", nil, err)
	}
	results := make([]provider.Result, len(names))
	workers := min(p.maxConcurrency, len(names))
	// Workers claim the next index instead of receiving names over a
	// channel: no goroutine per name, and no channel send per name.
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(names) {
					return
				}
				sec, err := p.GetSecret(ctx, names[i], "")
				results[i] = provider.Result{Name: names[i], Secret: sec, Err: err}
			}
		})
	}
	wg.Wait()
	return results, nil
}
