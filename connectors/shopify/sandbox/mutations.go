package sandbox

import (
	"fmt"
	"strconv"
	"strings"

	graphql "github.com/graph-gophers/graphql-go"
)

// Mutations follow the 2025-01 payload shapes: problems with the input are
// userErrors in the payload (HTTP 200), never top-level errors, except input
// size limits which Shopify reports as top-level errors.

type userErrorR struct {
	field   []string
	message string
	code    *string
}

func (x *userErrorR) Field() *[]string { return &x.field }
func (x *userErrorR) Message() string  { return x.message }
func (x *userErrorR) Code() *string    { return x.code }

func uerr(code, msg string, field ...string) *userErrorR {
	var c *string
	if code != "" {
		c = &code
	}
	return &userErrorR{field: field, message: msg, code: c}
}

// ---- fulfillmentCreate ----

type fulfillmentInput struct {
	LineItemsByFulfillmentOrder []struct {
		FulfillmentOrderID        graphql.ID
		FulfillmentOrderLineItems *[]struct {
			ID       graphql.ID
			Quantity int32
		}
	}
	TrackingInfo *struct {
		Company *string
		Number  *string
		URL     *urlScalar
		Numbers *[]string
		Urls    *[]urlScalar
	}
	NotifyCustomer bool
}

type fulfillmentCreatePayload struct {
	f    *fulfillmentR
	errs []*userErrorR
}

func (x *fulfillmentCreatePayload) Fulfillment() *fulfillmentR { return x.f }
func (x *fulfillmentCreatePayload) UserErrors() []*userErrorR  { return nonNil(x.errs) }

func (r *rootResolver) FulfillmentCreate(args struct {
	Fulfillment fulfillmentInput
	Message     *string
}) *fulfillmentCreatePayload {
	s := r.s
	in := args.Fulfillment
	if len(in.LineItemsByFulfillmentOrder) == 0 {
		return &fulfillmentCreatePayload{errs: []*userErrorR{uerr("", "Line items by fulfillment order can't be blank", "fulfillment", "lineItemsByFulfillmentOrder")}}
	}
	type change struct {
		fo   *fulfillmentOrder
		line *foLine
		qty  int64
	}
	var changes []change
	var ord *order
	for i, group := range in.LineItemsByFulfillmentOrder {
		id, ok := parseGID("FulfillmentOrder", string(group.FulfillmentOrderID))
		o := s.st.foIndex[id]
		if !ok || o == nil {
			return &fulfillmentCreatePayload{errs: []*userErrorR{uerr("", "Fulfillment order does not exist.", "fulfillment", "lineItemsByFulfillmentOrder", strconv.Itoa(i), "fulfillmentOrderId")}}
		}
		if ord != nil && ord != o {
			return &fulfillmentCreatePayload{errs: []*userErrorR{uerr("", "Fulfillment orders must belong to the same order.", "fulfillment")}}
		}
		ord = o
		var fo *fulfillmentOrder
		for _, f := range o.FulfillmentOrders {
			if f.ID == id {
				fo = f
			}
		}
		if fo.Status == "CLOSED" || fo.Status == "CANCELLED" {
			return &fulfillmentCreatePayload{errs: []*userErrorR{uerr("", fmt.Sprintf("Fulfillment order %d has an unfulfillable status= %s.", fo.ID, strings.ToLower(fo.Status)), "fulfillment")}}
		}
		if group.FulfillmentOrderLineItems == nil {
			for _, l := range fo.Lines {
				if l.Remaining > 0 {
					changes = append(changes, change{fo, l, l.Remaining})
				}
			}
			continue
		}
		for j, li := range *group.FulfillmentOrderLineItems {
			lid, _ := parseGID("FulfillmentOrderLineItem", string(li.ID))
			var line *foLine
			for _, l := range fo.Lines {
				if l.ID == lid {
					line = l
				}
			}
			field := []string{"fulfillment", "lineItemsByFulfillmentOrder", strconv.Itoa(i), "fulfillmentOrderLineItems", strconv.Itoa(j)}
			if line == nil {
				return &fulfillmentCreatePayload{errs: []*userErrorR{uerr("", "Fulfillment order line item does not exist.", field...)}}
			}
			if li.Quantity <= 0 || int64(li.Quantity) > line.Remaining {
				return &fulfillmentCreatePayload{errs: []*userErrorR{uerr("", fmt.Sprintf("Invalid fulfillment order line item quantity requested: %d, remaining: %d.", li.Quantity, line.Remaining), field...)}}
			}
			changes = append(changes, change{fo, line, int64(li.Quantity)})
		}
	}
	if len(changes) == 0 {
		return &fulfillmentCreatePayload{errs: []*userErrorR{uerr("", "Fulfillment order has no remaining line items to fulfill.", "fulfillment")}}
	}
	now := s.now()
	f := &fulfillment{ID: s.st.nextID(), CreatedAt: now, Status: "SUCCESS"}
	if t := in.TrackingInfo; t != nil {
		tr := tracking{Company: deref(t.Company), Number: deref(t.Number), URL: string(deref(t.URL))}
		if tr.Number != "" || tr.Company != "" {
			f.Tracking = append(f.Tracking, tr)
		}
		if t.Numbers != nil {
			for k, n := range *t.Numbers {
				u := ""
				if t.Urls != nil && k < len(*t.Urls) {
					u = string((*t.Urls)[k])
				}
				f.Tracking = append(f.Tracking, tracking{Company: deref(t.Company), Number: n, URL: u})
			}
		}
	}
	for _, c := range changes {
		c.line.Remaining -= c.qty
		li := ord.line(c.line.LineID)
		li.Fulfilled += c.qty
		if lv := s.st.level(li.InventoryItemID, c.fo.LocationID); lv != nil {
			lv.Committed -= c.qty
			if lv.Committed < 0 {
				lv.Committed = 0
			}
			lv.UpdatedAt = now
		}
		f.Lines = append(f.Lines, refundLine{LineID: li.ID, Quantity: c.qty})
		open := false
		for _, l := range c.fo.Lines {
			if l.Remaining > 0 {
				open = true
			}
		}
		if open {
			c.fo.Status = "IN_PROGRESS"
		} else {
			c.fo.Status = "CLOSED"
		}
	}
	ord.Fulfillments = append(ord.Fulfillments, f)
	ord.UpdatedAt = now
	s.orderChanged(ord, "orders/updated")
	return &fulfillmentCreatePayload{f: &fulfillmentR{f}}
}

