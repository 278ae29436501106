package sandbox

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The sandbox keeps its state in these plain structs, guarded by Server.mu.
// GraphQL resolvers (resolvers.go) and the REST-shaped webhook bodies
// (webhooks.go) are two renderings of the same state.

// bag is an amount in the shop currency and in the presentment currency, both
// in minor units, as Shopify's MoneyBag (shopMoney / presentmentMoney).
type bag struct{ Shop, Pres int64 }

func (b bag) add(o bag) bag           { return bag{b.Shop + o.Shop, b.Pres + o.Pres} }
func (b bag) mul(n int64) bag         { return bag{b.Shop * n, b.Pres * n} }
func (b bag) isZero() bool            { return b.Shop == 0 && b.Pres == 0 }
func scaleBag(shop int64, fx rat) bag { return bag{shop, fx.apply(shop)} }

// rat converts shop minor units to presentment minor units exactly enough for a
// fake: presentment = shop * Num / Den, rounded half away from zero.
type rat struct{ Num, Den int64 }

func (r rat) apply(v int64) int64 {
	if r.Den == 0 {
		return v
	}
	n := v * r.Num
	if n >= 0 {
		return (n + r.Den/2) / r.Den
	}
	return (n - r.Den/2) / r.Den
}

type address struct {
	FirstName, LastName, Company, Address1, Address2, City, ProvinceCode, Zip, CountryCode, Phone string
	Lat, Lng                                                                                      float64
}

func (a *address) name() string { return strings.TrimSpace(a.FirstName + " " + a.LastName) }

type customer struct {
	ID                                int64
	Email, FirstName, LastName, Phone string
}

type taxLine struct {
	Title string
	Rate  float64 // 0.0725
	Price bag
}

type lineItem struct {
	ID                 int64
	ProductID          int64
	VariantID          int64
	InventoryItemID    int64
	SKU                string
	Title              string
	VariantTitle       string
	Vendor             string
	Quantity           int64
	Price              bag // unit price before discounts
	Discount           bag // total discount allocated to the line
	Taxes              []taxLine
	GiftCard           bool
	RequiresShipping   bool
	Fulfilled          int64
	Removed            int64 // cancelled or refunded units
	DiscountAllocation bool
}

type shippingLine struct {
	ID       int64
	Title    string
	Code     string
	Source   string
	Price    bag
	Discount bag
	Taxes    []taxLine
}

type refundLine struct {
	LineID   int64
	Quantity int64
	Restock  string // RefundLineItemRestockType
}

type refund struct {
	ID        int64
	CreatedAt time.Time
	Note      string
	Amount    bag
	Lines     []refundLine
}

type foLine struct {
	ID        int64
	LineID    int64
	Total     int64
	Remaining int64
}

type fulfillmentOrder struct {
	ID         int64
	LocationID int64
	Status     string // FulfillmentOrderStatus
	Method     string // DeliveryMethodType
	Lines      []*foLine
}

type tracking struct{ Company, Number, URL string }

type fulfillment struct {
	ID        int64
	CreatedAt time.Time
	Status    string
	Tracking  []tracking
	Lines     []refundLine // line id + quantity
}

type order struct {
	ID                  int64
	Number              int64
	Email, Phone        string
	CreatedAt           time.Time
	UpdatedAt           time.Time
	CancelledAt         *time.Time
	CancelReason        string
	Currency            string
	PresentmentCurrency string
	FinancialStatus     string // OrderDisplayFinancialStatus; "" means null
	SourceName          string
	LocationID          int64 // POS sale location
	Customer            *customer
	Shipping            *address
	Billing             *address
	Lines               []*lineItem
	ShippingLines       []*shippingLine
	DiscountCodes       []string
	Tags                []string
	Note                string
	Gateways            []string
	Refunds             []*refund
	FulfillmentOrders   []*fulfillmentOrder
	Fulfillments        []*fulfillment
}

func (o *order) gid() string  { return gid("Order", o.ID) }
func (o *order) name() string { return "#" + strconv.FormatInt(o.Number, 10) }

func (o *order) subtotal() bag {
	var s bag
	for _, l := range o.Lines {
		s = s.add(l.Price.mul(l.Quantity)).add(bag{-l.Discount.Shop, -l.Discount.Pres})
	}
	return s
}

func (o *order) discounts() bag {
	var s bag
	for _, l := range o.Lines {
		s = s.add(l.Discount)
	}
	for _, sl := range o.ShippingLines {
		s = s.add(sl.Discount)
	}
	return s
}

func (o *order) shipping() bag {
	var s bag
	for _, sl := range o.ShippingLines {
		s = s.add(sl.Price)
	}
	return s
}

func (o *order) taxLines() []taxLine {
	byTitle := map[string]*taxLine{}
	var order []string
	add := func(ts []taxLine) {
		for _, t := range ts {
			x, ok := byTitle[t.Title]
			if !ok {
				x = &taxLine{Title: t.Title, Rate: t.Rate}
				byTitle[t.Title] = x
				order = append(order, t.Title)
			}
			x.Price = x.Price.add(t.Price)
		}
	}
	for _, l := range o.Lines {
		add(l.Taxes)
	}
	for _, sl := range o.ShippingLines {
		add(sl.Taxes)
	}
	out := make([]taxLine, 0, len(order))
	for _, k := range order {
		out = append(out, *byTitle[k])
	}
	return out
}

