package shopify

import (
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/connectors/shopify/sandbox"
)

func keysOf(recs []canonical.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.IdempotencyKey
	}
	return out
}

func TestRead_ResumesFromEveryCursorWithoutLossOrRepeat(t *testing.T) {
	seed := sandbox.ConformanceSeed()
	s := newShop(t, sandbox.Config{Seed: &seed, Plan: sandbox.PlanPlus}, nil)
	_, products, variants := s.srv.Counts()
	tests := []struct {
		stream string
		want   int
	}{
		{StreamOrders, seed.Orders},
		{StreamProducts, products},
		{StreamInventory, (variants - 2) * len(seed.Locations)}, // gift cards are not stocked
	}
	for _, tt := range tests {
		t.Run(tt.stream, func(t *testing.T) {
			full, cursors, rejects := readAll(t, s.conn, tt.stream, nil)
			if len(rejects) > 0 {
				t.Fatalf("rejects: %+v", rejects)
			}
			if len(full) != tt.want {
				t.Fatalf("read %d records, want %d", len(full), tt.want)
			}
			if len(cursors) < 2 {
				t.Fatalf("%d batches; nothing to resume from", len(cursors))
			}
			// ends[i] is the offset just past batch i's records.
			ends := make([]int, 0, len(cursors))
			off := 0
			err := s.conn.Read(ctxT(t, 30*time.Second), tt.stream, nil, func(b sdkBatch) error {
				off += len(b.Records)
				ends = append(ends, off)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range cursors {
				got, _, _ := readAll(t, s.conn, tt.stream, c)
				want := keysOf(full[ends[i]:])
				if err := sameKeys(want, keysOf(got)); err != nil {
					t.Fatalf("resume after batch %d: %v", i, err)
				}
			}
		})
	}
}

func sameKeys(want, got []string) error {
	seen := map[string]int{}
	for _, k := range got {
		seen[k]++
		if seen[k] > 1 {
			return errorf("record %s repeated", k)
		}
	}
	for _, k := range want {
		if seen[k] == 0 {
			return errorf("record %s lost", k)
		}
	}
	if len(got) != len(want) {
		return errorf("got %d records, want %d", len(got), len(want))
	}
	return nil
}

func TestRead_IncrementalPassReturnsOnlyWhatChanged(t *testing.T) {
	seed := sandbox.DefaultSeed()
	s := newShop(t, sandbox.Config{Seed: &seed, Plan: sandbox.PlanPlus}, nil)
	orders, cursors, _ := readAll(t, s.conn, StreamOrders, nil)
	last := cursors[len(cursors)-1]
	if again, _, _ := readAll(t, s.conn, StreamOrders, last); len(again) != 0 {
		t.Fatalf("a read from the final cursor returned %d records; want none", len(again))
	}
	edited := orders[3].ExternalID
	if err := s.srv.UpdateOrderNote(edited, "gift wrap please"); err != nil {
		t.Fatal(err)
	}
	placed, err := s.srv.PlaceOrder(sandbox.OrderSpec{Lines: []sandbox.OrderLineSpec{{SKU: "INB-M", Quantity: 1}}, Email: "new@example.com", FirstName: "N", LastName: "O"})
	if err != nil {
		t.Fatal(err)
	}
	got, _, _ := readAll(t, s.conn, StreamOrders, last)
	ids := map[string]canonical.Record{}
	for _, r := range got {
		ids[r.ExternalID] = r
	}
	if len(got) != 2 || ids[edited].ExternalID == "" || ids[placed].ExternalID == "" {
		t.Fatalf("incremental read returned %v; want the edited and the new order", keysOf(got))
	}
	if o := decodeOrder(t, ids[edited]); o.Notes != "gift wrap please" {
		t.Errorf("edited order note = %q", o.Notes)
	}
}

// Transient failures during a read (5xx, dropped connections, malformed
// JSON, a slow reply, a throttled burst) change nothing in what is read.
func TestRead_InjectedFaultsDoNotChangeWhatIsRead(t *testing.T) {
	seed := sandbox.DefaultSeed()
	seed.OrdersSince = time.Date(2026, 2, 1, 8, 0, 0, 0, time.UTC) // both shops alike
	clean := newShop(t, sandbox.Config{Seed: &seed, Plan: sandbox.PlanPlus}, nil)
	want, _, _ := readAll(t, clean.conn, StreamOrders, nil)

	faulty := newShop(t, sandbox.Config{Seed: &seed, Plan: sandbox.Plan{Name: "Test", MaximumAvailable: 2000, RestoreRate: 2000}}, nil)
	faulty.srv.SetFaultRates(sandbox.FaultRates{SlowDelay: 300 * time.Millisecond})
	for _, f := range []sandbox.Fault{sandbox.FaultServerError, sandbox.FaultDrop, sandbox.FaultMalformed, sandbox.FaultThrottle, sandbox.FaultSlow} {
		faulty.srv.Inject(f, 1)
	}
	got, _, _ := readAll(t, faulty.conn, StreamOrders, nil)
	var a, b []string
	for _, r := range want {
		a = append(a, r.ExternalID+string(r.Payload))
	}
	for _, r := range got {
		b = append(b, r.ExternalID+string(r.Payload))
	}
	if err := sameKeys(a, b); err != nil {
		t.Fatalf("faulty read differs from the clean one: %v", err)
	}
	if st := faulty.srv.Stats(); st.Faults != 4 || st.Throttled != 1 {
		t.Errorf("faults injected %d, throttled %d; want 4 (5xx, drop, malformed, slow) and 1", st.Faults, st.Throttled)
	}
}

func TestRead_OrderWithMoreLinesThanAPageIsComplete(t *testing.T) {
	seed := sandbox.DefaultSeed()
	seed.Orders = 0
	s := newShop(t, sandbox.Config{Seed: &seed, Plan: sandbox.PlanPlus}, nil)
	var lines []sandbox.OrderLineSpec
	for _, p := range []string{"TRS", "MCS", "RSJ", "CVT", "INB"} {
		for _, size := range []string{"S", "M", "L"} {
			lines = append(lines, sandbox.OrderLineSpec{SKU: p + "-" + size, Quantity: 1})
		}
	}
	if _, err := s.srv.PlaceOrder(sandbox.OrderSpec{Lines: lines, Email: "big@example.com", FirstName: "B", LastName: "Ig"}); err != nil {
		t.Fatal(err)
	}
	recs, _, _ := readAll(t, s.conn, StreamOrders, nil)
	if o := decodeOrder(t, recs[0]); len(o.Lines) != 15 {
		t.Fatalf("order has %d lines, want 15", len(o.Lines))
	}
}