// ---- orderCancel ----

type orderCancelPayload struct {
	job  *jobR
	errs []*userErrorR
}

func (x *orderCancelPayload) Job() *jobR                           { return x.job }
func (x *orderCancelPayload) OrderCancelUserErrors() []*userErrorR { return nonNil(x.errs) }
func (x *orderCancelPayload) UserErrors() []*userErrorR {
	out := []*userErrorR{}
	for _, e := range x.errs {
		out = append(out, &userErrorR{field: e.field, message: e.message})
	}
	return out
}

type jobR struct{ id int64 }

func (x *jobR) ID() graphql.ID { return graphql.ID(gid("Job", x.id)) }
func (x *jobR) Done() bool     { return true }

func (r *rootResolver) OrderCancel(args struct {
	OrderID        graphql.ID
	Reason         string
	Refund         bool
	Restock        bool
	NotifyCustomer *bool
	StaffNote      *string
}) *orderCancelPayload {
	s := r.s
	id, ok := parseGID("Order", string(args.OrderID))
	o := s.st.orders[id]
	if !ok || o == nil {
		return &orderCancelPayload{errs: []*userErrorR{uerr("NOT_FOUND", "Order does not exist", "orderId")}}
	}
	if o.CancelledAt != nil {
		return &orderCancelPayload{errs: []*userErrorR{uerr("ORDER_ALREADY_CANCELLED", "Order has already been cancelled", "orderId")}}
	}
	s.cancelOrder(o, args.Reason, args.Refund, args.Restock)
	return &orderCancelPayload{job: &jobR{s.st.nextID()}}
}

