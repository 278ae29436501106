package canonical

import "time"

// OrderStatus is the lifecycle state of an order in Crossdock.
type OrderStatus string

// Order statuses. The legal transitions are kept by the hub's order service.
const (
	OrderPending            OrderStatus = "pending"
	OrderConfirmed          OrderStatus = "confirmed"
	OrderAllocated          OrderStatus = "allocated"
	OrderPartiallyFulfilled OrderStatus = "partially_fulfilled"
	OrderFulfilled          OrderStatus = "fulfilled"
	OrderCancelled          OrderStatus = "cancelled"
	OrderReturned           OrderStatus = "returned"
)

// FulfilmentMethod is how the customer receives an order.
type FulfilmentMethod string

// Fulfilment methods.
const (
	// FulfilShip ships the order to the customer's address.
	FulfilShip FulfilmentMethod = "ship"
	// FulfilPickup has the customer collect the order at a store (BOPIS).
	FulfilPickup FulfilmentMethod = "pickup"
	// FulfilShipToStore ships from a warehouse to the store where the customer collects.
	FulfilShipToStore FulfilmentMethod = "ship_to_store"
)

// Order is a customer's order from any channel.
type Order struct {
	// ID is Crossdock's id for the order.
	ID string `json:"id"`
	// Channel is the connector instance the order came from, e.g. "shopify-us".
	Channel string `json:"channel"`
	// ExternalID is the order's id on its channel.
	ExternalID string `json:"external_id"`
	// Number is the human order number the customer sees, e.g. "#1012".
	Number string `json:"number,omitempty"`
	// Status is the lifecycle state.
	Status OrderStatus `json:"status"`
	// Customer is who placed the order; nil for guest orders without contact.
	Customer *Customer `json:"customer,omitempty"`
	// BillingAddress is the billing address.
	BillingAddress *Address `json:"billing_address,omitempty"`
	// ShippingAddress is where to ship; nil for pickup orders.
	ShippingAddress *Address `json:"shipping_address,omitempty"`
	// Lines are the ordered items.
	Lines []OrderLine `json:"lines"`
	// ShippingLines are the shipping methods and charges the customer chose.
	ShippingLines []ShippingLine `json:"shipping_lines,omitempty"`
	// Discounts are order-level discounts.
	Discounts []Discount `json:"discounts,omitempty"`
	// Taxes are the order's tax lines.
	Taxes []TaxLine `json:"taxes,omitempty"`
	// Totals are the order's amounts in the shop currency.
	Totals Totals `json:"totals"`
	// PresentmentCurrency is the currency the customer saw, when it differs from the shop's.
	PresentmentCurrency string `json:"presentment_currency,omitempty"`
	// Payment is how the order was paid: a token, never card data.
	Payment *Payment `json:"payment,omitempty"`
	// Fulfilment says how the customer receives the order.
	Fulfilment Fulfilment `json:"fulfilment"`
	// SourceLocationID is the store of a POS order, if the channel is a POS.
	SourceLocationID string `json:"source_location_id,omitempty"`
	// PlacedAt is when the customer placed the order.
	PlacedAt time.Time `json:"placed_at"`
	// UpdatedAt is when the order last changed at its source.
	UpdatedAt time.Time `json:"updated_at"`
	// CancelledAt is when the order was cancelled, if it was.
	CancelledAt *time.Time `json:"cancelled_at,omitempty"`
	// CancelReason is the channel's or staff's reason for a cancellation.
	CancelReason string `json:"cancel_reason,omitempty"`
	// Tags are free-form labels.
	Tags []string `json:"tags,omitempty"`
	// Notes is the customer's or staff's note.
	Notes string `json:"notes,omitempty"`
	// Refunds are the refunds made on the channel.
	Refunds []Refund `json:"refunds,omitempty"`
	// Refs are the order's ids in each system.
	Refs Refs `json:"refs,omitempty"`
}

// OrderLine is one item of an order.
type OrderLine struct {
	// ID is the line's id, stable across updates of the order.
	ID string `json:"id"`
	// SKU is the stock-keeping unit ordered.
	SKU string `json:"sku"`
	// Title is the product title as ordered.
	Title string `json:"title,omitempty"`
	// Quantity is the units ordered.
	Quantity int64 `json:"quantity"`
	// UnitPrice is the price of one unit before discounts.
	UnitPrice Money `json:"unit_price"`
	// Discount is the total discount on this line.
	Discount Money `json:"discount"`
	// Tax is the total tax on this line.
	Tax Money `json:"tax"`
	// Fulfilled is the units shipped or handed over.
	Fulfilled int64 `json:"fulfilled,omitempty"`
	// Cancelled is the units cancelled.
	Cancelled int64 `json:"cancelled,omitempty"`
	// Returned is the units returned.
	Returned int64 `json:"returned,omitempty"`
	// RequiresShipping is false for digital goods and gift cards.
	RequiresShipping bool `json:"requires_shipping"`
	// GiftCard marks a gift card line: not stock.
	GiftCard bool `json:"gift_card,omitempty"`
	// Weight is the shipping weight of one unit, when the channel sends it.
	Weight *Weight `json:"weight,omitempty"`
	// Refs are the line's ids in each system.
	Refs Refs `json:"refs,omitempty"`
}

// Open returns the units still to fulfil: ordered less fulfilled and cancelled.
func (l OrderLine) Open() int64 {
	n := l.Quantity - l.Fulfilled - l.Cancelled
	if n < 0 {
		return 0
	}
	return n
}

