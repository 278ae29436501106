package sandbox

import (
	"fmt"
	"strings"
	"time"
)

// OrderSpec describes an order to place, for tests that need an exact order.
type OrderSpec struct {
	// Lines are the SKUs and quantities; DiscountPercent discounts a line.
	Lines []OrderLineSpec
	// Email, FirstName and LastName name the customer; Guest places the order
	// without a customer record, and without email when Email is empty.
	Email, FirstName, LastName string
	Guest                      bool
	// Zip is one of the sandbox's US ZIPs for the shipping address (default 10001).
	Zip string
	// PickupAt is a store name for buy-online-pick-up-in-store.
	PickupAt string
	// POSAt is a store name for a point-of-sale order (fulfilled at once).
	POSAt string
	// DiscountCode is recorded on the order.
	DiscountCode string
	// PresentmentCurrency and FXRate (presentment units per shop unit, e.g.
	// 1.36) price the order in another currency.
	PresentmentCurrency string
	FXRate              float64
	// ShippingPrice is the shipping charge as a decimal string (default 7.95
	// for shipped orders).
	ShippingPrice string
	// FinancialStatus is an OrderDisplayFinancialStatus, default PAID; "NULL"
	// leaves it null.
	FinancialStatus string
	// Note is the order note.
	Note string
	// At is when the order was placed; zero means now.
	At time.Time
}

// OrderLineSpec is one line of an OrderSpec.
type OrderLineSpec struct {
	SKU             string
	Quantity        int64
	DiscountPercent int64
}

// PlaceOrder places an order and returns its GID.
func (s *Server) PlaceOrder(spec OrderSpec) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.placeOrder(spec)
	if err != nil {
		return "", err
	}
	return o.gid(), nil
}

// PlaceRandomOrder places a generated order now and returns its GID.
func (s *Server) PlaceRandomOrder() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.placeRandom(s.now())
	if o == nil {
		return ""
	}
	return o.gid()
}

func (s *Server) locationByName(name string) *location {
	for _, l := range s.st.locations {
		if l.Name == name {
			return l
		}
	}
	return nil
}

// placeRandom generates a realistic order: customers spread over US ZIPs,
// some for pickup, some POS, some with gift cards or discounts, a few guests
// without email and some priced in CAD.
func (s *Server) placeRandom(at time.Time) *order {
	var skus []string
	var gifts []string
	for _, v := range s.st.sortedItems() {
		if v.RequiresShip {
			skus = append(skus, v.SKU)
		} else {
			gifts = append(gifts, v.SKU)
		}
	}
	if len(skus) == 0 {
		return nil
	}
	r := s.rng
	spec := OrderSpec{At: at}
	z := usZIPs[r.IntN(len(usZIPs))]
	spec.Zip = z.Zip
	spec.FirstName = firstNames[r.IntN(len(firstNames))]
	spec.LastName = lastNames[r.IntN(len(lastNames))]
	spec.Email = strings.ToLower(spec.FirstName+"."+spec.LastName) + fmt.Sprintf("%d@example.com", r.IntN(100))
	n := 1 + r.IntN(3)
	for i := 0; i < n; i++ {
		spec.Lines = append(spec.Lines, OrderLineSpec{SKU: skus[r.IntN(len(skus))], Quantity: int64(1 + r.IntN(2))})
	}
	roll := r.Float64()
	switch {
	case roll < 0.10 && len(s.stores) > 0:
		spec.PickupAt = s.st.locations[s.stores[r.IntN(len(s.stores))]].Name
	case roll < 0.18 && len(s.stores) > 0:
		spec.POSAt = s.st.locations[s.stores[r.IntN(len(s.stores))]].Name
	}
	if len(gifts) > 0 && r.Float64() < 0.08 {
		spec.Lines = append(spec.Lines, OrderLineSpec{SKU: gifts[r.IntN(len(gifts))], Quantity: 1})
	}
	if r.Float64() < 0.25 {
		spec.DiscountCode = "SAVE10"
		for i := range spec.Lines {
			spec.Lines[i].DiscountPercent = 10
		}
	}
	if r.Float64() < 0.06 {
		spec.Guest, spec.Email = true, ""
	}
	if r.Float64() < 0.05 && spec.POSAt == "" {
		spec.PresentmentCurrency, spec.FXRate = "CAD", 1.36
	}
	o, err := s.placeOrder(spec)
	if err != nil {
		return nil
	}
	return o
}

