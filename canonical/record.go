package canonical

import (
	"encoding/json"
	"time"
)

// Kind names the type of payload a Record carries.
type Kind string

// Record kinds.
const (
	KindOrder          Kind = "order"
	KindProduct        Kind = "product"
	KindInventoryLevel Kind = "inventory_level"
	KindInventoryCount Kind = "inventory_count"
	KindMovement       Kind = "inventory_movement"
	KindLocation       Kind = "location"
	KindCustomer       Kind = "customer"
	KindShipment       Kind = "shipment"
	KindReturn         Kind = "return"
	KindSubscription   Kind = "subscription"
	KindListing        Kind = "listing"
	KindAllocation     Kind = "allocation"
)

// Kinds lists every record kind, in a stable order.
var Kinds = []Kind{KindOrder, KindProduct, KindInventoryLevel, KindInventoryCount,
	KindMovement, KindLocation, KindCustomer, KindShipment, KindReturn,
	KindSubscription, KindListing, KindAllocation}

// Record is the envelope every entity travels in, on the bus and across the
// connector protocol.
type Record struct {
	// Kind names the payload's type.
	Kind Kind `json:"kind"`
	// ID is Crossdock's id for the entity, when known.
	ID string `json:"id,omitempty"`
	// Source is the connector instance the record came from.
	Source string `json:"source"`
	// ExternalID is the entity's id in the source system.
	ExternalID string `json:"external_id,omitempty"`
	// Version orders versions of the same entity: a newer record has a larger
	// version (usually the source's updated_at in Unix milliseconds).
	Version int64 `json:"version"`
	// IdempotencyKey identifies this delivery of this version: the same key twice
	// is the same record, whichever path (webhook or poll) brought it.
	IdempotencyKey string `json:"idempotency_key"`
	// At is when the record was produced.
	At time.Time `json:"at"`
	// Payload is the entity as canonical JSON.
	Payload json.RawMessage `json:"payload"`
}
