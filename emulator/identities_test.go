package emulator_test

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/secretkit/secretkit/emulator"
	"github.com/secretkit/secretkit/emulator/emulatortest"
)

const identityTableConfig = `
identities:
  - {name: web, kind: system}
  - {name: batch, kind: user}
  - {name: ci, kind: servicePrincipal, clientSecret: table-secret-value}
`

// The identity table, with ids the config derived from names, is logged at
// start-up and served at GET /_emulator/identities; it never shows a
// credential.
func TestIdentityTable(t *testing.T) {
	t.Parallel()
	logs := &logRecords{}
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: identityTableConfig, Logger: logs.logger()})
	want := []emulator.IdentityInfo{}
	for _, name := range []string{"web", "batch", "ci"} {
		id := e.Identity(t, name)
		row := emulator.IdentityInfo{Name: id.Name, Kind: string(id.Kind), ClientID: id.ClientID, ObjectID: id.ObjectID, ResourceID: id.ResourceID}
		if name == "ci" {
			row.Kind, row.Credentials = "servicePrincipal", []string{"clientSecret"}
		}
		want = append(want, row)
	}
	status, body := admin(t, e, http.MethodGet, "/_emulator/identities")
	var got []emulator.IdentityInfo
	if status != http.StatusOK || json.Unmarshal(body, &got) != nil {
		t.Fatalf("GET /_emulator/identities: %d %s", status, body)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("identity table\n got %+v\nwant %+v", got, want)
	}
	if strings.Contains(string(body), "table-secret-value") {
		t.Error("the identity table shows the client secret")
	}
	logged := logs.records(t, "identity")
	if len(logged) != len(want) {
		t.Fatalf("%d identity log lines, want %d", len(logged), len(want))
	}
	for i, rec := range logged {
		if rec["name"] != want[i].Name || rec["kind"] != want[i].Kind || rec["clientId"] != want[i].ClientID ||
			rec["objectId"] != want[i].ObjectID || (want[i].ResourceID != "" && rec["resourceId"] != want[i].ResourceID) {
			t.Errorf("log line %d = %v, want %+v", i, rec, want[i])
		}
	}
	if strings.Contains(logs.text(), "table-secret-value") {
		t.Error("the start-up log shows the client secret")
	}
}

// A known admin route asked with the wrong method is 405 with Allow; an
// unknown one stays 404. (Without the admin header every one of them is
// 403 first: TestAdminRefusesCrossSiteRequests.)
func TestAdminWrongMethodIs405(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, nil)
	for _, tc := range []struct {
		method, path, allow string
		status              int
	}{
		{http.MethodPost, "/_emulator/identities", "GET", 405},
		{http.MethodDelete, "/_emulator/health", "GET", 405},
		{http.MethodGet, "/_emulator/reset", "POST", 405},
		{http.MethodGet, "/_emulator/clock/advance", "POST", 405},
		{http.MethodPut, "/_emulator/clock", "GET", 405},
		{http.MethodGet, "/_emulator/nothing-here", "", 404},
	} {
		req, _ := http.NewRequest(tc.method, e.IdentityURL+tc.path, nil)
		req.Header.Set(emulator.AdminHeader, "1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d Allow %q, want %d Allow %q", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Allow"), tc.status, tc.allow)
		}
		want := tc.method + " is not allowed on " + tc.path + "; use " + tc.allow
		if tc.allow == "" {
			want = "no admin route " + tc.method + " " + tc.path
		}
		var refusal struct{ Error string }
		if json.Unmarshal(body, &refusal) != nil || refusal.Error != want {
			t.Errorf("%s %s: body %s, want the error %q", tc.method, tc.path, body, want)
		}
	}
}
