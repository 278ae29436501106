package routing

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/geo"
	"github.com/crossdockhq/crossdock/hub/store"
)

// PickupOptions configures the pickup-options handler.
type PickupOptions struct {
	// DB is where stock is read (the hub's database); in-memory state ignores it.
	DB store.DBTX
	// Locations lists locations (cache them: this is called by storefronts).
	Locations Locations
	// Stock gives inventory levels.
	Stock Stock
	// Geo geocodes the shopper's postal code; defaults to geo.Lookup.
	Geo GeoLookup
	// MaxDistanceKM is the default and largest search radius; 0 means 50 km.
	MaxDistanceKM float64
	// Limit is the default and largest number of stores returned; 0 means 5.
	Limit int
}

// PickupRequest is the body of POST /api/v1/pickup-options.
type PickupRequest struct {
	// Lines are the cart's SKUs and quantities.
	Lines []PickupLine `json:"lines"`
	// PostalCode and Country locate the shopper.
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
	// Geo locates the shopper directly, instead of the postal code.
	Geo *canonical.GeoPoint `json:"geo,omitempty"`
	// Limit caps the stores returned (up to the handler's Limit).
	Limit int `json:"limit,omitempty"`
	// MaxDistanceKM narrows the search radius (up to the handler's).
	MaxDistanceKM float64 `json:"max_distance_km,omitempty"`
}

// PickupLine is one cart line.
type PickupLine struct {
	// SKU is the stock-keeping unit.
	SKU string `json:"sku"`
	// Quantity is the units wanted.
	Quantity int64 `json:"quantity"`
}

// PickupResponse is the answer: the nearest stores that can hand over every
// line now, nearest first.
type PickupResponse struct {
	// Origin is where distances are measured from.
	Origin canonical.GeoPoint `json:"origin"`
	// RadiusKM is the radius searched.
	RadiusKM float64 `json:"radius_km"`
	// Stores are the stores found, nearest first; empty when none can.
	Stores []PickupStore `json:"stores"`
}

// PickupStore is one store that can hand over the whole cart now.
type PickupStore struct {
	// LocationID is the store's location id.
	LocationID string `json:"location_id"`
	// Name is its display name.
	Name string `json:"name"`
	// Address is where the customer collects.
	Address canonical.Address `json:"address"`
	// DistanceKM is from the shopper's point.
	DistanceKM float64 `json:"distance_km"`
	// Available is the units available now per SKU of the cart.
	Available map[string]int64 `json:"available"`
}

const maxPickupBody = 64 << 10

// PickupOptionsHandler serves POST /api/v1/pickup-options: given cart lines
// and a postal code (or a coordinate), the nearest pickup stores that can hand
// over every line now, with distance and availability. Stock is read SKU by
// SKU, each only at the stores in range that had the SKUs before it, so an
// answer costs a few indexed lookups however many stores the chain has.
func PickupOptionsHandler(opts PickupOptions) http.Handler {
	if opts.Geo == nil {
		opts.Geo = geo.Lookup
	}
	if opts.MaxDistanceKM <= 0 {
		opts.MaxDistanceKM = 50
	}
	if opts.Limit <= 0 {
		opts.Limit = 5
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "use POST")
			return
		}
		var req PickupRequest
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxPickupBody))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			writeError(w, http.StatusBadRequest, "malformed", "request body: "+err.Error())
			return
		}
		if msg := req.check(); msg != "" {
			writeError(w, http.StatusUnprocessableEntity, "invalid", msg)
			return
		}
		origin := req.Geo
		if origin == nil {
			p, err := opts.Geo(req.Country, req.PostalCode)
			if err != nil {
				writeError(w, http.StatusUnprocessableEntity, "unknown_postal_code", err.Error())
				return
			}
			origin = &p
		}
		res, err := pickupStores(r.Context(), opts, &req, *origin)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "internal", "pickup options: "+err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(res) // the client may have gone
	})
}

func (req *PickupRequest) check() string {
	if len(req.Lines) == 0 {
		return "lines: at least one line is required"
	}
	if len(req.Lines) > 200 {
		return "lines: at most 200 lines"
	}
	for i, l := range req.Lines {
		if strings.TrimSpace(l.SKU) == "" || l.Quantity <= 0 {
			return fmt.Sprintf("lines[%d]: needs a sku and a positive quantity", i)
		}
	}
	if req.Geo == nil && (req.PostalCode == "" || req.Country == "") {
		return "postal_code and country (or geo) are required"
	}
	if req.Limit < 0 || req.MaxDistanceKM < 0 {
		return "limit and max_distance_km cannot be negative"
	}
	return ""
}

func pickupStores(ctx context.Context, opts PickupOptions, req *PickupRequest, origin canonical.GeoPoint) (*PickupResponse, error) {
	radius := opts.MaxDistanceKM
	if req.MaxDistanceKM > 0 && req.MaxDistanceKM < radius {
		radius = req.MaxDistanceKM
	}
	limit := opts.Limit
	if req.Limit > 0 && req.Limit < limit {
		limit = req.Limit
	}
	need := map[string]int64{}
	var skus []string
	for _, l := range req.Lines {
		if _, ok := need[l.SKU]; !ok {
			skus = append(skus, l.SKU)
		}
		need[l.SKU] += l.Quantity
	}
	all, err := opts.Locations.All(ctx, opts.DB)
	if err != nil {
		return nil, err
	}
	type near struct {
		l  *canonical.Location
		km float64
	}
	var ns []near
	for i := range all {
		l := &all[i]
		g := l.Geo
		if g == nil {
			g = l.Address.Geo
		}
		if !l.Active || !l.Has(canonical.CapPickup) || g == nil {
			continue
		}
		if km := geo.DistanceKM(origin, *g); km <= radius {
			ns = append(ns, near{l, km})
		}
	}
	slices.SortFunc(ns, func(a, b near) int {
		if c := cmp.Compare(a.km, b.km); c != 0 {
			return c
		}
		return strings.Compare(a.l.ID, b.l.ID)
	})
	res := &PickupResponse{Origin: origin, RadiusKM: radius, Stores: []PickupStore{}}
	// SKU by SKU over the stores in range, each SKU read only at the stores
	// that had every SKU before it: a few indexed reads per offer.
	avail := make(map[string]map[string]int64, len(ns))
	alive := ns
	for _, sku := range skus {
		if len(alive) == 0 {
			break
		}
		ids := make([]string, len(alive))
		for i, n := range alive {
			ids[i] = n.l.ID
		}
		levels, err := opts.Stock.Levels(ctx, opts.DB, []string{sku}, ids)
		if err != nil {
			return nil, err
		}
		next := alive[:0:0]
		for _, n := range alive {
			a := levels[n.l.ID][sku].Available()
			if a < need[sku] {
				continue
			}
			if avail[n.l.ID] == nil {
				avail[n.l.ID] = make(map[string]int64, len(skus))
			}
			avail[n.l.ID][sku] = a
			next = append(next, n)
		}
		alive = next
	}
	for _, n := range alive {
		if len(res.Stores) == limit {
			break
		}
		res.Stores = append(res.Stores, PickupStore{LocationID: n.l.ID, Name: n.l.Name, Address: n.l.Address,
			DistanceKM: round3(n.km), Available: avail[n.l.ID]})
	}
	return res, nil
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	body.Error.Code, body.Error.Message = code, msg
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
