package sandbox

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

// Seed is a sandbox shop's initial data. It reads from JSON (see
// testdata/sandbox-seed.json) so `crossdock sandbox shopify --seed FILE` and
// tests share one format.
type Seed struct {
	// RandomSeed makes generated orders and random faults repeatable.
	RandomSeed int64 `json:"seed"`
	// Plan names the plan: "standard" (default), "advanced" or "plus".
	Plan string `json:"plan,omitempty"`
	// Locations are the shop's locations, in order.
	Locations []SeedLocation `json:"locations"`
	// Products are the catalog.
	Products []SeedProduct `json:"products"`
	// Stock is the available quantity per SKU and location name.
	Stock []SeedStock `json:"stock"`
	// DefaultStock is the available quantity of every (SKU, location) pair
	// not listed in Stock; gift cards are never stocked.
	DefaultStock int64 `json:"default_stock,omitempty"`
	// Orders is the number of generated historical orders.
	Orders int `json:"orders"`
	// OrdersSince is when the first generated order was placed; later ones
	// follow at 17-minute steps. Zero means 7 days before now.
	OrdersSince time.Time `json:"orders_since,omitempty"`
	// Publications are the sales channels; default "Online Store" and "Point of Sale".
	Publications []string `json:"publications,omitempty"`
}

// SeedLocation is one location: its name (the key stock and orders use),
// postal address and coordinate.
type SeedLocation struct {
	Name     string  `json:"name"`
	Address1 string  `json:"address1"`
	City     string  `json:"city"`
	Province string  `json:"province_code"`
	Zip      string  `json:"zip"`
	Country  string  `json:"country_code"`
	Lat      float64 `json:"latitude"`
	Lng      float64 `json:"longitude"`
	// Store marks a retail store (POS sales and local pickup happen there).
	Store bool `json:"store"`
	// Inactive hides the location from the default locations query.
	Inactive bool `json:"inactive,omitempty"`
}

// SeedProduct is one product; Options names the option of each position in
// its variants' Options (e.g. ["Size"]).
type SeedProduct struct {
	Title       string        `json:"title"`
	Handle      string        `json:"handle,omitempty"`
	Vendor      string        `json:"vendor,omitempty"`
	ProductType string        `json:"product_type,omitempty"`
	Tags        []string      `json:"tags,omitempty"`
	GiftCard    bool          `json:"gift_card,omitempty"`
	Status      string        `json:"status,omitempty"`
	Options     []string      `json:"options,omitempty"`
	Variants    []SeedVariant `json:"variants"`
}

// SeedVariant is one variant; Price and CompareAt are decimal strings in the
// shop currency, Options the option values by position.
type SeedVariant struct {
	SKU       string   `json:"sku"`
	Price     string   `json:"price"`
	CompareAt string   `json:"compare_at_price,omitempty"`
	Barcode   string   `json:"barcode,omitempty"`
	Options   []string `json:"options,omitempty"`
}

// SeedStock is an available quantity of a SKU at a location.
type SeedStock struct {
	SKU       string `json:"sku"`
	Location  string `json:"location"`
	Available int64  `json:"available"`
}

// LoadSeed reads a seed file.
func LoadSeed(path string) (*Seed, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sandbox: read seed: %w", err)
	}
	var s Seed
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("sandbox: seed %s: %w", path, err)
	}
	return &s, nil
}

// zipPoint is a US ZIP with its city and coordinate, for customers spread
// over the country.
type zipPoint struct {
	Zip, City, State string
	Lat, Lng         float64
}

var usZIPs = []zipPoint{
	{"10001", "New York", "NY", 40.7506, -73.9972},
	{"02108", "Boston", "MA", 42.3576, -71.0636},
	{"19103", "Philadelphia", "PA", 39.9525, -75.1740},
	{"20001", "Washington", "DC", 38.9109, -77.0163},
	{"30303", "Atlanta", "GA", 33.7525, -84.3888},
	{"33101", "Miami", "FL", 25.7791, -80.1978},
	{"60601", "Chicago", "IL", 41.8858, -87.6181},
	{"48226", "Detroit", "MI", 42.3310, -83.0466},
	{"55401", "Minneapolis", "MN", 44.9845, -93.2697},
	{"63101", "St. Louis", "MO", 38.6314, -90.1928},
	{"75201", "Dallas", "TX", 32.7876, -96.7994},
	{"77002", "Houston", "TX", 29.7566, -95.3643},
	{"80202", "Denver", "CO", 39.7527, -104.9997},
	{"85004", "Phoenix", "AZ", 33.4515, -112.0685},
	{"89101", "Las Vegas", "NV", 36.1720, -115.1224},
	{"90012", "Los Angeles", "CA", 34.0614, -118.2385},
	{"91101", "Pasadena", "CA", 34.1466, -118.1398},
	{"94103", "San Francisco", "CA", 37.7725, -122.4147},
	{"97205", "Portland", "OR", 45.5206, -122.6853},
	{"98101", "Seattle", "WA", 47.6114, -122.3305},
}

