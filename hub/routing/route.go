package routing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/inventory"
	"github.com/crossdockhq/crossdock/hub/store"
)

// Allocation statuses.
const (
	AllocRequested = "requested"
	AllocAccepted  = "accepted"
	AllocRejected  = "rejected"
	AllocFulfilled = "fulfilled"
	AllocCancelled = "cancelled"
)

// Result is what routing an order produced.
type Result struct {
	// Decision is the decision made (or, for a replay, the one made before).
	Decision *Decision
	// Allocations are the allocations made, one per location, status requested.
	Allocations []canonical.Allocation
	// Requests are the fulfilment requests to send, one per location: records
	// of kind allocation whose payload is the Allocation, for the connector
	// action canonical.ActionFulfilmentRequest. Their idempotency key is
	// stable, "routing:<allocation id>".
	Requests []canonical.Record
	// Inventory are the commands the reservations caused (channel inventory
	// updates), to publish in the same transaction.
	Inventory []inventory.Command
	// Replayed is true when the order was already allocated and nothing new
	// was done (a redelivered or updated order).
	Replayed bool
}

// maxReserveRetries bounds re-deciding when stock is taken between decision
// and reservation (another hub replica won the race).
const maxReserveRetries = 3

// Route routes an order in flight: it decides, reserves the plan's stock in q
// (the caller's transaction), stores the decision and the allocations, and
// returns one fulfilment request per location. An order already allocated is
// not routed twice (Replayed); a held or backordered order is routed again,
// which is how held orders are retried.
func (r *Router) Route(ctx context.Context, q store.DBTX, o *canonical.Order) (*Result, error) {
	if err := r.needWriters(); err != nil {
		return nil, err
	}
	prev, _, open, err := r.cfg.Decisions.Latest(ctx, q, o.ID)
	switch {
	case errors.Is(err, ErrNoDecision):
		return r.route(ctx, q, o, o, 1, nil, "")
	case err != nil:
		return nil, fmt.Errorf("routing: order %s: previous decision: %w", o.ID, err)
	case prev.Outcome == OutcomeAllocated:
		return &Result{Decision: prev, Allocations: open, Replayed: true}, nil
	default:
		// Retry of a held or backordered order: only the lines that no open
		// allocation covers (after a reroute found no plan, the other
		// locations of a split still serve theirs).
		return r.route(ctx, q, o, uncovered(o, open), prev.Attempt+1, prev.ExcludedLocations, "")
	}
}

// uncovered returns a copy of the order whose lines are the units no open
// allocation serves.
func uncovered(o *canonical.Order, open []canonical.Allocation) *canonical.Order {
	if len(open) == 0 {
		return o
	}
	served := map[string]int64{}
	for _, a := range open {
		for _, l := range a.Lines {
			served[l.LineID] += l.Quantity
		}
	}
	sub := *o
	sub.Lines = nil
	for _, l := range o.Lines {
		if n := l.Open() - served[l.ID]; n > 0 {
			l.Quantity, l.Fulfilled, l.Cancelled = n, 0, 0
			sub.Lines = append(sub.Lines, l)
		}
	}
	return &sub
}

// Reroute handles a location's rejection of a fulfilment request: the
// location's reservations for the order are released, its allocation marked
// rejected, and the lines it was to serve routed again with that location
// excluded for this order (and every location that rejected it before).
func (r *Router) Reroute(ctx context.Context, q store.DBTX, orderID, rejectingLocation string) (*Result, error) {
	if err := r.needWriters(); err != nil {
		return nil, err
	}
	prev, o, open, err := r.cfg.Decisions.Latest(ctx, q, orderID)
	if err != nil {
		return nil, fmt.Errorf("routing: reroute order %s: %w", orderID, err)
	}
	var rejected []canonical.Allocation
	for _, a := range open {
		if a.LocationID == rejectingLocation {
			rejected = append(rejected, a)
		}
	}
	if len(rejected) == 0 {
		return nil, fmt.Errorf("routing: reroute order %s: no open allocation at location %s", orderID, rejectingLocation)
	}
	cmds, err := r.cfg.Reserver.Release(ctx, q, orderID, rejectingLocation)
	if err != nil {
		return nil, fmt.Errorf("routing: reroute order %s: release at %s: %w", orderID, rejectingLocation, err)
	}
	if err := r.cfg.Decisions.SetAllocationStatus(ctx, q, orderID, rejectingLocation, AllocRejected); err != nil {
		return nil, fmt.Errorf("routing: reroute order %s: %w", orderID, err)
	}
	// Route only the lines the rejecting location was to serve.
	qty := map[string]int64{}
	for _, a := range rejected {
		for _, l := range a.Lines {
			qty[l.LineID] += l.Quantity
		}
	}
	sub := *o
	sub.Lines = nil
	for _, l := range o.Lines {
		if n := qty[l.ID]; n > 0 {
			l.Quantity, l.Fulfilled, l.Cancelled = n, 0, 0
			sub.Lines = append(sub.Lines, l)
		}
	}
	excluded := slices.Clone(prev.ExcludedLocations)
	if !slices.Contains(excluded, rejectingLocation) {
		excluded = append(excluded, rejectingLocation)
	}
	res, err := r.route(ctx, q, o, &sub, prev.Attempt+1, excluded, rejectingLocation)
	if err != nil {
		return nil, err
	}
	res.Inventory = append(cmds, res.Inventory...)
	return res, nil
}

