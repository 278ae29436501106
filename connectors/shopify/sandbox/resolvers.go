package sandbox

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	graphql "github.com/graph-gophers/graphql-go"
)

// Resolvers run with Server.mu held for the whole request (see graphql.go), so
// they read and change state freely.

type dateTime struct{ time.Time }

func (dateTime) ImplementsGraphQLType(name string) bool { return name == "DateTime" }
func (d *dateTime) UnmarshalGraphQL(input any) error {
	s, ok := input.(string)
	if !ok {
		return fmt.Errorf("DateTime must be a string")
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("invalid DateTime %q", s)
	}
	d.Time = t
	return nil
}

// MarshalJSON renders RFC 3339 in UTC with second precision, as Shopify does.
func (d dateTime) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(d.UTC().Format(time.RFC3339))), nil
}

func dt(t time.Time) dateTime { return dateTime{t} }
func dtp(t *time.Time) *dateTime {
	if t == nil {
		return nil
	}
	d := dateTime{*t}
	return &d
}

// decimal serves Shopify's Decimal and Money scalars: a decimal string.
type decimal string

func (decimal) ImplementsGraphQLType(name string) bool { return name == "Decimal" || name == "Money" }
func (d *decimal) UnmarshalGraphQL(input any) error {
	switch v := input.(type) {
	case string:
		*d = decimal(v)
	case float64:
		*d = decimal(strconv.FormatFloat(v, 'f', -1, 64))
	case int32:
		*d = decimal(strconv.Itoa(int(v)))
	default:
		return fmt.Errorf("invalid decimal")
	}
	return nil
}

// MarshalJSON renders the decimal as a JSON string.
func (d decimal) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(string(d))), nil }

type urlScalar string

func (urlScalar) ImplementsGraphQLType(name string) bool { return name == "URL" }
func (u *urlScalar) UnmarshalGraphQL(input any) error {
	s, ok := input.(string)
	if !ok {
		return fmt.Errorf("URL must be a string")
	}
	*u = urlScalar(s)
	return nil
}

// MarshalJSON renders the URL as a JSON string.
func (u urlScalar) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(string(u))), nil }

// ---- connections ----

type pageInfoR struct {
	next, prev bool
	start, end *string
}

func (p *pageInfoR) HasNextPage() bool     { return p.next }
func (p *pageInfoR) HasPreviousPage() bool { return p.prev }
func (p *pageInfoR) StartCursor() *string  { return p.start }
func (p *pageInfoR) EndCursor() *string    { return p.end }

type edgeR[T any] struct {
	cursor string
	node   T
}

func (e *edgeR[T]) Cursor() string { return e.cursor }
func (e *edgeR[T]) Node() T        { return e.node }

type connR[T any] struct {
	nodes   []T
	cursors []string
	next    bool
	prev    bool
}

func (c *connR[T]) Nodes() []T { return c.nodes }
func (c *connR[T]) Edges() []*edgeR[T] {
	out := make([]*edgeR[T], len(c.nodes))
	for i := range c.nodes {
		out[i] = &edgeR[T]{cursor: c.cursors[i], node: c.nodes[i]}
	}
	return out
}
func (c *connR[T]) PageInfo() *pageInfoR {
	p := &pageInfoR{next: c.next, prev: c.prev}
	if len(c.cursors) > 0 {
		s, e := c.cursors[0], c.cursors[len(c.cursors)-1]
		p.start, p.end = &s, &e
	}
	return p
}

type pageArgs struct {
	First *int32
	After *string
}

// connect pages items already in order and wraps them as resolvers.
func connect[S any, T any](items []S, key func(S) sortKey, args pageArgs, reverse bool, wrap func(S) T) (*connR[T], error) {
	win, cursors, next, err := page(items, key, args.First, args.After, reverse)
	if err != nil {
		return nil, err
	}
	out := make([]T, len(win))
	for i, it := range win {
		out[i] = wrap(it)
	}
	return &connR[T]{nodes: out, cursors: cursors, next: next, prev: args.After != nil && *args.After != ""}, nil
}

// ---- root ----

type rootResolver struct{ s *Server }

func (r *rootResolver) Shop() *shopR { return &shopR{r.s} }

type shopR struct{ s *Server }

func (x *shopR) ID() graphql.ID          { return graphql.ID(gid("Shop", 1)) }
func (x *shopR) Name() string            { return x.s.cfg.ShopName }
func (x *shopR) MyshopifyDomain() string { return x.s.cfg.ShopDomain }
func (x *shopR) CurrencyCode() string    { return x.s.cfg.Currency }
func (x *shopR) Plan() *planR            { return &planR{x.s.cfg.Plan} }

type planR struct{ p Plan }

