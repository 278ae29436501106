package shopify

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
)

// Mapping from Shopify's payloads to the canonical model. Two sources carry
// the same entities:
//
//   - GraphQL Admin API nodes (polling): camelCase, money as MoneyBag
//     {shopMoney, presentmentMoney} of MoneyV2 {amount (decimal string),
//     currencyCode}; ids are GIDs (gid://shopify/Order/450789469).
//   - Webhook bodies: the REST resource in snake_case, money as strings plus
//     *_set {shop_money, presentment_money}; numeric ids beside
//     admin_graphql_api_id.
//
// Both map to the same canonical record: ExternalID is the GID and Version
// the updated_at in Unix milliseconds, so a webhook and a poll of the same
// order version converge. Amounts are taken in the shop currency
// (shopMoney / shop_money); the presentment currency is kept as
// Order.PresentmentCurrency. Money strings are parsed exactly with
// canonical.ParseMoney.

// ---- GraphQL shapes ----

type gMoney struct {
	Amount       string `json:"amount"`
	CurrencyCode string `json:"currencyCode"`
}

type gBag struct {
	ShopMoney        gMoney  `json:"shopMoney"`
	PresentmentMoney *gMoney `json:"presentmentMoney"`
}

type gAddress struct {
	Address1      *string  `json:"address1"`
	Address2      *string  `json:"address2"`
	City          *string  `json:"city"`
	Company       *string  `json:"company"`
	CountryCodeV2 *string  `json:"countryCodeV2"`
	CountryCode   *string  `json:"countryCode"`
	FirstName     *string  `json:"firstName"`
	LastName      *string  `json:"lastName"`
	Name          *string  `json:"name"`
	Phone         *string  `json:"phone"`
	ProvinceCode  *string  `json:"provinceCode"`
	Zip           *string  `json:"zip"`
	Latitude      *float64 `json:"latitude"`
	Longitude     *float64 `json:"longitude"`
}

type gTaxLine struct {
	Title    string   `json:"title"`
	Rate     *float64 `json:"rate"`
	PriceSet gBag     `json:"priceSet"`
}

type gAllocation struct {
	AllocatedAmountSet gBag `json:"allocatedAmountSet"`
}

type gID struct {
	ID string `json:"id"`
}

type gPageInfo struct {
	HasNextPage bool    `json:"hasNextPage"`
	EndCursor   *string `json:"endCursor"`
}

type gLineItem struct {
	ID                   string        `json:"id"`
	SKU                  *string       `json:"sku"`
	Title                string        `json:"title"`
	VariantTitle         *string       `json:"variantTitle"`
	Quantity             int64         `json:"quantity"`
	CurrentQuantity      int64         `json:"currentQuantity"`
	UnfulfilledQuantity  int64         `json:"unfulfilledQuantity"`
	RequiresShipping     bool          `json:"requiresShipping"`
	IsGiftCard           bool          `json:"isGiftCard"`
	OriginalUnitPriceSet gBag          `json:"originalUnitPriceSet"`
	DiscountAllocations  []gAllocation `json:"discountAllocations"`
	TaxLines             []gTaxLine    `json:"taxLines"`
	Variant              *gID          `json:"variant"`
}

type gShippingLine struct {
	Title               string        `json:"title"`
	Code                *string       `json:"code"`
	Source              *string       `json:"source"`
	OriginalPriceSet    gBag          `json:"originalPriceSet"`
	DiscountAllocations []gAllocation `json:"discountAllocations"`
	TaxLines            []gTaxLine    `json:"taxLines"`
}

type gRefund struct {
	ID               string     `json:"id"`
	CreatedAt        *time.Time `json:"createdAt"`
	Note             *string    `json:"note"`
	TotalRefundedSet gBag       `json:"totalRefundedSet"`
	RefundLineItems  struct {
		Nodes []struct {
			LineItem    gID    `json:"lineItem"`
			Quantity    int64  `json:"quantity"`
			RestockType string `json:"restockType"`
		} `json:"nodes"`
	} `json:"refundLineItems"`
}

type gFulfillmentOrder struct {
	ID             string `json:"id"`
	Status         string `json:"status"`
	DeliveryMethod *struct {
		MethodType string `json:"methodType"`
	} `json:"deliveryMethod"`
	AssignedLocation struct {
		Location *gID `json:"location"`
	} `json:"assignedLocation"`
	LineItems struct {
		Nodes []struct {
			ID                string   `json:"id"`
			RemainingQuantity int64    `json:"remainingQuantity"`
			TotalQuantity     int64    `json:"totalQuantity"`
			LineItem          gLineRef `json:"lineItem"`
		} `json:"nodes"`
	} `json:"lineItems"`
}

