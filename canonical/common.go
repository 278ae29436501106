package canonical

import "time"

// ExternalRef names an entity in one external system: the connector instance that
// knows it and the id it has there.
type ExternalRef struct {
	// Connector is the connector instance name, for example "shopify-us".
	Connector string `json:"connector"`
	// ID is the entity's id in that system, as that system spells it.
	ID string `json:"id"`
	// Version is the system's own version marker (an updated_at, an ETag), if any.
	Version string `json:"version,omitempty"`
}

// Refs is the set of external ids an entity carries, one per connector instance.
type Refs []ExternalRef

// Get returns the id the entity has in the named connector instance.
func (r Refs) Get(connector string) (string, bool) {
	for _, ref := range r {
		if ref.Connector == connector {
			return ref.ID, true
		}
	}
	return "", false
}

// Set records or replaces the id the entity has in a connector instance.
func (r Refs) Set(connector, id string) Refs {
	for i := range r {
		if r[i].Connector == connector {
			r[i].ID = id
			return r
		}
	}
	return append(r, ExternalRef{Connector: connector, ID: id})
}

// GeoPoint is a WGS 84 coordinate.
type GeoPoint struct {
	// Lat is the latitude in decimal degrees, -90 to 90.
	Lat float64 `json:"lat"`
	// Lng is the longitude in decimal degrees, -180 to 180.
	Lng float64 `json:"lng"`
}

// Address is a postal address.
type Address struct {
	// Name is the recipient's full name.
	Name string `json:"name,omitempty"`
	// Company is the recipient's company, if any.
	Company string `json:"company,omitempty"`
	// Line1 is the street address.
	Line1 string `json:"line1,omitempty"`
	// Line2 is the apartment, suite or unit.
	Line2 string `json:"line2,omitempty"`
	// City is the city or locality.
	City string `json:"city,omitempty"`
	// Region is the state, province or region code (ISO 3166-2 subdivision, e.g. "CA").
	Region string `json:"region,omitempty"`
	// PostalCode is the ZIP or postal code.
	PostalCode string `json:"postal_code,omitempty"`
	// Country is the ISO 3166-1 alpha-2 country code, e.g. "US".
	Country string `json:"country,omitempty"`
	// Phone is a contact phone number.
	Phone string `json:"phone,omitempty"`
	// Email is a contact email address.
	Email string `json:"email,omitempty"`
	// Geo is the address's coordinate, when known (geocoded or sent by the platform).
	Geo *GeoPoint `json:"geo,omitempty"`
}

// Customer is a person or business that buys, identified across channels.
type Customer struct {
	// ID is Crossdock's id for the customer.
	ID string `json:"id,omitempty"`
	// Email is the customer's email, lower-cased; the usual key across channels.
	Email string `json:"email,omitempty"`
	// FirstName is the customer's given name.
	FirstName string `json:"first_name,omitempty"`
	// LastName is the customer's family name.
	LastName string `json:"last_name,omitempty"`
	// Phone is the customer's phone number.
	Phone string `json:"phone,omitempty"`
	// DefaultAddress is the customer's default shipping address.
	DefaultAddress *Address `json:"default_address,omitempty"`
	// Tags are free-form labels.
	Tags []string `json:"tags,omitempty"`
	// CreatedAt is when the customer was first seen.
	CreatedAt time.Time `json:"created_at,omitempty"`
	// Refs are the customer's ids in each system.
	Refs Refs `json:"refs,omitempty"`
}

// Weight is a mass in grams.
type Weight struct {
	// Grams is the mass in whole grams.
	Grams int64 `json:"grams"`
}

// Dimensions are a parcel's or product's outer size in millimetres.
type Dimensions struct {
	// LengthMM is the length in millimetres.
	LengthMM int64 `json:"length_mm"`
	// WidthMM is the width in millimetres.
	WidthMM int64 `json:"width_mm"`
	// HeightMM is the height in millimetres.
	HeightMM int64 `json:"height_mm"`
}
