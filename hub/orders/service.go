package orders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/inventory"
	"github.com/crossdockhq/crossdock/hub/store"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// Outcomes of Accept.
const (
	// Created: a new order was stored.
	Created = "created"
	// Updated: a newer version replaced the stored one.
	Updated = "updated"
	// Unchanged: the same or an older version arrived again; nothing changed.
	Unchanged = "unchanged"
)

// Result is what Accept did.
type Result struct {
	// Order is the order as stored now.
	Order canonical.Order `json:"order"`
	// Version is the order row's version now.
	Version int64 `json:"version"`
	// Outcome is Created, Updated or Unchanged.
	Outcome string `json:"outcome"`
	// Reservations are the reservations made by this call.
	Reservations []inventory.Reservation `json:"reservations,omitempty"`
	// Shortages are the lines that could not be reserved; with any, the order
	// holds no reservation and stays pending (backordered).
	Shortages []Shortage `json:"shortages,omitempty"`
	// Commands are for the caller to publish in the same transaction.
	Commands []inventory.Command `json:"-"`
}

// Shortage is an order line that could not be reserved.
type Shortage struct {
	LineID string `json:"line_id"`
	inventory.InsufficientStockError
}

// Service is the order service.
type Service struct {
	d         store.Dialect
	inv       *inventory.Service
	orders    store.Orders
	customers store.Customers
	now       func() time.Time
}

// New returns an order service that reserves through inv.
func New(d store.Dialect, inv *inventory.Service) *Service {
	return &Service{d: d, inv: inv, orders: store.Orders{Dialect: d}, customers: store.Customers{Dialect: d}, now: time.Now}
}

// Repo returns the orders repository the service uses.
func (s *Service) Repo() store.Orders { return s.orders }

// Accept stores an order from a channel and reserves its units, in tx. The
// order's version is its UpdatedAt (Unix milliseconds); see AcceptVersion.
func (s *Service) Accept(ctx context.Context, tx store.DBTX, o canonical.Order) (Result, error) {
	return s.AcceptVersion(ctx, tx, o, o.UpdatedAt.UnixMilli(), o.Channel)
}

// AcceptRecord accepts the order a bus record carries, with its Version.
func (s *Service) AcceptRecord(ctx context.Context, tx store.DBTX, rec canonical.Record) (Result, error) {
	if rec.Kind != canonical.KindOrder {
		return Result{}, &InvalidError{Field: "kind", Message: fmt.Sprintf("record kind %q is not an order", rec.Kind)}
	}
	var o canonical.Order
	if err := json.Unmarshal(rec.Payload, &o); err != nil {
		return Result{}, &InvalidError{Field: "payload", Message: "not an order: " + err.Error()}
	}
	if o.Channel == "" {
		o.Channel = rec.Source
	}
	if o.ExternalID == "" {
		o.ExternalID = rec.ExternalID
	}
	return s.AcceptVersion(ctx, tx, o, rec.Version, rec.Source)
}

func validate(o canonical.Order) error {
	switch {
	case strings.TrimSpace(o.Channel) == "":
		return &InvalidError{Field: "channel", Message: "is required"}
	case strings.TrimSpace(o.ExternalID) == "":
		return &InvalidError{Field: "external_id", Message: "is required"}
	case o.PlacedAt.IsZero():
		return &InvalidError{Field: "placed_at", Message: "is required"}
	}
	if o.Status != "" {
		if _, ok := Transitions[o.Status]; !ok {
			return &InvalidError{Field: "status", Message: fmt.Sprintf("%q is not an order status", o.Status)}
		}
	}
	for i, l := range o.Lines {
		if l.Quantity <= 0 {
			return &InvalidError{Field: fmt.Sprintf("lines[%d].quantity", i), Message: "must be positive"}
		}
		if l.SKU == "" && !l.GiftCard {
			return &InvalidError{Field: fmt.Sprintf("lines[%d].sku", i), Message: "is required"}
		}
	}
	return nil
}

