package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Webhook bodies are the REST Admin API representation of the resource, in
// snake_case, not wrapped in a root key (shopify.dev "Webhooks: delivery
// structure"; field names from the REST Order, Product and InventoryLevel
// resources as go-shopify models them). Headers: X-Shopify-Topic,
// X-Shopify-Hmac-Sha256 (base64 HMAC-SHA256 of the raw body with the app's
// secret), X-Shopify-Shop-Domain, X-Shopify-API-Version, X-Shopify-Webhook-Id,
// X-Shopify-Event-Id, X-Shopify-Triggered-At.

// Webhook is one delivery the sandbox made (or will make).
type Webhook struct {
	// Topic is e.g. "orders/create".
	Topic string
	// ID is the X-Shopify-Webhook-Id; a duplicate delivery repeats it.
	ID string
	// Body is the raw JSON body.
	Body []byte
	// Header holds the headers sent.
	Header http.Header
	// Status is the receiver's HTTP status, 0 when the delivery failed.
	Status int
}

type restMoney struct {
	Amount       string `json:"amount"`
	CurrencyCode string `json:"currency_code"`
}

type restSet struct {
	ShopMoney        restMoney `json:"shop_money"`
	PresentmentMoney restMoney `json:"presentment_money"`
}

func (o *order) set(b bag) restSet {
	return restSet{
		ShopMoney:        restMoney{formatMinor(b.Shop, o.Currency), o.Currency},
		PresentmentMoney: restMoney{formatMinor(b.Pres, o.PresentmentCurrency), o.PresentmentCurrency},
	}
}

func restTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func restAddress(a *address) map[string]any {
	if a == nil {
		return nil
	}
	m := map[string]any{
		"first_name": a.FirstName, "last_name": a.LastName, "name": a.name(), "company": nullStr(a.Company),
		"address1": a.Address1, "address2": nullStr(a.Address2), "city": a.City, "province_code": a.ProvinceCode,
		"zip": a.Zip, "country_code": a.CountryCode, "phone": nullStr(a.Phone),
	}
	if a.Lat != 0 || a.Lng != 0 {
		m["latitude"], m["longitude"] = a.Lat, a.Lng
	}
	return m
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (o *order) restTaxLines(ts []taxLine) []map[string]any {
	out := []map[string]any{}
	for _, t := range ts {
		out = append(out, map[string]any{
			"title": t.Title, "rate": t.Rate, "price": formatMinor(t.Price.Shop, o.Currency),
			"price_set": o.set(t.Price), "channel_liable": false,
		})
	}
	return out
}

// restOrder renders an order as the REST resource (the orders/* webhook body).
func (s *Server) restOrder(o *order) map[string]any {
	var lines []map[string]any
	for _, l := range o.Lines {
		var allocs []map[string]any
		if !l.Discount.isZero() {
			allocs = append(allocs, map[string]any{"amount": formatMinor(l.Discount.Shop, o.Currency), "amount_set": o.set(l.Discount), "discount_application_index": 0})
		}
		var fs any
		switch {
		case l.Fulfilled > 0 && l.Fulfilled >= l.Quantity-l.Removed:
			fs = "fulfilled"
		case l.Fulfilled > 0:
			fs = "partial"
		}
		lines = append(lines, map[string]any{
			"id": l.ID, "admin_graphql_api_id": gid("LineItem", l.ID), "variant_id": nullID(l.VariantID), "product_id": nullID(l.ProductID),
			"sku": nullStr(l.SKU), "title": l.Title, "variant_title": nullStr(l.VariantTitle), "name": l.Title, "vendor": nullStr(l.Vendor),
			"quantity": l.Quantity, "current_quantity": l.Quantity - l.Removed, "fulfillable_quantity": l.Quantity - l.Removed - l.Fulfilled,
			"fulfillment_status": fs, "price": formatMinor(l.Price.Shop, o.Currency), "price_set": o.set(l.Price),
			"total_discount": formatMinor(l.Discount.Shop, o.Currency), "total_discount_set": o.set(l.Discount),
			"discount_allocations": nonNil(allocs), "tax_lines": o.restTaxLines(l.Taxes), "gift_card": l.GiftCard,
			"requires_shipping": l.RequiresShipping, "taxable": len(l.Taxes) > 0, "product_exists": true,
		})
	}
	var shipping []map[string]any
	for _, sl := range o.ShippingLines {
		disc := bag{sl.Price.Shop - sl.Discount.Shop, sl.Price.Pres - sl.Discount.Pres}
		var allocs []map[string]any
		if !sl.Discount.isZero() {
			allocs = append(allocs, map[string]any{"amount": formatMinor(sl.Discount.Shop, o.Currency), "amount_set": o.set(sl.Discount), "discount_application_index": 0})
		}
		shipping = append(shipping, map[string]any{
			"id": sl.ID, "title": sl.Title, "code": nullStr(sl.Code), "source": nullStr(sl.Source),
			"price": formatMinor(sl.Price.Shop, o.Currency), "price_set": o.set(sl.Price),
			"discounted_price": formatMinor(disc.Shop, o.Currency), "discounted_price_set": o.set(disc),
			"tax_lines": o.restTaxLines(sl.Taxes), "discount_allocations": nonNil(allocs),
		})
	}
	var refunds []map[string]any
	for _, r := range o.Refunds {
		var rl []map[string]any
		restock := false
		for i, l := range r.Lines {
			rl = append(rl, map[string]any{"id": r.ID*100 + int64(i), "line_item_id": l.LineID, "quantity": l.Quantity, "restock_type": strings.ToLower(l.Restock)})
			restock = restock || l.Restock != "NO_RESTOCK"
		}
		refunds = append(refunds, map[string]any{
			"id": r.ID, "admin_graphql_api_id": gid("Refund", r.ID), "order_id": o.ID, "created_at": restTime(r.CreatedAt),
			"note": nullStr(r.Note), "restock": restock, "refund_line_items": nonNil(rl),
			"transactions": []map[string]any{{"kind": "refund", "status": "success", "amount": formatMinor(r.Amount.Shop, o.Currency), "currency": o.Currency}},
		})
	}
	var fulfillments []map[string]any
	for _, f := range o.Fulfillments {
		var nums, urls []string
		company := ""
		for _, t := range f.Tracking {
			nums = append(nums, t.Number)
			urls = append(urls, t.URL)
			company = t.Company
		}
		var num any
		if len(nums) > 0 {
			num = nums[0]
		}
		fulfillments = append(fulfillments, map[string]any{
			"id": f.ID, "admin_graphql_api_id": gid("Fulfillment", f.ID), "order_id": o.ID, "status": strings.ToLower(f.Status),
			"created_at": restTime(f.CreatedAt), "tracking_company": nullStr(company), "tracking_number": num,
			"tracking_numbers": nonNil(nums), "tracking_urls": nonNil(urls),
		})
	}
	var codes []map[string]any
	for _, c := range o.DiscountCodes {
		codes = append(codes, map[string]any{"code": c, "amount": formatMinor(o.discounts().Shop, o.Currency), "type": "percentage"})
	}
	var cust any
	if o.Customer != nil {
		cust = map[string]any{"id": o.Customer.ID, "admin_graphql_api_id": gid("Customer", o.Customer.ID), "email": nullStr(o.Customer.Email),
			"first_name": o.Customer.FirstName, "last_name": o.Customer.LastName, "phone": nullStr(o.Customer.Phone)}
	}
	var fstatus any
	switch o.fulfillmentStatus() {
	case "FULFILLED":
		fstatus = "fulfilled"
	case "PARTIALLY_FULFILLED":
		fstatus = "partial"
	}
	var cancelled, reason any
	if o.CancelledAt != nil {
		cancelled = restTime(*o.CancelledAt)
		reason = strings.ToLower(o.CancelReason)
	}
	var loc any
	if o.LocationID != 0 {
		loc = o.LocationID
	}
	var fin any
	if o.FinancialStatus != "" {
		fin = strings.ToLower(o.FinancialStatus)
	}
	lineTotal := bag{}
	for _, l := range o.Lines {
		lineTotal = lineTotal.add(l.Price.mul(l.Quantity))
	}
	return map[string]any{
		"id": o.ID, "admin_graphql_api_id": o.gid(), "name": o.name(), "order_number": o.Number, "number": o.Number - 1000,
		"email": nullStr(o.Email), "contact_email": nullStr(o.Email), "phone": nullStr(o.Phone),
		"created_at": restTime(o.CreatedAt), "updated_at": restTime(o.UpdatedAt), "processed_at": restTime(o.CreatedAt),
		"cancelled_at": cancelled, "cancel_reason": reason, "closed_at": cancelled,
		"currency": o.Currency, "presentment_currency": o.PresentmentCurrency,
		"financial_status": fin, "fulfillment_status": fstatus, "source_name": nullStr(o.SourceName), "location_id": loc,
		"tags": strings.Join(o.Tags, ", "), "note": nullStr(o.Note), "test": false, "taxes_included": false,
		"total_line_items_price": formatMinor(lineTotal.Shop, o.Currency), "total_line_items_price_set": o.set(lineTotal),
		"subtotal_price": formatMinor(o.subtotal().Shop, o.Currency), "subtotal_price_set": o.set(o.subtotal()),
		"total_discounts": formatMinor(o.discounts().Shop, o.Currency), "total_discounts_set": o.set(o.discounts()),
		"total_shipping_price_set": o.set(o.shipping()),
		"total_tax":                formatMinor(o.tax().Shop, o.Currency), "total_tax_set": o.set(o.tax()),
		"total_price": formatMinor(o.total().Shop, o.Currency), "total_price_set": o.set(o.total()),
		"discount_codes": nonNil(codes), "payment_gateway_names": nonNil(o.Gateways),
		"customer": cust, "billing_address": restAddress(o.Billing), "shipping_address": restAddress(o.Shipping),
		"line_items": nonNil(lines), "shipping_lines": nonNil(shipping), "tax_lines": o.restTaxLines(o.taxLines()),
		"refunds": nonNil(refunds), "fulfillments": nonNil(fulfillments),
	}
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// restProduct renders a product as the REST resource (products/* body).
func (s *Server) restProduct(p *product) map[string]any {
	var vs []map[string]any
	for i, v := range p.Variants {
		var cmp any
		if v.CompareAt != nil {
			cmp = formatMinor(*v.CompareAt, s.cfg.Currency)
		}
		var qty int64
		for k, l := range s.st.levels {
			if k[0] == v.InventoryItemID {
				qty += l.Available
			}
		}
		m := map[string]any{
			"id": v.ID, "admin_graphql_api_id": gid("ProductVariant", v.ID), "product_id": p.ID, "title": v.Title,
			"sku": nullStr(v.SKU), "barcode": nullStr(v.Barcode), "price": formatMinor(v.Price, s.cfg.Currency),
			"compare_at_price": cmp, "inventory_item_id": v.InventoryItemID, "inventory_quantity": qty,
			"position": i + 1, "updated_at": restTime(v.UpdatedAt), "requires_shipping": v.RequiresShip,
		}
		for j := 0; j < 3; j++ {
			var val any
			if j < len(v.Options) {
				val = v.Options[j][1]
			}
			m["option"+strconv.Itoa(j+1)] = val
		}
		vs = append(vs, m)
	}
	var opts []map[string]any
	for i, o := range p.Options {
		opts = append(opts, map[string]any{"id": o.ID, "product_id": p.ID, "name": o.Name, "position": i + 1, "values": nonNil(o.Values)})
	}
	var published any
	for _, on := range p.Published {
		if on {
			published = restTime(p.UpdatedAt)
		}
	}
	return map[string]any{
		"id": p.ID, "admin_graphql_api_id": gid("Product", p.ID), "title": p.Title, "handle": p.Handle,
		"body_html": p.Description, "vendor": p.Vendor, "product_type": p.ProductType, "status": strings.ToLower(p.Status),
		"tags": strings.Join(p.Tags, ", "), "created_at": restTime(p.CreatedAt), "updated_at": restTime(p.UpdatedAt),
		"published_at": published, "variants": nonNil(vs), "options": nonNil(opts),
	}
}

func restLevel(l *level) map[string]any {
	return map[string]any{
		"inventory_item_id": l.ItemID, "location_id": l.LocationID, "available": l.Available,
		"updated_at": restTime(l.UpdatedAt), "admin_graphql_api_id": levelGID(l),
	}
}

// The change hooks are called with s.mu held; they queue deliveries.

func (s *Server) orderChanged(o *order, topic string) {
	body := s.restOrder(o)
	s.queue(topic, body)
	if topic != "orders/updated" {
		s.queue("orders/updated", body)
	}
}

func (s *Server) productChanged(p *product, topic string) {
	s.queue(topic, s.restProduct(p))
}

func (s *Server) levelChanged(l *level) {
	s.queue("inventory_levels/update", restLevel(l))
}

func (s *Server) queue(topic string, body map[string]any) {
	if s.cfg.WebhookURL == "" || (len(s.cfg.WebhookTopics) > 0 && !contains(s.cfg.WebhookTopics, topic)) {
		return
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return
	}
	s.webhookSeq++
	w := &Webhook{Topic: topic, ID: fmt.Sprintf("sandbox-%d-%s", s.webhookSeq, strings.ReplaceAll(topic, "/", "-")), Body: raw}
	s.pending = append(s.pending, w)
	s.outstanding++
	if s.faults.take(FaultDuplicateWebhook) || s.takeDuplicate(topic) {
		dup := *w
		s.pending = append(s.pending, &dup)
		s.outstanding++
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// sign returns X-Shopify-Hmac-Sha256 for a body.
func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// deliverLoop sends queued webhooks in order, retrying failures with backoff
// (Shopify retries for hours; the sandbox tries a few times).
func (s *Server) deliverLoop(ctx context.Context) {
	defer close(s.deliverDone)
	for {
		s.mu.Lock()
		batch := s.pending
		s.pending = nil
		s.mu.Unlock()
		for _, w := range batch {
			s.deliver(ctx, w)
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		}
	}
}

func (s *Server) deliver(ctx context.Context, w *Webhook) {
	now := s.now()
	for attempt := 0; attempt < 5; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.WebhookURL, bytes.NewReader(w.Body))
		if err != nil {
			return
		}
		h := req.Header
		h.Set("Content-Type", "application/json")
		h.Set("X-Shopify-Topic", w.Topic)
		h.Set("X-Shopify-Hmac-Sha256", sign(s.cfg.WebhookSecret, w.Body))
		h.Set("X-Shopify-Shop-Domain", s.cfg.ShopDomain)
		h.Set("X-Shopify-API-Version", s.cfg.APIVersion)
		h.Set("X-Shopify-Webhook-Id", w.ID)
		h.Set("X-Shopify-Event-Id", w.ID)
		h.Set("X-Shopify-Triggered-At", now.UTC().Format(time.RFC3339Nano))
		w.Header = h.Clone()
		resp, err := s.httpClient.Do(req)
		if err == nil {
			resp.Body.Close()
			w.Status = resp.StatusCode
			if resp.StatusCode < 300 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Duration(50<<attempt) * time.Millisecond):
		}
	}
	s.mu.Lock()
	s.sent = append(s.sent, *w)
	s.outstanding--
	s.idle.Broadcast()
	s.mu.Unlock()
}

// DuplicateNext makes the next webhook of topic (e.g. "orders/create") be
// delivered twice with the same X-Shopify-Webhook-Id, as Shopify sometimes
// does; unlike the duplicate_webhook fault it picks the topic.
func (s *Server) DuplicateNext(topic string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dupNext == nil {
		s.dupNext = map[string]int{}
	}
	s.dupNext[topic]++
}

// takeDuplicate consumes a DuplicateNext for topic; s.mu is held.
func (s *Server) takeDuplicate(topic string) bool {
	if s.dupNext[topic] > 0 {
		s.dupNext[topic]--
		return true
	}
	return false
}
