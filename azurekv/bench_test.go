package azurekv_test

import (
	"context"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

// BenchmarkGet compares a read through the provider with the same read
// through a raw azsecrets client: same emulator, credential, transport and
// secret (with a content type and tags, so their conversion is counted).
// The difference is the provider's own overhead.
//
//	go test -run '^$' -bench BenchmarkGet -benchmem ./azurekv/
func BenchmarkGet(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	admin := f.admin(b, "myvault")
	const name = "bench-secret"
	value, contentType, env := "benchmark-value-0123456789", "text/plain", "dev"
	if _, err := admin.SetSecret(ctx, name, azsecrets.SetSecretParameters{
		Value: &value, ContentType: &contentType, Tags: map[string]*string{"env": &env},
	}, nil); err != nil {
		b.Fatal(err)
	}

	b.Run("azurekv", func(b *testing.B) {
		p := f.provider(b, f.systemCred, "myvault")
		if _, err := p.GetSecret(ctx, name, ""); err != nil { // challenge and token, outside the loop
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			sec, err := p.GetSecret(ctx, name, "")
			if err != nil || sec.Value.Len() != len(value) {
				b.Fatal(err)
			}
		}
	})
	b.Run("azsecrets", func(b *testing.B) {
		c := f.admin(b, "myvault")
		if _, err := c.GetSecret(ctx, name, "", nil); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			resp, err := c.GetSecret(ctx, name, "", nil)
			if err != nil || len(*resp.Value) != len(value) {
				b.Fatal(err)
			}
		}
	})
}