func (s *Server) placeOrder(spec OrderSpec) (*order, error) {
	at := spec.At
	if at.IsZero() {
		at = s.now()
	}
	at = at.UTC().Truncate(time.Second)
	o := &order{ID: s.st.nextID(), Currency: s.cfg.Currency, PresentmentCurrency: s.cfg.Currency, CreatedAt: at, UpdatedAt: at,
		SourceName: "web", FinancialStatus: "PAID", Gateways: []string{"shopify_payments"}, Note: spec.Note, Email: spec.Email}
	switch spec.FinancialStatus {
	case "":
	case "NULL":
		o.FinancialStatus = ""
	default:
		o.FinancialStatus = spec.FinancialStatus
	}
	fx := rat{1, 1}
	if spec.PresentmentCurrency != "" && spec.PresentmentCurrency != s.cfg.Currency {
		o.PresentmentCurrency = spec.PresentmentCurrency
		fx = rat{int64(spec.FXRate * 10000), 10000}
	}
	if !spec.Guest {
		o.Customer = &customer{ID: s.st.nextID(), Email: spec.Email, FirstName: spec.FirstName, LastName: spec.LastName}
	}
	var taxState string
	var store *location
	method := "SHIPPING"
	switch {
	case spec.POSAt != "":
		store = s.locationByName(spec.POSAt)
		if store == nil {
			return nil, fmt.Errorf("sandbox: no location %q", spec.POSAt)
		}
		o.SourceName, o.LocationID, o.Gateways = "pos", store.ID, []string{"cash"}
		taxState, method = store.Address.ProvinceCode, "RETAIL"
	case spec.PickupAt != "":
		store = s.locationByName(spec.PickupAt)
		if store == nil {
			return nil, fmt.Errorf("sandbox: no location %q", spec.PickupAt)
		}
		taxState, method = store.Address.ProvinceCode, "PICK_UP"
		o.Billing = s.customerAddress(spec, "10001")
	default:
		o.Shipping = s.customerAddress(spec, "10001")
		o.Billing = o.Shipping
		taxState = o.Shipping.ProvinceCode
	}
	rate := stateTax[taxState]
	for _, ls := range spec.Lines {
		v := s.st.variantBySKU(ls.SKU)
		if v == nil {
			return nil, fmt.Errorf("sandbox: no variant with SKU %q", ls.SKU)
		}
		p := s.st.products[v.ProductID]
		li := &lineItem{ID: s.st.nextID(), ProductID: p.ID, VariantID: v.ID, InventoryItemID: v.InventoryItemID, SKU: v.SKU,
			Title: p.Title, Vendor: p.Vendor, Quantity: ls.Quantity, Price: scaleBag(v.Price, fx), GiftCard: p.GiftCard, RequiresShipping: v.RequiresShip}
		if v.Title != "Default Title" {
			li.VariantTitle = v.Title
		}
		if ls.DiscountPercent > 0 {
			d := v.Price * ls.Quantity * ls.DiscountPercent / 100
			li.Discount = scaleBag(d, fx)
		}
		if rate > 0 && !p.GiftCard {
			base := v.Price*ls.Quantity - li.Discount.Shop
			t := int64(float64(base)*rate + 0.5)
			li.Taxes = []taxLine{{Title: taxState + " State Tax", Rate: rate, Price: scaleBag(t, fx)}}
		}
		o.Lines = append(o.Lines, li)
	}
	if spec.DiscountCode != "" {
		o.DiscountCodes = []string{spec.DiscountCode}
	}
	switch method {
	case "SHIPPING":
		price := int64(795)
		if spec.ShippingPrice != "" {
			price, _ = parseMinor(spec.ShippingPrice, s.cfg.Currency)
		}
		o.ShippingLines = []*shippingLine{{ID: s.st.nextID(), Title: "Standard Shipping", Code: "STANDARD", Source: "shopify", Price: scaleBag(price, fx)}}
	case "PICK_UP":
		o.ShippingLines = []*shippingLine{{ID: s.st.nextID(), Title: "Pickup at " + store.Name, Code: "Pickup", Source: "shopify"}}
	}
	s.st.orderNumber++
	o.Number = s.st.orderNumber
	// Fulfillment orders: one per fulfilling location; gift cards are
	// digital and fulfilled at once, POS sales are handed over at the till.
	fos := map[int64]*fulfillmentOrder{}
	var foOrder []int64
	for _, li := range o.Lines {
		if li.GiftCard {
			li.Fulfilled = li.Quantity
			continue
		}
		locID := int64(0)
		if store != nil {
			locID = store.ID
		} else {
			locID = s.shipFrom(li.InventoryItemID, li.Quantity)
		}
		fo := fos[locID]
		if fo == nil {
			fo = &fulfillmentOrder{ID: s.st.nextID(), LocationID: locID, Status: "OPEN", Method: method}
			fos[locID] = fo
			foOrder = append(foOrder, locID)
		}
		fo.Lines = append(fo.Lines, &foLine{ID: s.st.nextID(), LineID: li.ID, Total: li.Quantity, Remaining: li.Quantity})
		if lv := s.st.level(li.InventoryItemID, locID); lv != nil {
			lv.Available -= li.Quantity
			if method != "RETAIL" {
				lv.Committed += li.Quantity
			}
			lv.UpdatedAt = at
			s.levelChanged(lv)
		}
	}
	for _, id := range foOrder {
		o.FulfillmentOrders = append(o.FulfillmentOrders, fos[id])
	}
	if method == "RETAIL" {
		f := &fulfillment{ID: s.st.nextID(), CreatedAt: at, Status: "SUCCESS"}
		for _, fo := range o.FulfillmentOrders {
			for _, fl := range fo.Lines {
				fl.Remaining = 0
				o.line(fl.LineID).Fulfilled = fl.Total
				f.Lines = append(f.Lines, refundLine{LineID: fl.LineID, Quantity: fl.Total})
			}
			fo.Status = "CLOSED"
		}
		o.Fulfillments = append(o.Fulfillments, f)
	}
	s.st.orders[o.ID] = o
	s.st.index(o)
	s.orderChanged(o, "orders/create")
	return o, nil
}