func (x *planR) DisplayName() string { return x.p.Name }
func (x *planR) ShopifyPlus() bool   { return strings.EqualFold(x.p.Name, "plus") }

func (r *rootResolver) Order(args struct{ ID graphql.ID }) *orderR {
	id, ok := parseGID("Order", string(args.ID))
	if !ok {
		return nil
	}
	o := r.s.st.orders[id]
	if o == nil {
		return nil
	}
	return &orderR{r.s, o}
}

type listArgs struct {
	First   *int32
	After   *string
	Last    *int32
	Before  *string
	SortKey string
	Reverse bool
	Query   *string
}

func orderKey(sk string) func(*order) sortKey {
	return func(o *order) sortKey {
		switch sk {
		case "UPDATED_AT":
			return sortKey{timeKey(o.UpdatedAt), o.ID}
		case "CREATED_AT", "PROCESSED_AT":
			return sortKey{timeKey(o.CreatedAt), o.ID}
		case "NUMBER":
			return sortKey{idKey(o.Number), o.ID}
		default:
			return sortKey{idKey(o.ID), o.ID}
		}
	}
}

func (r *rootResolver) Orders(args listArgs) (*connR[*orderR], error) {
	q := parseSearch(deref(args.Query))
	var list []*order
	for _, o := range r.s.st.orders {
		o := o
		if q.match(func(f string) (any, bool) {
			switch f {
			case "updated_at":
				return o.UpdatedAt, true
			case "created_at":
				return o.CreatedAt, true
			case "name":
				return o.name(), true
			case "email":
				return o.Email, true
			case "id":
				return strconv.FormatInt(o.ID, 10), true
			case "status":
				if o.CancelledAt != nil {
					return "cancelled", true
				}
				return "open", true
			}
			return nil, false
		}) {
			list = append(list, o)
		}
	}
	key := orderKey(args.SortKey)
	rev := args.Reverse
	sortBy(list, key, rev)
	return connect(list, key, pageArgs{args.First, args.After}, rev, func(o *order) *orderR { return &orderR{r.s, o} })
}

func sortBy[T any](list []T, key func(T) sortKey, reverse bool) {
	sort.Slice(list, func(i, j int) bool {
		if reverse {
			return key(list[j]).less(key(list[i]))
		}
		return key(list[i]).less(key(list[j]))
	})
}

func deref[T any](p *T) T {
	var z T
	if p == nil {
		return z
	}
	return *p
}

func (r *rootResolver) Product(args struct{ ID graphql.ID }) *productR {
	id, ok := parseGID("Product", string(args.ID))
	if !ok || r.s.st.products[id] == nil {
		return nil
	}
	return &productR{r.s, r.s.st.products[id]}
}

func productKey(sk string) func(*product) sortKey {
	return func(p *product) sortKey {
		switch sk {
		case "UPDATED_AT":
			return sortKey{timeKey(p.UpdatedAt), p.ID}
		case "CREATED_AT":
			return sortKey{timeKey(p.CreatedAt), p.ID}
		case "TITLE":
			return sortKey{p.Title, p.ID}
		default:
			return sortKey{idKey(p.ID), p.ID}
		}
	}
}

func (r *rootResolver) Products(args listArgs) (*connR[*productR], error) {
	q := parseSearch(deref(args.Query))
	var list []*product
	for _, p := range r.s.st.products {
		p := p
		if q.match(func(f string) (any, bool) {
			switch f {
			case "updated_at":
				return p.UpdatedAt, true
			case "created_at":
				return p.CreatedAt, true
			case "handle":
				return p.Handle, true
			case "title":
				return p.Title, true
			case "sku":
				skus := make([]string, len(p.Variants))
				for i, v := range p.Variants {
					skus[i] = v.SKU
				}
				return skus, true
			case "status":
				return strings.ToLower(p.Status), true
			}
			return nil, false
		}) {
			list = append(list, p)
		}
	}
	key := productKey(args.SortKey)
	rev := args.Reverse
	sortBy(list, key, rev)
	return connect(list, key, pageArgs{args.First, args.After}, rev, func(p *product) *productR { return &productR{r.s, p} })
}

type searchArgs struct {
	First *int32
	After *string
	Query *string
}

func (r *rootResolver) ProductVariants(args searchArgs) (*connR[*variantR], error) {
	q := parseSearch(deref(args.Query))
	var list []*variant
	for _, v := range r.s.st.variants {
		v := v
		if q.match(func(f string) (any, bool) {
			switch f {
			case "sku":
				return v.SKU, true
			case "barcode":
				return v.Barcode, true
			case "updated_at":
				return v.UpdatedAt, true
			}
			return nil, false
		}) {
			list = append(list, v)
		}
	}
	key := func(v *variant) sortKey { return sortKey{idKey(v.ID), v.ID} }
	sortBy(list, key, false)
	return connect(list, key, pageArgs{args.First, args.After}, false, func(v *variant) *variantR { return &variantR{r.s, v} })
}

