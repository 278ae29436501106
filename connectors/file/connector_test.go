package file_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/connectors/file"
	"github.com/crossdockhq/crossdock/connectors/file/sandbox"
	"github.com/crossdockhq/crossdock/plugins/conformance"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// TestMain lets the test binary double as the connector plugin: run with
// FILE_CONNECTOR_PLUGIN=1 it serves the file connector instead of testing.
func TestMain(m *testing.M) {
	if os.Getenv("FILE_CONNECTOR_PLUGIN") == "1" {
		sdk.Serve(file.New())
		return
	}
	os.Exit(m.Run())
}

func TestConformance_FileConnectorAsPlugin(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	conformance.Run(t, sandbox.Target(&conformance.Plugin{Path: exe, Env: []string{"FILE_CONNECTOR_PLUGIN=1"}}, nil))
}

func TestConformance_FileConnectorInProcess(t *testing.T) {
	conformance.Run(t, sandbox.Target(nil, func() sdk.Connector { return file.New() }))
}

func readAll(t *testing.T, c *file.Connector, stream string) ([]canonical.Record, []sdk.Reject) {
	t.Helper()
	var recs []canonical.Record
	var rejects []sdk.Reject
	err := c.Read(context.Background(), stream, nil, func(b sdk.Batch) error {
		recs = append(recs, b.Records...)
		rejects = append(rejects, b.Rejects...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return recs, rejects
}

func configured(t *testing.T, cfg map[string]any) *file.Connector {
	t.Helper()
	raw, _ := json.Marshal(cfg)
	c := file.New()
	if err := c.Configure(context.Background(), raw); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRead_BadRowsAreRejectedWithFileLineColumnAndTheRestRead(t *testing.T) {
	tests := []struct {
		name, file, content, stream string
		wantRecords                 int
		wantLocation, wantMessage   string
	}{
		{
			name:   "csv money that is not a number",
			file:   "products.csv",
			stream: "products",
			content: "product_id,title,sku,price\n" +
				"P1,Tee,T-1,10.00\n" +
				"P2,Cap,C-1,ten\n" +
				"P3,Mug,M-1,5.50\n",
			wantRecords: 2, wantLocation: "products.csv:3:4 (price)", wantMessage: "price",
		},
		{
			name:   "csv row with too few fields",
			file:   "inventory.csv",
			stream: "inventory",
			content: "sku,location_id,on_hand\n" +
				"A,L1,3\n" +
				"B,L1\n" +
				"C,L1,4\n",
			wantRecords: 2, wantLocation: "inventory.csv:3", wantMessage: "2 fields",
		},
		{
			name:   "json lines syntax error",
			file:   "inventory.jsonl",
			stream: "inventory",
			content: `{"sku":"A","location_id":"L1","on_hand":1}` + "\n" +
				`{"sku":"B","location_id":` + "\n" +
				`{"sku":"C","location_id":"L1","on_hand":2}` + "\n",
			wantRecords: 2, wantLocation: "inventory.jsonl:2:", wantMessage: "invalid JSON",
		},
		{
			name:   "order line with zero quantity rejects its order only",
			file:   "orders.csv",
			stream: "orders",
			content: "order_id,placed_at,sku,quantity,unit_price,ship_line1,ship_city,ship_country\n" +
				"O1,2026-03-01T10:00:00Z,A,1,2.00,1 Main St,Austin,US\n" +
				"O2,2026-03-01T10:00:00Z,A,1,2.00,1 Main St,Austin,US\n" +
				"O2,2026-03-01T10:00:00Z,B,0,2.00,1 Main St,Austin,US\n" +
				"O3,2026-03-01T10:00:00Z,A,2,2.00,1 Main St,Austin,US\n",
			wantRecords: 2, wantLocation: "orders.csv:4:4 (quantity)", wantMessage: "at least 1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, tt.file), []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			recs, rejects := readAll(t, configured(t, map[string]any{"dir": dir}), tt.stream)
			if len(recs) != tt.wantRecords {
				t.Errorf("records = %d, want %d", len(recs), tt.wantRecords)
			}
			if len(rejects) != 1 {
				t.Fatalf("rejects = %+v, want one", rejects)
			}
			if !strings.HasPrefix(rejects[0].Location, tt.wantLocation) {
				t.Errorf("reject location = %q, want prefix %q", rejects[0].Location, tt.wantLocation)
			}
			if !strings.Contains(rejects[0].Message, tt.wantMessage) {
				t.Errorf("reject message = %q, want it to mention %q", rejects[0].Message, tt.wantMessage)
			}
		})
	}
}

func TestRead_HeaderMappedThroughColumnsConfig(t *testing.T) {
	dir := t.TempDir()
	csv := "Item Code,Warehouse,Qty On Hand\nSKU-1,WH-EAST,12\n"
	if err := os.WriteFile(filepath.Join(dir, "inventory.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	c := configured(t, map[string]any{"dir": dir, "inventory": map[string]any{
		"columns": map[string]string{"sku": "Item Code", "location_id": "Warehouse", "on_hand": "Qty On Hand"},
	}})
	recs, rejects := readAll(t, c, "inventory")
	if len(rejects) != 0 || len(recs) != 1 {
		t.Fatalf("records %d rejects %+v, want 1 and none", len(recs), rejects)
	}
	var l canonical.InventoryLevel
	if err := json.Unmarshal(recs[0].Payload, &l); err != nil {
		t.Fatal(err)
	}
	if l.SKU != "SKU-1" || l.LocationID != "WH-EAST" || l.OnHand != 12 {
		t.Errorf("level = %+v, want SKU-1 at WH-EAST with 12 on hand", l)
	}
}

func TestRead_RowsAppendedLaterAreReadFromTheCursor(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "inventory.jsonl")
	if err := os.WriteFile(path, []byte(`{"sku":"A","location_id":"L","on_hand":1}`+"\n"+`{"sku":"B","loc`), 0o644); err != nil {
		t.Fatal(err)
	}
	c := configured(t, map[string]any{"dir": dir})
	var cursor []byte
	var got []string
	read := func() {
		err := c.Read(context.Background(), "inventory", cursor, func(b sdk.Batch) error {
			for _, r := range b.Records {
				got = append(got, r.ExternalID)
			}
			cursor = b.Cursor
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	read()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`ation_id":"L","on_hand":2}` + "\n")
	f.Close()
	read()
	if strings.Join(got, ",") != "A@L,B@L" {
		t.Errorf("read %v; want A@L then B@L (the half-written line left for the second read)", got)
	}
}

func TestRead_JSONLinesWithoutAFinalNewlineReadsTheLastObject(t *testing.T) {
	dir := t.TempDir()
	body := `{"sku":"A","location_id":"L","on_hand":1}` + "\n" + `{"sku":"B","location_id":"L","on_hand":2}`
	if err := os.WriteFile(filepath.Join(dir, "inventory.jsonl"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	recs, rejects := readAll(t, configured(t, map[string]any{"dir": dir}), "inventory")
	if len(recs) != 2 || len(rejects) != 0 {
		t.Errorf("read %d records and %d rejects; want both objects", len(recs), len(rejects))
	}
}

func TestWrite_ExportReadsBackThroughTheSameConfig(t *testing.T) {
	for _, format := range []string{"csv", "jsonl"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			c := configured(t, map[string]any{"dir": dir, "export_dir": out, "export_format": format})
			rs := c.Write(context.Background(), sandbox.Commands())
			for _, r := range rs {
				if r.Status != sdk.StatusOK {
					t.Fatalf("write %s: %s %s", r.CommandID, r.Status, r.Error)
				}
			}
			back := configured(t, map[string]any{"dir": out})
			prods, rej := readAll(t, back, "products")
			levels, rej2 := readAll(t, back, "inventory")
			if len(rej)+len(rej2) != 0 {
				t.Fatalf("export read back with rejects: %+v %+v", rej, rej2)
			}
			if len(prods) != 1 || len(levels) != 2 {
				t.Fatalf("read back %d products and %d levels, want 1 and 2", len(prods), len(levels))
			}
			var p canonical.Product
			json.Unmarshal(prods[0].Payload, &p)
			if p.Title != "Export Tee" || p.Variants[0].Price != (canonical.Money{Amount: 1999, Currency: "USD"}) {
				t.Errorf("product read back = %+v", p)
			}
		})
	}
}

func TestConfigure_ReportsEveryBadField(t *testing.T) {
	c := file.New()
	err := c.Configure(context.Background(), json.RawMessage(`{"batch_size":-1,"currency":"XXX1","orders":{"columns":{"colour":"Colour"}}}`))
	ce, ok := err.(*sdk.ConfigError)
	if !ok {
		t.Fatalf("err = %v, want *sdk.ConfigError", err)
	}
	fields := map[string]bool{}
	for _, f := range ce.Fields {
		fields[f.Field] = true
	}
	for _, want := range []string{"dir", "batch_size", "currency", "orders.columns.colour"} {
		if !fields[want] {
			t.Errorf("no error for field %q in %v", want, ce)
		}
	}
}
