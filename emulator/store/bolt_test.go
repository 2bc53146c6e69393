package store_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/bbolt"

	"github.com/secretkit/secretkit/emulator/store"
	"github.com/secretkit/secretkit/emulator/store/storetest"
	"github.com/secretkit/secretkit/internal/testutil"
)

func openBolt(t *testing.T, path string) *store.Bolt {
	t.Helper()
	b, err := store.OpenBolt(path, nil)
	if err != nil {
		t.Fatalf("OpenBolt: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestBolt(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		// RAM-backed: the contract is about what the store answers, and a
		// disk's fsync per write was most of its time.
		return openBolt(t, filepath.Join(testutil.MemDir(t), "data.db"))
	})
}

func TestBoltSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "data.db")
	b := openBolt(t, path)
	want := map[string][]store.Record{
		"vault-a": {storetest.SampleRecord("Alpha"), storetest.SampleRecord("beta")},
		"vault-b": {storetest.SampleRecord("Alpha")},
	}
	want["vault-b"][0].Deleted = nil
	want["vault-b"][0].Versions[1].Tags = map[string]string{"only": "b"}
	for vault, recs := range want {
		for _, r := range recs {
			storetest.Put(t, b, vault, r)
		}
	}
	storetest.Put(t, b, "vault-a", storetest.SampleRecord("removed"))
	if _, _, err := b.Update(ctx, "vault-a", "removed", func(store.Record, bool) (*store.Record, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	b = openBolt(t, path)
	for vault, recs := range want {
		got, err := b.List(ctx, vault, "", 0)
		if err != nil {
			t.Fatalf("List(%s): %v", vault, err)
		}
		if diff := cmp.Diff(recs, got); diff != "" {
			t.Errorf("vault %s after reopen (-want +got):\n%s", vault, diff)
		}
		for _, r := range recs {
			got, err := b.Get(ctx, vault, strings.ToUpper(r.Name))
			if err != nil {
				t.Fatalf("Get(%s, %s): %v", vault, r.Name, err)
			}
			if diff := cmp.Diff(r, got); diff != "" {
				t.Errorf("Get(%s, %s) after reopen (-want +got):\n%s", vault, r.Name, diff)
			}
		}
	}
	if _, err := b.Get(ctx, "vault-a", "removed"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("removed record after reopen: %v, want ErrNotFound", err)
	}
}

func TestBoltSecondOpenFailsFast(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.db")
	first := openBolt(t, path)
	start := time.Now()
	second, err := store.OpenBolt(path, &store.BoltOptions{LockTimeout: 200 * time.Millisecond})
	elapsed := time.Since(start)
	if err == nil {
		second.Close()
		t.Fatal("second OpenBolt of a locked file succeeded")
	}
	if !errors.Is(err, store.ErrDataFileInUse) {
		t.Errorf("error %v does not match ErrDataFileInUse", err)
	}
	if want := "store: data file " + path + " is in use by another process"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if elapsed > 2*time.Second {
		t.Errorf("second OpenBolt took %v; the lock timeout was 200ms", elapsed)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := store.OpenBolt(path, &store.BoltOptions{LockTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("OpenBolt after the holder closed: %v", err)
	}
	again.Close()
}

func TestBoltOpenRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	garbage := func(size int) []byte {
		b := make([]byte, size)
		for i := range b {
			b[i] = byte(i*7 + 3)
		}
		return b
	}
	foreign := filepath.Join(dir, "foreign.db")
	withBolt(t, foreign, func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucket([]byte("someone-else"))
		return err
	})
	future := filepath.Join(dir, "future.db")
	withBolt(t, future, func(tx *bbolt.Tx) error {
		meta, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}
		return meta.Put([]byte("format"), []byte("3"))
	})
	noVaults := filepath.Join(dir, "novaults.db")
	withBolt(t, noVaults, func(tx *bbolt.Tx) error {
		meta, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}
		return meta.Put([]byte("format"), []byte("1"))
	})
	badFormat := func(name, format string) string {
		path := filepath.Join(dir, name)
		withBolt(t, path, func(tx *bbolt.Tx) error {
			meta, err := tx.CreateBucket([]byte("meta"))
			if err != nil {
				return err
			}
			if _, err := tx.CreateBucket([]byte("vaults")); err != nil {
				return err
			}
			return meta.Put([]byte("format"), []byte(format))
		})
		return path
	}
	for _, tc := range []struct {
		name, path, wantInMessage string
		content                   []byte
	}{
		{name: "garbage", path: filepath.Join(dir, "garbage.db"), content: garbage(64 << 10), wantInMessage: "is not a readable store"},
		{name: "tiny", path: filepath.Join(dir, "tiny.db"), content: []byte("not a database"), wantInMessage: "is not a readable store"},
		{name: "foreign bbolt file", path: foreign, wantInMessage: "is not a secretkit store"},
		{name: "newer format", path: future, wantInMessage: "has format version 3; this build reads up to 2"},
		{name: "no vaults bucket", path: noVaults, wantInMessage: "has no vaults bucket"},
		{name: "unreadable format", path: badFormat("text.db", "one"), wantInMessage: "has no readable format version"},
		{name: "zero format", path: badFormat("zero.db", "0"), wantInMessage: "has invalid format version 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.content != nil {
				if err := os.WriteFile(tc.path, tc.content, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			b, err := store.OpenBolt(tc.path, &store.BoltOptions{LockTimeout: 200 * time.Millisecond})
			if err == nil {
				b.Close()
				t.Fatal("OpenBolt succeeded")
			}
			if !strings.Contains(err.Error(), tc.path) || !strings.Contains(err.Error(), tc.wantInMessage) {
				t.Errorf("error = %q; want it to name the file and say %q", err, tc.wantInMessage)
			}
			if !errors.Is(err, store.ErrCorrupt) {
				t.Errorf("error %v does not match ErrCorrupt", err)
			}
		})
	}
}

func TestBoltOpenUnwritableDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing-dir", "data.db")
	_, err := store.OpenBolt(path, nil)
	if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "store: open data file "+path) {
		t.Fatalf("OpenBolt in a missing directory: %v; want a not-exist error naming the file", err)
	}
}

// withBolt writes a bbolt file directly, bypassing the store, to build
// files the store must refuse.
func withBolt(t *testing.T, path string, fn func(tx *bbolt.Tx) error) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func TestBoltCorruptRecord(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "data.db")
	b := openBolt(t, path)
	storetest.Put(t, b, "v1", storetest.SampleRecord("fine"))
	storetest.Put(t, b, "v1", storetest.SampleRecord("Broken"))
	b.Close()
	const secret = "hunter2-do-not-log"
	for _, tc := range []struct{ name, value, detail string }{
		{"truncated", `{"name":"Broken","versions":[{"value":"` + secret, "invalid JSON at byte"},
		{"wrong type", `{"name":"Broken","versions":[{"value":"` + secret + `","enabled":"` + secret + `"}]}`, `field "versions.enabled" has the wrong type`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			withBolt(t, path, func(tx *bbolt.Tx) error {
				return tx.Bucket([]byte("vaults")).Bucket([]byte("v1")).Put([]byte("broken"), []byte(tc.value))
			})
			b := openBolt(t, path)
			check := func(op string, err error) {
				t.Helper()
				if !errors.Is(err, store.ErrCorrupt) {
					t.Errorf("%s: %v, want ErrCorrupt", op, err)
					return
				}
				msg := err.Error()
				if !strings.HasPrefix(msg, `store: vault "v1" key "broken" holds a corrupt record: `) || !strings.Contains(msg, tc.detail) {
					t.Errorf("%s error = %q; want it to name vault v1, key broken and say %q", op, msg, tc.detail)
				}
				if strings.Contains(msg, secret) || strings.Contains(msg, "hunter") {
					t.Errorf("%s error leaks the stored value: %q", op, msg)
				}
			}
			_, err := b.Get(ctx, "v1", "BROKEN")
			check("Get", err)
			_, err = b.List(ctx, "v1", "", 0)
			check("List", err)
			_, _, err = b.Update(ctx, "v1", "broken", func(store.Record, bool) (*store.Record, error) {
				t.Error("Mutation called on an undecodable record")
				return nil, nil
			})
			check("Update", err)
			if _, err := b.Get(ctx, "v1", "fine"); err != nil {
				t.Errorf("Get of an intact record next to a corrupt one: %v", err)
			}
			if got, err := b.List(ctx, "v1", "broken", 0); err != nil || len(got) != 1 || got[0].Name != "fine" {
				t.Errorf("List after the corrupt key = %v, %v; want [fine]", got, err)
			}
			b.Close()
		})
	}
}

// crashChildEnv, when set, turns TestBoltCrashKeepsAcknowledgedWrites into
// the child process that writes until it is killed.
const crashChildEnv = "SECRETKIT_STORE_CRASH_CHILD"

