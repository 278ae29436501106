package shopify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// Webhooks (shopify.dev "Verify webhooks" and "Delivery structure"):
// X-Shopify-Hmac-Sha256 is the base64 HMAC-SHA256 of the raw body keyed with
// the app's client secret; X-Shopify-Topic names the event;
// X-Shopify-Webhook-Id is the same on every delivery of one event, so it is
// the record's idempotency key and Shopify's duplicate deliveries become one
// record downstream. The body is the REST representation of the resource.
//
// The connector does not drop a repeated webhook id itself: the hub answers
// Shopify only after the record is durably on the bus, so a redelivery may be
// the only copy that got through; the key lets the hub deduplicate safely.

// Webhook topics the connector parses.
var webhookTopics = map[string]canonical.Kind{
	"orders/create":              canonical.KindOrder,
	"orders/updated":             canonical.KindOrder,
	"orders/cancelled":           canonical.KindOrder,
	"orders/fulfilled":           canonical.KindOrder,
	"orders/partially_fulfilled": canonical.KindOrder,
	"orders/paid":                canonical.KindOrder,
	"products/create":            canonical.KindProduct,
	"products/update":            canonical.KindProduct,
	"inventory_levels/update":    canonical.KindInventoryLevel,
}

// verifySignature checks X-Shopify-Hmac-Sha256 (base64 HMAC-SHA256 of the raw
// body with the app's secret) in constant time.
func verifySignature(secret string, header string, body []byte) bool {
	return sdk.VerifyHMAC([]byte(secret), body, strings.TrimSpace(header), sdk.Base64)
}

// Webhook verifies and parses one delivery.
func (c *Connector) Webhook(ctx context.Context, headers http.Header, body []byte) ([]canonical.Record, error) {
	cfg, cl, m, err := c.state()
	if err != nil {
		return nil, err
	}
	if cfg.WebhookSecret == "" {
		return nil, &sdk.WebhookError{Refusal: sdk.WebhookUnauthorized, Message: "no webhook_secret configured"}
	}
	if !verifySignature(cfg.WebhookSecret, headers.Get("X-Shopify-Hmac-Sha256"), body) {
		return nil, &sdk.WebhookError{Refusal: sdk.WebhookUnauthorized, Message: "X-Shopify-Hmac-Sha256 does not match the body"}
	}
	topic := headers.Get("X-Shopify-Topic")
	kind, ok := webhookTopics[topic]
	if !ok {
		return nil, &sdk.WebhookError{Refusal: sdk.WebhookMalformed, Message: fmt.Sprintf("unsupported topic %q", topic)}
	}
	key := ""
	if id := headers.Get("X-Shopify-Webhook-Id"); id != "" {
		key = cfg.Instance + ":webhook:" + id
	}
	malformed := func(err error) error {
		return &sdk.WebhookError{Refusal: sdk.WebhookMalformed, Message: fmt.Sprintf("%s body: %v", topic, err)}
	}
	switch kind {
	case canonical.KindOrder:
		var r rOrder
		if err := json.Unmarshal(body, &r); err != nil {
			return nil, malformed(err)
		}
		if r.ID == 0 && r.AdminGraphqlAPIID == "" {
			return nil, malformed(fmt.Errorf("no order id"))
		}
		g := r.toGraphQL()
		if isPickupREST(&r) {
			// REST has no delivery method: read the order for its pickup store.
			fresh, err := c.fetchOrder(ctx, cl, g.ID)
			if err != nil {
				return nil, fmt.Errorf("shopify: webhook %s: %w", topic, err)
			}
			if fresh.UpdatedAt.Equal(g.UpdatedAt) {
				g = fresh
			} else {
				// The order moved on; keep the webhook's version but the
				// fresh delivery facts.
				g.FulfillmentOrders = fresh.FulfillmentOrders
			}
		}
		rec, err := c.orderRecord(m, g, key)
		if err != nil {
			return nil, malformed(err)
		}
		return []canonical.Record{rec}, nil
	case canonical.KindProduct:
		var r rProduct
		if err := json.Unmarshal(body, &r); err != nil {
			return nil, malformed(err)
		}
		if _, err := c.shopCurrency(ctx, cl, m); err != nil {
			return nil, fmt.Errorf("shopify: webhook %s: %w", topic, err)
		}
		g := r.toGraphQL()
		p, err := m.mapProduct(g)
		if err == nil {
			err = p.Validate()
		}
		if err != nil {
			return nil, malformed(err)
		}
		rec, err := m.record(canonical.KindProduct, g.ID, g.UpdatedAt, key, p, c.opts.Now())
		if err != nil {
			return nil, err
		}
		return []canonical.Record{rec}, nil
	default: // inventory level
		var r struct {
			InventoryItemID   int64     `json:"inventory_item_id"`
			LocationID        int64     `json:"location_id"`
			Available         *int64    `json:"available"`
			UpdatedAt         time.Time `json:"updated_at"`
			AdminGraphqlAPIID string    `json:"admin_graphql_api_id"`
		}
		if err := json.Unmarshal(body, &r); err != nil {
			return nil, malformed(err)
		}
		if r.InventoryItemID == 0 || r.LocationID == 0 {
			return nil, malformed(fmt.Errorf("inventory_item_id and location_id are required"))
		}
		item := "gid://shopify/InventoryItem/" + strconv.FormatInt(r.InventoryItemID, 10)
		loc := "gid://shopify/Location/" + strconv.FormatInt(r.LocationID, 10)
		// The body has no SKU and only "available": read the level so the
		// record equals what the inventory stream produces.
		g, err := c.fetchLevel(ctx, cl, item, loc)
		if errors.Is(err, errNoLevel) {
			// Disconnected or deleted since: nothing to record, and an error
			// would only make Shopify redeliver forever.
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("shopify: webhook %s: %w", topic, err)
		}
		l := m.mapLevel(g, loc)
		if err := l.Validate(); err != nil {
			return nil, malformed(err)
		}
		at := r.UpdatedAt
		if g.UpdatedAt != nil {
			at = *g.UpdatedAt
		}
		rec, err := m.record(canonical.KindInventoryLevel, g.ID, at, key, l, c.opts.Now())
		if err != nil {
			return nil, err
		}
		return []canonical.Record{rec}, nil
	}
}