// AcceptVersion stores version of an order from a channel (actor names the
// source, for the history). A new order is stored pending, its open lines are
// reserved (at the pickup store or the POS's store when it has one, else
// network-wide until routing), and it becomes confirmed; if a line cannot be
// reserved, none is, and the order stays pending with Result.Shortages. A
// known order is replaced only by a larger version; a channel cancellation
// cancels it and releases its reservations.
func (s *Service) AcceptVersion(ctx context.Context, tx store.DBTX, o canonical.Order, version int64, actor string) (Result, error) {
	return s.accept(ctx, tx, o, version, actor, true)
}

// Store is AcceptVersion without reserving: a new order is stored pending and
// waits for ReserveOrder (the pipelines' separate `store` and `reserve` steps).
func (s *Service) Store(ctx context.Context, tx store.DBTX, o canonical.Order, version int64, actor string) (Result, error) {
	return s.accept(ctx, tx, o, version, actor, false)
}

// ReserveOrder reserves the open lines of a pending order and confirms it, or
// records the shortages and leaves it pending. An order in any other status is
// left as it is (Outcome Unchanged).
func (s *Service) ReserveOrder(ctx context.Context, tx store.DBTX, id, actor string) (Result, error) {
	row, err := s.orders.Get(ctx, tx, id)
	if err != nil {
		return Result{}, err
	}
	res := Result{Outcome: Unchanged}
	if row.Order.Status == canonical.OrderPending {
		res.Outcome = Updated
		if err := s.reserveAll(ctx, tx, &row, actor, &res); err != nil {
			return Result{}, err
		}
	}
	res.Order, res.Version = row.Order, row.Version
	return res, nil
}

func (s *Service) accept(ctx context.Context, tx store.DBTX, o canonical.Order, version int64, actor string, reserve bool) (Result, error) {
	if err := validate(o); err != nil {
		return Result{}, err
	}
	for i := range o.Lines {
		if o.Lines[i].ID == "" {
			o.Lines[i].ID = fmt.Sprintf("%d", i+1)
		}
	}
	cur, err := s.orders.GetByExternal(ctx, tx, o.Channel, o.ExternalID)
	if errors.Is(err, store.ErrNotFound) {
		return s.create(ctx, tx, o, version, actor, reserve)
	}
	if err != nil {
		return Result{}, err
	}
	if version <= cur.SourceVersion {
		return Result{Order: cur.Order, Version: cur.Version, Outcome: Unchanged}, nil
	}
	return s.update(ctx, tx, cur, o, version, actor, reserve)
}

func (s *Service) create(ctx context.Context, tx store.DBTX, o canonical.Order, version int64, actor string, reserve bool) (Result, error) {
	if o.ID == "" {
		o.ID = store.NewID()
	}
	incoming := o.Status
	o.Status = canonical.OrderPending
	switch incoming {
	case canonical.OrderCancelled, canonical.OrderFulfilled, canonical.OrderReturned, canonical.OrderPartiallyFulfilled:
		o.Status = incoming // history arriving late: stored as the channel says, nothing to reserve
	}
	row := store.OrderRow{Order: o, SourceVersion: version}
	if err := s.linkCustomer(ctx, tx, &row); err != nil {
		return Result{}, err
	}
	res := Result{Outcome: Created}
	created, err := s.entry(row.Order.ID, 1, actor, "created", "", string(row.Order.Status), map[string]any{"source_version": version})
	if err != nil {
		return Result{}, err
	}
	if !reserve || row.Order.Status != canonical.OrderPending {
		if err := s.orders.InsertAs(ctx, tx, &row, 1, created); err != nil {
			return Result{}, err
		}
		res.Order, res.Version = row.Order, row.Version
		return res, nil
	}
	// Reserve first, then write the order once in its resulting status with
	// the history of both steps: the same rows as storing it pending and then
	// confirming it (or recording the backorder), in fewer statements.
	made, cmds, err := s.reserveLines(ctx, tx, row.Order, &res)
	if err != nil {
		return Result{}, err
	}
	if len(res.Shortages) > 0 {
		_, c, err := s.inv.ReleaseOrder(ctx, tx, row.Order.ID, "")
		if err != nil {
			return Result{}, err
		}
		res.Commands = inventory.Coalesce(append(cmds, c...))
		back, err := s.entry(row.Order.ID, 1, actor, "backordered", "", "", map[string]any{"shortages": res.Shortages})
		if err != nil {
			return Result{}, err
		}
		if err := s.orders.InsertAs(ctx, tx, &row, 1, created, back); err != nil {
			return Result{}, err
		}
	} else {
		res.Reservations = made
		res.Commands = inventory.Coalesce(cmds)
		row.Order.Status = canonical.OrderConfirmed
		st, err := s.entry(row.Order.ID, 2, actor, "status", string(canonical.OrderPending), string(canonical.OrderConfirmed), map[string]any{"reserved": len(made)})
		if err != nil {
			return Result{}, err
		}
		if err := s.orders.InsertAs(ctx, tx, &row, 2, created, st); err != nil {
			return Result{}, err
		}
	}
	res.Order, res.Version = row.Order, row.Version
	return res, nil
}