// cancelOrder cancels an order as Shopify does: open units are removed,
// optionally restocked and refunded, fulfillment orders closed.
func (s *Server) cancelOrder(o *order, reason string, refundIt, restock bool) {
	now := s.now()
	o.CancelledAt = &now
	o.CancelReason = strings.ToUpper(reason)
	var rlines []refundLine
	for _, l := range o.Lines {
		open := l.Quantity - l.Removed - l.Fulfilled
		if open <= 0 {
			continue
		}
		l.Removed += open
		rt := "NO_RESTOCK"
		if restock && !l.GiftCard {
			rt = "CANCEL"
		}
		rlines = append(rlines, refundLine{LineID: l.ID, Quantity: open, Restock: rt})
	}
	for _, fo := range o.FulfillmentOrders {
		for _, fl := range fo.Lines {
			li := o.line(fl.LineID)
			if lv := s.st.level(li.InventoryItemID, fo.LocationID); lv != nil && fl.Remaining > 0 {
				lv.Committed -= fl.Remaining
				if lv.Committed < 0 {
					lv.Committed = 0
				}
				if restock {
					lv.Available += fl.Remaining
				}
				lv.UpdatedAt = now
				s.levelChanged(lv)
			}
			fl.Remaining = 0
		}
		if fo.Status != "CLOSED" {
			fo.Status = "CLOSED"
		}
	}
	if refundIt && o.FinancialStatus != "REFUNDED" {
		amt := o.total().add(bag{-o.refunded().Shop, -o.refunded().Pres})
		o.Refunds = append(o.Refunds, &refund{ID: s.st.nextID(), CreatedAt: now, Note: "Order canceled", Amount: amt, Lines: rlines})
		o.FinancialStatus = "REFUNDED"
	} else if o.FinancialStatus == "AUTHORIZED" || o.FinancialStatus == "PENDING" {
		o.FinancialStatus = "VOIDED"
	}
	o.UpdatedAt = now
	s.orderChanged(o, "orders/cancelled")
}

// ---- inventorySetQuantities ----

type inventorySetInput struct {
	Name                  string
	Reason                string
	ReferenceDocumentUri  *string
	IgnoreCompareQuantity bool
	Quantities            []struct {
		InventoryItemID graphql.ID
		LocationID      graphql.ID
		Quantity        int32
		CompareQuantity *int32
	}
}

type invSetPayload struct {
	group *adjustmentGroupR
	errs  []*userErrorR
}

func (x *invSetPayload) InventoryAdjustmentGroup() *adjustmentGroupR { return x.group }
func (x *invSetPayload) UserErrors() []*userErrorR                   { return nonNil(x.errs) }

type adjustmentGroupR struct {
	s       *Server
	id      int64
	at      dateTime
	reason  string
	ref     *string
	changes []invChange
}

type invChange struct {
	name         string
	delta, after int64
	item, loc    int64
}

func (x *adjustmentGroupR) ID() graphql.ID                { return graphql.ID(gid("InventoryAdjustmentGroup", x.id)) }
func (x *adjustmentGroupR) CreatedAt() dateTime           { return x.at }
func (x *adjustmentGroupR) Reason() string                { return x.reason }
func (x *adjustmentGroupR) ReferenceDocumentUri() *string { return x.ref }
func (x *adjustmentGroupR) Changes(args struct{ QuantityNames *[]string }) []*invChangeR {
	out := []*invChangeR{}
	for _, c := range x.changes {
		if args.QuantityNames != nil {
			keep := false
			for _, n := range *args.QuantityNames {
				keep = keep || n == c.name
			}
			if !keep {
				continue
			}
		}
		out = append(out, &invChangeR{x.s, c})
	}
	return out
}

type invChangeR struct {
	s *Server
	c invChange
}

func (x *invChangeR) Name() string { return x.c.name }
func (x *invChangeR) Delta() int32 { return int32(x.c.delta) }
func (x *invChangeR) QuantityAfterChange() *int32 {
	n := int32(x.c.after)
	return &n
}
func (x *invChangeR) Item() *itemR {
	if v := x.s.st.items[x.c.item]; v != nil {
		return &itemR{x.s, v}
	}
	return nil
}
func (x *invChangeR) Location() *locationR {
	if l := x.s.st.locations[x.c.loc]; l != nil {
		return &locationR{x.s, l}
	}
	return nil
}

var inventoryReasons = map[string]bool{
	"correction": true, "cycle_count_available": true, "damaged": true, "movement_created": true,
	"movement_updated": true, "movement_received": true, "movement_canceled": true, "other": true,
	"promotion": true, "quality_control": true, "received": true, "reservation_created": true,
	"reservation_deleted": true, "reservation_updated": true, "restock": true, "safety_stock": true,
	"shrinkage": true,
}

// maxInventoryQuantities is the input array limit of inventorySetQuantities.
const maxInventoryQuantities = 250

