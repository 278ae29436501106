package canonical

import "time"

// LocationType is the kind of place stock lives in.
type LocationType string

// Location types.
const (
	LocationWarehouse LocationType = "warehouse"
	LocationStore     LocationType = "store"
	Location3PL       LocationType = "3pl"
	LocationFBA       LocationType = "fba"
	LocationDropship  LocationType = "dropship"
)

// Capability is something a location can do for an order.
type Capability string

// Location capabilities.
const (
	CapShip        Capability = "ship"
	CapPickup      Capability = "pickup"
	CapShipToStore Capability = "ship_to_store"
	CapReturns     Capability = "returns"
)

// Location is a place that holds stock and fulfils orders.
type Location struct {
	// ID is Crossdock's id for the location.
	ID string `json:"id"`
	// Name is the display name, e.g. "Store 3 - Pasadena".
	Name string `json:"name"`
	// Type is the kind of location.
	Type LocationType `json:"type"`
	// Address is the location's postal address.
	Address Address `json:"address"`
	// Geo is the location's coordinate; geocoded from the address when absent.
	Geo *GeoPoint `json:"geo,omitempty"`
	// Capabilities are what the location can do.
	Capabilities []Capability `json:"capabilities,omitempty"`
	// Groups are named groups the location belongs to (regions, fleets).
	Groups []string `json:"groups,omitempty"`
	// Tags are free-form labels used by routing rules.
	Tags []string `json:"tags,omitempty"`
	// Priority orders locations when other things are equal; lower comes first.
	Priority int `json:"priority,omitempty"`
	// DailyCapacity is the number of orders the location can fulfil a day; 0 means no limit.
	DailyCapacity int `json:"daily_capacity,omitempty"`
	// Active is false for a location that must not be routed to.
	Active bool `json:"active"`
	// Refs are the location's ids in each system.
	Refs Refs `json:"refs,omitempty"`
}

// Has reports whether the location has a capability.
func (l Location) Has(c Capability) bool {
	for _, x := range l.Capabilities {
		if x == c {
			return true
		}
	}
	return false
}

// InventoryLevel is the stock of one SKU at one location.
type InventoryLevel struct {
	// SKU is the stock-keeping unit.
	SKU string `json:"sku"`
	// LocationID is Crossdock's location id.
	LocationID string `json:"location_id"`
	// OnHand is the physical count.
	OnHand int64 `json:"on_hand"`
	// Reserved is the units promised to accepted orders and not yet shipped.
	Reserved int64 `json:"reserved"`
	// SafetyStock is the units held back from sale.
	SafetyStock int64 `json:"safety_stock"`
	// Incoming is the units on purchase orders or transfers not yet received.
	Incoming int64 `json:"incoming"`
	// UpdatedAt is when the level last changed.
	UpdatedAt time.Time `json:"updated_at,omitempty"`
}

// Available is the available-to-promise quantity: on hand less reserved less
// safety stock, never below zero.
func (l InventoryLevel) Available() int64 {
	a := l.OnHand - l.Reserved - l.SafetyStock
	if a < 0 {
		return 0
	}
	return a
}

// MovementReason says why stock changed.
type MovementReason string

// Movement reasons.
const (
	MoveReceipt    MovementReason = "receipt"
	MoveSale       MovementReason = "sale"
	MoveAdjustment MovementReason = "adjustment"
	MoveCount      MovementReason = "count"
	MoveTransfer   MovementReason = "transfer"
	MoveReturn     MovementReason = "return"
	MoveDamage     MovementReason = "damage"
)

// InventoryMovement is one entry of the inventory ledger: a change of on-hand stock.
type InventoryMovement struct {
	// SKU is the stock-keeping unit.
	SKU string `json:"sku"`
	// LocationID is Crossdock's location id.
	LocationID string `json:"location_id"`
	// Delta is the change in on-hand units; negative for stock leaving.
	Delta int64 `json:"delta"`
	// Reason says why stock changed.
	Reason MovementReason `json:"reason"`
	// Source names what caused it: a connector instance, an order id, a user.
	Source string `json:"source,omitempty"`
	// Reference is the document behind it (order number, transfer id, count id).
	Reference string `json:"reference,omitempty"`
	// At is when the change happened.
	At time.Time `json:"at"`
}

// InventoryCount is a physical count of one SKU at one location, as a POS or ERP
// reports it; the hub reconciles it against the ledger.
type InventoryCount struct {
	// SKU is the stock-keeping unit.
	SKU string `json:"sku"`
	// LocationID is Crossdock's location id.
	LocationID string `json:"location_id"`
	// OnHand is the counted quantity.
	OnHand int64 `json:"on_hand"`
	// At is when the count was taken.
	At time.Time `json:"at"`
}
