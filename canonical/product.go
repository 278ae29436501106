package canonical

import "time"

// ProductStatus says whether a product may be sold.
type ProductStatus string

// Product statuses.
const (
	ProductActive   ProductStatus = "active"
	ProductDraft    ProductStatus = "draft"
	ProductArchived ProductStatus = "archived"
)

// Product is an item of the merchant's catalog with its sellable variants. The
// product master (usually the ERP or the file feed) owns it; channels get listings.
type Product struct {
	// ID is Crossdock's id for the product.
	ID string `json:"id"`
	// Handle is the URL-safe name, unique in the catalog.
	Handle string `json:"handle,omitempty"`
	// Title is the product's display name.
	Title string `json:"title"`
	// Description is the long description, plain text or HTML.
	Description string `json:"description,omitempty"`
	// Brand is the product's brand.
	Brand string `json:"brand,omitempty"`
	// Vendor is the supplier or manufacturer.
	Vendor string `json:"vendor,omitempty"`
	// Category is the merchant's category path, e.g. "Apparel > Shirts".
	Category string `json:"category,omitempty"`
	// Tags are free-form labels used by rules (safety stock, routing, syndication).
	Tags []string `json:"tags,omitempty"`
	// Attributes are further named values (material, colour family, ...).
	Attributes map[string]string `json:"attributes,omitempty"`
	// Images are the product's image URLs, the first being the main one.
	Images []string `json:"images,omitempty"`
	// Variants are the sellable units; every product has at least one.
	Variants []Variant `json:"variants"`
	// Status says whether the product may be sold.
	Status ProductStatus `json:"status,omitempty"`
	// GiftCard marks a product that is not stock (no inventory, no shipment).
	GiftCard bool `json:"gift_card,omitempty"`
	// UpdatedAt is when the product last changed at its source.
	UpdatedAt time.Time `json:"updated_at,omitempty"`
	// Refs are the product's ids in each system.
	Refs Refs `json:"refs,omitempty"`
}

// Variant is one sellable unit of a product, identified by its SKU.
type Variant struct {
	// SKU is the stock-keeping unit, unique across the catalog; the key of inventory.
	SKU string `json:"sku"`
	// Barcode is the GTIN, UPC or EAN.
	Barcode string `json:"barcode,omitempty"`
	// Title is the variant's name, e.g. "Blue / L".
	Title string `json:"title,omitempty"`
	// Options are the option values by option name, e.g. {"Size": "L"}.
	Options map[string]string `json:"options,omitempty"`
	// Price is the selling price.
	Price Money `json:"price"`
	// CompareAtPrice is the former or list price shown struck through, if any.
	CompareAtPrice *Money `json:"compare_at_price,omitempty"`
	// Cost is the unit cost, for margin and inventory value.
	Cost *Money `json:"cost,omitempty"`
	// Weight is the shipping weight of one unit.
	Weight *Weight `json:"weight,omitempty"`
	// Dimensions are the packed size of one unit.
	Dimensions *Dimensions `json:"dimensions,omitempty"`
	// Refs are the variant's ids in each system (variant id, inventory item id...).
	Refs Refs `json:"refs,omitempty"`
}

// ListingStatus is the state of a product on one channel.
type ListingStatus string

// Listing statuses.
const (
	ListingPending     ListingStatus = "pending"
	ListingPublished   ListingStatus = "published"
	ListingUnpublished ListingStatus = "unpublished"
	ListingError       ListingStatus = "error"
)

// Listing is a product's state on one channel: what was sent, what the channel
// calls it, and why it looks the way it does.
type Listing struct {
	// ProductID is Crossdock's product id.
	ProductID string `json:"product_id"`
	// Channel is the connector instance of the channel.
	Channel string `json:"channel"`
	// ExternalID is the product's id on the channel, once created.
	ExternalID string `json:"external_id,omitempty"`
	// Status is the listing's state on the channel.
	Status ListingStatus `json:"status"`
	// Fields are the channel-specific values after mapping, by channel field name.
	Fields map[string]string `json:"fields,omitempty"`
	// Mapping names the mapping that produced Fields, for explanation.
	Mapping string `json:"mapping,omitempty"`
	// Error is the channel's last refusal, if Status is error.
	Error string `json:"error,omitempty"`
	// SyncedAt is when the channel last accepted the listing.
	SyncedAt time.Time `json:"synced_at,omitempty"`
}
