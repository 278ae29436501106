package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/store"
	"github.com/crossdockhq/crossdock/hub/store/storetest"
)

// appendN appends n simple entries outside any caller transaction.
func appendN(t *testing.T, l *Log, db *store.DB, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		e := Entry{
			Actor: "token:helpdesk", Action: "order.note", Subject: fmt.Sprintf("order:%d", 1000+i),
			Before: map[string]any{"notes": ""}, After: map[string]any{"notes": fmt.Sprintf("note %d", i)},
			RemoteAddr: "192.0.2.7:51234",
		}
		if err := l.Append(context.Background(), db, e); err != nil {
			t.Fatal(err)
		}
	}
}

func mustVerify(t *testing.T, l *Log) Report {
	t.Helper()
	rep, err := l.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestAppend_ChainsEntriesInOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l := New(db)
		at := time.Date(2026, 11, 29, 5, 0, 0, 123456789, time.FixedZone("EST", -5*3600))
		if err := l.Append(context.Background(), db, Entry{At: at, Actor: "system", Action: ActionConfigLoad, Subject: "config:hub.yaml", After: json.RawMessage(`{"hub": {"listen": "127.0.0.1:8080"}}`)}); err != nil {
			t.Fatal(err)
		}
		appendN(t, l, db, 2)
		got, err := l.List(context.Background(), Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("%d entries, want 3", len(got))
		}
		prev := ""
		for i, e := range got {
			if e.ID != int64(i+1) || e.PrevHash != prev || len(e.Hash) != 64 {
				t.Fatalf("entry %d: id %d prev %q hash %q; want id %d prev %q", i, e.ID, e.PrevHash, e.Hash, i+1, prev)
			}
			prev = e.Hash
		}
		first := got[0]
		if !first.At.Equal(at) || first.At.Location() != time.UTC {
			t.Fatalf("At = %v, want %v in UTC", first.At, at)
		}
		if string(first.After.(json.RawMessage)) != `{"hub":{"listen":"127.0.0.1:8080"}}` || first.Before != nil {
			t.Fatalf("before %v after %s", first.Before, first.After)
		}
		if got[1].RemoteAddr != "192.0.2.7:51234" || got[1].Subject != "order:1001" {
			t.Fatalf("entry 2 = %+v", got[1])
		}
		rep := mustVerify(t, l)
		if !rep.OK() || rep.Entries != 3 || rep.LastID != 3 || rep.LastHash != got[2].Hash {
			t.Fatalf("report %+v", rep)
		}
	})
}

func TestAppend_CommitsAndRollsBackWithTheCallersTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := New(db)
		tests := []struct {
			name   string
			commit bool
			want   int
		}{
			{"rolled back change leaves no entry", false, 0},
			{"committed change keeps its entry", true, 1},
		}
		for _, tt := range tests {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := l.Append(ctx, tx, Entry{Actor: "token:ops", Action: "order.cancel", Subject: "order:1"}); err != nil {
				t.Fatal(err)
			}
			if tt.commit {
				err = tx.Commit()
			} else {
				err = tx.Rollback()
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := l.List(ctx, Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want {
				t.Fatalf("%s: %d entries, want %d", tt.name, len(got), tt.want)
			}
			if rep := mustVerify(t, l); !rep.OK() || rep.Entries != int64(tt.want) {
				t.Fatalf("%s: report %+v", tt.name, rep)
			}
		}
	})
}

func TestAppend_ConcurrentWritersNeverForkTheChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := New(db)
		const writers, each = 8, 6
		var wg sync.WaitGroup
		errs := make(chan error, writers*each)
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					// Half go through a caller transaction, half through the database.
					var err error
					if i%2 == 0 {
						err = l.Append(ctx, db, Entry{Actor: fmt.Sprintf("connector:w%d", w), Action: "inventory.set", Subject: fmt.Sprintf("sku:%d-%d", w, i)})
					} else {
						var tx interface {
							store.DBTX
							Commit() error
							Rollback() error
						}
						tx, err = db.BeginTx(ctx, nil)
						if err == nil {
							if err = l.Append(ctx, tx, Entry{Actor: fmt.Sprintf("connector:w%d", w), Action: "inventory.set", Subject: fmt.Sprintf("sku:%d-%d", w, i)}); err == nil {
								err = tx.Commit()
							} else {
								tx.Rollback()
							}
						}
					}
					if err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		rep := mustVerify(t, l)
		if !rep.OK() || rep.Entries != writers*each {
			t.Fatalf("report %+v, want %d intact entries", rep, writers*each)
		}
	})
}

