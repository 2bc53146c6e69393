package provider_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/secretkit/secretkit/provider"
)

type eventLog struct {
	mu     sync.Mutex
	events []provider.Event
}

func (l *eventLog) Observe(_ context.Context, e provider.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

func (l *eventLog) take() []provider.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.events
	l.events = nil
	return out
}

func TestObserveReportsOutcomeLatencyAndCacheResult(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMem("mem", "a", "1")
		slow := hooked{m, func() { time.Sleep(3 * time.Second) }}
		log := &eventLog{}
		p := provider.Observe(provider.NewCache(slow, &provider.CacheOptions{TTL: time.Minute, MaxStale: time.Hour}), "mem", log)

		mustGet(t, p, "a") // miss
		mustGet(t, p, "a") // hit
		time.Sleep(time.Minute)
		m.fail("a", provider.ErrUnavailable)
		mustGet(t, p, "a") // stale
		p.GetSecret(context.Background(), "missing", "v1")
		want := []provider.Event{
			{Op: "get", Provider: "mem", Name: "a", Latency: 3 * time.Second, Outcome: provider.OutcomeOK, Cache: provider.CacheMiss},
			{Op: "get", Provider: "mem", Name: "a", Outcome: provider.OutcomeOK, Cache: provider.CacheHit},
			{Op: "get", Provider: "mem", Name: "a", Latency: 3 * time.Second, Outcome: provider.OutcomeOK, Cache: provider.CacheStale},
			{Op: "get", Provider: "mem", Name: "missing", Version: "v1", Latency: 3 * time.Second, Outcome: provider.OutcomeNotFound, Cache: provider.CacheMiss},
		}
		got := log.take()
		if len(got) != len(want) {
			t.Fatalf("%d events; want %d: %+v", len(got), len(want), got)
		}
		for i := range want {
			g := got[i]
			if (g.Err != nil) != (want[i].Outcome != provider.OutcomeOK) {
				t.Errorf("event %d: Err = %v with outcome %s", i, g.Err, g.Outcome)
			}
			g.Err = nil
			if g != want[i] {
				t.Errorf("event %d = %+v; want %+v", i, g, want[i])
			}
		}
	})
}

func TestObserveCoversListsBulkReadsAndWatches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMem("mem", "a", "1", "b", "2")
		log := &eventLog{}
		p := provider.Observe(m, "mem", log)
		if got, want := provider.CapabilitiesOf(p), provider.CapabilitiesOf(m); got != want {
			t.Errorf("capabilities %+v; want the wrapped provider's %+v", got, want)
		}
		for range p.ListSecrets(context.Background()) {
		}
		provider.GetMany(context.Background(), p, []string{"a", "zz"})
		w, _ := provider.Watch(t.Context(), p, "a", nil)
		nextValue(t, w)
		w.Close()
		var got []string
		for _, e := range log.take() {
			got = append(got, fmt.Sprintf("%s %s %s", e.Op, e.Name, e.Outcome))
		}
		// mem has no bulk read: GetMany reads each name through the decorator.
		want := []string{"list  ok", "get a ok", "get zz not_found", "watch a ok"}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("events %q; want %q", got, want)
		}

		bare := provider.Observe(getOnly{m}, "mem", log)
		for _, err := range bare.ListSecrets(context.Background()) {
			if !errors.Is(err, errors.ErrUnsupported) {
				t.Errorf("ListSecrets over a non-lister err = %v", err)
			}
		}
		if err := provider.Close(bare); err != nil {
			t.Errorf("provider.Close over a non-closer = %v", err)
		}
	})
}

func TestSlogObserverNeverLogsTheValue(t *testing.T) {
	const sentinel = "sentinel-value-9f3c"
	m := newMem("mem", "db-password", sentinel)
	var out bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p := provider.Observe(provider.NewCache(m, nil), "mem", provider.SlogObserver(logger))
	s := mustGetSecret(t, p, "db-password")
	m.fail("api-key", provider.ErrUnavailable)
	p.GetSecret(context.Background(), "api-key", "")
	logger.Info("loaded", "secret", s, "value", s.Value)

	if strings.Contains(out.String(), sentinel) {
		t.Fatalf("the value appeared in the log:\n%s", out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d log lines; want 3:\n%s", len(lines), out.String())
	}
	var first, second, third map[string]any
	for i, dst := range []*map[string]any{&first, &second, &third} {
		if err := json.Unmarshal([]byte(lines[i]), dst); err != nil {
			t.Fatal(err)
		}
	}
	if first["level"] != "DEBUG" || first["msg"] != "secret get" || first["name"] != "db-password" ||
		first["outcome"] != "ok" || first["cache"] != "miss" || first["provider"] != "mem" {
		t.Errorf("success record %v", first)
	}
	if second["level"] != "WARN" || second["outcome"] != "unavailable" || !strings.Contains(fmt.Sprint(second["error"]), "backend unavailable") {
		t.Errorf("failure record %v", second)
	}
	if third["secret"] != "db-password" || third["value"] != provider.Redacted {
		t.Errorf("a logged Secret shows %v and its Value %v; want the name and %s", third["secret"], third["value"], provider.Redacted)
	}
}

func mustGetSecret(t *testing.T, p provider.SecretProvider, name string) provider.Secret {
	t.Helper()
	s, err := p.GetSecret(context.Background(), name, "")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSecretPrintsNameAndVersionOnly(t *testing.T) {
	s := provider.Secret{
		Metadata: provider.Metadata{Name: "db-password", Version: "0123abcd", Enabled: true,
			Tags: map[string]string{"owner": "team"}, Expires: time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)},
		Value: provider.NewValue("hunter2"),
	}
	for _, c := range []struct{ got, want string }{
		{fmt.Sprint(s), "db-password@0123abcd"},
		{fmt.Sprintf("%+v", s), "db-password@0123abcd"},
		{fmt.Sprint(&s), "db-password@0123abcd"},
		{provider.Secret{Metadata: provider.Metadata{Name: "env-name", Enabled: true}}.String(), "env-name"},
		{provider.Secret{Metadata: provider.Metadata{Name: "off", Version: "v"}}.String(), "off@v (disabled)"},
	} {
		if c.got != c.want {
			t.Errorf("printed %q; want %q", c.got, c.want)
		}
	}
	if gs := fmt.Sprintf("%#v", s); strings.Contains(gs, "hunter2") {
		t.Errorf("%%#v shows the value: %s", gs)
	}

	j, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(j), "hunter2") {
		t.Fatalf("JSON holds the value: %s", j)
	}
	want := `{"name":"db-password","version":"0123abcd","tags":{"owner":"team"},"enabled":true,"expires":"2027-01-02T03:04:05Z","value":"[REDACTED]"}`
	if string(j) != want {
		t.Errorf("JSON = %s\nwant   %s", j, want)
	}
	var back provider.Metadata
	if err := json.Unmarshal(j, &back); err != nil || !back.Expires.Equal(s.Expires) || back.Name != s.Name {
		t.Errorf("metadata does not round-trip through JSON: %+v, %v", back, err)
	}
}
