package file

import (
	"encoding/json"

	"github.com/crossdockhq/crossdock/canonical"
)

// orderFields are the canonical fields of the orders stream: one row per order
// line; consecutive rows with the same order_id are one order, whose order-level
// fields come from its first row.
var orderFields = []string{
	"order_id", "number", "status", "email", "first_name", "last_name", "placed_at",
	"updated_at", "currency", "ship_name", "ship_line1", "ship_line2", "ship_city",
	"ship_region", "ship_postal_code", "ship_country", "ship_phone", "shipping",
	"shipping_method", "fulfilment_method", "pickup_location_id", "tags", "notes",
	"line_id", "sku", "title", "quantity", "unit_price", "line_discount", "line_tax",
}

func (c *Connector) orderBuilder() builder {
	m := mapper{cfg: c.cfg.Orders, currency: c.cfg.Currency}
	return builder{
		key: func(r *row) string { return m.str(r, "order_id") },
		build: func(rows []*row) (canonical.Record, error) {
			o, err := m.order(rows)
			if err != nil {
				return canonical.Record{}, err
			}
			payload, err := json.Marshal(o)
			if err != nil {
				return canonical.Record{}, err
			}
			return envelope(canonical.KindOrder, o.ExternalID, o.UpdatedAt, rows, payload), nil
		},
	}
}

func (m mapper) order(rows []*row) (canonical.Order, error) {
	first := rows[0]
	var o canonical.Order
	var err error
	if o.ExternalID, err = m.required(first, "order_id"); err != nil {
		return o, err
	}
	o.Channel = "file"
	o.Number = m.str(first, "number")
	o.Status = canonical.OrderStatus(m.str(first, "status"))
	if o.Status == "" {
		o.Status = canonical.OrderPending
	}
	if email := m.str(first, "email"); email != "" || m.str(first, "first_name") != "" {
		o.Customer = &canonical.Customer{Email: email, FirstName: m.str(first, "first_name"), LastName: m.str(first, "last_name")}
	}
	if o.PlacedAt, err = m.time(first, "placed_at"); err != nil {
		return o, err
	}
	if o.PlacedAt.IsZero() {
		return o, m.fail(first, "placed_at", "required value is missing")
	}
	if o.UpdatedAt, err = m.time(first, "updated_at"); err != nil {
		return o, err
	}
	if o.UpdatedAt.IsZero() {
		o.UpdatedAt = o.PlacedAt
	}
	if line1 := m.str(first, "ship_line1"); line1 != "" {
		o.ShippingAddress = &canonical.Address{
			Name: m.str(first, "ship_name"), Line1: line1, Line2: m.str(first, "ship_line2"),
			City: m.str(first, "ship_city"), Region: m.str(first, "ship_region"),
			PostalCode: m.str(first, "ship_postal_code"), Country: m.str(first, "ship_country"),
			Phone: m.str(first, "ship_phone"),
		}
	}
	o.Fulfilment.Method = canonical.FulfilmentMethod(m.str(first, "fulfilment_method"))
	if o.Fulfilment.Method == "" {
		o.Fulfilment.Method = canonical.FulfilShip
	}
	o.Fulfilment.PickupLocationID = m.str(first, "pickup_location_id")
	o.Fulfilment.ShippingMethod = m.str(first, "shipping_method")
	o.Tags = m.list(first, "tags")
	o.Notes = m.str(first, "notes")
	cur := m.rowCurrency(first)
	zero := canonical.Money{Currency: cur}
	o.Totals = canonical.Totals{Subtotal: zero, Discount: zero, Shipping: zero, Tax: zero, Total: zero}
	shipping, err := m.moneyOrZero(first, "shipping")
	if err != nil {
		return o, err
	}
	if shipping.Amount != 0 {
		o.ShippingLines = []canonical.ShippingLine{{Title: firstNonEmpty(o.Fulfilment.ShippingMethod, "Shipping"), Price: shipping, Discount: zero, Tax: zero}}
	}
	o.Totals.Shipping = shipping
	for i, r := range rows {
		l, err := m.line(r, i)
		if err != nil {
			return o, err
		}
		o.Lines = append(o.Lines, l)
		o.Totals.Subtotal.Amount += l.UnitPrice.Amount * l.Quantity
		o.Totals.Discount.Amount += l.Discount.Amount
		o.Totals.Tax.Amount += l.Tax.Amount
	}
	o.Totals.Total.Amount = o.Totals.Subtotal.Amount - o.Totals.Discount.Amount + o.Totals.Shipping.Amount + o.Totals.Tax.Amount
	if err := validate(rows, o); err != nil {
		return o, err
	}
	return o, nil
}

func (m mapper) line(r *row, i int) (canonical.OrderLine, error) {
	var l canonical.OrderLine
	var err error
	l.ID = m.str(r, "line_id")
	if l.ID == "" {
		l.ID = formatInt(int64(i + 1))
	}
	if l.SKU, err = m.required(r, "sku"); err != nil {
		return l, err
	}
	l.Title = m.str(r, "title")
	if l.Quantity, err = m.int(r, "quantity", true); err != nil {
		return l, err
	}
	if l.Quantity <= 0 {
		return l, m.fail(r, "quantity", "must be at least 1, got %d", l.Quantity)
	}
	price, err := m.money(r, "unit_price", true)
	if err != nil {
		return l, err
	}
	l.UnitPrice = *price
	if l.Discount, err = m.moneyOrZero(r, "line_discount"); err != nil {
		return l, err
	}
	if l.Tax, err = m.moneyOrZero(r, "line_tax"); err != nil {
		return l, err
	}
	l.RequiresShipping = true
	return l, nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// orderRows flattens an order into one row per line, by canonical field.
func orderRows(o canonical.Order) []map[string]string {
	base := map[string]string{
		"order_id": o.ExternalID, "number": o.Number, "status": string(o.Status),
		"placed_at": formatTime(o.PlacedAt), "updated_at": formatTime(o.UpdatedAt),
		"currency": o.Totals.Total.Currency, "shipping": o.Totals.Shipping.Decimal(),
		"shipping_method": o.Fulfilment.ShippingMethod, "fulfilment_method": string(o.Fulfilment.Method),
		"pickup_location_id": o.Fulfilment.PickupLocationID, "tags": joinTags(o.Tags), "notes": o.Notes,
	}
	if base["order_id"] == "" {
		base["order_id"] = o.ID
	}
	if o.Customer != nil {
		base["email"], base["first_name"], base["last_name"] = o.Customer.Email, o.Customer.FirstName, o.Customer.LastName
	}
	if a := o.ShippingAddress; a != nil {
		base["ship_name"], base["ship_line1"], base["ship_line2"] = a.Name, a.Line1, a.Line2
		base["ship_city"], base["ship_region"], base["ship_postal_code"] = a.City, a.Region, a.PostalCode
		base["ship_country"], base["ship_phone"] = a.Country, a.Phone
	}
	out := make([]map[string]string, 0, len(o.Lines))
	for _, l := range o.Lines {
		row := make(map[string]string, len(base)+7)
		for k, v := range base {
			row[k] = v
		}
		row["line_id"], row["sku"], row["title"] = l.ID, l.SKU, l.Title
		row["quantity"] = formatInt(l.Quantity)
		row["unit_price"], row["line_discount"], row["line_tax"] = l.UnitPrice.Decimal(), l.Discount.Decimal(), l.Tax.Decimal()
		out = append(out, row)
	}
	return out
}
