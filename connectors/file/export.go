package file

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// ledgerName is the export's record of written idempotency keys, one
// "key<TAB>external id" per line, appended after the rows are written: a crash
// in between repeats a row on retry (at least once), never loses one.
const ledgerName = ".crossdock-export.ledger"

// Write implements sdk.Writer: it appends each command's rows to the export
// file of its stream (products, inventory or orders), in the stream's column
// mapping, so an export reads back through the same config. A command whose
// idempotency key was already written succeeds without writing again. Each
// call writes (and fsyncs) every stream file and the ledger once.
func (c *Connector) Write(_ context.Context, cmds []sdk.Command) []sdk.Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]sdk.Result, len(cmds))
	if err := c.loadLedger(); err != nil {
		for i, cmd := range cmds {
			out[i] = sdk.Result{CommandID: cmd.ID, Status: sdk.StatusRetryable, Error: err.Error()}
		}
		return out
	}
	type pending struct {
		i        int
		key, ext string
	}
	rowsBy := map[string][]map[string]string{}
	cmdsBy := map[string][]pending{}
	var streams []string
	inBatch := map[string]string{}
	for i, cmd := range cmds {
		out[i] = sdk.Result{CommandID: cmd.ID}
		if cmd.IdempotencyKey == "" {
			out[i].Status, out[i].Error = sdk.StatusPermanent, "command has no idempotency key"
			continue
		}
		if ext, ok := c.ledger[cmd.IdempotencyKey]; ok {
			out[i].Status, out[i].ExternalID = sdk.StatusOK, ext
			continue
		}
		if ext, ok := inBatch[cmd.IdempotencyKey]; ok {
			out[i].Status, out[i].ExternalID = sdk.StatusOK, ext
			continue
		}
		stream, rows, ext, err := exportRows(cmd)
		if err != nil {
			out[i].Status, out[i].Error = sdk.StatusPermanent, err.Error()
			continue
		}
		if _, ok := rowsBy[stream]; !ok {
			streams = append(streams, stream)
		}
		rowsBy[stream] = append(rowsBy[stream], rows...)
		cmdsBy[stream] = append(cmdsBy[stream], pending{i, cmd.IdempotencyKey, ext})
		inBatch[cmd.IdempotencyKey] = ext
	}
	var done []pending
	for _, stream := range streams {
		if err := c.appendRows(stream, rowsBy[stream]); err != nil {
			for _, p := range cmdsBy[stream] {
				out[p.i].Status, out[p.i].Error = sdk.StatusRetryable, err.Error()
			}
			continue
		}
		done = append(done, cmdsBy[stream]...)
	}
	var ledger strings.Builder
	for _, p := range done {
		fmt.Fprintf(&ledger, "%s\t%s\n", p.key, p.ext)
	}
	if err := c.appendLedger(ledger.String()); err != nil {
		for _, p := range done {
			out[p.i].Status, out[p.i].Error = sdk.StatusRetryable, err.Error()
		}
		return out
	}
	for _, p := range done {
		c.ledger[p.key] = p.ext
		out[p.i].Status, out[p.i].ExternalID = sdk.StatusOK, p.ext
	}
	return out
}