func (s *Service) linkCustomer(ctx context.Context, tx store.DBTX, row *store.OrderRow) error {
	c := row.Order.Customer
	if c == nil || strings.TrimSpace(c.Email) == "" {
		return nil
	}
	if c.DefaultAddress == nil && row.Order.ShippingAddress != nil {
		addr := *row.Order.ShippingAddress
		c2 := *c
		c2.DefaultAddress = &addr
		c = &c2
	}
	stored, err := s.customers.Upsert(ctx, tx, *c)
	if err != nil {
		return err
	}
	row.CustomerID = stored.ID
	row.Order.Customer.ID = stored.ID
	row.Order.Customer.Email = stored.Email
	return nil
}

// reserveLocation is where a new order's units are held before routing.
func reserveLocation(o canonical.Order) string {
	if (o.Fulfilment.Method == canonical.FulfilPickup) && o.Fulfilment.PickupLocationID != "" {
		return o.Fulfilment.PickupLocationID
	}
	return o.SourceLocationID
}

// reserveAll reserves every open stock line of a pending order and confirms
// it; on any shortage it releases what it reserved and leaves it pending.
func (s *Service) reserveAll(ctx context.Context, tx store.DBTX, row *store.OrderRow, actor string, res *Result) error {
	made, cmds, err := s.reserveLines(ctx, tx, row.Order, res)
	if err != nil {
		return err
	}
	if len(res.Shortages) > 0 {
		_, c, err := s.inv.ReleaseOrder(ctx, tx, row.Order.ID, "")
		if err != nil {
			return err
		}
		// The figures went down and back up within this transaction.
		res.Commands = inventory.Coalesce(append(append(res.Commands, cmds...), c...))
		return s.history(ctx, tx, *row, actor, "backordered", "", "", map[string]any{"shortages": res.Shortages})
	}
	res.Reservations = append(res.Reservations, made...)
	res.Commands = inventory.Coalesce(append(res.Commands, cmds...))
	return s.setStatus(ctx, tx, row, canonical.OrderConfirmed, actor, map[string]any{"reserved": len(made)})
}