func (r *rootResolver) InventoryItem(args struct{ ID graphql.ID }) *itemR {
	id, ok := parseGID("InventoryItem", string(args.ID))
	if !ok || r.s.st.items[id] == nil {
		return nil
	}
	return &itemR{r.s, r.s.st.items[id]}
}

func (r *rootResolver) InventoryItems(args searchArgs) (*connR[*itemR], error) {
	q := parseSearch(deref(args.Query))
	var list []*variant
	for _, v := range r.s.st.sortedItems() {
		v := v
		if q.match(func(f string) (any, bool) {
			switch f {
			case "sku":
				return v.SKU, true
			case "updated_at":
				return v.UpdatedAt, true
			case "id":
				return strconv.FormatInt(v.InventoryItemID, 10), true
			}
			return nil, false
		}) {
			list = append(list, v)
		}
	}
	key := func(v *variant) sortKey { return sortKey{idKey(v.InventoryItemID), v.InventoryItemID} }
	return connect(list, key, pageArgs{args.First, args.After}, false, func(v *variant) *itemR { return &itemR{r.s, v} })
}

func (r *rootResolver) Location(args struct{ ID *graphql.ID }) *locationR {
	if args.ID == nil {
		locs := r.s.st.sortedLocations()
		if len(locs) == 0 {
			return nil
		}
		return &locationR{r.s, locs[0]}
	}
	id, ok := parseGID("Location", string(*args.ID))
	if !ok || r.s.st.locations[id] == nil {
		return nil
	}
	return &locationR{r.s, r.s.st.locations[id]}
}

func (r *rootResolver) Locations(args struct {
	First           *int32
	After           *string
	IncludeInactive bool
}) (*connR[*locationR], error) {
	var list []*location
	for _, l := range r.s.st.sortedLocations() {
		if l.Active || args.IncludeInactive {
			list = append(list, l)
		}
	}
	key := func(l *location) sortKey { return sortKey{idKey(l.ID), l.ID} }
	return connect(list, key, pageArgs{args.First, args.After}, false, func(l *location) *locationR { return &locationR{r.s, l} })
}

func (r *rootResolver) Publications(args pageArgs) (*connR[*publicationR], error) {
	key := func(p *publication) sortKey { return sortKey{idKey(p.ID), p.ID} }
	return connect(r.s.st.publications, key, args, false, func(p *publication) *publicationR { return &publicationR{p} })
}

type publicationR struct{ p *publication }

func (x *publicationR) ID() graphql.ID { return graphql.ID(gid("Publication", x.p.ID)) }
func (x *publicationR) Name() string   { return x.p.Name }

// ---- money ----

type moneyR struct {
	amount   int64
	currency string
}

func (m *moneyR) Amount() decimal      { return decimal(formatMinor(m.amount, m.currency)) }
func (m *moneyR) CurrencyCode() string { return m.currency }

type bagR struct {
	b          bag
	shop, pres string
}

func (x *bagR) ShopMoney() *moneyR        { return &moneyR{x.b.Shop, x.shop} }
func (x *bagR) PresentmentMoney() *moneyR { return &moneyR{x.b.Pres, x.pres} }

// ---- order ----

type orderR struct {
	s *Server
	o *order
}

func (x *orderR) bag(b bag) *bagR { return &bagR{b, x.o.Currency, x.o.PresentmentCurrency} }