var stateTax = map[string]float64{
	"NY": 0.08875, "MA": 0.0625, "PA": 0.06, "DC": 0.06, "GA": 0.089, "FL": 0.07, "IL": 0.1025,
	"MI": 0.06, "MN": 0.07875, "MO": 0.09679, "TX": 0.0825, "CO": 0.0881, "AZ": 0.086, "NV": 0.08375,
	"CA": 0.095, "OR": 0, "WA": 0.1035,
}

var firstNames = []string{"Ava", "Liam", "Maya", "Noah", "Zoe", "Ethan", "Isla", "Lucas", "Mia", "Omar", "Priya", "Diego", "Hana", "Samuel", "Grace", "Kenji"}
var lastNames = []string{"Nguyen", "Garcia", "Smith", "Johnson", "Okafor", "Kim", "Patel", "Rossi", "Cohen", "Silva", "Brown", "Novak", "Haddad", "Tanaka"}

// DefaultSeed is a small chain: one warehouse and three stores at real US
// ZIPs, a dozen products (one a gift card), stock, and 40 orders.
func DefaultSeed() Seed {
	s := Seed{
		RandomSeed: 7,
		Locations: []SeedLocation{
			{Name: "Reno Warehouse", Address1: "1 Logistics Way", City: "Reno", Province: "NV", Zip: "89502", Country: "US", Lat: 39.4929, Lng: -119.7740},
			{Name: "Pasadena Store", Address1: "45 Colorado Blvd", City: "Pasadena", Province: "CA", Zip: "91101", Country: "US", Lat: 34.1466, Lng: -118.1398, Store: true},
			{Name: "Chicago Store", Address1: "200 N State St", City: "Chicago", Province: "IL", Zip: "60601", Country: "US", Lat: 41.8858, Lng: -87.6181, Store: true},
			{Name: "Brooklyn Store", Address1: "88 Bedford Ave", City: "Brooklyn", Province: "NY", Zip: "11211", Country: "US", Lat: 40.7181, Lng: -73.9571, Store: true},
		},
		DefaultStock: 25,
		Orders:       40,
	}
	kinds := []struct {
		title, typ, sku string
		price           string
	}{
		{"Trail Runner Shoe", "Shoes", "TRS", "129.00"},
		{"Merino Crew Sock", "Socks", "MCS", "18.50"},
		{"Rain Shell Jacket", "Outerwear", "RSJ", "189.99"},
		{"Canvas Tote", "Bags", "CVT", "34.00"},
		{"Insulated Bottle", "Gear", "INB", "29.95"},
		{"Wool Beanie", "Accessories", "WLB", "24.00"},
		{"Packable Down Vest", "Outerwear", "PDV", "149.00"},
		{"Trail Cap", "Accessories", "TCP", "27.00"},
		{"Hiking Pant", "Bottoms", "HKP", "98.00"},
		{"Base Layer Top", "Tops", "BLT", "64.50"},
		{"Headlamp", "Gear", "HDL", "44.99"},
	}
	for _, k := range kinds {
		p := SeedProduct{Title: k.title, ProductType: k.typ, Vendor: "Crossdock Outfitters", Options: []string{"Size"}, Tags: []string{strings.ToLower(k.typ)}}
		for _, size := range []string{"S", "M", "L"} {
			p.Variants = append(p.Variants, SeedVariant{SKU: k.sku + "-" + size, Price: k.price, Options: []string{size}})
		}
		s.Products = append(s.Products, p)
	}
	s.Products = append(s.Products, SeedProduct{Title: "Gift Card", ProductType: "Gift Cards", GiftCard: true, Vendor: "Crossdock Outfitters",
		Options: []string{"Denomination"}, Variants: []SeedVariant{{SKU: "GIFT-25", Price: "25.00", Options: []string{"$25"}}, {SKU: "GIFT-50", Price: "50.00", Options: []string{"$50"}}}})
	s.Stock = []SeedStock{{SKU: "RSJ-M", Location: "Brooklyn Store", Available: 0}, {SKU: "TRS-L", Location: "Chicago Store", Available: 2}}
	return s
}