// ShippingLine is a shipping method and charge chosen at checkout.
type ShippingLine struct {
	// Code is the channel's code for the method.
	Code string `json:"code,omitempty"`
	// Title is the method's name, e.g. "Standard Shipping".
	Title string `json:"title"`
	// Price is what the customer paid for shipping.
	Price Money `json:"price"`
	// Discount is the discount on shipping.
	Discount Money `json:"discount"`
	// Tax is the tax on shipping.
	Tax Money `json:"tax"`
}

// Discount is a discount applied to an order.
type Discount struct {
	// Code is the discount code, if one was entered.
	Code string `json:"code,omitempty"`
	// Title describes the discount.
	Title string `json:"title,omitempty"`
	// Amount is the discount's value.
	Amount Money `json:"amount"`
}

// TaxLine is one tax charged on an order.
type TaxLine struct {
	// Title names the tax, e.g. "CA State Tax".
	Title string `json:"title"`
	// RateBasisPoints is the rate in hundredths of a percent (725 = 7.25%).
	RateBasisPoints int64 `json:"rate_bp"`
	// Amount is the tax charged.
	Amount Money `json:"amount"`
}

// Totals are an order's amounts.
type Totals struct {
	// Subtotal is the sum of lines before order discounts, shipping and tax.
	Subtotal Money `json:"subtotal"`
	// Discount is the total of all discounts.
	Discount Money `json:"discount"`
	// Shipping is the total shipping charged.
	Shipping Money `json:"shipping"`
	// Tax is the total tax.
	Tax Money `json:"tax"`
	// Total is what the customer pays.
	Total Money `json:"total"`
}

// Payment is how an order was paid. It holds a token from the payment processor,
// never a card number.
type Payment struct {
	// Gateway is the payment processor, e.g. "shopify_payments".
	Gateway string `json:"gateway,omitempty"`
	// Token is the processor's reference for the payment or card.
	Token string `json:"token,omitempty"`
	// Brand is the card brand, e.g. "visa".
	Brand string `json:"brand,omitempty"`
	// Last4 is the last four digits of the card.
	Last4 string `json:"last4,omitempty"`
	// Status is the financial status, e.g. "paid", "authorized", "refunded".
	Status string `json:"status,omitempty"`
}

// Fulfilment says how the customer receives an order.
type Fulfilment struct {
	// Method is ship, pickup or ship_to_store.
	Method FulfilmentMethod `json:"method"`
	// PickupLocationID is the store where the customer collects, for pickup and ship_to_store.
	PickupLocationID string `json:"pickup_location_id,omitempty"`
	// ShippingMethod is the service level asked for, e.g. "standard", "express".
	ShippingMethod string `json:"shipping_method,omitempty"`
}

// Refund is money returned to the customer on the channel.
type Refund struct {
	// ID is the refund's id on the channel.
	ID string `json:"id"`
	// Amount is the refunded amount.
	Amount Money `json:"amount"`
	// Reason is the refund's note.
	Reason string `json:"reason,omitempty"`
	// Lines are the refunded line ids with quantities.
	Lines []LineQuantity `json:"lines,omitempty"`
	// Restock says whether the units go back to stock.
	Restock bool `json:"restock,omitempty"`
	// At is when the refund was made.
	At time.Time `json:"at"`
}

// LineQuantity is a quantity of one order line.
type LineQuantity struct {
	// LineID is the order line's id.
	LineID string `json:"line_id"`
	// SKU is the line's SKU, for convenience.
	SKU string `json:"sku,omitempty"`
	// Quantity is the units.
	Quantity int64 `json:"quantity"`
}

// Allocation assigns order lines to the location that fulfils them, with the
// routing trace that explains the choice.
type Allocation struct {
	// ID is Crossdock's id for the allocation.
	ID string `json:"id"`
	// OrderID is the order allocated.
	OrderID string `json:"order_id"`
	// LocationID is the fulfilling location.
	LocationID string `json:"location_id"`
	// Lines are the order lines and quantities this location fulfils.
	Lines []LineQuantity `json:"lines"`
	// Method is how these lines reach the customer.
	Method FulfilmentMethod `json:"method"`
	// Status is requested, accepted, rejected, fulfilled or cancelled.
	Status string `json:"status"`
	// Rule is the routing rule that produced the allocation.
	Rule string `json:"rule,omitempty"`
	// DistanceKM is the distance from the location to the customer or pickup store.
	DistanceKM float64 `json:"distance_km,omitempty"`
	// EstimatedShipping is the estimated cost of shipping from this location.
	EstimatedShipping *Money `json:"estimated_shipping,omitempty"`
	// Trace is the routing trace: each rule the decision went through and what
	// it did, in order, so the choice can be explained (DESIGN.md §3.6).
	Trace []TraceStep `json:"trace,omitempty"`
	// CreatedAt is when the allocation was made.
	CreatedAt time.Time `json:"created_at"`
}

// TraceStep is one step of a routing decision: a rule applied to the candidate
// locations, and its outcome.
type TraceStep struct {
	// Rule names the rule or step, e.g. "has_stock", "nearest", "split".
	Rule string `json:"rule"`
	// LocationID is the location the step concerned, if it concerned one.
	LocationID string `json:"location_id,omitempty"`
	// Outcome is what the step did, e.g. "kept", "dropped", "chosen".
	Outcome string `json:"outcome,omitempty"`
	// Detail explains the outcome for a person, e.g. "12.4 km; 3 in stock".
	Detail string `json:"detail,omitempty"`
}
