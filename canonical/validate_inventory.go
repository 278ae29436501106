package canonical

// Validate checks a location: id, name, type, a postal address with its
// country, coordinates in range, known capabilities, no negative capacity.
func (l Location) Validate() error {
	return validateWith(l, l.validate)
}

func (l Location) validate(c *checker, path string) {
	c.required(at(path, "id"), l.ID)
	c.required(at(path, "name"), l.Name)
	enum(c, at(path, "type"), l.Type, LocationTypes, true)
	c.address(at(path, "address"), &l.Address, true)
	c.geo(at(path, "geo"), l.Geo)
	for i, cp := range l.Capabilities {
		enum(c, idx(at(path, "capabilities"), i), cp, Capabilities, true)
	}
	c.tags(at(path, "groups"), l.Groups)
	c.tags(at(path, "tags"), l.Tags)
	if l.DailyCapacity < 0 {
		c.addf(at(path, "daily_capacity"), "must not be negative")
	}
	c.refs(at(path, "refs"), l.Refs)
}

// Validate checks a stock level. OnHand may be negative (platforms that allow
// overselling report it so); reserved, safety stock and incoming may not.
func (l InventoryLevel) Validate() error {
	return validateWith(l, l.validate)
}

func (l InventoryLevel) validate(c *checker, path string) {
	c.required(at(path, "sku"), l.SKU)
	c.required(at(path, "location_id"), l.LocationID)
	c.nonNegative(at(path, "reserved"), l.Reserved)
	c.nonNegative(at(path, "safety_stock"), l.SafetyStock)
	c.nonNegative(at(path, "incoming"), l.Incoming)
}

// Validate checks a ledger entry: sku, location, a non-zero delta, a known
// reason and its time.
func (m InventoryMovement) Validate() error {
	return validateWith(m, m.validate)
}

func (m InventoryMovement) validate(c *checker, path string) {
	c.required(at(path, "sku"), m.SKU)
	c.required(at(path, "location_id"), m.LocationID)
	if m.Delta == 0 {
		c.addf(at(path, "delta"), "must not be 0")
	}
	enum(c, at(path, "reason"), m.Reason, MovementReasons, true)
	c.timeSet(at(path, "at"), m.At)
}

// Validate checks a physical count: sku, location, a count of zero or more, its time.
func (n InventoryCount) Validate() error {
	return validateWith(n, n.validate)
}

func (n InventoryCount) validate(c *checker, path string) {
	c.required(at(path, "sku"), n.SKU)
	c.required(at(path, "location_id"), n.LocationID)
	c.nonNegative(at(path, "on_hand"), n.OnHand)
	c.timeSet(at(path, "at"), n.At)
}

// Validate checks a set-inventory command: sku, location, quantities not negative.
func (s SetInventory) Validate() error {
	return validateWith(s, func(c *checker, path string) {
		c.required(at(path, "sku"), s.SKU)
		c.required(at(path, "location_id"), s.LocationID)
		c.nonNegative(at(path, "available"), s.Available)
		if s.Previous != nil {
			c.nonNegative(at(path, "previous"), *s.Previous)
		}
	})
}
