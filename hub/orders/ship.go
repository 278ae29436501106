package orders

import (
	"context"
	"fmt"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/inventory"
	"github.com/crossdockhq/crossdock/hub/store"
)

// Ship records a shipment of an allocated order: each shipped line's units
// are consumed from its reservations (a sale movement at the reservation's
// location; units without a reservation are sold from the shipment's
// location), the lines' Fulfilled grow, the shipment is stored, and the order
// becomes partially_fulfilled or fulfilled.
func (s *Service) Ship(ctx context.Context, tx store.DBTX, sh canonical.Shipment, actor string) (Change, error) {
	if sh.LocationID == "" || len(sh.Lines) == 0 {
		return Change{}, &InvalidError{Field: "shipment", Message: "needs a location and at least one line"}
	}
	row, err := s.load(ctx, tx, sh.OrderID, 0)
	if err != nil {
		return Change{}, err
	}
	st := row.Order.Status
	if st != canonical.OrderAllocated && st != canonical.OrderPartiallyFulfilled {
		return Change{}, &TransitionError{OrderID: sh.OrderID, From: st, To: canonical.OrderPartiallyFulfilled, Action: "ship"}
	}
	ch := Change{Before: cloneOrder(row.Order)}
	resv, err := s.inv.OrderReservations(ctx, tx, sh.OrderID)
	if err != nil {
		return Change{}, err
	}
	if sh.ID == "" {
		sh.ID = store.NewID()
	}
	source := "shipment:" + sh.ID
	for _, lq := range sh.Lines {
		idx := -1
		for i, l := range row.Order.Lines {
			if l.ID == lq.LineID {
				idx = i
			}
		}
		if idx < 0 {
			return Change{}, &store.NotFoundError{Entity: "order line", ID: sh.OrderID + "/" + lq.LineID}
		}
		line := &row.Order.Lines[idx]
		if lq.Quantity <= 0 || lq.Quantity > line.Open() {
			return Change{}, &InvalidError{Field: "lines", Message: fmt.Sprintf("line %s has %d open units, cannot ship %d", lq.LineID, line.Open(), lq.Quantity)}
		}
		left := lq.Quantity
		for i := range resv {
			r := &resv[i]
			if left == 0 || r.LineID != lq.LineID || r.Status != inventory.StatusActive || r.Quantity == 0 {
				continue
			}
			take := min(left, r.Quantity)
			cmds, err := s.inv.Consume(ctx, tx, r.ID, take, sh.LocationID, source)
			if err != nil {
				return Change{}, err
			}
			ch.Commands = append(ch.Commands, cmds...)
			r.Quantity -= take
			left -= take
		}
		if left > 0 {
			cmds, err := s.inv.Record(ctx, tx, canonical.InventoryMovement{SKU: line.SKU, LocationID: sh.LocationID, Delta: -left,
				Reason: canonical.MoveSale, Source: source, Reference: sh.OrderID})
			if err != nil {
				return Change{}, err
			}
			ch.Commands = append(ch.Commands, cmds...)
		}
		line.Fulfilled += lq.Quantity
	}
	if _, err := (store.Shipments{Dialect: s.d}).Put(ctx, tx, sh); err != nil {
		return Change{}, err
	}
	if err := s.orders.Update(ctx, tx, &row); err != nil {
		return Change{}, err
	}
	if err := s.history(ctx, tx, row, actor, "shipment", "", "", map[string]any{"shipment_id": sh.ID, "location_id": sh.LocationID, "lines": sh.Lines}); err != nil {
		return Change{}, err
	}
	to := canonical.OrderFulfilled
	for _, l := range row.Order.Lines {
		if l.Open() > 0 {
			to = canonical.OrderPartiallyFulfilled
		}
	}
	if err := s.setStatus(ctx, tx, &row, to, actor, nil); err != nil {
		return Change{}, err
	}
	ch.After, ch.Version, ch.Commands = row.Order, row.Version, inventory.Coalesce(ch.Commands)
	return ch, nil
}