// TestBoltCrashKeepsAcknowledgedWrites re-runs this test binary as a child
// that appends versions from several goroutines and prints each one Update
// acknowledged; the parent kills it with SIGKILL part-way and checks every
// acknowledged version is in the file. A SIGKILL keeps the page cache, so
// this proves writes are committed before Update returns; that the commit
// is also fsynced rests on bbolt's default (NoSync false), which OpenBolt
// never changes. While the child runs, the parent also checks that a
// second process gets ErrDataFileInUse.
func TestBoltCrashKeepsAcknowledgedWrites(t *testing.T) {
	if path := os.Getenv(crashChildEnv); path != "" {
		runCrashChild(path)
		return
	}
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	path := filepath.Join(t.TempDir(), "data.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestBoltCrashKeepsAcknowledgedWrites$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	const killAfter = 150
	acked := make(map[string][]string) // record name → acknowledged version ids
	total := 0
	killed := false
	deadline := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		var name, id string
		if _, err := fmt.Sscanf(lines.Text(), "ack %s %s", &name, &id); err != nil {
			continue
		}
		acked[name] = append(acked[name], id)
		total++
		if total == 1 {
			// The child holds the file: another process must be told so
			// promptly instead of waiting.
			start := time.Now()
			other, err := store.OpenBolt(path, &store.BoltOptions{LockTimeout: 100 * time.Millisecond})
			if err == nil {
				other.Close()
				t.Error("OpenBolt succeeded while the child process held the file")
			} else if !errors.Is(err, store.ErrDataFileInUse) || time.Since(start) > 2*time.Second {
				t.Errorf("OpenBolt while the child held the file: %v after %v; want ErrDataFileInUse within the timeout", err, time.Since(start))
			}
		}
		if total == killAfter && !killed {
			// Kill mid-stream: writers are busy, more acks may already
			// be in the pipe and are read (and checked) below.
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	werr := cmd.Wait()
	if !killed {
		t.Fatalf("child ended after %d acknowledged writes without being killed: %v", total, werr)
	}
	t.Logf("killed the child after %d acknowledged writes", total)

	b := openBolt(t, path)
	for name, ids := range acked {
		rec, err := b.Get(context.Background(), "crash", name)
		if err != nil {
			t.Fatalf("Get(%s) after crash: %v", name, err)
		}
		stored := make(map[string]bool, len(rec.Versions))
		for _, v := range rec.Versions {
			stored[v.ID] = true
		}
		for _, id := range ids {
			if !stored[id] {
				t.Errorf("%s: acknowledged version %s lost in the crash", name, id)
			}
		}
	}
}

func runCrashChild(path string) {
	b, err := store.OpenBolt(path, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	// If the parent never kills us, stop on our own rather than linger.
	time.AfterFunc(50*time.Second, func() { os.Exit(3) })
	var printMu sync.Mutex
	const workers = 8
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("rec-%d", w%3)
			for i := 0; ; i++ {
				id := fmt.Sprintf("%016x%016x", w, i)
				_, _, err := b.Update(context.Background(), "crash", name, func(cur store.Record, _ bool) (*store.Record, error) {
					cur.Name = name
					cur.Versions = append(cur.Versions, store.Version{ID: id, Value: "v", Enabled: true})
					return &cur, nil
				})
				if err != nil {
					fmt.Fprintln(os.Stderr, "child:", err)
					os.Exit(2)
				}
				printMu.Lock()
				fmt.Fprintf(os.Stdout, "ack %s %s\n", name, id)
				printMu.Unlock()
			}
		}()
	}
	wg.Wait()
}

func TestBoltUnencodableRecordWritesNothing(t *testing.T) {
	ctx := context.Background()
	b := openBolt(t, filepath.Join(t.TempDir(), "data.db"))
	want := storetest.SampleRecord("kept")
	storetest.Put(t, b, "v1", want)
	_, ok, err := b.Update(ctx, "v1", "kept", func(cur store.Record, _ bool) (*store.Record, error) {
		// JSON cannot encode a year past 9999.
		cur.Versions[0].Created = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
		return &cur, nil
	})
	if err == nil || ok || !strings.HasPrefix(err.Error(), `store: encode record for vault "v1" key "kept": `) {
		t.Fatalf("Update = _, %v, %v; want an encode error naming vault and key", ok, err)
	}
	got, err := b.Get(ctx, "v1", "kept")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("record changed by a failed Update (-want +got):\n%s", diff)
	}
}
