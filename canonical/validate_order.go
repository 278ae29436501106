package canonical

// Validate checks an order and reports every problem at once: ids, status,
// lines (sku, quantity > 0, fulfilled/cancelled/returned within the quantity),
// one known currency across every amount, addresses, the fulfilment method and
// what it needs, refunds that name existing lines, and no card data anywhere.
func (o Order) Validate() error {
	return validateWith(o, o.validate)
}

// currency is the order's document currency: the total's, or failing that the
// first amount that names one.
func (o Order) currency() string {
	if o.Totals.Total.Currency != "" {
		return o.Totals.Total.Currency
	}
	for _, l := range o.Lines {
		if l.UnitPrice.Currency != "" {
			return l.UnitPrice.Currency
		}
	}
	return ""
}

func (o Order) validate(c *checker, path string) {
	if o.ID == "" && o.ExternalID == "" {
		c.addf(at(path, "id"), "is required (or external_id, for an order the hub has not stored yet)")
	}
	c.required(at(path, "channel"), o.Channel)
	enum(c, at(path, "status"), o.Status, OrderStatuses, true)
	cur := o.currency()
	if !KnownCurrency(cur) {
		cur = "" // reported on the amounts themselves
	}
	if len(o.Lines) == 0 {
		c.addf(at(path, "lines"), "must have at least one line")
	}
	lineIDs := make(map[string]bool, len(o.Lines))
	needsShipping := false
	for i, l := range o.Lines {
		p := idx(at(path, "lines"), i)
		l.validate(c, p, cur)
		if l.ID != "" {
			if lineIDs[l.ID] {
				c.addf(at(p, "id"), "duplicates the id of another line")
			}
			lineIDs[l.ID] = true
		}
		needsShipping = needsShipping || l.RequiresShipping
	}
	for i, s := range o.ShippingLines {
		p := idx(at(path, "shipping_lines"), i)
		c.required(at(p, "title"), s.Title)
		c.money(at(p, "price"), s.Price, cur, true)
		c.money(at(p, "discount"), s.Discount, cur, true)
		c.money(at(p, "tax"), s.Tax, cur, true)
	}
	for i, d := range o.Discounts {
		c.money(at(idx(at(path, "discounts"), i), "amount"), d.Amount, cur, true)
	}
	for i, t := range o.Taxes {
		p := idx(at(path, "taxes"), i)
		c.required(at(p, "title"), t.Title)
		c.nonNegative(at(p, "rate_bp"), t.RateBasisPoints)
		c.money(at(p, "amount"), t.Amount, cur, true)
	}
	tp := at(path, "totals")
	c.money(at(tp, "subtotal"), o.Totals.Subtotal, cur, true)
	c.money(at(tp, "discount"), o.Totals.Discount, cur, true)
	c.money(at(tp, "shipping"), o.Totals.Shipping, cur, true)
	c.money(at(tp, "tax"), o.Totals.Tax, cur, true)
	c.money(at(tp, "total"), o.Totals.Total, cur, true)
	if o.PresentmentCurrency != "" {
		c.currency(at(path, "presentment_currency"), o.PresentmentCurrency)
	}
	c.customer(at(path, "customer"), o.Customer)
	c.address(at(path, "billing_address"), o.BillingAddress, false)
	c.payment(at(path, "payment"), o.Payment)

	fp := at(path, "fulfilment")
	enum(c, at(fp, "method"), o.Fulfilment.Method, FulfilmentMethods, true)
	switch o.Fulfilment.Method {
	case FulfilShip:
		if o.ShippingAddress == nil && needsShipping {
			c.addf(at(path, "shipping_address"), "is required to ship the order")
		}
	case FulfilPickup, FulfilShipToStore:
		c.required(at(fp, "pickup_location_id"), o.Fulfilment.PickupLocationID)
	}
	c.address(at(path, "shipping_address"), o.ShippingAddress, o.Fulfilment.Method == FulfilShip)

	c.timeSet(at(path, "placed_at"), o.PlacedAt)
	if o.CancelledAt != nil && o.CancelledAt.Before(o.PlacedAt) {
		c.addf(at(path, "cancelled_at"), "is before placed_at")
	}
	c.tags(at(path, "tags"), o.Tags)
	for i, r := range o.Refunds {
		p := idx(at(path, "refunds"), i)
		c.money(at(p, "amount"), r.Amount, cur, true)
		for j, lq := range r.Lines {
			lp := idx(at(p, "lines"), j)
			c.lineQuantity(lp, lq)
			if lq.LineID != "" && !lineIDs[lq.LineID] {
				c.addf(at(lp, "line_id"), "names no line of this order")
			}
		}
	}
	c.refs(at(path, "refs"), o.Refs)
}

// validate checks one order line; cur is the order's currency ("" if unknown).
func (l OrderLine) validate(c *checker, path, cur string) {
	c.required(at(path, "id"), l.ID)
	if !l.GiftCard {
		c.required(at(path, "sku"), l.SKU)
	}
	c.positive(at(path, "quantity"), l.Quantity)
	c.money(at(path, "unit_price"), l.UnitPrice, cur, true)
	c.money(at(path, "discount"), l.Discount, cur, true)
	c.money(at(path, "tax"), l.Tax, cur, true)
	c.nonNegative(at(path, "fulfilled"), l.Fulfilled)
	c.nonNegative(at(path, "cancelled"), l.Cancelled)
	c.nonNegative(at(path, "returned"), l.Returned)
	if l.Quantity > 0 && l.Fulfilled >= 0 && l.Cancelled >= 0 && l.Fulfilled+l.Cancelled > l.Quantity {
		c.addf(at(path, "fulfilled"), "fulfilled plus cancelled (%d) exceeds the quantity (%d)", l.Fulfilled+l.Cancelled, l.Quantity)
	}
	if l.Returned > l.Fulfilled && l.Returned >= 0 {
		c.addf(at(path, "returned"), "exceeds the units fulfilled (%d)", l.Fulfilled)
	}
	c.weight(at(path, "weight"), l.Weight)
	c.refs(at(path, "refs"), l.Refs)
}

func (c *checker) lineQuantity(path string, lq LineQuantity) {
	c.required(at(path, "line_id"), lq.LineID)
	c.positive(at(path, "quantity"), lq.Quantity)
}

func (c *checker) payment(path string, p *Payment) {
	if p == nil {
		return
	}
	if p.Last4 != "" && (len(p.Last4) != 4 || !allDigits(p.Last4)) {
		c.addf(at(path, "last4"), "must be exactly four digits")
	}
}

// Validate checks one line on its own (an order checks its lines itself, with
// their paths inside the order).
func (l OrderLine) Validate() error {
	return validateWith(l, func(c *checker, path string) { l.validate(c, path, l.UnitPrice.Currency) })
}