func (r *rootResolver) InventorySetQuantities(args struct{ Input inventorySetInput }) (*invSetPayload, error) {
	s := r.s
	in := args.Input
	if len(in.Quantities) > maxInventoryQuantities {
		return nil, fmt.Errorf("The input array size of %d is greater than the maximum allowed of %d.", len(in.Quantities), maxInventoryQuantities)
	}
	var errs []*userErrorR
	if in.Name != "available" && in.Name != "on_hand" {
		errs = append(errs, uerr("INVALID_QUANTITY_NAME", "The quantity name must be either 'available' or 'on_hand'.", "input", "name"))
	}
	if !inventoryReasons[in.Reason] {
		errs = append(errs, uerr("INVALID_REASON", "The specified reason is invalid.", "input", "reason"))
	}
	ignore := in.IgnoreCompareQuantity
	levels := make([]*level, len(in.Quantities))
	seen := map[[2]int64]bool{}
	for i, q := range in.Quantities {
		f := func(name string) []string { return []string{"input", "quantities", strconv.Itoa(i), name} }
		item, ok := parseGID("InventoryItem", string(q.InventoryItemID))
		if !ok || s.st.items[item] == nil {
			errs = append(errs, uerr("INVALID_INVENTORY_ITEM", "The specified inventory item could not be found.", f("inventoryItemId")...))
			continue
		}
		loc, ok := parseGID("Location", string(q.LocationID))
		if !ok || s.st.locations[loc] == nil {
			errs = append(errs, uerr("INVALID_LOCATION", "The specified location could not be found.", f("locationId")...))
			continue
		}
		if seen[[2]int64{item, loc}] {
			errs = append(errs, uerr("NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR", "The combination of inventoryItemId and locationId must be unique.", f("inventoryItemId")...))
			continue
		}
		seen[[2]int64{item, loc}] = true
		lv := s.st.level(item, loc)
		if lv == nil {
			errs = append(errs, uerr("ITEM_NOT_STOCKED_AT_LOCATION", "The specified inventory item is not stocked at the location.", f("locationId")...))
			continue
		}
		if q.Quantity > 1_000_000_000 {
			errs = append(errs, uerr("INVALID_QUANTITY_TOO_HIGH", "The quantity can't be higher than 1,000,000,000.", f("quantity")...))
			continue
		}
		levels[i] = lv
		if ignore {
			continue
		}
		if q.CompareQuantity == nil {
			errs = append(errs, uerr("COMPARE_QUANTITY_REQUIRED", "The compareQuantity argument must be given to each quantity or ignored using ignoreCompareQuantity.", f("compareQuantity")...))
			continue
		}
		cur := lv.Available
		if in.Name == "on_hand" {
			cur = lv.onHand()
		}
		if int64(*q.CompareQuantity) != cur {
			errs = append(errs, uerr("COMPARE_QUANTITY_STALE", "The compareQuantity argument no longer matches the persisted quantity.", f("compareQuantity")...))
		}
	}
	if len(errs) > 0 {
		return &invSetPayload{errs: errs}, nil // atomic: nothing applied
	}
	now := s.now()
	g := &adjustmentGroupR{s: s, id: s.st.nextID(), at: dt(now), reason: in.Reason, ref: in.ReferenceDocumentUri}
	for i, q := range in.Quantities {
		lv := levels[i]
		var delta int64
		if in.Name == "available" {
			delta = int64(q.Quantity) - lv.Available
			lv.Available = int64(q.Quantity)
		} else {
			delta = int64(q.Quantity) - lv.onHand()
			lv.Available += delta
		}
		if delta == 0 {
			continue
		}
		lv.UpdatedAt = now
		g.changes = append(g.changes, invChange{name: "available", delta: delta, after: lv.Available, item: lv.ItemID, loc: lv.LocationID})
		g.changes = append(g.changes, invChange{name: "on_hand", delta: delta, after: lv.onHand(), item: lv.ItemID, loc: lv.LocationID})
		s.levelChanged(lv)
	}
	s.stats.inventoryWrites += int64(len(in.Quantities))
	return &invSetPayload{group: g}, nil
}

// ---- productSet ----

