package canonical

import "time"

// TrackingStatus is a normalised shipment status, the same for every carrier.
type TrackingStatus string

// Normalised tracking statuses.
const (
	TrackPending        TrackingStatus = "pending"
	TrackPickedUp       TrackingStatus = "picked_up"
	TrackInTransit      TrackingStatus = "in_transit"
	TrackOutForDelivery TrackingStatus = "out_for_delivery"
	TrackDelivered      TrackingStatus = "delivered"
	TrackException      TrackingStatus = "exception"
	TrackReturned       TrackingStatus = "returned"
	TrackCancelled      TrackingStatus = "cancelled"
)

// Shipment is a set of packages sent from one location for one order.
type Shipment struct {
	// ID is Crossdock's id for the shipment.
	ID string `json:"id"`
	// OrderID is the order shipped.
	OrderID string `json:"order_id"`
	// LocationID is where the shipment leaves from.
	LocationID string `json:"location_id"`
	// Lines are the order lines and quantities in the shipment.
	Lines []LineQuantity `json:"lines"`
	// Carrier is the carrier, e.g. "ups", "fedex", "usps".
	Carrier string `json:"carrier,omitempty"`
	// Service is the carrier's service code, e.g. "03" (UPS Ground).
	Service string `json:"service,omitempty"`
	// Packages are the parcels with their labels and tracking numbers.
	Packages []Package `json:"packages,omitempty"`
	// Rate is what the carrier charges.
	Rate *Money `json:"rate,omitempty"`
	// Status is the latest normalised tracking status.
	Status TrackingStatus `json:"status"`
	// Events are the tracking events, oldest first.
	Events []TrackingEvent `json:"events,omitempty"`
	// ShipTo is the destination address.
	ShipTo *Address `json:"ship_to,omitempty"`
	// CreatedAt is when the shipment was created.
	CreatedAt time.Time `json:"created_at"`
	// Refs are the shipment's ids in each system (channel fulfilment id, carrier id).
	Refs Refs `json:"refs,omitempty"`
}

// Package is one parcel of a shipment.
type Package struct {
	// TrackingNumber is the carrier's tracking number.
	TrackingNumber string `json:"tracking_number,omitempty"`
	// TrackingURL is a public tracking page.
	TrackingURL string `json:"tracking_url,omitempty"`
	// Weight is the parcel's weight.
	Weight Weight `json:"weight"`
	// Dimensions are the parcel's size.
	Dimensions *Dimensions `json:"dimensions,omitempty"`
	// Label is the shipping label.
	Label *Label `json:"label,omitempty"`
}

// Label is a printable shipping label.
type Label struct {
	// Format is the label's format: "PDF", "ZPL" or "PNG".
	Format string `json:"format"`
	// Data is the label document, base64-encoded.
	Data string `json:"data,omitempty"`
	// URL is where the label can be fetched, when the carrier hosts it.
	URL string `json:"url,omitempty"`
}

// TrackingEvent is one carrier scan or status change.
type TrackingEvent struct {
	// Status is the normalised status.
	Status TrackingStatus `json:"status"`
	// CarrierCode is the carrier's own status code.
	CarrierCode string `json:"carrier_code,omitempty"`
	// Description is the carrier's text.
	Description string `json:"description,omitempty"`
	// Location is where the event happened, as the carrier says it.
	Location string `json:"location,omitempty"`
	// At is when the event happened.
	At time.Time `json:"at"`
}

// ReturnStatus is the state of a return.
type ReturnStatus string

// Return statuses.
const (
	ReturnRequested ReturnStatus = "requested"
	ReturnApproved  ReturnStatus = "approved"
	ReturnReceived  ReturnStatus = "received"
	ReturnRefunded  ReturnStatus = "refunded"
	ReturnRejected  ReturnStatus = "rejected"
)

// Return is a customer's return of order lines.
type Return struct {
	// ID is Crossdock's id for the return.
	ID string `json:"id"`
	// OrderID is the order the items came from.
	OrderID string `json:"order_id"`
	// Channel is where the return was requested.
	Channel string `json:"channel,omitempty"`
	// Status is the return's state.
	Status ReturnStatus `json:"status"`
	// Lines are the returned lines with quantities.
	Lines []ReturnLine `json:"lines"`
	// LocationID is where the items come back to.
	LocationID string `json:"location_id,omitempty"`
	// Refund is the amount refunded, once refunded.
	Refund *Money `json:"refund,omitempty"`
	// CreatedAt is when the return was requested.
	CreatedAt time.Time `json:"created_at"`
	// Refs are the return's ids in each system.
	Refs Refs `json:"refs,omitempty"`
}

// ReturnLine is one returned line.
type ReturnLine struct {
	// LineID is the order line's id.
	LineID string `json:"line_id"`
	// SKU is the returned SKU.
	SKU string `json:"sku"`
	// Quantity is the units returned.
	Quantity int64 `json:"quantity"`
	// Reason is the customer's reason.
	Reason string `json:"reason,omitempty"`
	// Restock says whether the units go back to sellable stock.
	Restock bool `json:"restock"`
}

// SubscriptionStatus is the state of a subscription.
type SubscriptionStatus string

// Subscription statuses.
const (
	SubscriptionActive    SubscriptionStatus = "active"
	SubscriptionPaused    SubscriptionStatus = "paused"
	SubscriptionCancelled SubscriptionStatus = "cancelled"
)

// Subscription is a recurring order: the same lines every interval.
type Subscription struct {
	// ID is Crossdock's id for the subscription.
	ID string `json:"id"`
	// Channel is the channel the subscription was sold on.
	Channel string `json:"channel"`
	// Customer is the subscriber.
	Customer Customer `json:"customer"`
	// ShippingAddress is where each order ships.
	ShippingAddress Address `json:"shipping_address"`
	// Lines are the items of each order.
	Lines []OrderLine `json:"lines"`
	// IntervalDays is the number of days between orders.
	IntervalDays int `json:"interval_days"`
	// NextOrderAt is when the next order is due.
	NextOrderAt time.Time `json:"next_order_at"`
	// Status is the subscription's state.
	Status SubscriptionStatus `json:"status"`
	// Payment is the stored payment token.
	Payment *Payment `json:"payment,omitempty"`
	// Refs are the subscription's ids in each system.
	Refs Refs `json:"refs,omitempty"`
}
