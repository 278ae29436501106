package canonical

// Action names what a command asks a connector to do in its external system.
type Action string

// The actions the hub sends to connectors. A connector declares in its spec which
// of them it supports; each carries the payload type named beside it.
const (
	// ActionSetInventory sets the quantity a channel shows: payload SetInventory.
	ActionSetInventory Action = "set_inventory"
	// ActionUpsertProduct creates or updates a product and its variants: payload Product.
	ActionUpsertProduct Action = "upsert_product"
	// ActionPublishProduct publishes or unpublishes a product: payload Publish.
	ActionPublishProduct Action = "publish_product"
	// ActionFulfilOrder marks order lines fulfilled with tracking: payload Shipment.
	ActionFulfilOrder Action = "fulfil_order"
	// ActionCancelOrder cancels an order on its channel: payload CancelOrder.
	ActionCancelOrder Action = "cancel_order"
	// ActionFulfilmentRequest asks a location to pick and pack: payload Allocation.
	ActionFulfilmentRequest Action = "fulfilment_request"
	// ActionWriteRecord writes a record as it is (exports, feeds): payload Record.
	ActionWriteRecord Action = "write_record"
)

// SetInventory is the payload of ActionSetInventory: the quantity a channel
// should show for a SKU at a location.
type SetInventory struct {
	// SKU is the stock-keeping unit.
	SKU string `json:"sku"`
	// LocationID is Crossdock's location id; the connector maps it to its own.
	LocationID string `json:"location_id"`
	// Available is the quantity to publish, after buffers; never negative.
	Available int64 `json:"available"`
	// Previous is the quantity the hub last published, for compare-and-set where
	// the platform supports it; nil when unknown.
	Previous *int64 `json:"previous,omitempty"`
}

// Publish is the payload of ActionPublishProduct.
type Publish struct {
	// ProductID is Crossdock's product id.
	ProductID string `json:"product_id"`
	// ExternalID is the product's id on the channel.
	ExternalID string `json:"external_id,omitempty"`
	// Published says whether the product should be visible.
	Published bool `json:"published"`
}

// CancelOrder is the payload of ActionCancelOrder.
type CancelOrder struct {
	// OrderID is Crossdock's order id.
	OrderID string `json:"order_id"`
	// ExternalID is the order's id on the channel.
	ExternalID string `json:"external_id"`
	// Reason is the cancellation reason, e.g. "customer", "inventory", "other".
	Reason string `json:"reason,omitempty"`
	// Restock says whether the channel should restock the units.
	Restock bool `json:"restock"`
	// Refund says whether the channel should refund the payment.
	Refund bool `json:"refund"`
}