type gLineRef struct {
	ID  string  `json:"id"`
	SKU *string `json:"sku"`
}

type gOrder struct {
	ID                       string     `json:"id"`
	Name                     string     `json:"name"`
	Email                    *string    `json:"email"`
	Phone                    *string    `json:"phone"`
	CreatedAt                time.Time  `json:"createdAt"`
	UpdatedAt                time.Time  `json:"updatedAt"`
	ProcessedAt              *time.Time `json:"processedAt"`
	CancelledAt              *time.Time `json:"cancelledAt"`
	CancelReason             *string    `json:"cancelReason"`
	CurrencyCode             string     `json:"currencyCode"`
	PresentmentCurrencyCode  string     `json:"presentmentCurrencyCode"`
	DisplayFinancialStatus   *string    `json:"displayFinancialStatus"`
	DisplayFulfillmentStatus *string    `json:"displayFulfillmentStatus"`
	SourceName               *string    `json:"sourceName"`
	Tags                     []string   `json:"tags"`
	Note                     *string    `json:"note"`
	DiscountCodes            []string   `json:"discountCodes"`
	PaymentGatewayNames      []string   `json:"paymentGatewayNames"`
	Customer                 *struct {
		ID        string  `json:"id"`
		Email     *string `json:"email"`
		FirstName *string `json:"firstName"`
		LastName  *string `json:"lastName"`
		Phone     *string `json:"phone"`
	} `json:"customer"`
	ShippingAddress       *gAddress  `json:"shippingAddress"`
	BillingAddress        *gAddress  `json:"billingAddress"`
	RetailLocation        *gID       `json:"retailLocation"`
	SubtotalPriceSet      *gBag      `json:"subtotalPriceSet"`
	TotalDiscountsSet     *gBag      `json:"totalDiscountsSet"`
	TotalShippingPriceSet *gBag      `json:"totalShippingPriceSet"`
	TotalTaxSet           *gBag      `json:"totalTaxSet"`
	TotalPriceSet         gBag       `json:"totalPriceSet"`
	TaxLines              []gTaxLine `json:"taxLines"`
	LineItems             struct {
		Nodes    []gLineItem `json:"nodes"`
		PageInfo gPageInfo   `json:"pageInfo"`
	} `json:"lineItems"`
	ShippingLines struct {
		Nodes []gShippingLine `json:"nodes"`
	} `json:"shippingLines"`
	Refunds           []gRefund `json:"refunds"`
	FulfillmentOrders struct {
		Nodes []gFulfillmentOrder `json:"nodes"`
	} `json:"fulfillmentOrders"`
}

// orderFields is the GraphQL selection mapped by mapOrder. Its requested cost
// (object 1, connection 2 + first x node, shopMoney only) is about 180
// points an order, so orders are read a few per page; an order with more
// than 10 lines has the rest fetched separately (orderLinesQuery).
const orderFields = `
fragment Money on MoneyBag { shopMoney { amount currencyCode } }
fragment Addr on MailingAddress { name firstName lastName company address1 address2 city provinceCode zip countryCodeV2 phone latitude longitude }
fragment Line on LineItem {
  id sku title variantTitle quantity currentQuantity unfulfilledQuantity requiresShipping isGiftCard
  originalUnitPriceSet { ...Money }
  discountAllocations { allocatedAmountSet { ...Money } }
  taxLines { title rate priceSet { ...Money } }
  variant { id }
}
fragment OrderFields on Order {
  id name email phone createdAt updatedAt processedAt cancelledAt cancelReason
  currencyCode presentmentCurrencyCode displayFinancialStatus displayFulfillmentStatus
  sourceName tags note discountCodes paymentGatewayNames
  customer { id email firstName lastName phone }
  shippingAddress { ...Addr }
  billingAddress { ...Addr }
  retailLocation { id }
  subtotalPriceSet { ...Money }
  totalDiscountsSet { ...Money }
  totalShippingPriceSet { ...Money }
  totalTaxSet { ...Money }
  totalPriceSet { ...Money }
  taxLines { title rate priceSet { ...Money } }
  lineItems(first: 10) { pageInfo { hasNextPage endCursor } nodes { ...Line } }
  shippingLines(first: 3) { nodes { title code source originalPriceSet { ...Money } discountAllocations { allocatedAmountSet { ...Money } } taxLines { title rate priceSet { ...Money } } } }
  refunds(first: 5) { id createdAt note totalRefundedSet { ...Money } refundLineItems(first: 10) { nodes { lineItem { id } quantity restockType } } }
  fulfillmentOrders(first: 5) { nodes { id status deliveryMethod { methodType } assignedLocation { location { id } } } }
}
`

