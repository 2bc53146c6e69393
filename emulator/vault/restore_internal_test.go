package vault

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/secretkit/secretkit/emulator/store"
)

// serve runs one request through the API in-process.
func serve(a *API, method, path, body string) *httptest.ResponseRecorder {
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, path, nil)
	} else {
		r = httptest.NewRequest(method, path, strings.NewReader(body))
	}
	r.Header.Set("Authorization", "Bearer t")
	w := httptest.NewRecorder()
	a.ServeHTTP(w, r)
	return w
}

// withVersions stores name with n copies of one version of value.
func withVersions(t *testing.T, st store.Store, a *API, name, value string, n int) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"value": value})
	if w := serve(a, http.MethodPut, "/secrets/"+name+"?api-version=7.6", string(body)); w.Code != 200 {
		t.Fatalf("set: %d %s", w.Code, w.Body)
	}
	_, _, err := st.Update(t.Context(), a.defaultVault, name, func(r store.Record, _ bool) (*store.Record, error) {
		for i := 1; i < n; i++ {
			v := r.Versions[0]
			v.ID = fmt.Sprintf("%032x", i)
			r.Versions = append(r.Versions, v)
		}
		return &r, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Every backup the emulator hands out must restore: a secret whose backup
// would not fit the restore limit is refused at backup, not at restore
// (issue 11, item 4). The limit is shrunk so the test stays small; the
// arithmetic is the same at 64 MiB.
func TestEveryBackupRestores(t *testing.T) {
	defer setMaxRestoreBytes(1 << 20)()
	st := store.NewMemory()
	a, err := New(Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	// Control characters are the worst case: six bytes each in JSON.
	value := strings.Repeat("\x01", 25600)
	for n := 1; n <= 20; n++ {
		name := fmt.Sprintf("s%d", n)
		withVersions(t, st, a, name, value, n)
		w := serve(a, http.MethodPost, "/secrets/"+name+"/backup?api-version=7.6", "")
		if w.Code != http.StatusOK {
			// Refused: it must be the clear refusal, never a blob.
			var e wireErrorBody
			if json.Unmarshal(w.Body.Bytes(), &e) != nil || w.Code != 400 || e.Error.Code != "BadParameter" ||
				!strings.Contains(e.Error.Message, "too large to back up") {
				t.Fatalf("backup of %d versions: %d %s", n, w.Code, w.Body)
			}
			if n == 1 {
				t.Fatal("even one version is refused")
			}
			return
		}
		restoreBody := `{"value":` + jsonString(t, w.Body.Bytes()) + `}`
		if w := serve(a, http.MethodDelete, "/secrets/"+name+"?api-version=7.6", ""); w.Code != 200 {
			t.Fatalf("delete: %d", w.Code)
		}
		if w := serve(a, http.MethodDelete, "/deletedsecrets/"+name+"?api-version=7.6", ""); w.Code != 204 {
			t.Fatalf("purge: %d", w.Code)
		}
		if w := serve(a, http.MethodPost, "/secrets/restore?api-version=7.6", restoreBody); w.Code != 200 {
			t.Fatalf("restore of the backup of %d versions (%d bytes): %d %.200s", n, len(restoreBody), w.Code, w.Body)
		}
	}
	t.Fatal("no backup reached the limit: the test does not exercise it")
}

type wireErrorBody struct {
	Error struct{ Code, Message string }
}

// jsonString returns the "value" member of a backup response, as JSON.
func jsonString(t *testing.T, body []byte) string {
	var b struct{ Value string }
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(b.Value)
	return string(out)
}

// Concurrent restores are decoded at most maxConcurrentRestores at a
// time, so peak memory is a small multiple of the body limit whatever the
// concurrency (issue 11, item 2); a waiting request whose client goes
// away leaves without decoding.
func TestRestoresBoundedInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := store.NewMemory()
		a, err := New(Options{Store: st})
		if err != nil {
			t.Fatal(err)
		}
		withVersions(t, st, a, "b", "v", 1)
		w := serve(a, http.MethodPost, "/secrets/b/backup?api-version=7.6", "")
		body := `{"value":` + jsonString(t, w.Body.Bytes()) + `}`

		var inside, peak, entered atomic.Int32
		release := make(chan struct{})
		restoreDecoding = func() {
			n := inside.Add(1)
			entered.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			<-release
			inside.Add(-1)
		}
		defer func() { restoreDecoding = nil }()

		const clients = 8
		var wg sync.WaitGroup
		for range clients {
			wg.Go(func() { serve(a, http.MethodPost, "/secrets/restore?api-version=7.6", body) })
		}
		synctest.Wait()
		if got := inside.Load(); got != maxConcurrentRestores {
			t.Errorf("%d restores decoding at once, want %d", got, maxConcurrentRestores)
		}
		close(release)
		wg.Wait()
		if p := peak.Load(); p != maxConcurrentRestores {
			t.Errorf("peak %d restores decoding at once, want %d", p, maxConcurrentRestores)
		}
		if e := entered.Load(); e != clients {
			t.Errorf("%d of %d restores decoded", e, clients)
		}
	})
}

// setMaxRestoreBytes shrinks the restore limit for one test.
func setMaxRestoreBytes(n int64) (restore func()) {
	old := maxRestoreBytes
	maxRestoreBytes = n
	return func() { maxRestoreBytes = old }
}