func TestAppend_RefusesEntriesWithoutActorOrAction(t *testing.T) {
	db := storetest.SQLite(t)
	l := New(db)
	tests := []struct {
		name string
		e    Entry
		want string
	}{
		{"no actor", Entry{Action: "order.cancel"}, "no actor"},
		{"blank actor", Entry{Actor: "  ", Action: "order.cancel"}, "no actor"},
		{"no action", Entry{Actor: "system"}, "no action"},
		{"before not JSON", Entry{Actor: "system", Action: "x.y", Before: json.RawMessage(`{`)}, "before"},
		{"after cannot be encoded", Entry{Actor: "system", Action: "x.y", After: make(chan int)}, "after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := l.Append(context.Background(), db, tt.e)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if rep := mustVerify(t, l); !rep.OK() || rep.Entries != 0 {
		t.Fatalf("refused entries changed the chain: %+v", rep)
	}
}

// storedText is what the database really holds for entry id.
func storedText(t *testing.T, db *store.DB, id int64) string {
	t.Helper()
	var actor, subject, remote string
	var before, after *string
	err := db.QueryRowContext(context.Background(), db.Dialect.Rebind(`SELECT actor, subject, remote_addr, before_json, after_json FROM audit_log WHERE id = ?`), id).
		Scan(&actor, &subject, &remote, &before, &after)
	if err != nil {
		t.Fatal(err)
	}
	deref := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	return strings.Join([]string{actor, subject, remote, deref(before), deref(after)}, "\n")
}

func TestAppend_StoresNoCardDataOrSecrets(t *testing.T) {
	const visa = "4111111111111111"
	order := canonical.Order{
		ID: "ord_1", Channel: "shopify-us", ExternalID: "5012345678901",
		Notes:   "Customer phoned: please charge 4111 1111 1111 1111 instead, thanks",
		Payment: &canonical.Payment{Gateway: "shopify_payments", Token: "tok_live_abcdef", Brand: "visa", Last4: "1111"},
	}
	tests := []struct {
		name      string
		after     any
		forbidden []string
		kept      []string
	}{
		{"visa test number in an order note", order,
			[]string{"4111 1111 1111 1111", visa, "tok_live_abcdef"},
			[]string{"Customer phoned: please charge [REDACTED] instead, thanks", `"last4":"1111"`, `"brand":"visa"`, `"external_id":"5012345678901"`}},
		{"unbroken card number in free text", map[string]any{"comment": "card " + visa + " exp 12/29"},
			[]string{visa}, []string{"card [REDACTED] exp 12/29"}},
		{"card number as a JSON number", json.RawMessage(`{"reference": 4111111111111111}`),
			[]string{visa}, []string{`"reference":"[REDACTED]"`}},
		{"secrets by key name, nested and in arrays", map[string]any{
			"headers": map[string]any{"Authorization": "Bearer cdk_supersecret", "X-Api-Key": "k-123", "Content-Type": "application/json"},
			"config":  []any{map[string]any{"client_secret": "s3cr3t", "password": "hunter2", "name": "shopify-us"}},
			"card":    map[string]any{"number": "4242424242424242", "cvc": "123"},
		}, []string{"cdk_supersecret", "k-123", "s3cr3t", "hunter2", "4242424242424242", `"123"`},
			[]string{`"Content-Type":"application/json"`, `"name":"shopify-us"`, `"Authorization":"[REDACTED]"`}},
		{"platform ids that are not cards are kept", map[string]any{"amazon_order": "305-1234567-1234567", "id": "4503599627370496", "phone": "+14155550100"},
			nil, []string{"305-1234567-1234567", "4503599627370496", "+14155550100"}},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l := New(db)
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := l.Append(context.Background(), db, Entry{Actor: "token:helpdesk", Action: "order.note", Subject: "order:ord_1", Before: tt.after, After: tt.after}); err != nil {
					t.Fatal(err)
				}
				text := storedText(t, db, int64(i+1))
				for _, f := range tt.forbidden {
					if strings.Contains(text, f) {
						t.Fatalf("stored entry contains %q:\n%s", f, text)
					}
				}
				for _, k := range tt.kept {
					if !strings.Contains(text, k) {
						t.Fatalf("stored entry lost %q:\n%s", k, text)
					}
				}
				if err := canonical.CheckNoCardData(text); err != nil {
					t.Fatalf("card guard flags the stored entry: %v", err)
				}
			})
		}
		if rep := mustVerify(t, l); !rep.OK() || rep.Entries != int64(len(tests)) {
			t.Fatalf("report %+v", rep)
		}
	})
}