// Explain returns every routing decision of an order, oldest first (the
// `routing` field of GET /api/v1/orders/{id}).
func (r *Router) Explain(ctx context.Context, q store.DBTX, orderID string) ([]Decision, error) {
	if r.cfg.Decisions == nil {
		return nil, errors.New("routing: explain: no decision store configured")
	}
	return r.cfg.Decisions.List(ctx, q, orderID)
}

// Explainer returns an order's routing decisions, oldest first; both *Router
// and *SQLDecisions are one.
type Explainer interface {
	Explain(ctx context.Context, q store.DBTX, orderID string) ([]Decision, error)
}

var _ Explainer = (*Router)(nil)

func (r *Router) needWriters() error {
	if r.cfg.Reserver == nil || r.cfg.Decisions == nil {
		return errors.New("routing: Route needs a Reserver and a Decisions store")
	}
	return nil
}

// route decides for sub (the lines to route) and records the result against
// the full order.
func (r *Router) route(ctx context.Context, q store.DBTX, full, sub *canonical.Order, attempt int, excluded []string, rerouted string) (*Result, error) {
	var d *Decision
	var cmds []inventory.Command
	for try := 0; ; try++ {
		var err error
		d, err = r.Decide(ctx, q, sub, excluded)
		if err != nil {
			return nil, err
		}
		if d.Outcome != OutcomeAllocated {
			break
		}
		var items []Reservation
		for _, s := range d.Plan {
			for _, l := range s.Lines {
				items = append(items, Reservation{LineID: l.LineID, LocationID: s.LocationID, SKU: l.SKU, Quantity: l.Quantity})
			}
		}
		cmds, err = r.cfg.Reserver.Reserve(ctx, q, sub.ID, items)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrInsufficientStock) && !errors.Is(err, inventory.ErrInsufficientStock) {
			return nil, fmt.Errorf("routing: order %s: reserve: %w", sub.ID, err)
		}
		if try+1 == maxReserveRetries {
			d.Outcome, d.Plan, d.Queue = OutcomeHeld, nil, r.cfg.Rules.DefaultQueue
			d.EstimatedCost, d.Saving = nil, nil
			d.Reason = fmt.Sprintf("stock kept changing while reserving (%v); held in queue %q", err, d.Queue)
			break
		}
	}
	d.ID = store.NewID()
	d.Attempt = attempt
	d.Rerouted = rerouted
	res := &Result{Decision: d, Inventory: cmds}
	if d.Outcome == OutcomeAllocated {
		for _, s := range d.Plan {
			cost := s.EstimatedCost
			a := canonical.Allocation{ID: store.NewID(), OrderID: full.ID, LocationID: s.LocationID, Lines: s.Lines, Method: s.Method,
				Status: AllocRequested, Rule: d.Rule, DistanceKM: s.DistanceKM, EstimatedShipping: &cost, CreatedAt: d.DecidedAt}
			res.Allocations = append(res.Allocations, a)
			payload, err := json.Marshal(a)
			if err != nil {
				return nil, fmt.Errorf("routing: encode allocation: %w", err)
			}
			res.Requests = append(res.Requests, canonical.Record{Kind: canonical.KindAllocation, ID: a.ID, Source: "routing",
				Version: int64(attempt), IdempotencyKey: "routing:" + a.ID, At: d.DecidedAt, Payload: payload})
		}
	}
	if err := r.cfg.Decisions.Save(ctx, q, d, full, res.Allocations); err != nil {
		return nil, fmt.Errorf("routing: order %s: store decision: %w", full.ID, err)
	}
	return res, nil
}
