package file

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/crossdockhq/crossdock/canonical"
)

// StreamFulfilment is the export of fulfilment requests: one row per order
// line a location is asked to pick, pack and ship (or hand over): the pick
// list a store or a warehouse without an integration works from.
const StreamFulfilment = "fulfilment"

// fulfilmentFields are the columns of the fulfilment export.
var fulfilmentFields = []string{"allocation_id", "order_id", "location_id", "method", "line_id", "sku", "quantity",
	"rule", "distance_km", "created_at"}

// allocationRows flattens a fulfilment request into one row per line.
func allocationRows(payload json.RawMessage) (string, []map[string]string, string, error) {
	var a canonical.Allocation
	if err := json.Unmarshal(payload, &a); err != nil {
		return "", nil, "", fmt.Errorf("file: allocation payload: %w", err)
	}
	if err := a.Validate(); err != nil {
		return "", nil, "", fmt.Errorf("file: allocation: %w", err)
	}
	rows := make([]map[string]string, 0, len(a.Lines))
	for _, l := range a.Lines {
		rows = append(rows, map[string]string{
			"allocation_id": a.ID, "order_id": a.OrderID, "location_id": a.LocationID, "method": string(a.Method),
			"line_id": l.LineID, "sku": l.SKU, "quantity": strconv.FormatInt(l.Quantity, 10), "rule": a.Rule,
			"distance_km": strconv.FormatFloat(a.DistanceKM, 'f', 1, 64), "created_at": formatTime(a.CreatedAt),
		})
	}
	return StreamFulfilment, rows, a.ID, nil
}