// reserveLines reserves every open stock line of an order, adding the lines
// it could not reserve to res.Shortages; it returns what it reserved.
func (s *Service) reserveLines(ctx context.Context, tx store.DBTX, o canonical.Order, res *Result) ([]inventory.Reservation, []inventory.Command, error) {
	loc := reserveLocation(o)
	var skus []string
	for _, l := range o.Lines {
		if !l.GiftCard && l.Open() > 0 {
			skus = append(skus, l.SKU)
		}
	}
	if err := s.inv.LockSKUs(ctx, tx, skus); err != nil {
		return nil, nil, err
	}
	var made []inventory.Reservation
	var cmds []inventory.Command
	for _, l := range o.Lines {
		if l.GiftCard || l.Open() == 0 {
			continue
		}
		r, c, err := s.inv.Reserve(ctx, tx, inventory.ReserveRequest{OrderID: o.ID, LineID: l.ID, SKU: l.SKU, LocationID: loc, Quantity: l.Open()})
		var short *inventory.InsufficientStockError
		if errors.As(err, &short) {
			res.Shortages = append(res.Shortages, Shortage{LineID: l.ID, InsufficientStockError: *short})
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		made = append(made, r)
		cmds = append(cmds, c...)
	}
	return made, cmds, nil
}

func (s *Service) update(ctx context.Context, tx store.DBTX, cur store.OrderRow, o canonical.Order, version int64, actor string, reserve bool) (Result, error) {
	res := Result{Outcome: Updated}
	prev := cur.Order
	next := o
	next.ID = prev.ID
	next.Status = prev.Status
	next.Refs = prev.Refs
	for _, r := range o.Refs {
		next.Refs = next.Refs.Set(r.Connector, r.ID)
	}
	// Hub-side facts win over the channel's copy: units fulfilled or cancelled
	// here, and an address customer service changed.
	for i := range next.Lines {
		for _, pl := range prev.Lines {
			if pl.ID == next.Lines[i].ID {
				next.Lines[i].Fulfilled = max(next.Lines[i].Fulfilled, pl.Fulfilled)
				next.Lines[i].Cancelled = max(next.Lines[i].Cancelled, pl.Cancelled)
			}
		}
	}
	if changed, err := s.addressChangedHere(ctx, tx, prev.ID); err != nil {
		return Result{}, err
	} else if changed {
		next.ShippingAddress = prev.ShippingAddress
	}
	cur.Order = next
	cur.SourceVersion = version
	if err := s.linkCustomer(ctx, tx, &cur); err != nil {
		return Result{}, err
	}
	if err := s.orders.Update(ctx, tx, &cur); err != nil {
		return Result{}, err
	}
	if err := s.history(ctx, tx, cur, actor, "updated", "", "", map[string]any{"source_version": version}); err != nil {
		return Result{}, err
	}
	switch {
	case o.Status == canonical.OrderCancelled && prev.Status != canonical.OrderCancelled:
		// The channel cancelled it: give the units back; no command to the channel.
		if !CanTransition(prev.Status, canonical.OrderCancelled) {
			return Result{}, &TransitionError{OrderID: prev.ID, From: prev.Status, To: canonical.OrderCancelled}
		}
		_, cmds, err := s.inv.ReleaseOrder(ctx, tx, prev.ID, "")
		if err != nil {
			return Result{}, err
		}
		res.Commands = append(res.Commands, cmds...)
		if err := s.setStatus(ctx, tx, &cur, canonical.OrderCancelled, actor, map[string]any{"reason": o.CancelReason}); err != nil {
			return Result{}, err
		}
	case (prev.Status == canonical.OrderConfirmed || reserve && prev.Status == canonical.OrderPending) && linesChanged(prev.Lines, next.Lines):
		// Lines changed before routing: reserve afresh.
		if _, cmds, err := s.inv.ReleaseOrder(ctx, tx, prev.ID, ""); err != nil {
			return Result{}, err
		} else {
			res.Commands = append(res.Commands, cmds...)
		}
		if prev.Status == canonical.OrderConfirmed {
			// Back to pending, then reserveAll confirms again if it can.
			cur.Order.Status = canonical.OrderPending
			if err := s.orders.Update(ctx, tx, &cur); err != nil {
				return Result{}, err
			}
		}
		if err := s.reserveAll(ctx, tx, &cur, actor, &res); err != nil {
			return Result{}, err
		}
	}
	res.Order, res.Version = cur.Order, cur.Version
	return res, nil
}

func (s *Service) addressChangedHere(ctx context.Context, tx store.DBTX, id string) (bool, error) {
	var n int
	if err := tx.QueryRowContext(ctx, s.d.Rebind(`SELECT COUNT(*) FROM order_history WHERE order_id = ? AND action = 'change_address'`), id).Scan(&n); err != nil {
		return false, fmt.Errorf("order %s history: %w", id, err)
	}
	return n > 0, nil
}

func linesChanged(a, b []canonical.OrderLine) bool {
	if len(a) != len(b) {
		return true
	}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].SKU != b[i].SKU || a[i].Open() != b[i].Open() {
			return true
		}
	}
	return false
}