func TestList_FiltersAndPaginates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := New(db)
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := 1; i <= 6; i++ {
			actor := "token:ops"
			if i%2 == 0 {
				actor = "token:helpdesk"
			}
			// Half-second steps: stored times must compare correctly as text
			// whatever their fraction.
			at := base.Add(time.Duration(i) * 500 * time.Millisecond)
			if err := l.Append(ctx, db, Entry{At: at, Actor: actor, Action: "order.note", Subject: fmt.Sprintf("order:%d", i%3)}); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			name string
			f    Filter
			want []int64
		}{
			{"everything oldest first", Filter{}, []int64{1, 2, 3, 4, 5, 6}},
			{"newest first", Filter{Newest: true}, []int64{6, 5, 4, 3, 2, 1}},
			{"by actor", Filter{Actor: "token:helpdesk"}, []int64{2, 4, 6}},
			{"by subject", Filter{Subject: "order:1"}, []int64{1, 4}},
			{"by action none", Filter{Action: "order.cancel"}, []int64{}},
			{"page after id", Filter{AfterID: 2, Limit: 2}, []int64{3, 4}},
			{"newest page before id", Filter{BeforeID: 5, Limit: 2, Newest: true}, []int64{4, 3}},
			{"since is inclusive, until exclusive", Filter{Since: base.Add(time.Second), Until: base.Add(2500 * time.Millisecond)}, []int64{2, 3, 4}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := l.List(ctx, tt.f)
				if err != nil {
					t.Fatal(err)
				}
				ids := make([]int64, len(got))
				for i, e := range got {
					ids[i] = e.ID
				}
				if fmt.Sprint(ids) != fmt.Sprint(tt.want) {
					t.Fatalf("ids %v, want %v", ids, tt.want)
				}
			})
		}
	})
}

func TestVerify_ReportsTheFirstBrokenLink(t *testing.T) {
	exec := func(q string, args ...any) func(t *testing.T, db *store.DB) {
		return func(t *testing.T, db *store.DB) {
			t.Helper()
			if _, err := db.ExecContext(context.Background(), db.Dialect.Rebind(q), args...); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name      string
		tamper    []func(t *testing.T, db *store.DB)
		wantID    int64
		wantCheck string
	}{
		{"actor of entry 3 edited", []func(*testing.T, *store.DB){exec(`UPDATE audit_log SET actor = 'token:ops' WHERE id = 3`)}, 3, CheckHash},
		{"after of entry 2 edited", []func(*testing.T, *store.DB){exec(`UPDATE audit_log SET after_json = '{"notes":"forged"}' WHERE id = 2`)}, 2, CheckHash},
		{"before of entry 1 removed", []func(*testing.T, *store.DB){exec(`UPDATE audit_log SET before_json = NULL WHERE id = 1`)}, 1, CheckHash},
		{"time of entry 5 moved", []func(*testing.T, *store.DB){exec(`UPDATE audit_log SET at = '2020-01-01T00:00:00.000000000Z' WHERE id = 5`)}, 5, CheckHash},
		{"two edits name the earlier", []func(*testing.T, *store.DB){
			exec(`UPDATE audit_log SET subject = 'order:9' WHERE id = 4`),
			exec(`UPDATE audit_log SET subject = 'order:9' WHERE id = 2`)}, 2, CheckHash},
		{"entry 3 deleted", []func(*testing.T, *store.DB){exec(`DELETE FROM audit_log WHERE id = 3`)}, 3, CheckMissing},
		{"last entry deleted", []func(*testing.T, *store.DB){exec(`DELETE FROM audit_log WHERE id = 5`)}, 5, CheckMissing},
		{"entry 3 rewritten with a fresh hash", []func(*testing.T, *store.DB){rehash(3, "token:mallory")}, 4, CheckPrevHash},
		{"last entry rewritten with a fresh hash", []func(*testing.T, *store.DB){rehash(5, "token:mallory")}, 5, CheckHead},
		{"first entry given a prev_hash", []func(*testing.T, *store.DB){exec(`UPDATE audit_log SET prev_hash = 'abc' WHERE id = 1`)}, 1, CheckPrevHash},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				exec(`DELETE FROM audit_log`)(t, db)
				exec(`UPDATE audit_chain_head SET last_id = 0, last_hash = '' WHERE id = 1`)(t, db)
				l := New(db)
				appendN(t, l, db, 5)
				if rep := mustVerify(t, l); !rep.OK() {
					t.Fatalf("intact chain reported broken: %+v", rep.Broken)
				}
				for _, f := range tt.tamper {
					f(t, db)
				}
				rep := mustVerify(t, l)
				if rep.OK() {
					t.Fatal("tampered chain reported intact")
				}
				if rep.Broken.ID != tt.wantID || rep.Broken.Check != tt.wantCheck {
					t.Fatalf("broken at %d (%s: %s), want %d (%s)", rep.Broken.ID, rep.Broken.Check, rep.Broken.Message, tt.wantID, tt.wantCheck)
				}
				if !strings.HasPrefix(rep.Broken.String(), fmt.Sprintf("entry %d: ", tt.wantID)) || rep.Broken.Message == "" {
					t.Fatalf("break does not name the entry: %q", rep.Broken.String())
				}
			})
		}
	})
}

