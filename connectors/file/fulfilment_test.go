package file_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/connectors/file"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

func TestWrite_FulfilmentRequestsBecomeAPickListOncePerKey(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	c := configured(t, map[string]any{"dir": dir, "export_dir": out})
	a := canonical.Allocation{ID: "alloc-1", OrderID: "order-7", LocationID: "store-denver", Method: canonical.FulfilShip,
		Status: canonical.AllocationRequested, Rule: "ship-from-nearby-store", DistanceKM: 3.2, CreatedAt: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC),
		Lines: []canonical.LineQuantity{{LineID: "l1", SKU: "NW-TEE", Quantity: 2}, {LineID: "l2", SKU: "NW-MUG", Quantity: 1}}}
	payload, _ := json.Marshal(a)
	rec, _ := json.Marshal(canonical.Record{Kind: canonical.KindAllocation, Source: "hub", IdempotencyKey: "k-1", Payload: payload})
	cmds := []sdk.Command{
		{ID: "1", Action: canonical.ActionWriteRecord, IdempotencyKey: "k-1", Payload: rec},
		{ID: "2", Action: canonical.ActionFulfilmentRequest, IdempotencyKey: "k-1", Payload: payload}, // the same request again
	}
	for _, r := range c.Write(context.Background(), cmds) {
		if r.Status != sdk.StatusOK || r.ExternalID != "alloc-1" {
			t.Fatalf("result %+v", r)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, file.StreamFulfilment+".csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	want := []string{
		"allocation_id,order_id,location_id,method,line_id,sku,quantity,rule,distance_km,created_at",
		"alloc-1,order-7,store-denver,ship,l1,NW-TEE,2,ship-from-nearby-store,3.2,2026-11-01T09:00:00Z",
		"alloc-1,order-7,store-denver,ship,l2,NW-MUG,1,ship-from-nearby-store,3.2,2026-11-01T09:00:00Z",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("fulfilment.csv =\n%s\nwant\n%s", b, strings.Join(want, "\n"))
	}
}