// setStatus moves the order along the lifecycle and records it.
func (s *Service) setStatus(ctx context.Context, tx store.DBTX, row *store.OrderRow, to canonical.OrderStatus, actor string, detail map[string]any) error {
	from := row.Order.Status
	if from == to {
		return nil
	}
	if !CanTransition(from, to) {
		return &TransitionError{OrderID: row.Order.ID, From: from, To: to}
	}
	row.Order.Status = to
	if to == canonical.OrderCancelled && row.Order.CancelledAt == nil {
		t := s.now().UTC()
		row.Order.CancelledAt = &t
	}
	if err := s.orders.Update(ctx, tx, row); err != nil {
		return err
	}
	return s.history(ctx, tx, *row, actor, "status", string(from), string(to), detail)
}

func (s *Service) history(ctx context.Context, tx store.DBTX, row store.OrderRow, actor, action, from, to string, detail any) error {
	e, err := s.entry(row.Order.ID, row.Version, actor, action, from, to, detail)
	if err != nil {
		return err
	}
	return s.orders.AppendHistory(ctx, tx, e)
}

// entry is a history entry made now.
func (s *Service) entry(orderID string, seq int64, actor, action, from, to string, detail any) (store.HistoryEntry, error) {
	var raw json.RawMessage
	if detail != nil {
		b, err := json.Marshal(detail)
		if err != nil {
			return store.HistoryEntry{}, fmt.Errorf("order %s history: %w", orderID, err)
		}
		raw = b
	}
	return store.HistoryEntry{ID: store.NewID(), OrderID: orderID, Seq: seq, At: s.now(), Actor: actor,
		Action: action, FromStatus: from, ToStatus: to, Detail: raw}, nil
}

// Get returns one order.
func (s *Service) Get(ctx context.Context, db store.DBTX, id string) (store.OrderRow, error) {
	return s.orders.Get(ctx, db, id)
}

// Transition moves an order to another status, refusing illegal moves with a
// *TransitionError. Moving to cancelled releases the order's reservations
// (use Cancel to also tell the channel). expectedVersion 0 skips the version check.
func (s *Service) Transition(ctx context.Context, tx store.DBTX, id string, to canonical.OrderStatus, expectedVersion int64, actor string) (Change, error) {
	row, err := s.load(ctx, tx, id, expectedVersion)
	if err != nil {
		return Change{}, err
	}
	ch := Change{Before: row.Order}
	if to == canonical.OrderCancelled && CanTransition(row.Order.Status, to) {
		_, cmds, err := s.inv.ReleaseOrder(ctx, tx, id, "")
		if err != nil {
			return Change{}, err
		}
		ch.Commands = cmds
	}
	if err := s.setStatus(ctx, tx, &row, to, actor, nil); err != nil {
		return Change{}, err
	}
	ch.After, ch.Version = row.Order, row.Version
	return ch, nil
}

func (s *Service) load(ctx context.Context, tx store.DBTX, id string, expectedVersion int64) (store.OrderRow, error) {
	row, err := s.orders.Get(ctx, tx, id)
	if err != nil {
		return row, err
	}
	if expectedVersion != 0 && expectedVersion != row.Version {
		return row, &store.ConflictError{Entity: "order", ID: id, Expected: expectedVersion}
	}
	return row, nil
}

// Change is the result of a customer-service change: the order before and
// after, and the commands to publish in the same transaction.
type Change struct {
	Before   canonical.Order     `json:"before"`
	After    canonical.Order     `json:"after"`
	Version  int64               `json:"version"`
	Commands []inventory.Command `json:"-"`
}

