package sandbox

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/plugins/bench"
	"github.com/crossdockhq/crossdock/plugins/conformance"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// Seeded counts of the feeds Seed writes: the good records per stream. Each
// stream also has bad rows, which become rejects and are not counted.
var Seeded = map[string]int{"products": 12, "inventory": 30, "orders": 15}

// BadRows is the number of bad rows Seed writes per stream.
var BadRows = map[string]int{"products": 1, "inventory": 1, "orders": 1}

// Seed writes the sandbox feeds into dir.
func Seed(dir string) error {
	var b strings.Builder
	b.WriteString("product_id,title,vendor,tags,sku,variant_title,price,currency,weight_grams,updated_at\n")
	for i := 1; i <= 12; i++ {
		for v := 0; v <= i%3; v++ {
			fmt.Fprintf(&b, "P%03d,Tee %d,Acme,summer;cotton,TEE-%03d-%d,Size %d,%d.%02d,USD,%d,2026-03-%02dT10:00:00Z\n",
				i, i, i, v, v, 10+i, v*5, 150+v, 1+i%28)
		}
		if i == 6 {
			b.WriteString("P999,Broken,Acme,,BRK-1,One,twelve,USD,100,2026-03-01T10:00:00Z\n")
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "products.csv"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	b.Reset()
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&b, `{"sku":"TEE-%03d-0","location_id":"LOC-%d","on_hand":%d,"reserved":%d,"updated_at":"2026-03-02T08:00:00Z"}`+"\n", i, i%3+1, i*2, i%4)
		if i == 20 {
			b.WriteString(`{"sku":"TEE-020-0","location_id": oops}` + "\n")
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "inventory.jsonl"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	b.Reset()
	b.WriteString("order_id,number,email,placed_at,currency,ship_name,ship_line1,ship_city,ship_region,ship_postal_code,ship_country,shipping,sku,quantity,unit_price\n")
	for i := 1; i <= 10; i++ {
		for l := 0; l <= i%3; l++ {
			fmt.Fprintf(&b, "O%04d,#%d,buyer%d@example.com,2026-03-%02dT12:00:00Z,USD,Ann Lee,1 Main St,Pasadena,CA,91101,US,4.99,TEE-%03d-0,%d,%d.00\n",
				1000+i, 1000+i, i, i, l+1, l+1, 12+l)
		}
		if i == 4 {
			b.WriteString("O9999,#9999,bad@example.com,2026-03-04T12:00:00Z,USD,Ann Lee,1 Main St,Pasadena,CA,91101,US,4.99,TEE-001-0,-2,12.00\n")
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "orders-1.csv"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	b.Reset()
	for i := 11; i <= 15; i++ {
		fmt.Fprintf(&b, `{"order_id":"O%04d","number":"#%d","email":"buyer%d@example.com","placed_at":"2026-03-%02dT12:00:00Z","currency":"EUR","ship_line1":"2 Rue Neuve","ship_city":"Lyon","ship_postal_code":"69001","ship_country":"FR","sku":"TEE-001-0","quantity":1,"unit_price":"19.90"}`+"\n", 1000+i, 1000+i, i, i)
	}
	return os.WriteFile(filepath.Join(dir, "orders-2.jsonl"), []byte(b.String()), 0o644)
}

// Config returns a connector config reading dir in small batches, so reads
// have many cursors to resume from.
func Config(dir string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"dir": dir, "batch_size": 4})
	return b
}

// Start seeds dir/feeds and returns the conformance suite's view of it. It is
// Target.Sandbox for the file connector.
func Start(_ context.Context, dir string) (*conformance.Sandbox, error) {
	feeds := filepath.Join(dir, "feeds")
	if err := os.MkdirAll(feeds, 0o755); err != nil {
		return nil, err
	}
	if err := Seed(feeds); err != nil {
		return nil, fmt.Errorf("seed file sandbox: %w", err)
	}
	missing, _ := json.Marshal(map[string]any{"dir": filepath.Join(dir, "not-mounted")})
	return &conformance.Sandbox{
		BaseURL:     feeds,
		Config:      Config(feeds),
		Unreachable: missing,
		Seeded:      Seeded,
		Write:       Commands(),
		Effects: func(context.Context) (int, error) {
			return ExportedRows(filepath.Join(feeds, "export"))
		},
	}, nil
}

// Commands is a batch of one command per supported action.
func Commands() []sdk.Command {
	product := canonical.Product{ID: "prod-1", Title: "Export Tee", Status: canonical.ProductActive,
		Variants: []canonical.Variant{{SKU: "EXP-1", Price: canonical.Money{Amount: 1999, Currency: "USD"}}}}
	pb, _ := json.Marshal(product)
	inv, _ := json.Marshal(canonical.SetInventory{SKU: "EXP-1", LocationID: "LOC-1", Available: 7})
	level, _ := json.Marshal(canonical.InventoryLevel{SKU: "EXP-2", LocationID: "LOC-2", OnHand: 3})
	rec, _ := json.Marshal(canonical.Record{Kind: canonical.KindInventoryLevel, Source: "hub", Version: 1, IdempotencyKey: "lvl-1", Payload: level})
	return []sdk.Command{
		{ID: "c1", Action: canonical.ActionUpsertProduct, IdempotencyKey: "conf-upsert-1", Payload: pb},
		{ID: "c2", Action: canonical.ActionSetInventory, IdempotencyKey: "conf-inv-1", Payload: inv},
		{ID: "c3", Action: canonical.ActionWriteRecord, IdempotencyKey: "conf-rec-1", Payload: rec},
	}
}

// ExportedRows counts the data rows in the export folder's files.
func ExportedRows(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || e.IsDir() {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			return 0, err
		}
		sc := bufio.NewScanner(f)
		lines := 0
		for sc.Scan() {
			lines++
		}
		f.Close()
		if strings.HasSuffix(e.Name(), ".csv") && lines > 0 {
			lines-- // the header
		}
		n += lines
	}
	return n, nil
}

// Target is the conformance target of the file connector run as plugin (nil:
// in-process, built by newConnector).
func Target(plugin *conformance.Plugin, newConnector func() sdk.Connector) conformance.Target {
	caps := []conformance.Capability{conformance.CapCheckNetwork, conformance.CapRead, conformance.CapResume, conformance.CapWrite}
	if plugin != nil {
		caps = append(caps, conformance.CapCrashResume)
	}
	return conformance.Target{Name: "file", Plugin: plugin, New: newConnector, Capabilities: caps, Sandbox: Start}
}

// BenchOptions sets up dir with a feed of rows inventory levels and returns the
// benchmark of the file connector: in-process (newConnector) against the
// plugin started as path args... (for the crossdock binary: "connector",
// "serve", "file"). Writes export inventory levels to dir/export, fsynced per
// batch as in production.
func BenchOptions(dir string, rows int, newConnector func() sdk.Connector, path string, args, env []string) (bench.Options, error) {
	var b strings.Builder
	b.WriteString("sku,location_id,on_hand,reserved,updated_at\n")
	for i := 0; i < rows; i++ {
		fmt.Fprintf(&b, "SKU-%06d,LOC-%d,%d,%d,2026-03-01T10:00:00Z\n", i, i%7, i%97, i%5)
	}
	if err := os.WriteFile(filepath.Join(dir, "inventory.csv"), []byte(b.String()), 0o644); err != nil {
		return bench.Options{}, err
	}
	seq := 0
	return bench.Options{
		Name: "file", Path: path, Args: args, Env: env, New: newConnector, Stream: "inventory",
		Config: func(batch int) json.RawMessage {
			raw, _ := json.Marshal(map[string]any{"dir": dir, "batch_size": batch})
			return raw
		},
		Commands: func(n int) []sdk.Command {
			cmds := make([]sdk.Command, n)
			for i := range cmds {
				seq++
				p, _ := json.Marshal(canonical.SetInventory{SKU: fmt.Sprintf("W-%d", seq), LocationID: "LOC-1", Available: int64(seq % 50)})
				cmds[i] = sdk.Command{ID: fmt.Sprint(i), Action: canonical.ActionSetInventory, IdempotencyKey: fmt.Sprintf("bench-%d", seq), Payload: p}
			}
			return cmds
		},
	}, nil
}
