package file

import (
	"encoding/json"

	"github.com/crossdockhq/crossdock/canonical"
)

// inventoryFields are the canonical fields of the inventory stream: one level
// (SKU at a location) per row.
var inventoryFields = []string{"sku", "location_id", "on_hand", "reserved", "safety_stock", "incoming", "updated_at"}

func (c *Connector) inventoryBuilder() builder {
	m := mapper{cfg: c.cfg.Inventory, currency: c.cfg.Currency}
	return builder{
		key: func(*row) string { return "" },
		build: func(rows []*row) (canonical.Record, error) {
			l, err := m.level(rows[0])
			if err != nil {
				return canonical.Record{}, err
			}
			if err := validate(rows, l); err != nil {
				return canonical.Record{}, err
			}
			payload, err := json.Marshal(l)
			if err != nil {
				return canonical.Record{}, err
			}
			return envelope(canonical.KindInventoryLevel, l.SKU+"@"+l.LocationID, l.UpdatedAt, rows, payload), nil
		},
	}
}

func (m mapper) level(r *row) (canonical.InventoryLevel, error) {
	var l canonical.InventoryLevel
	var err error
	if l.SKU, err = m.required(r, "sku"); err != nil {
		return l, err
	}
	if l.LocationID, err = m.required(r, "location_id"); err != nil {
		return l, err
	}
	if l.OnHand, err = m.int(r, "on_hand", true); err != nil {
		return l, err
	}
	if l.Reserved, err = m.int(r, "reserved", false); err != nil {
		return l, err
	}
	if l.SafetyStock, err = m.int(r, "safety_stock", false); err != nil {
		return l, err
	}
	if l.Incoming, err = m.int(r, "incoming", false); err != nil {
		return l, err
	}
	if l.UpdatedAt, err = m.time(r, "updated_at"); err != nil {
		return l, err
	}
	return l, nil
}

// levelRow flattens an inventory level into a row, by canonical field.
func levelRow(l canonical.InventoryLevel) map[string]string {
	return map[string]string{
		"sku": l.SKU, "location_id": l.LocationID, "on_hand": formatInt(l.OnHand),
		"reserved": formatInt(l.Reserved), "safety_stock": formatInt(l.SafetyStock),
		"incoming": formatInt(l.Incoming), "updated_at": formatTime(l.UpdatedAt),
	}
}