// ChangeShippingAddress replaces the shipping address of an order not yet
// being fulfilled.
func (s *Service) ChangeShippingAddress(ctx context.Context, tx store.DBTX, id string, addr canonical.Address, expectedVersion int64, actor string) (Change, error) {
	if strings.TrimSpace(addr.Line1) == "" {
		return Change{}, &InvalidError{Field: "line1", Message: "is required"}
	}
	if len(strings.TrimSpace(addr.Country)) != 2 {
		return Change{}, &InvalidError{Field: "country", Message: "must be an ISO 3166-1 alpha-2 code"}
	}
	addr.Country = strings.ToUpper(addr.Country)
	row, err := s.load(ctx, tx, id, expectedVersion)
	if err != nil {
		return Change{}, err
	}
	if !Editable(row.Order.Status) {
		return Change{}, &TransitionError{OrderID: id, From: row.Order.Status, Action: "change_address"}
	}
	ch := Change{Before: row.Order}
	row.Order.ShippingAddress = &addr
	if err := s.orders.Update(ctx, tx, &row); err != nil {
		return Change{}, err
	}
	if err := s.history(ctx, tx, row, actor, "change_address", "", "", map[string]any{"before": ch.Before.ShippingAddress, "after": addr}); err != nil {
		return Change{}, err
	}
	ch.After, ch.Version = row.Order, row.Version
	return ch, nil
}

// CancelLine cancels qty open units of a line (all of them when qty is 0),
// releasing their reservations; cancelling the last open units cancels the
// order. Refused once fulfilment has started.
func (s *Service) CancelLine(ctx context.Context, tx store.DBTX, id, lineID string, qty int64, reason string, expectedVersion int64, actor string) (Change, error) {
	row, err := s.load(ctx, tx, id, expectedVersion)
	if err != nil {
		return Change{}, err
	}
	if !Editable(row.Order.Status) {
		return Change{}, &TransitionError{OrderID: id, From: row.Order.Status, Action: "cancel_line"}
	}
	idx := -1
	for i, l := range row.Order.Lines {
		if l.ID == lineID {
			idx = i
		}
	}
	if idx < 0 {
		return Change{}, &store.NotFoundError{Entity: "order line", ID: id + "/" + lineID}
	}
	line := &row.Order.Lines[idx]
	open := line.Open()
	if open == 0 {
		return Change{}, &InvalidError{Field: "line_id", Message: "line " + lineID + " has no open units"}
	}
	if qty <= 0 {
		qty = open
	}
	if qty > open {
		return Change{}, &InvalidError{Field: "quantity", Message: fmt.Sprintf("line %s has %d open units, cannot cancel %d", lineID, open, qty)}
	}
	ch := Change{Before: cloneOrder(row.Order)}
	released, cmds, err := s.inv.ReleaseOrder(ctx, tx, id, lineID)
	if err != nil {
		return Change{}, err
	}
	ch.Commands = append(ch.Commands, cmds...)
	line.Cancelled += qty
	// Keep the rest of the line reserved where it was.
	if rest := line.Open(); rest > 0 && len(released) > 0 {
		_, c, err := s.inv.Reserve(ctx, tx, inventory.ReserveRequest{OrderID: id, LineID: lineID, SKU: line.SKU, LocationID: released[0].LocationID,
			Quantity: rest, ExpiresAt: released[0].ExpiresAt})
		if err != nil {
			return Change{}, err
		}
		ch.Commands = append(ch.Commands, c...)
	}
	if err := s.orders.Update(ctx, tx, &row); err != nil {
		return Change{}, err
	}
	if err := s.history(ctx, tx, row, actor, "cancel_line", "", "", map[string]any{"line_id": lineID, "quantity": qty, "reason": reason}); err != nil {
		return Change{}, err
	}
	allCancelled := true
	for _, l := range row.Order.Lines {
		if l.Open() > 0 {
			allCancelled = false
		}
	}
	if allCancelled {
		row.Order.CancelReason = reason
		if err := s.setStatus(ctx, tx, &row, canonical.OrderCancelled, actor, map[string]any{"reason": "every line cancelled"}); err != nil {
			return Change{}, err
		}
		ch.Commands = append(ch.Commands, cancelCommand(row.Order, reason, true, true))
	}
	ch.After, ch.Version = row.Order, row.Version
	return ch, nil
}