// shipFrom picks the first location (by id) with enough stock, else the first.
func (s *Server) shipFrom(item, qty int64) int64 {
	locs := s.st.sortedLocations()
	for _, l := range locs {
		if lv := s.st.level(item, l.ID); lv != nil && l.Active && lv.Available >= qty {
			return l.ID
		}
	}
	if len(locs) > 0 {
		return locs[0].ID
	}
	return 0
}

func (s *Server) customerAddress(spec OrderSpec, def string) *address {
	zip := orDefault(spec.Zip, def)
	z := usZIPs[0]
	for _, c := range usZIPs {
		if c.Zip == zip {
			z = c
		}
	}
	return &address{FirstName: spec.FirstName, LastName: spec.LastName, Address1: fmt.Sprintf("%d Market St", 100+len(spec.Email)),
		City: z.City, ProvinceCode: z.State, Zip: z.Zip, CountryCode: "US", Lat: z.Lat, Lng: z.Lng}
}

// UpdateOrderNote changes an order's note (an edit in the admin), bumping
// its updated_at and sending orders/updated.
func (s *Server) UpdateOrderNote(orderGID, note string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _ := parseGID("Order", orderGID)
	o := s.st.orders[id]
	if o == nil {
		return fmt.Errorf("sandbox: no order %s", orderGID)
	}
	o.Note = note
	o.UpdatedAt = s.now().Truncate(time.Second)
	s.orderChanged(o, "orders/updated")
	return nil
}