// SyntheticSeed is a catalog of n single-variant products (SKUs SKU-00001...)
// stocked at `locations` locations, for bulk-sync tests and benchmarks.
func SyntheticSeed(n, locations int) Seed {
	s := Seed{RandomSeed: 11, DefaultStock: 10}
	for i := 0; i < locations; i++ {
		z := usZIPs[i%len(usZIPs)]
		s.Locations = append(s.Locations, SeedLocation{Name: fmt.Sprintf("Location %d", i+1), Address1: fmt.Sprintf("%d Main St", i+1), City: z.City, Province: z.State, Zip: z.Zip, Country: "US", Lat: z.Lat, Lng: z.Lng, Store: i > 0})
	}
	for i := 1; i <= n; i++ {
		s.Products = append(s.Products, SeedProduct{Title: fmt.Sprintf("Item %05d", i), Variants: []SeedVariant{{SKU: fmt.Sprintf("SKU-%05d", i), Price: "10.00"}}})
	}
	return s
}

// applySeed loads a seed; s.mu is held.
func (s *Server) applySeed(seed Seed) {
	if p, ok := PlanByName(seed.Plan); ok && seed.Plan != "" {
		s.cfg.Plan = p
		s.bucket = newBucket(p, s.cfg.Now)
	}
	now := s.now()
	pubs := seed.Publications
	if len(pubs) == 0 {
		pubs = []string{"Online Store", "Point of Sale"}
	}
	for _, name := range pubs {
		s.st.publications = append(s.st.publications, &publication{ID: s.st.nextID(), Name: name})
	}
	locByName := map[string]int64{}
	for _, l := range seed.Locations {
		loc := &location{ID: s.st.nextID(), Name: l.Name, Active: !l.Inactive, FulfillsOnlineOrders: true,
			Address: address{Address1: l.Address1, City: l.City, ProvinceCode: l.Province, Zip: l.Zip, CountryCode: orDefault(l.Country, "US"), Lat: l.Lat, Lng: l.Lng}}
		s.st.locations[loc.ID] = loc
		locByName[l.Name] = loc.ID
		if l.Store {
			s.stores = append(s.stores, loc.ID)
		}
	}
	stock := map[[2]string]int64{}
	for _, st := range seed.Stock {
		stock[[2]string{st.SKU, st.Location}] = st.Available
	}
	for _, sp := range seed.Products {
		p := &product{ID: s.st.nextID(), Title: sp.Title, Handle: orDefault(sp.Handle, handleize(sp.Title)), Vendor: sp.Vendor,
			ProductType: sp.ProductType, Status: strings.ToUpper(orDefault(sp.Status, "active")), Tags: sp.Tags, GiftCard: sp.GiftCard,
			CreatedAt: now.Add(-30 * 24 * time.Hour), UpdatedAt: now.Add(-30 * 24 * time.Hour), Published: map[int64]bool{}}
		for _, pub := range s.st.publications {
			p.Published[pub.ID] = true
		}
		for i, name := range sp.Options {
			opt := productOption{ID: s.st.nextID(), Name: name}
			for _, v := range sp.Variants {
				if i < len(v.Options) && !contains(opt.Values, v.Options[i]) {
					opt.Values = append(opt.Values, v.Options[i])
				}
			}
			p.Options = append(p.Options, opt)
		}
		for _, sv := range sp.Variants {
			price, _ := parseMinor(sv.Price, s.cfg.Currency)
			v := &variant{ID: s.st.nextID(), ProductID: p.ID, InventoryItemID: s.st.nextID(), SKU: sv.SKU, Barcode: sv.Barcode,
				Price: price, Tracked: !sp.GiftCard, RequiresShip: !sp.GiftCard, UpdatedAt: p.UpdatedAt}
			if sv.CompareAt != "" {
				c, _ := parseMinor(sv.CompareAt, s.cfg.Currency)
				v.CompareAt = &c
			}
			var names []string
			for i, o := range sv.Options {
				if i < len(sp.Options) {
					v.Options = append(v.Options, [2]string{sp.Options[i], o})
					names = append(names, o)
				}
			}
			v.Title = orDefault(strings.Join(names, " / "), "Default Title")
			s.st.variants[v.ID] = v
			s.st.items[v.InventoryItemID] = v
			p.Variants = append(p.Variants, v)
			if sp.GiftCard {
				continue
			}
			for _, l := range seed.Locations {
				q, ok := stock[[2]string{sv.SKU, l.Name}]
				if !ok {
					q = seed.DefaultStock
				}
				lid := locByName[l.Name]
				s.st.levels[[2]int64{v.InventoryItemID, lid}] = &level{ItemID: v.InventoryItemID, LocationID: lid, Available: q, UpdatedAt: p.UpdatedAt}
			}
		}
		s.st.products[p.ID] = p
	}
	since := seed.OrdersSince
	if since.IsZero() {
		since = now.Add(-7 * 24 * time.Hour)
	}
	for i := 0; i < seed.Orders; i++ {
		s.placeRandom(since.Add(time.Duration(i) * 17 * time.Minute))
	}
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