// CancelRequest is a customer-service cancellation.
type CancelRequest struct {
	Reason  string
	Restock bool
	Refund  bool
}

// Cancel cancels a whole order before fulfilment: its open units are
// cancelled, its reservations released, and a CancelOrder command for its
// channel (topic "<channel>.out") is returned with the inventory commands.
func (s *Service) Cancel(ctx context.Context, tx store.DBTX, id string, req CancelRequest, expectedVersion int64, actor string) (Change, error) {
	row, err := s.load(ctx, tx, id, expectedVersion)
	if err != nil {
		return Change{}, err
	}
	if !Editable(row.Order.Status) {
		return Change{}, &TransitionError{OrderID: id, From: row.Order.Status, To: canonical.OrderCancelled}
	}
	ch := Change{Before: cloneOrder(row.Order)}
	_, cmds, err := s.inv.ReleaseOrder(ctx, tx, id, "")
	if err != nil {
		return Change{}, err
	}
	ch.Commands = append(ch.Commands, cmds...)
	for i := range row.Order.Lines {
		row.Order.Lines[i].Cancelled += row.Order.Lines[i].Open()
	}
	row.Order.CancelReason = req.Reason
	if err := s.setStatus(ctx, tx, &row, canonical.OrderCancelled, actor, map[string]any{"reason": req.Reason, "restock": req.Restock, "refund": req.Refund}); err != nil {
		return Change{}, err
	}
	ch.Commands = append(ch.Commands, cancelCommand(row.Order, req.Reason, req.Restock, req.Refund))
	ch.After, ch.Version = row.Order, row.Version
	return ch, nil
}

func cancelCommand(o canonical.Order, reason string, restock, refund bool) inventory.Command {
	if reason == "" {
		reason = "other"
	}
	payload, _ := json.Marshal(canonical.CancelOrder{OrderID: o.ID, ExternalID: o.ExternalID, Reason: reason, Restock: restock, Refund: refund})
	return inventory.Command{Topic: inventory.OutTopic(o.Channel), Command: sdk.Command{
		ID: store.NewID(), Action: canonical.ActionCancelOrder, IdempotencyKey: "cancel_order:" + o.ID, Payload: payload,
	}}
}

// Note is a customer-service note on an order.
type Note struct {
	ID     string    `json:"id"`
	Author string    `json:"author"`
	Body   string    `json:"body"`
	At     time.Time `json:"at"`
}

// AddNote adds a note to an order, in any status.
func (s *Service) AddNote(ctx context.Context, tx store.DBTX, id, body string, expectedVersion int64, actor string) (Note, Change, error) {
	body = strings.TrimSpace(body)
	if body == "" {
		return Note{}, Change{}, &InvalidError{Field: "body", Message: "is required"}
	}
	if len(body) > 4000 {
		return Note{}, Change{}, &InvalidError{Field: "body", Message: "is longer than 4000 characters"}
	}
	row, err := s.load(ctx, tx, id, expectedVersion)
	if err != nil {
		return Note{}, Change{}, err
	}
	ch := Change{Before: row.Order}
	// Bump the version so concurrent editors see the order changed.
	if err := s.orders.Update(ctx, tx, &row); err != nil {
		return Note{}, Change{}, err
	}
	n := Note{ID: store.NewID(), Author: actor, Body: body, At: s.now().UTC()}
	if err := s.history(ctx, tx, row, actor, "note", "", "", n); err != nil {
		return Note{}, Change{}, err
	}
	ch.After, ch.Version = row.Order, row.Version
	return n, ch, nil
}

// Notes returns an order's notes from its history, oldest first.
func Notes(history []store.HistoryEntry) []Note {
	out := []Note{}
	for _, h := range history {
		if h.Action != "note" {
			continue
		}
		var n Note
		if json.Unmarshal(h.Detail, &n) == nil {
			out = append(out, n)
		}
	}
	return out
}

func cloneOrder(o canonical.Order) canonical.Order {
	o.Lines = append([]canonical.OrderLine(nil), o.Lines...)
	return o
}