// rehash rewrites entry id's actor and recomputes its hash, as a forger who
// knows the scheme would: the chain breaks at the next link instead.
func rehash(id int64, actor string) func(t *testing.T, db *store.DB) {
	return func(t *testing.T, db *store.DB) {
		t.Helper()
		ctx := context.Background()
		rows, err := db.QueryContext(ctx, db.Dialect.Rebind(selectColumns+` WHERE id = ?`), id)
		if err != nil {
			t.Fatal(err)
		}
		if !rows.Next() {
			t.Fatalf("no entry %d", id)
		}
		r, err := scanRow(rows)
		rows.Close()
		if err != nil {
			t.Fatal(err)
		}
		r.actor = actor
		if _, err := db.ExecContext(ctx, db.Dialect.Rebind(`UPDATE audit_log SET actor = ?, hash = ? WHERE id = ?`), r.actor, r.computeHash(), id); err != nil {
			t.Fatal(err)
		}
	}
}

func TestHash_CoversEveryFieldUnambiguously(t *testing.T) {
	base := row{id: 7, at: "2026-11-29T05:00:00.000000000Z", actor: "token:ops", action: "order.cancel", subject: "order:1",
		before: `{"a":1}`, after: `{"a":2}`, remoteAddr: "192.0.2.1:1", prevHash: strings.Repeat("a", 64)}
	tests := []struct {
		name   string
		change func(r *row)
	}{
		{"id", func(r *row) { r.id = 8 }},
		{"at", func(r *row) { r.at = "2026-11-29T05:00:00.000000001Z" }},
		{"actor", func(r *row) { r.actor = "token:op" }},
		{"action", func(r *row) { r.action = "order.note" }},
		{"subject", func(r *row) { r.subject = "order:2" }},
		{"before", func(r *row) { r.before = "" }},
		{"after", func(r *row) { r.after = `{"a":3}` }},
		{"remote address", func(r *row) { r.remoteAddr = "" }},
		{"prev hash", func(r *row) { r.prevHash = strings.Repeat("b", 64) }},
		{"a byte moved between fields", func(r *row) { r.actor, r.action = "token:opso", "rder.cancel" }},
	}
	want := base.computeHash()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base
			tt.change(&r)
			if r.computeHash() == want {
				t.Fatalf("changing %s keeps the hash", tt.name)
			}
		})
	}
	if base.computeHash() != want {
		t.Fatal("hash is not deterministic")
	}
}

func TestAppend_WithoutChainHeadIsAnError(t *testing.T) {
	db := storetest.SQLite(t)
	if _, err := db.ExecContext(context.Background(), `DELETE FROM audit_chain_head`); err != nil {
		t.Fatal(err)
	}
	err := New(db).Append(context.Background(), db, Entry{Actor: "system", Action: "x.y"})
	if err == nil || !strings.Contains(err.Error(), "chain head") {
		t.Fatalf("err = %v", err)
	}
}
