package main

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"github.com/crossdockhq/crossdock/hub/audit"
	"github.com/crossdockhq/crossdock/hub/store"
)

// auditCLI runs crossdock with args and returns stdout, stderr and the exit code.
func auditCLI(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	return runCLI(t, stdin, "info", args...)
}

// auditDB makes a hub database file with n audit entries and returns its path.
func auditDB(t *testing.T, n int) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hub.db")
	db, err := store.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	l := audit.New(db)
	for i := 1; i <= n; i++ {
		e := audit.Entry{Actor: "token:helpdesk", Action: "order.address_change", Subject: fmt.Sprintf("order:%d", 1000+i),
			Before: map[string]any{"city": "Boston"}, After: map[string]any{"city": "Cambridge"}, RemoteAddr: "192.0.2.9:40000"}
		if err := l.Append(ctx, db, e); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// editRow changes the audit database directly, as an intruder with file access would.
func editRow(t *testing.T, path, query string) {
	t.Helper()
	raw, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	res, err := raw.Exec(query)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("%q changed %d rows", query, n)
	}
}

func TestAuditVerify_NamesTheEditedEntry(t *testing.T) {
	tests := []struct {
		name     string
		edit     string // empty: untouched
		wantCode int
		wantOut  []string
	}{
		{"untouched log is intact", "", 0, []string{"audit log intact: 6 entries"}},
		{"edited after state", `UPDATE audit_log SET after_json = '{"city":"Somerville"}' WHERE id = 4`, 1, []string{"BROKEN at entry 4:", "check: hash"}},
		{"edited actor", `UPDATE audit_log SET actor = 'token:ops' WHERE id = 2`, 1, []string{"BROKEN at entry 2:", "intact entries before it: 1"}},
		{"deleted entry", `DELETE FROM audit_log WHERE id = 5`, 1, []string{"BROKEN at entry 5:", "missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := auditDB(t, 6)
			if tt.edit != "" {
				editRow(t, path, tt.edit)
			}
			out, errOut, code := auditCLI(t, "", "audit", "verify", "--data", "sqlite:"+path)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, out, errOut)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Fatalf("output does not contain %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestAuditVerify_JSONReportNamesTheBrokenEntry(t *testing.T) {
	path := auditDB(t, 3)
	editRow(t, path, `UPDATE audit_log SET subject = 'order:9999' WHERE id = 3`)
	out, _, code := auditCLI(t, "", "audit", "verify", "--json", "--data", "sqlite:"+path)
	if code != 1 || !strings.Contains(out, `"id": 3`) || !strings.Contains(out, `"check": "hash"`) {
		t.Fatalf("exit %d, report:\n%s", code, out)
	}
}

func TestAuditVerify_RefusesAMissingDatabaseWithoutCreatingIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope", "hub.db")
	_, errOut, code := auditCLI(t, "", "audit", "verify", "--data", "sqlite:"+path)
	if code != 1 || !strings.Contains(errOut, "no hub database at") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if _, _, code := auditCLI(t, "", "audit", "verify", "--data", "sqlite:"+path); code != 1 {
		t.Fatal("second run found a database the first created")
	}
}

func TestAuditVerify_ExplainsADatabaseWithoutAuditLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	raw, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`CREATE TABLE unrelated (x TEXT)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	_, errOut, code := auditCLI(t, "", "audit", "verify", "--data", "sqlite:"+path)
	if code != 1 || !strings.Contains(errOut, "no audit log yet") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestAuditList_FiltersAndPrintsEntries(t *testing.T) {
	path := auditDB(t, 4)
	tests := []struct {
		name     string
		args     []string
		want     []string
		unwanted []string
	}{
		{"newest first table", nil, []string{"ID", "4 ", "order:1004", "token:helpdesk"}, nil},
		{"by subject", []string{"--subject", "order:1002"}, []string{"order:1002"}, []string{"order:1001", "order:1003"}},
		{"json with states", []string{"--json", "--limit", "1"}, []string{`"id":4`, `"after":{"city":"Cambridge"}`}, []string{`"id":3`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := auditCLI(t, "", append([]string{"audit", "list", "--data", "sqlite:" + path}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Fatalf("output lacks %q:\n%s", w, out)
				}
			}
			for _, u := range tt.unwanted {
				if strings.Contains(out, u) {
					t.Fatalf("output has %q:\n%s", u, out)
				}
			}
		})
	}
	if _, errOut, code := auditCLI(t, "", "audit", "list", "--data", "sqlite:"+path, "--since", "yesterday"); code != 1 || !strings.Contains(errOut, "--since") {
		t.Fatalf("bad --since: exit %d, %q", code, errOut)
	}
}
