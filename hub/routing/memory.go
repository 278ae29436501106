package routing

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/inventory"
	"github.com/crossdockhq/crossdock/hub/store"
)

// World is an in-memory implementation of every state interface the router
// uses (Locations, Stock, Velocity, Capacity, Reserver, Decisions), for tests,
// benchmarks and `crossdock test` fixtures. One mutex guards it, so a Reserve
// checks and takes stock atomically: two orders racing for the last unit get
// one reservation and one ErrInsufficientStock. Its methods ignore q.
type World struct {
	mu        sync.Mutex
	locs      []canonical.Location
	levels    map[string]map[string]canonical.InventoryLevel // loc -> sku
	sales     map[string]map[string]float64                  // loc -> sku -> units/day
	held      map[string][]Reservation                       // order -> reservations
	decisions map[string][]Decision
	orders    map[string]canonical.Order
	allocs    map[string][]canonical.Allocation
	capacity  map[string]map[string]int // day -> loc -> orders
}

// NewWorld returns an empty world.
func NewWorld() *World {
	return &World{levels: map[string]map[string]canonical.InventoryLevel{}, sales: map[string]map[string]float64{},
		held: map[string][]Reservation{}, decisions: map[string][]Decision{}, orders: map[string]canonical.Order{},
		allocs: map[string][]canonical.Allocation{}, capacity: map[string]map[string]int{}}
}

var (
	_ Locations = (*World)(nil)
	_ Stock     = (*World)(nil)
	_ Velocity  = (*World)(nil)
	_ Capacity  = (*World)(nil)
	_ Reserver  = (*World)(nil)
	_ Decisions = (*World)(nil)
	_ Explainer = (*World)(nil)
)

// AddLocation adds or replaces a location.
func (w *World) AddLocation(l canonical.Location) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range w.locs {
		if w.locs[i].ID == l.ID {
			w.locs[i] = l
			return
		}
	}
	w.locs = append(w.locs, l)
}

// SetStock sets the on-hand units of a SKU at a location (reserved units kept).
func (w *World) SetStock(loc, sku string, onHand int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.levels[loc]
	if m == nil {
		m = map[string]canonical.InventoryLevel{}
		w.levels[loc] = m
	}
	l := m[sku]
	l.SKU, l.LocationID, l.OnHand = sku, loc, onHand
	m[sku] = l
}

// SetSales sets the average daily sales of a SKU at a location.
func (w *World) SetSales(loc, sku string, perDay float64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.sales[loc]
	if m == nil {
		m = map[string]float64{}
		w.sales[loc] = m
	}
	m[sku] = perDay
}

// SetAllocatedToday sets the orders a location has taken on now's UTC day.
func (w *World) SetAllocatedToday(loc string, now time.Time, n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	day := now.UTC().Format(time.DateOnly)
	if w.capacity[day] == nil {
		w.capacity[day] = map[string]int{}
	}
	w.capacity[day][loc] = n
}

// Level returns a SKU's level at a location.
func (w *World) Level(loc, sku string) canonical.InventoryLevel {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.levels[loc][sku]
}

// All implements Locations.
func (w *World) All(ctx context.Context, q store.DBTX) ([]canonical.Location, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.locs), nil
}

// Levels implements Stock.
func (w *World) Levels(ctx context.Context, q store.DBTX, skus, locationIDs []string) (map[string]map[string]canonical.InventoryLevel, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]map[string]canonical.InventoryLevel{}
	pick := func(loc string) {
		m := w.levels[loc]
		if m == nil {
			return
		}
		for _, s := range skus {
			if l, ok := m[s]; ok {
				if out[loc] == nil {
					out[loc] = map[string]canonical.InventoryLevel{}
				}
				out[loc][s] = l
			}
		}
	}
	if locationIDs == nil {
		for loc := range w.levels {
			pick(loc)
		}
	}
	for _, loc := range locationIDs {
		pick(loc)
	}
	return out, nil
}

// DailySales implements Velocity.
func (w *World) DailySales(ctx context.Context, q store.DBTX, skus, locationIDs []string, windowDays int) (map[string]map[string]float64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]map[string]float64{}
	for _, loc := range locationIDs {
		for _, s := range skus {
			if v, ok := w.sales[loc][s]; ok {
				if out[loc] == nil {
					out[loc] = map[string]float64{}
				}
				out[loc][s] = v
			}
		}
	}
	return out, nil
}

