package file

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// Version is the connector's version.
const Version = "1.0.0"

// Connector reads and writes CSV and JSON Lines feeds in a folder.
type Connector struct {
	cfg Config

	mu     sync.Mutex // guards the export files and ledger
	ledger map[string]string
}

var (
	_ sdk.Connector = (*Connector)(nil)
	_ sdk.Reader    = (*Connector)(nil)
	_ sdk.Writer    = (*Connector)(nil)
)

// New returns an unconfigured file connector.
func New() *Connector { return &Connector{} }

// Spec implements sdk.Connector.
func (c *Connector) Spec() sdk.Spec {
	return sdk.Spec{
		Name:         "file",
		Version:      Version,
		Description:  "CSV and JSON Lines feeds in a folder: products, inventory levels and orders, read and exported",
		ConfigSchema: json.RawMessage(configSchema),
		Streams: []sdk.StreamSpec{
			{Name: StreamProducts, Kind: canonical.KindProduct, Description: "products*.csv / products*.jsonl, one row per variant, in file-name order; resumes at file, offset and line"},
			{Name: StreamInventory, Kind: canonical.KindInventoryLevel, Description: "inventory*.csv / inventory*.jsonl, one level (sku at location) per row"},
			{Name: StreamOrders, Kind: canonical.KindOrder, Description: "orders*.csv / orders*.jsonl, one row per order line"},
		},
		Actions: []canonical.Action{canonical.ActionWriteRecord, canonical.ActionUpsertProduct, canonical.ActionSetInventory, canonical.ActionFulfilmentRequest},
	}
}

// Configure implements sdk.Connector.
func (c *Connector) Configure(_ context.Context, raw json.RawMessage) error {
	cfg, err := parseConfig(raw)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cfg = cfg
	c.ledger = nil
	return nil
}

// Check implements sdk.Connector: the folder must exist and be readable. A
// missing folder is a network failure (an unmounted share looks the same).
func (c *Connector) Check(context.Context) error {
	if c.cfg.Dir == "" {
		return &sdk.CheckError{Reason: sdk.CheckConfig, Message: "not configured"}
	}
	st, err := os.Stat(c.cfg.Dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &sdk.CheckError{Reason: sdk.CheckNetwork, Message: fmt.Sprintf("folder %s does not exist or is not mounted", c.cfg.Dir)}
	case errors.Is(err, fs.ErrPermission):
		return &sdk.CheckError{Reason: sdk.CheckPermission, Message: fmt.Sprintf("folder %s is not readable", c.cfg.Dir)}
	case err != nil:
		return &sdk.CheckError{Reason: sdk.CheckNetwork, Message: err.Error()}
	case !st.IsDir():
		return &sdk.CheckError{Reason: sdk.CheckConfig, Message: fmt.Sprintf("%s is not a folder", c.cfg.Dir)}
	}
	if _, err := os.ReadDir(c.cfg.Dir); err != nil {
		return &sdk.CheckError{Reason: sdk.CheckPermission, Message: err.Error()}
	}
	return nil
}

// Read implements sdk.Reader.
func (c *Connector) Read(ctx context.Context, stream string, cursor []byte, emit func(sdk.Batch) error) error {
	var b builder
	switch stream {
	case StreamProducts:
		b = c.productBuilder()
	case StreamInventory:
		b = c.inventoryBuilder()
	case StreamOrders:
		b = c.orderBuilder()
	default:
		return fmt.Errorf("file: unknown stream %q", stream)
	}
	if _, err := os.Stat(c.cfg.Dir); err != nil {
		return fmt.Errorf("file: read %s: %w", stream, err)
	}
	files, err := feedFiles(c.cfg.Dir, c.cfg.stream(stream).Patterns)
	if err != nil {
		return err
	}
	return readStream(ctx, c.cfg.Dir, files, cursor, c.cfg.BatchSize, b, emit)
}