type productSetInput struct {
	ID              *graphql.ID
	Handle          *string
	Title           *string
	DescriptionHtml *string
	Vendor          *string
	ProductType     *string
	Status          *string
	Tags            *[]string
	GiftCard        *bool
	ProductOptions  *[]struct {
		Name   *string
		Values *[]struct{ Name *string }
	}
	Variants *[]struct {
		ID             *graphql.ID
		Sku            *string
		Barcode        *string
		Price          *decimal
		CompareAtPrice *decimal
		OptionValues   []struct {
			OptionName *string
			Name       *string
		}
		InventoryItem *struct {
			Sku              *string
			Tracked          *bool
			RequiresShipping *bool
		}
	}
}

type productSetPayload struct {
	p    *productR
	errs []*userErrorR
}

func (x *productSetPayload) Product() *productR        { return x.p }
func (x *productSetPayload) UserErrors() []*userErrorR { return nonNil(x.errs) }

func (r *rootResolver) ProductSet(args struct {
	Input       productSetInput
	Synchronous bool
}) *productSetPayload {
	s := r.s
	in := args.Input
	now := s.now()
	var p *product
	created := false
	if in.ID != nil {
		id, ok := parseGID("Product", string(*in.ID))
		p = s.st.products[id]
		if !ok || p == nil {
			return &productSetPayload{errs: []*userErrorR{uerr("PRODUCT_DOES_NOT_EXIST", "Product does not exist", "input", "id")}}
		}
	} else {
		if in.Title == nil || strings.TrimSpace(*in.Title) == "" {
			return &productSetPayload{errs: []*userErrorR{uerr("BLANK", "Title can't be blank", "input", "title")}}
		}
		p = &product{ID: s.st.nextID(), CreatedAt: now, Status: "ACTIVE", Published: map[int64]bool{}}
		created = true
	}
	// Validate variants before changing anything.
	if in.Variants != nil {
		for i, v := range *in.Variants {
			if v.Price != nil {
				if _, err := parseMinor(string(*v.Price), s.cfg.Currency); err != nil {
					return &productSetPayload{errs: []*userErrorR{uerr("INVALID_VARIANT", "Price is invalid", "input", "variants", strconv.Itoa(i), "price")}}
				}
			}
			if v.ID != nil {
				vid, ok := parseGID("ProductVariant", string(*v.ID))
				if ev := s.st.variants[vid]; !ok || ev == nil || ev.ProductID != p.ID {
					return &productSetPayload{errs: []*userErrorR{uerr("INVALID_VARIANT", "Variant does not exist", "input", "variants", strconv.Itoa(i), "id")}}
				}
			}
		}
	}
	if in.Title != nil {
		p.Title = *in.Title
	}
	if in.Handle != nil && *in.Handle != "" {
		p.Handle = *in.Handle
	}
	if p.Handle == "" {
		p.Handle = handleize(p.Title)
	}
	if created {
		base, n := p.Handle, 1
		for s.st.productByHandle(p.Handle) != nil {
			p.Handle = fmt.Sprintf("%s-%d", base, n)
			n++
		}
	}
	if in.DescriptionHtml != nil {
		p.Description = *in.DescriptionHtml
	}
	if in.Vendor != nil {
		p.Vendor = *in.Vendor
	}
	if in.ProductType != nil {
		p.ProductType = *in.ProductType
	}
	if in.Status != nil {
		p.Status = *in.Status
	}
	if in.Tags != nil {
		p.Tags = append([]string(nil), (*in.Tags)...)
	}
	if in.GiftCard != nil {
		p.GiftCard = *in.GiftCard
	}
	if in.ProductOptions != nil {
		p.Options = nil
		for _, o := range *in.ProductOptions {
			opt := productOption{ID: s.st.nextID(), Name: deref(o.Name)}
			if o.Values != nil {
				for _, v := range *o.Values {
					opt.Values = append(opt.Values, deref(v.Name))
				}
			}
			p.Options = append(p.Options, opt)
		}
	}
	if created {
		s.st.products[p.ID] = p
	}
	if in.Variants != nil {
		keep := map[int64]bool{}
		var list []*variant
		for _, vi := range *in.Variants {
			var v *variant
			if vi.ID != nil {
				vid, _ := parseGID("ProductVariant", string(*vi.ID))
				v = s.st.variants[vid]
			} else {
				v = &variant{ID: s.st.nextID(), ProductID: p.ID, InventoryItemID: s.st.nextID(), Tracked: true, RequiresShip: !p.GiftCard}
				s.st.variants[v.ID] = v
				s.st.items[v.InventoryItemID] = v
				for _, loc := range s.st.sortedLocations() {
					if loc.Active {
						s.st.levels[[2]int64{v.InventoryItemID, loc.ID}] = &level{ItemID: v.InventoryItemID, LocationID: loc.ID, UpdatedAt: now}
					}
				}
			}
			keep[v.ID] = true
			if vi.Sku != nil {
				v.SKU = *vi.Sku
			}
			if vi.InventoryItem != nil {
				if vi.InventoryItem.Sku != nil {
					v.SKU = *vi.InventoryItem.Sku
				}
				if vi.InventoryItem.Tracked != nil {
					v.Tracked = *vi.InventoryItem.Tracked
				}
				if vi.InventoryItem.RequiresShipping != nil {
					v.RequiresShip = *vi.InventoryItem.RequiresShipping
				}
			}
			if vi.Barcode != nil {
				v.Barcode = *vi.Barcode
			}
			if vi.Price != nil {
				v.Price, _ = parseMinor(string(*vi.Price), s.cfg.Currency)
			}
			if vi.CompareAtPrice != nil {
				c, err := parseMinor(string(*vi.CompareAtPrice), s.cfg.Currency)
				if err == nil {
					v.CompareAt = &c
				}
			}
			v.Options = nil
			var names []string
			for _, ov := range vi.OptionValues {
				v.Options = append(v.Options, [2]string{deref(ov.OptionName), deref(ov.Name)})
				names = append(names, deref(ov.Name))
			}
			v.Title = strings.Join(names, " / ")
			if v.Title == "" {
				v.Title = "Default Title"
			}
			v.UpdatedAt = now
			list = append(list, v)
		}
		for _, old := range p.Variants {
			if !keep[old.ID] {
				delete(s.st.variants, old.ID)
				delete(s.st.items, old.InventoryItemID)
				for k := range s.st.levels {
					if k[0] == old.InventoryItemID {
						delete(s.st.levels, k)
					}
				}
			}
		}
		p.Variants = list
	}
	p.UpdatedAt = now
	topic := "products/update"
	if created {
		topic = "products/create"
	}
	s.productChanged(p, topic)
	return &productSetPayload{p: &productR{s, p}}
}