// AllocatedToday implements Capacity.
func (w *World) AllocatedToday(ctx context.Context, q store.DBTX, locationIDs []string, now time.Time) (map[string]int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	day := w.capacity[now.UTC().Format(time.DateOnly)]
	out := map[string]int{}
	for _, id := range locationIDs {
		out[id] = day[id]
	}
	return out, nil
}

// Reserve implements Reserver: all items or none, atomically.
func (w *World) Reserve(ctx context.Context, q store.DBTX, orderID string, items []Reservation) ([]inventory.Command, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	need := map[[2]string]int64{}
	for _, it := range items {
		need[[2]string{it.LocationID, it.SKU}] += it.Quantity
	}
	for k, n := range need {
		if a := w.levels[k[0]][k[1]].Available(); a < n {
			return nil, fmt.Errorf("reserve %s at %s: need %d, available %d: %w", k[1], k[0], n, a, ErrInsufficientStock)
		}
	}
	for k, n := range need {
		l := w.levels[k[0]][k[1]]
		l.Reserved += n
		w.levels[k[0]][k[1]] = l
	}
	w.held[orderID] = append(w.held[orderID], items...)
	return nil, nil
}

// Release implements Reserver.
func (w *World) Release(ctx context.Context, q store.DBTX, orderID, locationID string) ([]inventory.Command, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var keep []Reservation
	for _, it := range w.held[orderID] {
		if it.LocationID != locationID {
			keep = append(keep, it)
			continue
		}
		l := w.levels[it.LocationID][it.SKU]
		l.Reserved -= it.Quantity
		w.levels[it.LocationID][it.SKU] = l
	}
	w.held[orderID] = keep
	return nil, nil
}

// Save implements Decisions; each allocation counts against its location's
// capacity for the decision's day.
func (w *World) Save(ctx context.Context, q store.DBTX, d *Decision, order *canonical.Order, allocs []canonical.Allocation) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.decisions[d.OrderID] = append(w.decisions[d.OrderID], *d)
	w.orders[d.OrderID] = *order
	day := d.DecidedAt.UTC().Format(time.DateOnly)
	for _, a := range allocs {
		w.allocs[a.OrderID] = append(w.allocs[a.OrderID], a)
		if w.capacity[day] == nil {
			w.capacity[day] = map[string]int{}
		}
		w.capacity[day][a.LocationID]++
	}
	return nil
}

// Latest implements Decisions.
func (w *World) Latest(ctx context.Context, q store.DBTX, orderID string) (*Decision, *canonical.Order, []canonical.Allocation, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	ds := w.decisions[orderID]
	if len(ds) == 0 {
		return nil, nil, nil, ErrNoDecision
	}
	d := ds[len(ds)-1]
	o := w.orders[orderID]
	var open []canonical.Allocation
	for _, a := range w.allocs[orderID] {
		if a.Status != AllocRejected && a.Status != AllocCancelled {
			open = append(open, a)
		}
	}
	return &d, &o, open, nil
}

// List implements Decisions.
func (w *World) List(ctx context.Context, q store.DBTX, orderID string) ([]Decision, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.decisions[orderID]), nil
}

// Explain implements Explainer.
func (w *World) Explain(ctx context.Context, q store.DBTX, orderID string) ([]Decision, error) {
	return w.List(ctx, q, orderID)
}

// SetAllocationStatus implements Decisions; a rejected or cancelled
// allocation gives its capacity back.
func (w *World) SetAllocationStatus(ctx context.Context, q store.DBTX, orderID, locationID, status string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	found := false
	for i := range w.allocs[orderID] {
		a := &w.allocs[orderID][i]
		if a.LocationID != locationID || a.Status == AllocRejected || a.Status == AllocCancelled {
			continue
		}
		found = true
		a.Status = status
		if status == AllocRejected || status == AllocCancelled {
			day := a.CreatedAt.UTC().Format(time.DateOnly)
			if w.capacity[day] != nil && w.capacity[day][locationID] > 0 {
				w.capacity[day][locationID]--
			}
		}
	}
	if !found {
		return fmt.Errorf("order %s has no open allocation at %s", orderID, locationID)
	}
	return nil
}