// exportRows decodes a command's payload into the rows of its stream.
func exportRows(cmd sdk.Command) (stream string, rows []map[string]string, ext string, err error) {
	payload, kind := cmd.Payload, canonical.Kind("")
	switch cmd.Action {
	case canonical.ActionWriteRecord:
		var rec canonical.Record
		if err := json.Unmarshal(payload, &rec); err != nil {
			return "", nil, "", fmt.Errorf("file: write_record payload: %w", err)
		}
		payload, kind = rec.Payload, rec.Kind
	case canonical.ActionUpsertProduct:
		kind = canonical.KindProduct
	case canonical.ActionFulfilmentRequest:
		kind = canonical.KindAllocation
	case canonical.ActionSetInventory:
		var s canonical.SetInventory
		if err := json.Unmarshal(payload, &s); err != nil {
			return "", nil, "", fmt.Errorf("file: set_inventory payload: %w", err)
		}
		if err := s.Validate(); err != nil {
			return "", nil, "", fmt.Errorf("file: set_inventory: %w", err)
		}
		l := canonical.InventoryLevel{SKU: s.SKU, LocationID: s.LocationID, OnHand: s.Available}
		return StreamInventory, []map[string]string{levelRow(l)}, s.SKU + "@" + s.LocationID, nil
	default:
		return "", nil, "", fmt.Errorf("file: action %q is not supported", cmd.Action)
	}
	switch kind {
	case canonical.KindProduct:
		var p canonical.Product
		if err := json.Unmarshal(payload, &p); err != nil {
			return "", nil, "", fmt.Errorf("file: product payload: %w", err)
		}
		if err := p.Validate(); err != nil {
			return "", nil, "", fmt.Errorf("file: product: %w", err)
		}
		rows := productRows(p)
		return StreamProducts, rows, rows[0]["product_id"], nil
	case canonical.KindInventoryLevel:
		var l canonical.InventoryLevel
		if err := json.Unmarshal(payload, &l); err != nil {
			return "", nil, "", fmt.Errorf("file: inventory level payload: %w", err)
		}
		if err := l.Validate(); err != nil {
			return "", nil, "", fmt.Errorf("file: inventory level: %w", err)
		}
		return StreamInventory, []map[string]string{levelRow(l)}, l.SKU + "@" + l.LocationID, nil
	case canonical.KindOrder:
		var o canonical.Order
		if err := json.Unmarshal(payload, &o); err != nil {
			return "", nil, "", fmt.Errorf("file: order payload: %w", err)
		}
		if len(o.Lines) == 0 {
			return "", nil, "", errors.New("file: order has no lines")
		}
		rows := orderRows(o)
		return StreamOrders, rows, rows[0]["order_id"], nil
	case canonical.KindAllocation:
		return allocationRows(payload)
	}
	return "", nil, "", fmt.Errorf("file: records of kind %q cannot be exported", kind)
}

func (c *Connector) loadLedger() error {
	if c.ledger != nil {
		return nil
	}
	if c.cfg.ExportDir == "" {
		return errors.New("file: not configured")
	}
	c.ledger = map[string]string{}
	b, err := os.ReadFile(filepath.Join(c.cfg.ExportDir, ledgerName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		c.ledger = nil
		return fmt.Errorf("file: read export ledger: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "\t"); ok {
			c.ledger[k] = v
		}
	}
	return nil
}

// appendLedger appends ledger lines and syncs them.
func (c *Connector) appendLedger(lines string) error {
	if lines == "" {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(c.cfg.ExportDir, ledgerName), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("file: export ledger: %w", err)
	}
	if _, err := f.WriteString(lines); err != nil {
		f.Close()
		return fmt.Errorf("file: export ledger: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("file: export ledger: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("file: export ledger: %w", err)
	}
	return nil
}

// appendRows appends rows to the stream's export file, writing the header
// (the mapped column names) when the file is new.
func (c *Connector) appendRows(stream string, rows []map[string]string) error {
	if err := os.MkdirAll(c.cfg.ExportDir, 0o755); err != nil {
		return fmt.Errorf("file: export: %w", err)
	}
	sc := c.cfg.stream(stream)
	var fields []string
	switch stream {
	case StreamProducts:
		fields = productFields
	case StreamInventory:
		fields = inventoryFields
	case StreamFulfilment:
		fields = fulfilmentFields
	default:
		fields = orderFields
	}
	path := filepath.Join(c.cfg.ExportDir, stream+"."+c.cfg.ExportFormat)
	_, statErr := os.Stat(path)
	isNew := errors.Is(statErr, fs.ErrNotExist)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("file: export: %w", err)
	}
	w := bufio.NewWriter(f)
	if c.cfg.ExportFormat == "jsonl" {
		for _, r := range rows {
			obj := make(map[string]string, len(r))
			for _, fld := range fields {
				if v := r[fld]; v != "" {
					obj[sc.column(fld)] = v
				}
			}
			b, _ := json.Marshal(obj)
			w.Write(b)
			w.WriteByte('\n')
		}
	} else {
		cw := csv.NewWriter(w)
		if isNew {
			header := make([]string, len(fields))
			for i, fld := range fields {
				header[i] = sc.column(fld)
			}
			cw.Write(header)
		}
		for _, r := range rows {
			rec := make([]string, len(fields))
			for i, fld := range fields {
				rec[i] = r[fld]
			}
			cw.Write(rec)
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			f.Close()
			return fmt.Errorf("file: export: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("file: export: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("file: export: %w", err)
	}
	return f.Close()
}
