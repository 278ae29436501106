package routing

import (
	"context"
	"errors"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/inventory"
	"github.com/crossdockhq/crossdock/hub/store"
)

// The state the router reads and writes, as small interfaces declared here so the
// decision core depends on nothing but them. Each method takes the caller's
// transaction (or DB) q, so stock is read and reserved in the same transaction
// as the message that caused the decision; in-memory implementations ignore q.

// Locations lists the places stock lives. It is called once per decision, so a
// SQL-backed implementation should cache (locations change rarely).
type Locations interface {
	// All returns every location, active or not.
	All(ctx context.Context, q store.DBTX) ([]canonical.Location, error)
}

// Stock gives inventory levels.
type Stock interface {
	// Levels returns the levels of skus at the given locations (every location
	// when locationIDs is nil), keyed by location id then SKU. A missing entry
	// means no stock.
	Levels(ctx context.Context, q store.DBTX, skus, locationIDs []string) (map[string]map[string]canonical.InventoryLevel, error)
}

// Velocity gives average daily sales.
type Velocity interface {
	// DailySales returns the average units sold a day over the last windowDays,
	// keyed by location id then SKU; a missing entry means no sales.
	DailySales(ctx context.Context, q store.DBTX, skus, locationIDs []string, windowDays int) (map[string]map[string]float64, error)
}

// Capacity gives the orders each location has already been given today.
type Capacity interface {
	// AllocatedToday returns, per location id, the orders allocated to it on
	// the UTC day of now (rejected and cancelled allocations not counted).
	AllocatedToday(ctx context.Context, q store.DBTX, locationIDs []string, now time.Time) (map[string]int, error)
}

// Reservation is units of one SKU held at one location for an order.
type Reservation struct {
	// LineID is the order line the units are for.
	LineID string `json:"line_id"`
	// LocationID is where the units are held.
	LocationID string `json:"location_id"`
	// SKU is the stock-keeping unit.
	SKU string `json:"sku"`
	// Quantity is the units held.
	Quantity int64 `json:"quantity"`
}

// ErrInsufficientStock is returned (wrapped) by a Reserver when a location no
// longer has the units: another order took them since the decision was made.
var ErrInsufficientStock = errors.New("insufficient stock")

// Reserver holds and releases stock for orders.
type Reserver interface {
	// Reserve holds every item for orderID, all or nothing, in q. It fails with
	// ErrInsufficientStock when an item's location no longer has the units. It
	// returns the commands the change causes (channel inventory updates), for
	// the caller to publish in the same transaction.
	Reserve(ctx context.Context, q store.DBTX, orderID string, items []Reservation) ([]inventory.Command, error)
	// Release frees what orderID holds at locationID.
	Release(ctx context.Context, q store.DBTX, orderID, locationID string) ([]inventory.Command, error)
}

// Decisions stores routing decisions with their order and the allocations
// they made, so a decision can be explained and an order rerouted.
type Decisions interface {
	// Save stores a decision and the allocations it made.
	Save(ctx context.Context, q store.DBTX, d *Decision, order *canonical.Order, allocs []canonical.Allocation) error
	// Latest returns the newest decision for an order, the order as routed and
	// the allocations still open; ErrNoDecision when there is none.
	Latest(ctx context.Context, q store.DBTX, orderID string) (*Decision, *canonical.Order, []canonical.Allocation, error)
	// List returns every decision for an order, oldest first.
	List(ctx context.Context, q store.DBTX, orderID string) ([]Decision, error)
	// SetAllocationStatus changes the status of the order's allocation at a location.
	SetAllocationStatus(ctx context.Context, q store.DBTX, orderID, locationID, status string) error
}

// ErrNoDecision is returned when an order has never been routed.
var ErrNoDecision = errors.New("no routing decision for order")

// GeoLookup turns a country and postal code into a coordinate (geo.Lookup has
// this shape).
type GeoLookup func(country, postal string) (canonical.GeoPoint, error)