// mapper turns Shopify payloads into canonical values for one instance.
type mapper struct {
	cfg      *Config
	currency string // shop currency, for product prices
}

func (m *mapper) money(b *gBag) (canonical.Money, error) {
	if b == nil {
		return canonical.Money{}, nil
	}
	return canonical.ParseMoney(b.ShopMoney.Amount, b.ShopMoney.CurrencyCode)
}

// zero returns a zero amount in currency.
func zero(currency string) canonical.Money { return canonical.Money{Currency: currency} }

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// versionOf is the Record.Version of an entity updated at t.
func versionOf(t time.Time) int64 { return t.UTC().UnixMilli() }

// sumMoney adds amounts into a total of currency cur, collecting the first error.
type moneySum struct {
	total canonical.Money
	err   error
}

func (s *moneySum) add(m canonical.Money, err error) {
	if s.err != nil {
		return
	}
	if err != nil {
		s.err = err
		return
	}
	if m.Currency == "" {
		return
	}
	t, err := s.total.Add(m)
	if err != nil {
		s.err = err
		return
	}
	s.total = t
}

func (m *mapper) address(a *gAddress) *canonical.Address {
	if a == nil {
		return nil
	}
	out := &canonical.Address{
		Name: str(a.Name), Company: str(a.Company), Line1: str(a.Address1), Line2: str(a.Address2),
		City: str(a.City), Region: str(a.ProvinceCode), PostalCode: str(a.Zip), Phone: str(a.Phone),
		Country: str(a.CountryCodeV2),
	}
	if out.Country == "" {
		out.Country = str(a.CountryCode)
	}
	if out.Name == "" {
		out.Name = strings.TrimSpace(str(a.FirstName) + " " + str(a.LastName))
	}
	if a.Latitude != nil && a.Longitude != nil && (*a.Latitude != 0 || *a.Longitude != 0) {
		out.Geo = &canonical.GeoPoint{Lat: *a.Latitude, Lng: *a.Longitude}
	}
	return out
}

func basisPoints(rate *float64) int64 {
	if rate == nil {
		return 0
	}
	return int64(math.Round(*rate * 10000))
}

// orderStatus derives the canonical status from Shopify's display statuses;
// a null displayFulfillmentStatus counts as unfulfilled.
func orderStatus(cancelled bool, financial, fulfillment string) canonical.OrderStatus {
	switch {
	case cancelled:
		return canonical.OrderCancelled
	case fulfillment == "FULFILLED":
		return canonical.OrderFulfilled
	case fulfillment == "PARTIALLY_FULFILLED":
		return canonical.OrderPartiallyFulfilled
	case financial == "" || financial == "PENDING" || financial == "EXPIRED":
		return canonical.OrderPending
	default:
		return canonical.OrderConfirmed
	}
}

