package canonical

// Validate checks a shipment: ids, lines, status and event statuses from the
// normalised set, packages, label formats, the rate, the destination.
func (s Shipment) Validate() error {
	return validateWith(s, s.validate)
}

func (s Shipment) validate(c *checker, path string) {
	c.idOrRefs(path, s.ID, s.Refs)
	c.required(at(path, "order_id"), s.OrderID)
	for i, l := range s.Lines {
		c.lineQuantity(idx(at(path, "lines"), i), l)
	}
	enum(c, at(path, "status"), s.Status, TrackingStatuses, true)
	for i, p := range s.Packages {
		pp := idx(at(path, "packages"), i)
		c.weight(at(pp, "weight"), &p.Weight)
		c.dimensions(at(pp, "dimensions"), p.Dimensions)
		if p.Label != nil {
			enum(c, at(at(pp, "label"), "format"), p.Label.Format, LabelFormats, true)
			if p.Label.Data == "" && p.Label.URL == "" {
				c.addf(at(pp, "label"), "needs data or url")
			}
		}
	}
	if s.Rate != nil {
		c.money(at(path, "rate"), *s.Rate, "", true)
	}
	for i, e := range s.Events {
		ep := idx(at(path, "events"), i)
		enum(c, at(ep, "status"), e.Status, TrackingStatuses, true)
		c.timeSet(at(ep, "at"), e.At)
		if i > 0 && !e.At.IsZero() && e.At.Before(s.Events[i-1].At) {
			c.addf(at(ep, "at"), "is before the previous event (events are oldest first)")
		}
	}
	c.address(at(path, "ship_to"), s.ShipTo, true)
	c.timeSet(at(path, "created_at"), s.CreatedAt)
	c.refs(at(path, "refs"), s.Refs)
}

// Validate checks a return: ids, status, at least one line with a quantity,
// the refund's currency.
func (r Return) Validate() error {
	return validateWith(r, r.validate)
}

func (r Return) validate(c *checker, path string) {
	c.idOrRefs(path, r.ID, r.Refs)
	c.required(at(path, "order_id"), r.OrderID)
	enum(c, at(path, "status"), r.Status, ReturnStatuses, true)
	if len(r.Lines) == 0 {
		c.addf(at(path, "lines"), "must have at least one line")
	}
	for i, l := range r.Lines {
		lp := idx(at(path, "lines"), i)
		if l.LineID == "" && l.SKU == "" {
			c.addf(at(lp, "line_id"), "is required (or sku)")
		}
		c.positive(at(lp, "quantity"), l.Quantity)
	}
	if r.Refund != nil {
		c.money(at(path, "refund"), *r.Refund, "", true)
	}
	c.timeSet(at(path, "created_at"), r.CreatedAt)
	c.refs(at(path, "refs"), r.Refs)
}

// Validate checks a subscription: ids, channel, the subscriber, the address,
// lines in one currency, a positive interval, status, and the next order's
// date while active.
func (s Subscription) Validate() error {
	return validateWith(s, s.validate)
}

func (s Subscription) validate(c *checker, path string) {
	c.idOrRefs(path, s.ID, s.Refs)
	c.required(at(path, "channel"), s.Channel)
	c.customer(at(path, "customer"), &s.Customer)
	c.address(at(path, "shipping_address"), &s.ShippingAddress, true)
	if len(s.Lines) == 0 {
		c.addf(at(path, "lines"), "must have at least one line")
	}
	cur := ""
	if len(s.Lines) > 0 && KnownCurrency(s.Lines[0].UnitPrice.Currency) {
		cur = s.Lines[0].UnitPrice.Currency
	}
	for i, l := range s.Lines {
		l.validate(c, idx(at(path, "lines"), i), cur)
	}
	if s.IntervalDays <= 0 {
		c.addf(at(path, "interval_days"), "must be greater than 0")
	}
	enum(c, at(path, "status"), s.Status, SubscriptionStatuses, true)
	if s.Status == SubscriptionActive {
		c.timeSet(at(path, "next_order_at"), s.NextOrderAt)
	}
	c.payment(at(path, "payment"), s.Payment)
	c.refs(at(path, "refs"), s.Refs)
}

// Validate checks an allocation: order, location, lines, method and status.
func (a Allocation) Validate() error {
	return validateWith(a, a.validate)
}

func (a Allocation) validate(c *checker, path string) {
	c.required(at(path, "order_id"), a.OrderID)
	c.required(at(path, "location_id"), a.LocationID)
	if len(a.Lines) == 0 {
		c.addf(at(path, "lines"), "must have at least one line")
	}
	for i, l := range a.Lines {
		c.lineQuantity(idx(at(path, "lines"), i), l)
	}
	enum(c, at(path, "method"), a.Method, FulfilmentMethods, true)
	enum(c, at(path, "status"), a.Status, AllocationStatuses, true)
	if a.DistanceKM < 0 {
		c.addf(at(path, "distance_km"), "must not be negative")
	}
	if a.EstimatedShipping != nil {
		c.money(at(path, "estimated_shipping"), *a.EstimatedShipping, "", true)
	}
	for i, s := range a.Trace {
		c.required(at(idx(at(path, "trace"), i), "rule"), s.Rule)
	}
}

// Validate checks a cancel command.
func (o CancelOrder) Validate() error {
	return validateWith(o, func(c *checker, path string) {
		if o.OrderID == "" && o.ExternalID == "" {
			c.addf(at(path, "order_id"), "is required (or external_id)")
		}
	})
}
