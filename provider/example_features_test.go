package provider_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/secretkit/secretkit/provider"
	"github.com/secretkit/secretkit/provider/env"
)

// A watch delivers the value at once and again after each rotation; here
// the file provider notices the rewrite through file-system notifications.
func ExampleWatch() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "secrets.yaml")
	os.WriteFile(path, []byte("db-password: first\n"), 0o600)
	ctx := context.Background()
	p, err := provider.Open(ctx, "file://"+filepath.ToSlash(path))
	if err != nil {
		log.Fatal(err)
	}

	w, err := provider.Watch(ctx, p, "db-password", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	s, _ := w.Next(ctx)
	fmt.Println(s, "=", s.Value.Reveal())

	os.WriteFile(path, []byte("db-password: second\n"), 0o600) // rotation
	s, _ = w.Next(ctx)
	fmt.Println(s, "=", s.Value.Reveal())
	// Output:
	// db-password = first
	// db-password = second
}

// A Refresher keeps an app's secrets current and calls back on rotation,
// here to reopen a (pretend) database pool with the new password.
func ExampleNewRefresher() {
	os.Setenv("SHOP_DB_PASSWORD", "first")
	defer os.Unsetenv("SHOP_DB_PASSWORD")
	ctx := context.Background()
	p := env.New(&env.Options{Prefix: "SHOP_"})

	reopened := make(chan string, 1)
	r, err := provider.NewRefresher(ctx, p, []string{"db-password"}, &provider.RefresherOptions{
		Watch: provider.WatchOptions{Interval: 10 * time.Millisecond},
		OnChange: func(name string, s provider.Secret) {
			reopened <- s.Value.Reveal() // e.g. pool.Reopen(s.Value.Reveal())
		},
		OnError: func(name string, err error) { log.Printf("%s: %v (serving the last good value)", name, err) },
	})
	if err != nil {
		log.Fatal(err) // a secret missing at startup
	}
	defer r.Close()

	s, _ := r.GetSecret(ctx, "db-password", "") // from memory
	fmt.Println("open pool with", s.Value.Reveal())
	os.Setenv("SHOP_DB_PASSWORD", "second")
	fmt.Println("reopen pool with", <-reopened)
	// Output:
	// open pool with first
	// reopen pool with second
}

// outage is a backend that can be taken down.
type outage struct {
	provider.SecretProvider
	down bool
}

func (o *outage) GetSecret(ctx context.Context, name, version string) (provider.Secret, error) {
	if o.down {
		return provider.Secret{}, provider.NewError("example", "get", name, provider.ErrUnavailable, nil)
	}
	return o.SecretProvider.GetSecret(ctx, name, version)
}

// With MaxStale, the cache keeps answering with the last good value while
// the backend is down, for a bounded time.
func ExampleCacheOptions_maxStale() {
	os.Setenv("STALE_API_KEY", "k-123")
	defer os.Unsetenv("STALE_API_KEY")
	ctx := context.Background()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start
	backend := &outage{SecretProvider: env.New(&env.Options{Prefix: "STALE_"})}
	c := provider.NewCache(backend, &provider.CacheOptions{
		TTL: time.Minute, MaxStale: 10 * time.Minute, Now: func() time.Time { return now },
	})

	c.GetSecret(ctx, "api-key", "")
	backend.down = true
	for _, after := range []time.Duration{5 * time.Minute, 12 * time.Minute} {
		now = start.Add(after)
		s, err := c.GetSecret(ctx, "api-key", "")
		fmt.Printf("after %v: %q %v\n", after, s.Value.Reveal(), err)
	}
	// Output:
	// after 5m0s: "k-123" <nil>
	// after 12m0s: "" example: get "api-key": backend unavailable
}

// Observe reports every read, with the cache's answer, to a log/slog
// logger; values never reach the log.
func ExampleObserve() {
	os.Setenv("OBS_DB_PASSWORD", "s3cr3t")
	defer os.Unsetenv("OBS_DB_PASSWORD")
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "latency" {
				return slog.Attr{} // vary from run to run
			}
			return a
		},
	}))
	p := provider.Observe(provider.NewCache(env.New(&env.Options{Prefix: "OBS_"}), nil), "env",
		provider.SlogObserver(logger))

	p.GetSecret(ctx, "db-password", "")
	p.GetSecret(ctx, "db-password", "")
	p.GetSecret(ctx, "api-key", "")
	// Output:
	// level=DEBUG msg="secret get" op=get provider=env outcome=ok name=db-password cache=miss
	// level=DEBUG msg="secret get" op=get provider=env outcome=ok name=db-password cache=hit
	// level=DEBUG msg="secret get" op=get provider=env outcome=not_found name=api-key cache=miss error="env: get \"api-key\": secret not found: variable OBS_API_KEY is not set"
}

// env.Mapping gives a dotenv file env://'s names, so a program can move
// from variables to a mounted file (or back) without renaming anything.
func ExampleMapNames() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "app.env")
	os.WriteFile(path, []byte("APP_DB_PASSWORD=from-dotenv\n"), 0o600)
	ctx := context.Background()
	dotenv, err := provider.Open(ctx, "file://"+filepath.ToSlash(path))
	if err != nil {
		log.Fatal(err)
	}

	p := provider.MapNames(dotenv, env.Mapping("APP_"))
	s, err := p.GetSecret(ctx, "db-password", "") // what env://?prefix=APP_ would read
	fmt.Println(s, s.Value.Reveal(), err)
	// Output:
	// db-password from-dotenv <nil>
}

// Configuration keys with ':' levels, as .NET spells them, map to "--" in
// Key Vault names and "__" in environment variables.
func ExampleHierarchyMapping() {
	os.Setenv("CONNECTIONSTRINGS__ORDERS", "server=db1")
	defer os.Unsetenv("CONNECTIONSTRINGS__ORDERS")
	ctx := context.Background()

	p := provider.MapNames(env.New(nil), provider.HierarchyMapping("__"))
	s, err := p.GetSecret(ctx, "ConnectionStrings:Orders", "")
	fmt.Println(s.Value.Reveal(), err)

	kv := provider.HierarchyMapping("--")
	stored, _ := kv.ToBackend("ConnectionStrings:Orders")
	fmt.Println(stored)
	// Output:
	// server=db1 <nil>
	// ConnectionStrings--Orders
}
