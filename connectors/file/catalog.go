package file

import (
	"encoding/json"

	"github.com/crossdockhq/crossdock/canonical"
)

// productFields are the canonical fields of the products stream, one row per
// variant; consecutive rows with the same product_id (or handle) are one product.
var productFields = []string{
	"product_id", "handle", "title", "description", "vendor", "brand", "category",
	"tags", "status", "updated_at", "sku", "barcode", "variant_title", "price",
	"compare_at_price", "cost", "currency", "weight_grams",
}

func (c *Connector) productBuilder() builder {
	m := mapper{cfg: c.cfg.Products, currency: c.cfg.Currency}
	return builder{
		key: func(r *row) string {
			if id := m.str(r, "product_id"); id != "" {
				return id
			}
			return m.str(r, "handle")
		},
		build: func(rows []*row) (canonical.Record, error) {
			p, err := m.product(rows)
			if err != nil {
				return canonical.Record{}, err
			}
			payload, err := json.Marshal(p)
			if err != nil {
				return canonical.Record{}, err
			}
			ext, _ := p.Refs.Get("file")
			return envelope(canonical.KindProduct, ext, p.UpdatedAt, rows, payload), nil
		},
	}
}

func (m mapper) product(rows []*row) (canonical.Product, error) {
	first := rows[0]
	var p canonical.Product
	p.Title = m.str(first, "title")
	p.Handle = m.str(first, "handle")
	p.Description = m.str(first, "description")
	p.Vendor = m.str(first, "vendor")
	p.Brand = m.str(first, "brand")
	p.Category = m.str(first, "category")
	p.Tags = m.list(first, "tags")
	p.Status = canonical.ProductStatus(m.str(first, "status"))
	if p.Status == "" {
		p.Status = canonical.ProductActive
	}
	var err error
	if p.UpdatedAt, err = m.time(first, "updated_at"); err != nil {
		return p, err
	}
	for _, r := range rows {
		v, err := m.variant(r)
		if err != nil {
			return p, err
		}
		p.Variants = append(p.Variants, v)
	}
	ext := m.str(first, "product_id")
	if ext == "" {
		ext = p.Handle
	}
	if ext == "" && len(p.Variants) > 0 {
		ext = p.Variants[0].SKU
	}
	p.Refs = p.Refs.Set("file", ext)
	if err := validate(rows, p); err != nil {
		return p, err
	}
	return p, nil
}

func (m mapper) variant(r *row) (canonical.Variant, error) {
	var v canonical.Variant
	var err error
	if v.SKU, err = m.required(r, "sku"); err != nil {
		return v, err
	}
	v.Barcode = m.str(r, "barcode")
	v.Title = m.str(r, "variant_title")
	price, err := m.money(r, "price", true)
	if err != nil {
		return v, err
	}
	v.Price = *price
	if v.CompareAtPrice, err = m.money(r, "compare_at_price", false); err != nil {
		return v, err
	}
	if v.Cost, err = m.money(r, "cost", false); err != nil {
		return v, err
	}
	g, err := m.int(r, "weight_grams", false)
	if err != nil {
		return v, err
	}
	if g > 0 {
		v.Weight = &canonical.Weight{Grams: g}
	}
	return v, nil
}

// productRows flattens a product into one row per variant, by canonical field.
func productRows(p canonical.Product) []map[string]string {
	ext, _ := p.Refs.Get("file")
	if ext == "" {
		ext = p.ID
	}
	out := make([]map[string]string, 0, len(p.Variants))
	for _, v := range p.Variants {
		row := map[string]string{
			"product_id": ext, "handle": p.Handle, "title": p.Title, "description": p.Description,
			"vendor": p.Vendor, "brand": p.Brand, "category": p.Category, "tags": joinTags(p.Tags),
			"status": string(p.Status), "updated_at": formatTime(p.UpdatedAt), "sku": v.SKU,
			"barcode": v.Barcode, "variant_title": v.Title, "price": v.Price.Decimal(),
			"compare_at_price": formatMoney(v.CompareAtPrice), "cost": formatMoney(v.Cost),
			"currency": v.Price.Currency,
		}
		if v.Weight != nil {
			row["weight_grams"] = formatInt(v.Weight.Grams)
		}
		out = append(out, row)
	}
	return out
}

func joinTags(tags []string) string {
	s := ""
	for i, t := range tags {
		if i > 0 {
			s += ";"
		}
		s += t
	}
	return s
}