func handleize(t string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(t) {
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
			b.WriteRune(c)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// parseMinor parses a decimal string into minor units of the currency.
func parseMinor(s, currency string) (int64, error) {
	exp := currencyExponent(currency)
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" {
		whole = "0"
	}
	if len(frac) > exp {
		if strings.Trim(frac[exp:], "0") != "" {
			return 0, fmt.Errorf("too many decimals in %q", s)
		}
		frac = frac[:exp]
	}
	for len(frac) < exp {
		frac += "0"
	}
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid amount %q", s)
	}
	if neg {
		n = -n
	}
	return n, nil
}

// ---- publishablePublish / Unpublish ----

type publishPayload struct{ errs []*userErrorR }

func (x *publishPayload) UserErrors() []*userErrorR { return nonNil(x.errs) }

type publishArgs struct {
	ID    graphql.ID
	Input []struct {
		PublicationID *graphql.ID
		PublishDate   *dateTime
	}
}

func (r *rootResolver) PublishablePublish(args publishArgs) *publishPayload {
	return r.s.publish(args, true)
}

func (r *rootResolver) PublishableUnpublish(args publishArgs) *publishPayload {
	return r.s.publish(args, false)
}

func (s *Server) publish(args publishArgs, on bool) *publishPayload {
	id, ok := parseGID("Product", string(args.ID))
	p := s.st.products[id]
	if !ok || p == nil {
		return &publishPayload{errs: []*userErrorR{uerr("", "Publishable does not exist", "id")}}
	}
	changed := false
	for i, in := range args.Input {
		if in.PublicationID == nil {
			continue
		}
		pid, _ := parseGID("Publication", string(*in.PublicationID))
		found := false
		for _, pub := range s.st.publications {
			found = found || pub.ID == pid
		}
		if !found {
			return &publishPayload{errs: []*userErrorR{uerr("", "Publication does not exist", "input", strconv.Itoa(i), "publicationId")}}
		}
		if p.Published[pid] != on {
			p.Published[pid] = on
			changed = true
		}
	}
	if changed {
		p.UpdatedAt = s.now()
		s.productChanged(p, "products/update")
	}
	return &publishPayload{}
}
