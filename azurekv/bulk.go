package azurekv

import (
	"context"

	"golang.org/x/sync/errgroup"

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
	// A plain Group, not WithContext: one name's failure is that name's
	// result and must not cancel the others.
	var g errgroup.Group
	g.SetLimit(p.maxConcurrency)
	for i, name := range names {
		g.Go(func() error {
			sec, err := p.GetSecret(ctx, name, "")
			results[i] = provider.Result{Name: name, Secret: sec, Err: err}
			return nil
		})
	}
	_ = g.Wait() // every function returns nil; outcomes are in results
	return results, nil
}