func (o *order) tax() bag {
	var s bag
	for _, t := range o.taxLines() {
		s = s.add(t.Price)
	}
	return s
}

func (o *order) total() bag {
	sh := o.shipping()
	for _, sl := range o.ShippingLines {
		sh = sh.add(bag{-sl.Discount.Shop, -sl.Discount.Pres})
	}
	return o.subtotal().add(sh).add(o.tax())
}

func (o *order) refunded() bag {
	var s bag
	for _, r := range o.Refunds {
		s = s.add(r.Amount)
	}
	return s
}

// fulfillmentStatus follows OrderDisplayFulfillmentStatus over the units
// still on the order (removed units excluded).
func (o *order) fulfillmentStatus() string {
	var want, done int64
	for _, l := range o.Lines {
		want += l.Quantity - l.Removed
		done += l.Fulfilled
	}
	switch {
	case done == 0:
		return "UNFULFILLED"
	case done >= want:
		return "FULFILLED"
	default:
		return "PARTIALLY_FULFILLED"
	}
}

func (o *order) line(id int64) *lineItem {
	for _, l := range o.Lines {
		if l.ID == id {
			return l
		}
	}
	return nil
}

type variant struct {
	ID              int64
	ProductID       int64
	InventoryItemID int64
	Title           string
	SKU             string
	Barcode         string
	Price           int64 // shop currency minor units
	CompareAt       *int64
	Options         [][2]string // name, value
	Tracked         bool
	RequiresShip    bool
	UpdatedAt       time.Time
}

type product struct {
	ID          int64
	Title       string
	Handle      string
	Description string
	Vendor      string
	ProductType string
	Status      string // ACTIVE, DRAFT, ARCHIVED
	Tags        []string
	GiftCard    bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Options     []productOption
	Variants    []*variant
	Published   map[int64]bool // publication id -> published
}

type productOption struct {
	ID     int64
	Name   string
	Values []string
}

type location struct {
	ID                   int64
	Name                 string
	Active               bool
	FulfillsOnlineOrders bool
	Address              address
}

type level struct {
	ItemID, LocationID int64
	Available          int64
	Committed          int64
	Incoming           int64
	UpdatedAt          time.Time
}

func (l *level) onHand() int64 { return l.Available + l.Committed }

func levelGID(l *level) string {
	return fmt.Sprintf("gid://shopify/InventoryLevel/%d?inventory_item_id=%d", l.LocationID, l.ItemID)
}

type publication struct {
	ID   int64
	Name string
}

// state is the whole shop.
type state struct {
	seq          int64
	orderNumber  int64
	orders       map[int64]*order
	products     map[int64]*product
	variants     map[int64]*variant
	items        map[int64]*variant // inventory item id -> variant
	locations    map[int64]*location
	levels       map[[2]int64]*level // item, location
	publications []*publication
	foIndex      map[int64]*order // fulfillment order id -> order
	lineIndex    map[int64]*order // line item id -> order
}

func newState() *state {
	return &state{
		seq:         1000,
		orderNumber: 1000,
		orders:      map[int64]*order{},
		products:    map[int64]*product{},
		variants:    map[int64]*variant{},
		items:       map[int64]*variant{},
		locations:   map[int64]*location{},
		levels:      map[[2]int64]*level{},
		foIndex:     map[int64]*order{},
		lineIndex:   map[int64]*order{},
	}
}

func (s *state) nextID() int64 { s.seq++; return s.seq }

func gid(kind string, id int64) string {
	return "gid://shopify/" + kind + "/" + strconv.FormatInt(id, 10)
}

// parseGID returns the numeric id of a gid of the given kind; InventoryLevel
// gids carry a query string which is ignored.
func parseGID(kind, s string) (int64, bool) {
	p := "gid://shopify/" + kind + "/"
	if !strings.HasPrefix(s, p) {
		return 0, false
	}
	rest := strings.TrimPrefix(s, p)
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest = rest[:i]
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	return n, err == nil
}

func (s *state) sortedLocations() []*location {
	out := make([]*location, 0, len(s.locations))
	for _, l := range s.locations {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (s *state) sortedItems() []*variant {
	out := make([]*variant, 0, len(s.items))
	for _, v := range s.items {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].InventoryItemID < out[j].InventoryItemID })
	return out
}

func (s *state) variantBySKU(sku string) *variant {
	for _, v := range s.variants {
		if v.SKU == sku {
			return v
		}
	}
	return nil
}

func (s *state) productByHandle(h string) *product {
	for _, p := range s.products {
		if p.Handle == h {
			return p
		}
	}
	return nil
}

func (s *state) level(item, loc int64) *level { return s.levels[[2]int64{item, loc}] }

// index registers an order's line and fulfillment order ids.
func (s *state) index(o *order) {
	for _, l := range o.Lines {
		s.lineIndex[l.ID] = o
	}
	for _, fo := range o.FulfillmentOrders {
		s.foIndex[fo.ID] = o
	}
}