// mapOrder maps a GraphQL Order node.
func (m *mapper) mapOrder(g *gOrder) (canonical.Order, error) {
	cur := g.CurrencyCode
	o := canonical.Order{
		Channel:         m.cfg.Instance,
		ExternalID:      g.ID,
		Number:          g.Name,
		PlacedAt:        g.CreatedAt.UTC(),
		UpdatedAt:       g.UpdatedAt.UTC(),
		Tags:            g.Tags,
		Notes:           str(g.Note),
		Refs:            canonical.Refs{{Connector: m.cfg.Instance, ID: g.ID, Version: g.UpdatedAt.UTC().Format(time.RFC3339)}},
		BillingAddress:  m.address(g.BillingAddress),
		ShippingAddress: m.address(g.ShippingAddress),
	}
	if g.ProcessedAt != nil {
		o.PlacedAt = g.ProcessedAt.UTC()
	}
	if g.PresentmentCurrencyCode != "" && g.PresentmentCurrencyCode != cur {
		o.PresentmentCurrency = g.PresentmentCurrencyCode
	}
	if g.CancelledAt != nil {
		t := g.CancelledAt.UTC()
		o.CancelledAt = &t
		o.CancelReason = strings.ToLower(str(g.CancelReason))
	}
	o.Status = orderStatus(g.CancelledAt != nil, str(g.DisplayFinancialStatus), str(g.DisplayFulfillmentStatus))
	email := strings.ToLower(str(g.Email))
	if g.Customer != nil {
		o.Customer = &canonical.Customer{
			Email: strings.ToLower(str(g.Customer.Email)), FirstName: str(g.Customer.FirstName), LastName: str(g.Customer.LastName),
			Phone: str(g.Customer.Phone), Refs: canonical.Refs{{Connector: m.cfg.Instance, ID: g.Customer.ID}},
		}
		if o.Customer.Email == "" {
			o.Customer.Email = email
		}
	} else if email != "" {
		o.Customer = &canonical.Customer{Email: email}
	}
	if len(g.PaymentGatewayNames) > 0 || g.DisplayFinancialStatus != nil {
		o.Payment = &canonical.Payment{Status: strings.ToLower(str(g.DisplayFinancialStatus))}
		if len(g.PaymentGatewayNames) > 0 {
			o.Payment.Gateway = g.PaymentGatewayNames[0]
		}
	}
	returned := map[string]int64{}
	for _, r := range g.Refunds {
		for _, rl := range r.RefundLineItems.Nodes {
			if rl.RestockType == "RETURN" {
				returned[rl.LineItem.ID] += rl.Quantity
			}
		}
	}
	subtotal := moneySum{total: zero(cur)}
	for _, l := range g.LineItems.Nodes {
		line, err := m.mapLine(l, cur)
		if err != nil {
			return o, fmt.Errorf("line %s: %w", l.ID, err)
		}
		line.Returned = returned[l.ID]
		subtotal.add(line.UnitPrice.Mul(line.Quantity))
		o.Lines = append(o.Lines, line)
	}
	for _, s := range g.ShippingLines.Nodes {
		sl := canonical.ShippingLine{Code: str(s.Code), Title: s.Title}
		var err error
		if sl.Price, err = m.money(&s.OriginalPriceSet); err != nil {
			return o, fmt.Errorf("shipping line: %w", err)
		}
		disc := moneySum{total: zero(cur)}
		for _, a := range s.DiscountAllocations {
			disc.add(m.money(&a.AllocatedAmountSet))
		}
		tax := moneySum{total: zero(cur)}
		for _, t := range s.TaxLines {
			tax.add(m.money(&t.PriceSet))
		}
		if disc.err != nil || tax.err != nil {
			return o, fmt.Errorf("shipping line: %w", firstErr(disc.err, tax.err))
		}
		sl.Discount, sl.Tax = disc.total, tax.total
		o.ShippingLines = append(o.ShippingLines, sl)
	}
	for _, t := range g.TaxLines {
		amt, err := m.money(&t.PriceSet)
		if err != nil {
			return o, fmt.Errorf("tax line: %w", err)
		}
		o.Taxes = append(o.Taxes, canonical.TaxLine{Title: t.Title, RateBasisPoints: basisPoints(t.Rate), Amount: amt})
	}
	var err error
	tot := &o.Totals
	tot.Subtotal = subtotal.total
	if subtotal.err != nil {
		return o, subtotal.err
	}
	if tot.Discount, err = m.moneyOr(g.TotalDiscountsSet, cur); err != nil {
		return o, err
	}
	if tot.Shipping, err = m.moneyOr(g.TotalShippingPriceSet, cur); err != nil {
		return o, err
	}
	if tot.Tax, err = m.moneyOr(g.TotalTaxSet, cur); err != nil {
		return o, err
	}
	if tot.Total, err = m.money(&g.TotalPriceSet); err != nil {
		return o, err
	}
	o.Discounts = discounts(g.DiscountCodes, tot.Discount)
	for _, r := range g.Refunds {
		ref := canonical.Refund{ID: r.ID, Reason: str(r.Note)}
		if r.CreatedAt != nil {
			ref.At = r.CreatedAt.UTC()
		}
		if ref.Amount, err = m.money(&r.TotalRefundedSet); err != nil {
			return o, err
		}
		for _, rl := range r.RefundLineItems.Nodes {
			ref.Lines = append(ref.Lines, canonical.LineQuantity{LineID: rl.LineItem.ID, SKU: skuOf(o.Lines, rl.LineItem.ID), Quantity: rl.Quantity})
			ref.Restock = ref.Restock || (rl.RestockType != "" && rl.RestockType != "NO_RESTOCK")
		}
		o.Refunds = append(o.Refunds, ref)
	}
	// Fulfilment: a fulfillment order delivered by PICK_UP names the store;
	// a POS sale (retailLocation set) was handed over at that store.
	o.Fulfilment.Method = canonical.FulfilShip
	if g.RetailLocation != nil {
		o.SourceLocationID = m.cfg.crossdockLocation(g.RetailLocation.ID)
		o.Fulfilment = canonical.Fulfilment{Method: canonical.FulfilPickup, PickupLocationID: o.SourceLocationID}
	}
	for _, fo := range g.FulfillmentOrders.Nodes {
		if fo.DeliveryMethod != nil && fo.DeliveryMethod.MethodType == "PICK_UP" && fo.AssignedLocation.Location != nil {
			o.Fulfilment = canonical.Fulfilment{Method: canonical.FulfilPickup, PickupLocationID: m.cfg.crossdockLocation(fo.AssignedLocation.Location.ID)}
		}
	}
	if o.Fulfilment.Method == canonical.FulfilShip && len(o.ShippingLines) > 0 {
		o.Fulfilment.ShippingMethod = shippingMethod(o.ShippingLines[0])
	}
	return o, nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func (m *mapper) moneyOr(b *gBag, cur string) (canonical.Money, error) {
	if b == nil {
		return zero(cur), nil
	}
	return m.money(b)
}

func shippingMethod(s canonical.ShippingLine) string {
	if s.Code != "" {
		return strings.ToLower(s.Code)
	}
	return strings.ToLower(s.Title)
}

// discounts records the codes entered; the amounts themselves are allocated
// to lines and shipping lines (discountAllocations), so Order.Discounts is
// the order's summary: one entry with the total when a single code was
// used, otherwise the codes joined.
func discounts(codes []string, total canonical.Money) []canonical.Discount {
	if total.Amount == 0 && len(codes) == 0 {
		return nil
	}
	return []canonical.Discount{{Code: strings.Join(codes, ","), Amount: total}}
}

func skuOf(lines []canonical.OrderLine, id string) string {
	for _, l := range lines {
		if l.ID == id {
			return l.SKU
		}
	}
	return ""
}

func (m *mapper) mapLine(l gLineItem, cur string) (canonical.OrderLine, error) {
	line := canonical.OrderLine{
		ID: l.ID, SKU: str(l.SKU), Title: l.Title, Quantity: l.Quantity,
		RequiresShipping: l.RequiresShipping, GiftCard: l.IsGiftCard,
		Refs: canonical.Refs{{Connector: m.cfg.Instance, ID: l.ID}},
	}
	if v := str(l.VariantTitle); v != "" && v != "Default Title" {
		line.Title += " - " + v
	}
	// Removed units (cancelled or refunded before fulfilment) leave
	// currentQuantity; of the rest, what is not unfulfilled was fulfilled.
	line.Cancelled = l.Quantity - l.CurrentQuantity
	line.Fulfilled = l.CurrentQuantity - l.UnfulfilledQuantity
	if line.Fulfilled < 0 {
		line.Fulfilled = 0
	}
	var err error
	if line.UnitPrice, err = m.money(&l.OriginalUnitPriceSet); err != nil {
		return line, err
	}
	disc := moneySum{total: zero(cur)}
	for _, a := range l.DiscountAllocations {
		disc.add(m.money(&a.AllocatedAmountSet))
	}
	tax := moneySum{total: zero(cur)}
	for _, t := range l.TaxLines {
		tax.add(m.money(&t.PriceSet))
	}
	if err := firstErr(disc.err, tax.err); err != nil {
		return line, err
	}
	line.Discount, line.Tax = disc.total, tax.total
	return line, nil
}

// ---- REST (webhook) shapes ----

type rMoney struct {
	Amount       string `json:"amount"`
	CurrencyCode string `json:"currency_code"`
}

type rSet struct {
	ShopMoney        rMoney  `json:"shop_money"`
	PresentmentMoney *rMoney `json:"presentment_money"`
}

type rTaxLine struct {
	Title    string  `json:"title"`
	Rate     float64 `json:"rate"`
	Price    string  `json:"price"`
	PriceSet *rSet   `json:"price_set"`
}

type rAllocation struct {
	Amount    string `json:"amount"`
	AmountSet *rSet  `json:"amount_set"`
}

type rAddress struct {
	FirstName    *string  `json:"first_name"`
	LastName     *string  `json:"last_name"`
	Name         *string  `json:"name"`
	Company      *string  `json:"company"`
	Address1     *string  `json:"address1"`
	Address2     *string  `json:"address2"`
	City         *string  `json:"city"`
	ProvinceCode *string  `json:"province_code"`
	Zip          *string  `json:"zip"`
	CountryCode  *string  `json:"country_code"`
	Phone        *string  `json:"phone"`
	Latitude     *float64 `json:"latitude"`
	Longitude    *float64 `json:"longitude"`
}

type rLineItem struct {
	ID                  int64         `json:"id"`
	AdminGraphqlAPIID   string        `json:"admin_graphql_api_id"`
	VariantID           *int64        `json:"variant_id"`
	SKU                 *string       `json:"sku"`
	Title               string        `json:"title"`
	VariantTitle        *string       `json:"variant_title"`
	Quantity            int64         `json:"quantity"`
	CurrentQuantity     *int64        `json:"current_quantity"`
	FulfillableQuantity int64         `json:"fulfillable_quantity"`
	Price               string        `json:"price"`
	PriceSet            *rSet         `json:"price_set"`
	DiscountAllocations []rAllocation `json:"discount_allocations"`
	TaxLines            []rTaxLine    `json:"tax_lines"`
	GiftCard            bool          `json:"gift_card"`
	RequiresShipping    bool          `json:"requires_shipping"`
}

type rShippingLine struct {
	Title               string        `json:"title"`
	Code                *string       `json:"code"`
	Source              *string       `json:"source"`
	Price               string        `json:"price"`
	PriceSet            *rSet         `json:"price_set"`
	DiscountAllocations []rAllocation `json:"discount_allocations"`
	TaxLines            []rTaxLine    `json:"tax_lines"`
}

type rOrder struct {
	ID                    int64      `json:"id"`
	AdminGraphqlAPIID     string     `json:"admin_graphql_api_id"`
	Name                  string     `json:"name"`
	Email                 *string    `json:"email"`
	CreatedAt             time.Time  `json:"created_at"`
	UpdatedAt             time.Time  `json:"updated_at"`
	ProcessedAt           *time.Time `json:"processed_at"`
	CancelledAt           *time.Time `json:"cancelled_at"`
	CancelReason          *string    `json:"cancel_reason"`
	Currency              string     `json:"currency"`
	PresentmentCurrency   string     `json:"presentment_currency"`
	FinancialStatus       *string    `json:"financial_status"`
	FulfillmentStatus     *string    `json:"fulfillment_status"`
	SourceName            *string    `json:"source_name"`
	LocationID            *int64     `json:"location_id"`
	Tags                  string     `json:"tags"`
	Note                  *string    `json:"note"`
	TotalPrice            string     `json:"total_price"`
	TotalPriceSet         *rSet      `json:"total_price_set"`
	TotalTaxSet           *rSet      `json:"total_tax_set"`
	TotalDiscountsSet     *rSet      `json:"total_discounts_set"`
	TotalShippingPriceSet *rSet      `json:"total_shipping_price_set"`
	DiscountCodes         []struct {
		Code string `json:"code"`
	} `json:"discount_codes"`
	PaymentGatewayNames []string `json:"payment_gateway_names"`
	Customer            *struct {
		ID                int64   `json:"id"`
		AdminGraphqlAPIID string  `json:"admin_graphql_api_id"`
		Email             *string `json:"email"`
		FirstName         *string `json:"first_name"`
		LastName          *string `json:"last_name"`
		Phone             *string `json:"phone"`
	} `json:"customer"`
	BillingAddress  *rAddress       `json:"billing_address"`
	ShippingAddress *rAddress       `json:"shipping_address"`
	LineItems       []rLineItem     `json:"line_items"`
	ShippingLines   []rShippingLine `json:"shipping_lines"`
	TaxLines        []rTaxLine      `json:"tax_lines"`
	Refunds         []struct {
		ID                int64      `json:"id"`
		AdminGraphqlAPIID string     `json:"admin_graphql_api_id"`
		CreatedAt         *time.Time `json:"created_at"`
		Note              *string    `json:"note"`
		RefundLineItems   []struct {
			LineItemID  int64  `json:"line_item_id"`
			Quantity    int64  `json:"quantity"`
			RestockType string `json:"restock_type"`
		} `json:"refund_line_items"`
		Transactions []struct {
			Kind     string `json:"kind"`
			Status   string `json:"status"`
			Amount   string `json:"amount"`
			Currency string `json:"currency"`
		} `json:"transactions"`
	} `json:"refunds"`
}

// restSet converts a REST *_set (or, when absent, the plain string in the
// shop currency) into a GraphQL-shaped bag so one code path maps both.
func restBag(set *rSet, plain, currency string) *gBag {
	if set != nil && set.ShopMoney.Amount != "" {
		return &gBag{ShopMoney: gMoney{Amount: set.ShopMoney.Amount, CurrencyCode: set.ShopMoney.CurrencyCode}}
	}
	if plain == "" {
		return nil
	}
	return &gBag{ShopMoney: gMoney{Amount: plain, CurrencyCode: currency}}
}

func restAddress(a *rAddress) *gAddress {
	if a == nil {
		return nil
	}
	return &gAddress{Address1: a.Address1, Address2: a.Address2, City: a.City, Company: a.Company, CountryCodeV2: a.CountryCode,
		FirstName: a.FirstName, LastName: a.LastName, Name: a.Name, Phone: a.Phone, ProvinceCode: a.ProvinceCode, Zip: a.Zip,
		Latitude: a.Latitude, Longitude: a.Longitude}
}

func restTaxes(ts []rTaxLine, cur string) []gTaxLine {
	out := make([]gTaxLine, 0, len(ts))
	for _, t := range ts {
		r := t.Rate
		b := restBag(t.PriceSet, t.Price, cur)
		if b == nil {
			b = &gBag{ShopMoney: gMoney{Amount: "0", CurrencyCode: cur}}
		}
		out = append(out, gTaxLine{Title: t.Title, Rate: &r, PriceSet: *b})
	}
	return out
}

func restAllocs(as []rAllocation, cur string) []gAllocation {
	out := make([]gAllocation, 0, len(as))
	for _, a := range as {
		if b := restBag(a.AmountSet, a.Amount, cur); b != nil {
			out = append(out, gAllocation{AllocatedAmountSet: *b})
		}
	}
	return out
}

// upperEnum turns REST's lowercase enums ("partially_refunded") into the
// GraphQL spelling ("PARTIALLY_REFUNDED").
func upperEnum(p *string) *string {
	if p == nil {
		return nil
	}
	s := strings.ToUpper(*p)
	return &s
}

// toGraphQL converts a REST order into the GraphQL shape. REST has no
// fulfillment orders: fulfilment status comes from fulfillment_status
// (null, "partial", "fulfilled"), line progress from fulfillable_quantity and
// current_quantity, and a POS sale's store from location_id.
func (r *rOrder) toGraphQL() *gOrder {
	cur := r.Currency
	gid := r.AdminGraphqlAPIID
	if gid == "" {
		gid = "gid://shopify/Order/" + strconv.FormatInt(r.ID, 10)
	}
	g := &gOrder{
		ID: gid, Name: r.Name, Email: r.Email, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, ProcessedAt: r.ProcessedAt,
		CancelledAt: r.CancelledAt, CancelReason: upperEnum(r.CancelReason), CurrencyCode: cur, PresentmentCurrencyCode: r.PresentmentCurrency,
		DisplayFinancialStatus: upperEnum(r.FinancialStatus), SourceName: r.SourceName, Note: r.Note,
		PaymentGatewayNames: r.PaymentGatewayNames, ShippingAddress: restAddress(r.ShippingAddress), BillingAddress: restAddress(r.BillingAddress),
		SubtotalPriceSet: nil, TotalDiscountsSet: restBag(r.TotalDiscountsSet, "", cur), TotalShippingPriceSet: restBag(r.TotalShippingPriceSet, "", cur),
		TotalTaxSet: restBag(r.TotalTaxSet, "", cur), TaxLines: restTaxes(r.TaxLines, cur),
	}
	if b := restBag(r.TotalPriceSet, r.TotalPrice, cur); b != nil {
		g.TotalPriceSet = *b
	}
	fs := "UNFULFILLED"
	switch str(r.FulfillmentStatus) {
	case "fulfilled":
		fs = "FULFILLED"
	case "partial":
		fs = "PARTIALLY_FULFILLED"
	}
	g.DisplayFulfillmentStatus = &fs
	for _, t := range strings.Split(r.Tags, ",") {
		if t = strings.TrimSpace(t); t != "" {
			g.Tags = append(g.Tags, t)
		}
	}
	for _, c := range r.DiscountCodes {
		g.DiscountCodes = append(g.DiscountCodes, c.Code)
	}
	if r.Customer != nil {
		id := r.Customer.AdminGraphqlAPIID
		if id == "" {
			id = "gid://shopify/Customer/" + strconv.FormatInt(r.Customer.ID, 10)
		}
		g.Customer = &struct {
			ID        string  `json:"id"`
			Email     *string `json:"email"`
			FirstName *string `json:"firstName"`
			LastName  *string `json:"lastName"`
			Phone     *string `json:"phone"`
		}{ID: id, Email: r.Customer.Email, FirstName: r.Customer.FirstName, LastName: r.Customer.LastName, Phone: r.Customer.Phone}
	}
	if r.LocationID != nil && *r.LocationID != 0 {
		g.RetailLocation = &gID{ID: "gid://shopify/Location/" + strconv.FormatInt(*r.LocationID, 10)}
	}
	lineGID := func(id int64) string { return "gid://shopify/LineItem/" + strconv.FormatInt(id, 10) }
	for _, l := range r.LineItems {
		id := l.AdminGraphqlAPIID
		if id == "" {
			id = lineGID(l.ID)
		}
		current := l.Quantity
		if l.CurrentQuantity != nil {
			current = *l.CurrentQuantity
		}
		gl := gLineItem{ID: id, SKU: l.SKU, Title: l.Title, VariantTitle: l.VariantTitle, Quantity: l.Quantity,
			CurrentQuantity: current, UnfulfilledQuantity: l.FulfillableQuantity, RequiresShipping: l.RequiresShipping,
			IsGiftCard: l.GiftCard, DiscountAllocations: restAllocs(l.DiscountAllocations, cur), TaxLines: restTaxes(l.TaxLines, cur)}
		if b := restBag(l.PriceSet, l.Price, cur); b != nil {
			gl.OriginalUnitPriceSet = *b
		}
		if l.VariantID != nil {
			gl.Variant = &gID{ID: "gid://shopify/ProductVariant/" + strconv.FormatInt(*l.VariantID, 10)}
		}
		g.LineItems.Nodes = append(g.LineItems.Nodes, gl)
	}
	for _, s := range r.ShippingLines {
		gs := gShippingLine{Title: s.Title, Code: s.Code, Source: s.Source, DiscountAllocations: restAllocs(s.DiscountAllocations, cur), TaxLines: restTaxes(s.TaxLines, cur)}
		if b := restBag(s.PriceSet, s.Price, cur); b != nil {
			gs.OriginalPriceSet = *b
		}
		g.ShippingLines.Nodes = append(g.ShippingLines.Nodes, gs)
	}
	for _, rf := range r.Refunds {
		id := rf.AdminGraphqlAPIID
		if id == "" {
			id = "gid://shopify/Refund/" + strconv.FormatInt(rf.ID, 10)
		}
		gr := gRefund{ID: id, CreatedAt: rf.CreatedAt, Note: rf.Note}
		total := moneySum{total: zero(cur)}
		for _, t := range rf.Transactions {
			if t.Kind == "refund" && t.Status == "success" {
				c := t.Currency
				if c == "" {
					c = cur
				}
				total.add(canonical.ParseMoney(t.Amount, c))
			}
		}
		gr.TotalRefundedSet = gBag{ShopMoney: gMoney{Amount: total.total.Decimal(), CurrencyCode: cur}}
		for _, rl := range rf.RefundLineItems {
			gr.RefundLineItems.Nodes = append(gr.RefundLineItems.Nodes, struct {
				LineItem    gID    `json:"lineItem"`
				Quantity    int64  `json:"quantity"`
				RestockType string `json:"restockType"`
			}{LineItem: gID{ID: lineGID(rl.LineItemID)}, Quantity: rl.Quantity, RestockType: strings.ToUpper(rl.RestockType)})
		}
		g.Refunds = append(g.Refunds, gr)
	}
	return g
}

// isPickupREST reports whether a REST order looks like local pickup: no
// shipping address and a shipping line whose code or title says pickup.
// REST carries no delivery method, so the store must be read over GraphQL.
func isPickupREST(r *rOrder) bool {
	if r.ShippingAddress != nil || (r.LocationID != nil && *r.LocationID != 0) {
		return false
	}
	for _, s := range r.ShippingLines {
		if strings.Contains(strings.ToLower(str(s.Code)+" "+s.Title), "pickup") {
			return true
		}
	}
	return false
}

// ---- records ----

func (m *mapper) record(kind canonical.Kind, externalID string, updated time.Time, key string, payload any, now time.Time) (canonical.Record, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return canonical.Record{}, fmt.Errorf("encode %s %s: %w", kind, externalID, err)
	}
	v := versionOf(updated)
	if key == "" {
		key = fmt.Sprintf("%s:%s@%d", m.cfg.Instance, externalID, v)
	}
	return canonical.Record{Kind: kind, Source: m.cfg.Instance, ExternalID: externalID, Version: v, IdempotencyKey: key, At: now.UTC(), Payload: raw}, nil
}
