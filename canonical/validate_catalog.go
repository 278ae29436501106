package canonical

// Validate checks a product: id (or refs), title, at least one variant, unique
// SKUs, known currencies, status, and no card data anywhere.
func (p Product) Validate() error {
	return validateWith(p, p.validate)
}

func (p Product) validate(c *checker, path string) {
	c.idOrRefs(path, p.ID, p.Refs)
	c.required(at(path, "title"), p.Title)
	enum(c, at(path, "status"), p.Status, ProductStatuses, false)
	c.tags(at(path, "tags"), p.Tags)
	for i, img := range p.Images {
		c.required(idx(at(path, "images"), i), img)
	}
	if len(p.Variants) == 0 {
		c.addf(at(path, "variants"), "must have at least one variant")
	}
	skus := make(map[string]bool, len(p.Variants))
	for i, v := range p.Variants {
		vp := idx(at(path, "variants"), i)
		v.validate(c, vp)
		if v.SKU != "" {
			if skus[v.SKU] {
				c.addf(at(vp, "sku"), "duplicates the sku of another variant")
			}
			skus[v.SKU] = true
		}
	}
	c.refs(at(path, "refs"), p.Refs)
}

// Validate checks a variant on its own.
func (v Variant) Validate() error {
	return validateWith(v, v.validate)
}

func (v Variant) validate(c *checker, path string) {
	c.required(at(path, "sku"), v.SKU)
	c.money(at(path, "price"), v.Price, "", true)
	cur := ""
	if KnownCurrency(v.Price.Currency) {
		cur = v.Price.Currency
	}
	if v.CompareAtPrice != nil {
		c.money(at(path, "compare_at_price"), *v.CompareAtPrice, cur, true)
	}
	if v.Cost != nil {
		c.money(at(path, "cost"), *v.Cost, "", true)
	}
	c.weight(at(path, "weight"), v.Weight)
	c.dimensions(at(path, "dimensions"), v.Dimensions)
	c.refs(at(path, "refs"), v.Refs)
}

// Validate checks a listing: product, channel, status, and the error text an
// error status needs.
func (l Listing) Validate() error {
	return validateWith(l, l.validate)
}

func (l Listing) validate(c *checker, path string) {
	c.required(at(path, "product_id"), l.ProductID)
	c.required(at(path, "channel"), l.Channel)
	enum(c, at(path, "status"), l.Status, ListingStatuses, true)
	if l.Status == ListingError && l.Error == "" {
		c.addf(at(path, "error"), "is required when status is error")
	}
}

// Validate checks a publish command.
func (p Publish) Validate() error {
	return validateWith(p, func(c *checker, path string) {
		if p.ProductID == "" && p.ExternalID == "" {
			c.addf(at(path, "product_id"), "is required (or external_id)")
		}
	})
}