func (x *orderR) ID() graphql.ID         { return graphql.ID(x.o.gid()) }
func (x *orderR) Name() string           { return x.o.name() }
func (x *orderR) Email() *string         { return nilIfEmpty(x.o.Email) }
func (x *orderR) Phone() *string         { return nilIfEmpty(x.o.Phone) }
func (x *orderR) CreatedAt() dateTime    { return dt(x.o.CreatedAt) }
func (x *orderR) UpdatedAt() dateTime    { return dt(x.o.UpdatedAt) }
func (x *orderR) ProcessedAt() dateTime  { return dt(x.o.CreatedAt) }
func (x *orderR) CancelledAt() *dateTime { return dtp(x.o.CancelledAt) }
func (x *orderR) CancelReason() *string  { return nilIfEmpty(x.o.CancelReason) }
func (x *orderR) Closed() bool           { return x.o.CancelledAt != nil }
func (x *orderR) Test() bool             { return false }
func (x *orderR) CurrencyCode() string   { return x.o.Currency }
func (x *orderR) PresentmentCurrencyCode() string {
	return x.o.PresentmentCurrency
}
func (x *orderR) DisplayFinancialStatus() *string  { return nilIfEmpty(x.o.FinancialStatus) }
func (x *orderR) DisplayFulfillmentStatus() string { return x.o.fulfillmentStatus() }
func (x *orderR) SourceName() *string              { return nilIfEmpty(x.o.SourceName) }
func (x *orderR) Tags() []string                   { return nonNil(x.o.Tags) }
func (x *orderR) Note() *string                    { return nilIfEmpty(x.o.Note) }
func (x *orderR) DiscountCodes() []string          { return nonNil(x.o.DiscountCodes) }
func (x *orderR) PaymentGatewayNames() []string    { return nonNil(x.o.Gateways) }
func (x *orderR) SubtotalPriceSet() *bagR          { return x.bag(x.o.subtotal()) }
func (x *orderR) TotalDiscountsSet() *bagR         { return x.bag(x.o.discounts()) }
func (x *orderR) TotalShippingPriceSet() *bagR     { return x.bag(x.o.shipping()) }
func (x *orderR) TotalTaxSet() *bagR               { return x.bag(x.o.tax()) }
func (x *orderR) TotalPriceSet() *bagR             { return x.bag(x.o.total()) }
func (x *orderR) TotalRefundedSet() *bagR          { return x.bag(x.o.refunded()) }
func (x *orderR) Customer() *customerR {
	if x.o.Customer == nil {
		return nil
	}
	return &customerR{x.o.Customer}
}
func (x *orderR) ShippingAddress() *addressR { return wrapAddress(x.o.Shipping) }
func (x *orderR) BillingAddress() *addressR  { return wrapAddress(x.o.Billing) }
func (x *orderR) RetailLocation() *locationR {
	if x.o.LocationID == 0 || x.s.st.locations[x.o.LocationID] == nil {
		return nil
	}
	return &locationR{x.s, x.s.st.locations[x.o.LocationID]}
}
func (x *orderR) TaxLines() []*taxLineR {
	var out []*taxLineR
	for _, t := range x.o.taxLines() {
		out = append(out, &taxLineR{t, x})
	}
	return nonNil(out)
}
func (x *orderR) LineItems(args pageArgs) (*connR[*lineR], error) {
	key := func(l *lineItem) sortKey { return sortKey{idKey(l.ID), l.ID} }
	return connect(x.o.Lines, key, args, false, func(l *lineItem) *lineR { return &lineR{x, l} })
}
func (x *orderR) ShippingLines(args pageArgs) (*connR[*shippingLineR], error) {
	key := func(l *shippingLine) sortKey { return sortKey{idKey(l.ID), l.ID} }
	return connect(x.o.ShippingLines, key, args, false, func(l *shippingLine) *shippingLineR { return &shippingLineR{x, l} })
}
func (x *orderR) Refunds(args struct{ First *int32 }) []*refundR {
	out := []*refundR{}
	for i, r := range x.o.Refunds {
		if args.First != nil && i >= int(*args.First) {
			break
		}
		out = append(out, &refundR{x, r})
	}
	return out
}
func (x *orderR) Fulfillments(args struct{ First *int32 }) []*fulfillmentR {
	out := []*fulfillmentR{}
	for i, f := range x.o.Fulfillments {
		if args.First != nil && i >= int(*args.First) {
			break
		}
		out = append(out, &fulfillmentR{f})
	}
	return out
}
func (x *orderR) FulfillmentOrders(args pageArgs) (*connR[*foR], error) {
	key := func(f *fulfillmentOrder) sortKey { return sortKey{idKey(f.ID), f.ID} }
	return connect(x.o.FulfillmentOrders, key, args, false, func(f *fulfillmentOrder) *foR { return &foR{x, f} })
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

type customerR struct{ c *customer }

func (x *customerR) ID() graphql.ID     { return graphql.ID(gid("Customer", x.c.ID)) }
func (x *customerR) Email() *string     { return nilIfEmpty(x.c.Email) }
func (x *customerR) FirstName() *string { return nilIfEmpty(x.c.FirstName) }
func (x *customerR) LastName() *string  { return nilIfEmpty(x.c.LastName) }
func (x *customerR) Phone() *string     { return nilIfEmpty(x.c.Phone) }
func (x *customerR) DisplayName() string {
	return strings.TrimSpace(x.c.FirstName + " " + x.c.LastName)
}

type addressR struct{ a *address }

func wrapAddress(a *address) *addressR {
	if a == nil {
		return nil
	}
	return &addressR{a}
}

func (x *addressR) Address1() *string      { return nilIfEmpty(x.a.Address1) }
func (x *addressR) Address2() *string      { return nilIfEmpty(x.a.Address2) }
func (x *addressR) City() *string          { return nilIfEmpty(x.a.City) }
func (x *addressR) Company() *string       { return nilIfEmpty(x.a.Company) }
func (x *addressR) CountryCodeV2() *string { return nilIfEmpty(x.a.CountryCode) }
func (x *addressR) FirstName() *string     { return nilIfEmpty(x.a.FirstName) }
func (x *addressR) LastName() *string      { return nilIfEmpty(x.a.LastName) }
func (x *addressR) Name() *string          { return nilIfEmpty(x.a.name()) }
func (x *addressR) Phone() *string         { return nilIfEmpty(x.a.Phone) }
func (x *addressR) ProvinceCode() *string  { return nilIfEmpty(x.a.ProvinceCode) }
func (x *addressR) Zip() *string           { return nilIfEmpty(x.a.Zip) }
func (x *addressR) Latitude() *float64 {
	if x.a.Lat == 0 && x.a.Lng == 0 {
		return nil
	}
	return &x.a.Lat
}
func (x *addressR) Longitude() *float64 {
	if x.a.Lat == 0 && x.a.Lng == 0 {
		return nil
	}
	return &x.a.Lng
}

type taxLineR struct {
	t taxLine
	o *orderR
}

func (x *taxLineR) Title() string { return x.t.Title }
func (x *taxLineR) Rate() *float64 {
	r := x.t.Rate
	return &r
}
func (x *taxLineR) RatePercentage() *float64 {
	r := x.t.Rate * 100
	return &r
}
func (x *taxLineR) ChannelLiable() *bool { f := false; return &f }
func (x *taxLineR) PriceSet() *bagR      { return x.o.bag(x.t.Price) }

type lineR struct {
	o *orderR
	l *lineItem
}

func (x *lineR) ID() graphql.ID { return graphql.ID(gid("LineItem", x.l.ID)) }
func (x *lineR) Name() string {
	if x.l.VariantTitle != "" {
		return x.l.Title + " - " + x.l.VariantTitle
	}
	return x.l.Title
}
func (x *lineR) Title() string                 { return x.l.Title }
func (x *lineR) VariantTitle() *string         { return nilIfEmpty(x.l.VariantTitle) }
func (x *lineR) Sku() *string                  { return nilIfEmpty(x.l.SKU) }
func (x *lineR) Vendor() *string               { return nilIfEmpty(x.l.Vendor) }
func (x *lineR) Quantity() int32               { return int32(x.l.Quantity) }
func (x *lineR) CurrentQuantity() int32        { return int32(x.l.Quantity - x.l.Removed) }
func (x *lineR) UnfulfilledQuantity() int32    { return int32(x.l.Quantity - x.l.Removed - x.l.Fulfilled) }
func (x *lineR) NonFulfillableQuantity() int32 { return int32(x.l.Removed) }
func (x *lineR) RefundableQuantity() int32     { return int32(x.l.Quantity - x.l.Removed) }
func (x *lineR) RequiresShipping() bool        { return x.l.RequiresShipping }
func (x *lineR) IsGiftCard() bool              { return x.l.GiftCard }
func (x *lineR) OriginalUnitPriceSet() *bagR   { return x.o.bag(x.l.Price) }
func (x *lineR) DiscountedUnitPriceSet() *bagR {
	if x.l.Quantity == 0 {
		return x.o.bag(x.l.Price)
	}
	return x.o.bag(bag{x.l.Price.Shop - x.l.Discount.Shop/x.l.Quantity, x.l.Price.Pres - x.l.Discount.Pres/x.l.Quantity})
}
func (x *lineR) TotalDiscountSet() *bagR { return x.o.bag(x.l.Discount) }
func (x *lineR) DiscountAllocations() []*allocR {
	if x.l.Discount.isZero() {
		return []*allocR{}
	}
	return []*allocR{{x.o.bag(x.l.Discount)}}
}
func (x *lineR) TaxLines(args struct{ First *int32 }) []*taxLineR {
	out := []*taxLineR{}
	for _, t := range x.l.Taxes {
		out = append(out, &taxLineR{t, x.o})
	}
	return out
}
func (x *lineR) Variant() *variantR {
	v := x.o.s.st.variants[x.l.VariantID]
	if v == nil {
		return nil
	}
	return &variantR{x.o.s, v}
}

type allocR struct{ b *bagR }

func (x *allocR) AllocatedAmountSet() *bagR { return x.b }

type shippingLineR struct {
	o *orderR
	l *shippingLine
}

func (x *shippingLineR) ID() *graphql.ID {
	id := graphql.ID(gid("ShippingLine", x.l.ID))
	return &id
}
func (x *shippingLineR) Title() string              { return x.l.Title }
func (x *shippingLineR) Code() *string              { return nilIfEmpty(x.l.Code) }
func (x *shippingLineR) Source() *string            { return nilIfEmpty(x.l.Source) }
func (x *shippingLineR) CarrierIdentifier() *string { return nil }
func (x *shippingLineR) OriginalPriceSet() *bagR    { return x.o.bag(x.l.Price) }
func (x *shippingLineR) DiscountedPriceSet() *bagR {
	return x.o.bag(bag{x.l.Price.Shop - x.l.Discount.Shop, x.l.Price.Pres - x.l.Discount.Pres})
}
func (x *shippingLineR) DiscountAllocations() []*allocR {
	if x.l.Discount.isZero() {
		return []*allocR{}
	}
	return []*allocR{{x.o.bag(x.l.Discount)}}
}
func (x *shippingLineR) TaxLines() []*taxLineR {
	out := []*taxLineR{}
	for _, t := range x.l.Taxes {
		out = append(out, &taxLineR{t, x.o})
	}
	return out
}

type refundR struct {
	o *orderR
	r *refund
}

func (x *refundR) ID() graphql.ID          { return graphql.ID(gid("Refund", x.r.ID)) }
func (x *refundR) CreatedAt() *dateTime    { return dtp(&x.r.CreatedAt) }
func (x *refundR) Note() *string           { return nilIfEmpty(x.r.Note) }
func (x *refundR) TotalRefundedSet() *bagR { return x.o.bag(x.r.Amount) }
func (x *refundR) RefundLineItems(args pageArgs) (*connR[*refundLineR], error) {
	idx := make([]int64, len(x.r.Lines))
	for i := range x.r.Lines {
		idx[i] = int64(i + 1)
	}
	key := func(i int64) sortKey { return sortKey{idKey(i), i} }
	return connect(idx, key, args, false, func(i int64) *refundLineR { return &refundLineR{x.o, x.r.Lines[i-1]} })
}

type refundLineR struct {
	o *orderR
	l refundLine
}

func (x *refundLineR) LineItem() *lineR    { return &lineR{x.o, x.o.o.line(x.l.LineID)} }
func (x *refundLineR) Quantity() int32     { return int32(x.l.Quantity) }
func (x *refundLineR) RestockType() string { return x.l.Restock }
func (x *refundLineR) Restocked() bool     { return x.l.Restock != "NO_RESTOCK" }

type fulfillmentR struct{ f *fulfillment }

func (x *fulfillmentR) ID() graphql.ID      { return graphql.ID(gid("Fulfillment", x.f.ID)) }
func (x *fulfillmentR) Status() string      { return x.f.Status }
func (x *fulfillmentR) CreatedAt() dateTime { return dt(x.f.CreatedAt) }
func (x *fulfillmentR) TrackingInfo(args struct{ First *int32 }) []*trackingR {
	out := []*trackingR{}
	for _, t := range x.f.Tracking {
		out = append(out, &trackingR{t})
	}
	return out
}

type trackingR struct{ t tracking }

func (x *trackingR) Company() *string { return nilIfEmpty(x.t.Company) }
func (x *trackingR) Number() *string  { return nilIfEmpty(x.t.Number) }
func (x *trackingR) URL() *urlScalar {
	if x.t.URL == "" {
		return nil
	}
	u := urlScalar(x.t.URL)
	return &u
}

type foR struct {
	o *orderR
	f *fulfillmentOrder
}

func (x *foR) ID() graphql.ID { return graphql.ID(gid("FulfillmentOrder", x.f.ID)) }
func (x *foR) Status() string { return x.f.Status }
func (x *foR) AssignedLocation() *assignedR {
	return &assignedR{x.o.s, x.o.s.st.locations[x.f.LocationID]}
}
func (x *foR) DeliveryMethod() *deliveryR { return &deliveryR{x.f.Method} }
func (x *foR) LineItems(args pageArgs) (*connR[*foLineR], error) {
	key := func(l *foLine) sortKey { return sortKey{idKey(l.ID), l.ID} }
	return connect(x.f.Lines, key, args, false, func(l *foLine) *foLineR { return &foLineR{x.o, l} })
}

type assignedR struct {
	s *Server
	l *location
}

func (x *assignedR) Name() string {
	if x.l == nil {
		return ""
	}
	return x.l.Name
}
func (x *assignedR) Location() *locationR {
	if x.l == nil {
		return nil
	}
	return &locationR{x.s, x.l}
}

type deliveryR struct{ m string }

func (x *deliveryR) MethodType() string { return x.m }

type foLineR struct {
	o *orderR
	l *foLine
}

func (x *foLineR) ID() graphql.ID { return graphql.ID(gid("FulfillmentOrderLineItem", x.l.ID)) }
func (x *foLineR) Sku() *string {
	if li := x.o.o.line(x.l.LineID); li != nil {
		return nilIfEmpty(li.SKU)
	}
	return nil
}
func (x *foLineR) TotalQuantity() int32     { return int32(x.l.Total) }
func (x *foLineR) RemainingQuantity() int32 { return int32(x.l.Remaining) }
func (x *foLineR) LineItem() *lineR         { return &lineR{x.o, x.o.o.line(x.l.LineID)} }

// ---- catalog ----

type productR struct {
	s *Server
	p *product
}

func (x *productR) ID() graphql.ID          { return graphql.ID(gid("Product", x.p.ID)) }
func (x *productR) Title() string           { return x.p.Title }
func (x *productR) Handle() string          { return x.p.Handle }
func (x *productR) DescriptionHtml() string { return x.p.Description }
func (x *productR) Vendor() string          { return x.p.Vendor }
func (x *productR) ProductType() string     { return x.p.ProductType }
func (x *productR) Status() string          { return x.p.Status }
func (x *productR) Tags() []string          { return nonNil(x.p.Tags) }
func (x *productR) IsGiftCard() bool        { return x.p.GiftCard }
func (x *productR) CreatedAt() dateTime     { return dt(x.p.CreatedAt) }
func (x *productR) UpdatedAt() dateTime     { return dt(x.p.UpdatedAt) }
func (x *productR) Options(args struct{ First *int32 }) []*optionR {
	out := []*optionR{}
	for _, o := range x.p.Options {
		out = append(out, &optionR{o})
	}
	return out
}
func (x *productR) Variants(args pageArgs) (*connR[*variantR], error) {
	key := func(v *variant) sortKey { return sortKey{idKey(v.ID), v.ID} }
	return connect(x.p.Variants, key, args, false, func(v *variant) *variantR { return &variantR{x.s, v} })
}
func (x *productR) PublishedOnPublication(args struct{ PublicationID graphql.ID }) bool {
	id, _ := parseGID("Publication", string(args.PublicationID))
	return x.p.Published[id]
}

type optionR struct{ o productOption }

func (x *optionR) ID() graphql.ID   { return graphql.ID(gid("ProductOption", x.o.ID)) }
func (x *optionR) Name() string     { return x.o.Name }
func (x *optionR) Values() []string { return nonNil(x.o.Values) }

type variantR struct {
	s *Server
	v *variant
}

func (x *variantR) currency() string    { return x.s.cfg.Currency }
func (x *variantR) ID() graphql.ID      { return graphql.ID(gid("ProductVariant", x.v.ID)) }
func (x *variantR) Title() string       { return x.v.Title }
func (x *variantR) Sku() *string        { return nilIfEmpty(x.v.SKU) }
func (x *variantR) Barcode() *string    { return nilIfEmpty(x.v.Barcode) }
func (x *variantR) Price() decimal      { return decimal(formatMinor(x.v.Price, x.currency())) }
func (x *variantR) UpdatedAt() dateTime { return dt(x.v.UpdatedAt) }
func (x *variantR) CompareAtPrice() *decimal {
	if x.v.CompareAt == nil {
		return nil
	}
	d := decimal(formatMinor(*x.v.CompareAt, x.currency()))
	return &d
}
func (x *variantR) InventoryQuantity() *int32 {
	var n int64
	for k, l := range x.s.st.levels {
		if k[0] == x.v.InventoryItemID {
			n += l.Available
		}
	}
	q := int32(n)
	return &q
}
func (x *variantR) SelectedOptions() []*selectedOptionR {
	out := []*selectedOptionR{}
	for _, o := range x.v.Options {
		out = append(out, &selectedOptionR{o[0], o[1]})
	}
	return out
}
func (x *variantR) InventoryItem() *itemR { return &itemR{x.s, x.v} }
func (x *variantR) Product() *productR    { return &productR{x.s, x.s.st.products[x.v.ProductID]} }

type selectedOptionR struct{ name, value string }

func (x *selectedOptionR) Name() string  { return x.name }
func (x *selectedOptionR) Value() string { return x.value }

type itemR struct {
	s *Server
	v *variant
}

func (x *itemR) ID() graphql.ID         { return graphql.ID(gid("InventoryItem", x.v.InventoryItemID)) }
func (x *itemR) Sku() *string           { return nilIfEmpty(x.v.SKU) }
func (x *itemR) Tracked() bool          { return x.v.Tracked }
func (x *itemR) RequiresShipping() bool { return x.v.RequiresShip }
func (x *itemR) UpdatedAt() dateTime    { return dt(x.v.UpdatedAt) }
func (x *itemR) Variant() *variantR     { return &variantR{x.s, x.v} }
func (x *itemR) InventoryLevel(args struct{ LocationID graphql.ID }) *levelR {
	loc, ok := parseGID("Location", string(args.LocationID))
	if !ok {
		return nil
	}
	l := x.s.st.level(x.v.InventoryItemID, loc)
	if l == nil {
		return nil
	}
	return &levelR{x.s, l}
}
func (x *itemR) InventoryLevels(args pageArgs) (*connR[*levelR], error) {
	var list []*level
	for _, loc := range x.s.st.sortedLocations() {
		if l := x.s.st.level(x.v.InventoryItemID, loc.ID); l != nil {
			list = append(list, l)
		}
	}
	key := func(l *level) sortKey { return sortKey{idKey(l.LocationID), l.LocationID} }
	return connect(list, key, args, false, func(l *level) *levelR { return &levelR{x.s, l} })
}

type levelR struct {
	s *Server
	l *level
}

func (x *levelR) ID() graphql.ID       { return graphql.ID(levelGID(x.l)) }
func (x *levelR) UpdatedAt() *dateTime { return dtp(&x.l.UpdatedAt) }
func (x *levelR) Item() *itemR         { return &itemR{x.s, x.s.st.items[x.l.ItemID]} }
func (x *levelR) Location() *locationR { return &locationR{x.s, x.s.st.locations[x.l.LocationID]} }
func (x *levelR) Quantities(args struct{ Names []string }) []*quantityR {
	out := []*quantityR{}
	for _, n := range args.Names {
		var q int64
		switch n {
		case "available":
			q = x.l.Available
		case "committed":
			q = x.l.Committed
		case "incoming":
			q = x.l.Incoming
		case "on_hand":
			q = x.l.onHand()
		case "reserved", "damaged", "safety_stock", "quality_control":
			q = 0
		default:
			continue
		}
		out = append(out, &quantityR{n, q, x.l.UpdatedAt})
	}
	return out
}

type quantityR struct {
	name string
	q    int64
	at   time.Time
}

func (x *quantityR) Name() string         { return x.name }
func (x *quantityR) Quantity() int32      { return int32(x.q) }
func (x *quantityR) UpdatedAt() *dateTime { return dtp(&x.at) }

type locationR struct {
	s *Server
	l *location
}

func (x *locationR) ID() graphql.ID             { return graphql.ID(gid("Location", x.l.ID)) }
func (x *locationR) Name() string               { return x.l.Name }
func (x *locationR) IsActive() bool             { return x.l.Active }
func (x *locationR) FulfillsOnlineOrders() bool { return x.l.FulfillsOnlineOrders }
func (x *locationR) HasActiveInventory() bool   { return true }
func (x *locationR) Address() *locationAddressR { return &locationAddressR{&x.l.Address} }
func (x *locationR) InventoryLevels(args pageArgs) (*connR[*levelR], error) {
	var list []*level
	for _, v := range x.s.st.sortedItems() {
		if l := x.s.st.level(v.InventoryItemID, x.l.ID); l != nil {
			list = append(list, l)
		}
	}
	key := func(l *level) sortKey { return sortKey{idKey(l.ItemID), l.ItemID} }
	return connect(list, key, args, false, func(l *level) *levelR { return &levelR{x.s, l} })
}

type locationAddressR struct{ a *address }

func (x *locationAddressR) Address1() *string     { return nilIfEmpty(x.a.Address1) }
func (x *locationAddressR) Address2() *string     { return nilIfEmpty(x.a.Address2) }
func (x *locationAddressR) City() *string         { return nilIfEmpty(x.a.City) }
func (x *locationAddressR) ProvinceCode() *string { return nilIfEmpty(x.a.ProvinceCode) }
func (x *locationAddressR) Zip() *string          { return nilIfEmpty(x.a.Zip) }
func (x *locationAddressR) CountryCode() *string  { return nilIfEmpty(x.a.CountryCode) }
func (x *locationAddressR) Phone() *string        { return nilIfEmpty(x.a.Phone) }
func (x *locationAddressR) Latitude() *float64    { return &x.a.Lat }
func (x *locationAddressR) Longitude() *float64   { return &x.a.Lng }

// formatMinor renders minor units as Shopify's decimal string ("24.99").
func formatMinor(v int64, currency string) string {
	exp := currencyExponent(currency)
	if exp == 0 {
		return strconv.FormatInt(v, 10)
	}
	neg := v < 0
	if neg {
		v = -v
	}
	p := int64(1)
	for i := 0; i < exp; i++ {
		p *= 10
	}
	s := fmt.Sprintf("%d.%0*d", v/p, exp, v%p)
	if neg {
		s = "-" + s
	}
	return s
}

// currencyExponent is ISO 4217's minor-unit exponent for the currencies the
// sandbox offers.
func currencyExponent(c string) int {
	switch c {
	case "JPY", "KRW", "CLP", "ISK", "VND":
		return 0
	case "KWD", "BHD", "JOD", "OMR", "TND":
		return 3
	}
	return 2
}