// CancelOrder cancels an order as a merchant would in the admin.
func (s *Server) CancelOrder(orderGID, reason string, refund, restock bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _ := parseGID("Order", orderGID)
	o := s.st.orders[id]
	if o == nil {
		return fmt.Errorf("sandbox: no order %s", orderGID)
	}
	if o.CancelledAt != nil {
		return fmt.Errorf("sandbox: order %s already cancelled", orderGID)
	}
	s.cancelOrder(o, reason, refund, restock)
	return nil
}

// Available returns the available quantity of a SKU at a location name.
func (s *Server) Available(sku, locationName string) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.st.variantBySKU(sku)
	l := s.locationByName(locationName)
	if v == nil || l == nil {
		return 0, false
	}
	lv := s.st.level(v.InventoryItemID, l.ID)
	if lv == nil {
		return 0, false
	}
	return lv.Available, true
}

// SetAvailable changes stock behind the connector's back (a count in the
// admin), sending inventory_levels/update.
func (s *Server) SetAvailable(sku, locationName string, n int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.st.variantBySKU(sku)
	l := s.locationByName(locationName)
	if v == nil || l == nil {
		return fmt.Errorf("sandbox: no level for %s at %s", sku, locationName)
	}
	lv := s.st.level(v.InventoryItemID, l.ID)
	if lv == nil {
		return fmt.Errorf("sandbox: %s not stocked at %s", sku, locationName)
	}
	lv.Available = n
	lv.UpdatedAt = s.now()
	s.levelChanged(lv)
	return nil
}

// LocationGID returns the GID of a location by name, "" if unknown.
func (s *Server) LocationGID(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := s.locationByName(name); l != nil {
		return gid("Location", l.ID)
	}
	return ""
}

// Counts returns the number of orders, products and variants.
func (s *Server) Counts() (orders, products, variants int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.st.orders), len(s.st.products), len(s.st.variants)
}

// ProductPublished reports whether the product with this handle is published
// on the named publication.
func (s *Server) ProductPublished(handle, publication string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.st.productByHandle(handle)
	if p == nil {
		return false
	}
	for _, pub := range s.st.publications {
		if pub.Name == publication {
			return p.Published[pub.ID]
		}
	}
	return false
}

// FulfillmentCount returns the number of fulfillments of an order.
func (s *Server) FulfillmentCount(orderGID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _ := parseGID("Order", orderGID)
	if o := s.st.orders[id]; o != nil {
		return len(o.Fulfillments)
	}
	return 0
}

// OrderCancelled reports whether an order is cancelled.
func (s *Server) OrderCancelled(orderGID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _ := parseGID("Order", orderGID)
	o := s.st.orders[id]
	return o != nil && o.CancelledAt != nil
}

// LineIDs returns the GIDs of an order's lines, in order.
func (s *Server) LineIDs(orderGID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _ := parseGID("Order", orderGID)
	o := s.st.orders[id]
	if o == nil {
		return nil
	}
	out := make([]string, len(o.Lines))
	for i, l := range o.Lines {
		out[i] = gid("LineItem", l.ID)
	}
	return out
}

// ProductByHandle returns a product's GID, variant count and the price of
// its first variant in minor units; ok is false when no product has handle.
func (s *Server) ProductByHandle(handle string) (id string, variants int, firstPrice int64, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.st.productByHandle(handle)
	if p == nil {
		return "", 0, 0, false
	}
	if len(p.Variants) > 0 {
		firstPrice = p.Variants[0].Price
	}
	return gid("Product", p.ID), len(p.Variants), firstPrice, true
}

// Resume moves the shop's id sequence and order numbering past ids and numbers
// handed out by an earlier run, so a sandbox restarted beside a hub that kept
// its state never reuses an order id. It never moves them back.
func (s *Server) Resume(lastID, lastOrderNumber int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.seq = max(s.st.seq, lastID)
	s.st.orderNumber = max(s.st.orderNumber, lastOrderNumber)
}
