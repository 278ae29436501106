package shopify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

func sortStrings(s []string) { sort.Strings(s) }

// ordersQuery lists orders by updated_at (QueryRoot.orders with sortKey
// UPDATED_AT and a search query `updated_at:>='...'`).
const ordersQuery = `query Orders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {
    pageInfo { hasNextPage endCursor }
    nodes { ...OrderFields }
  }
}` + orderFields

const orderQuery = `query Order($id: ID!) { order(id: $id) { ...OrderFields } }` + orderFields

// orderLinesQuery fetches the lines of an order beyond the first ten.
const orderLinesQuery = `query OrderLines($id: ID!, $after: String) {
  order(id: $id) { lineItems(first: 50, after: $after) { pageInfo { hasNextPage endCursor } nodes { ...Line } } }
}
fragment Money on MoneyBag { shopMoney { amount currencyCode } }
fragment Line on LineItem {
  id sku title variantTitle quantity currentQuantity unfulfilledQuantity requiresShipping isGiftCard
  originalUnitPriceSet { ...Money }
  discountAllocations { allocatedAmountSet { ...Money } }
  taxLines { title rate priceSet { ...Money } }
  variant { id }
}`

// Cost estimates before the first reply teaches the real figures.
const (
	estOrderCost = 200
	estLinesCost = 510
)

func (c *Connector) readOrders(ctx context.Context, cfg *Config, cl *client, m *mapper, cursor []byte, emit func(sdk.Batch) error) error {
	list := func(ctx context.Context, since string, after *string) ([]incItem, *string, bool, error) {
		vars := map[string]any{"first": cfg.PageSize, "after": after}
		if since != "" {
			vars["query"] = updatedFilter(since)
		}
		var out struct {
			Orders struct {
				PageInfo gPageInfo         `json:"pageInfo"`
				Nodes    []json.RawMessage `json:"nodes"`
			} `json:"orders"`
		}
		if err := cl.do(ctx, "Orders", ordersQuery, vars, 2+cfg.PageSize*estOrderCost, true, &out); err != nil {
			return nil, nil, false, err
		}
		items := make([]incItem, 0, len(out.Orders.Nodes))
		for _, raw := range out.Orders.Nodes {
			var g gOrder
			if err := json.Unmarshal(raw, &g); err != nil {
				items = append(items, incItem{id: "?", build: func() (canonical.Record, error) { return canonical.Record{}, err }, raw: raw})
				continue
			}
			if err := c.completeLines(ctx, cl, &g); err != nil {
				return nil, nil, false, err
			}
			g, raw := g, raw
			items = append(items, incItem{id: g.ID, updated: g.UpdatedAt, raw: raw, build: func() (canonical.Record, error) {
				return c.orderRecord(m, &g, "")
			}})
		}
		return items, out.Orders.PageInfo.EndCursor, out.Orders.PageInfo.HasNextPage, nil
	}
	return readIncremental(ctx, StreamOrders, cursor, list, emit)
}

// completeLines fetches the lines past the first page of an order.
func (c *Connector) completeLines(ctx context.Context, cl *client, g *gOrder) error {
	pi := g.LineItems.PageInfo
	for pi.HasNextPage && pi.EndCursor != nil {
		var out struct {
			Order *struct {
				LineItems struct {
					PageInfo gPageInfo   `json:"pageInfo"`
					Nodes    []gLineItem `json:"nodes"`
				} `json:"lineItems"`
			} `json:"order"`
		}
		if err := cl.do(ctx, "OrderLines", orderLinesQuery, map[string]any{"id": g.ID, "after": *pi.EndCursor}, estLinesCost, true, &out); err != nil {
			return err
		}
		if out.Order == nil {
			return nil
		}
		g.LineItems.Nodes = append(g.LineItems.Nodes, out.Order.LineItems.Nodes...)
		pi = out.Order.LineItems.PageInfo
	}
	return nil
}

// orderRecord maps and validates an order into a record; key "" derives the
// idempotency key from the GID and version.
func (c *Connector) orderRecord(m *mapper, g *gOrder, key string) (canonical.Record, error) {
	o, err := m.mapOrder(g)
	if err != nil {
		return canonical.Record{}, fmt.Errorf("map order %s: %w", g.ID, err)
	}
	if err := o.Validate(); err != nil {
		return canonical.Record{}, fmt.Errorf("order %s: %w", g.ID, err)
	}
	return m.record(canonical.KindOrder, g.ID, g.UpdatedAt, key, o, c.opts.Now())
}

// fetchOrder reads one order by GID (webhook fallback).
func (c *Connector) fetchOrder(ctx context.Context, cl *client, id string) (*gOrder, error) {
	var out struct {
		Order *gOrder `json:"order"`
	}
	if err := cl.do(ctx, "Order", orderQuery, map[string]any{"id": id}, estOrderCost, true, &out); err != nil {
		return nil, err
	}
	if out.Order == nil {
		return nil, fmt.Errorf("shopify: order %s not found", id)
	}
	if err := c.completeLines(ctx, cl, out.Order); err != nil {
		return nil, err
	}
	return out.Order, nil
}

// orderGID finds the Shopify order GID of a command: the payload's external
// id, or an order id that is already a GID, or a ref of this instance.
func orderGID(instance string, candidates ...string) (string, error) {
	for _, c := range candidates {
		if strings.HasPrefix(c, "gid://shopify/Order/") {
			return c, nil
		}
	}
	return "", permanent(fmt.Errorf("no Shopify order id (gid://shopify/Order/N) in the command for %s", instance))
}

const fulfillmentStateQuery = `query FulfilState($id: ID!) {
  order(id: $id) {
    id cancelledAt
    fulfillments(first: 20) { id trackingInfo(first: 5) { number } }
    fulfillmentOrders(first: 5) { nodes { id status assignedLocation { location { id } }
      lineItems(first: 20) { nodes { id remainingQuantity totalQuantity lineItem { id sku } } } } }
  }
}`

const fulfillmentCreateMutation = `mutation Fulfil($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status }
    userErrors { field message }
  }
}`

type userError struct {
	Code    *string  `json:"code"`
	Field   []string `json:"field"`
	Message string   `json:"message"`
}

func userErrorsErr(op string, errs []userError) error {
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Message
		if len(e.Field) > 0 {
			msgs[i] = strings.Join(e.Field, ".") + ": " + e.Message
		}
	}
	return permanent(fmt.Errorf("shopify: %s: %s", op, strings.Join(msgs, "; ")))
}

// fulfil marks order lines fulfilled with tracking through the order's
// fulfillment orders and fulfillmentCreate. Check before create: a
// fulfillment already carrying the tracking number, or lines with nothing
// left to fulfil, mean an earlier attempt succeeded.
func (c *Connector) fulfil(ctx context.Context, cfg *Config, cl *client, cmd sdk.Command) (string, error) {
	var sh canonical.Shipment
	if err := json.Unmarshal(cmd.Payload, &sh); err != nil {
		return "", permanent(fmt.Errorf("fulfil_order payload: %w", err))
	}
	refs := []string{sh.OrderID}
	for _, r := range sh.Refs {
		refs = append(refs, r.ID)
	}
	oid, err := orderGID(cfg.Instance, refs...)
	if err != nil {
		return "", err
	}
	var tracking struct{ company, number, url string }
	tracking.company = sh.Carrier
	if len(sh.Packages) > 0 {
		tracking.number, tracking.url = sh.Packages[0].TrackingNumber, sh.Packages[0].TrackingURL
	}
	var st struct {
		Order *struct {
			ID           string  `json:"id"`
			CancelledAt  *string `json:"cancelledAt"`
			Fulfillments []struct {
				ID           string `json:"id"`
				TrackingInfo []struct {
					Number *string `json:"number"`
				} `json:"trackingInfo"`
			} `json:"fulfillments"`
			FulfillmentOrders struct {
				Nodes []gFulfillmentOrder `json:"nodes"`
			} `json:"fulfillmentOrders"`
		} `json:"order"`
	}
	if err := cl.do(ctx, "FulfilState", fulfillmentStateQuery, map[string]any{"id": oid}, 300, true, &st); err != nil {
		return "", err
	}
	if st.Order == nil {
		return "", permanent(fmt.Errorf("order %s not found", oid))
	}
	if tracking.number != "" {
		for _, f := range st.Order.Fulfillments {
			for _, t := range f.TrackingInfo {
				if str(t.Number) == tracking.number {
					return f.ID, nil // already fulfilled by an earlier attempt
				}
			}
		}
	}
	if st.Order.CancelledAt != nil {
		return "", permanent(fmt.Errorf("order %s is cancelled", oid))
	}
	want := map[string]int64{} // line GID or SKU -> quantity
	for _, l := range sh.Lines {
		k := l.LineID
		if !strings.HasPrefix(k, "gid://shopify/LineItem/") {
			k = "sku:" + l.SKU
		}
		want[k] += l.Quantity
	}
	preferred, _ := cfg.shopifyLocation(sh.LocationID)
	fos := st.Order.FulfillmentOrders.Nodes
	sort.SliceStable(fos, func(i, j int) bool {
		return locOf(fos[i]) == preferred && locOf(fos[j]) != preferred
	})
	type foLine struct {
		ID       string `json:"id"`
		Quantity int    `json:"quantity"`
	}
	type group struct {
		FulfillmentOrderID        string   `json:"fulfillmentOrderId"`
		FulfillmentOrderLineItems []foLine `json:"fulfillmentOrderLineItems"`
	}
	var groups []group
	for _, fo := range fos {
		if fo.Status != "OPEN" && fo.Status != "IN_PROGRESS" {
			continue
		}
		g := group{FulfillmentOrderID: fo.ID}
		for _, li := range fo.LineItems.Nodes {
			if li.RemainingQuantity <= 0 {
				continue
			}
			q := li.RemainingQuantity
			if len(want) > 0 {
				k := li.LineItem.ID
				if _, ok := want[k]; !ok {
					k = "sku:" + str(li.LineItem.SKU)
				}
				if want[k] <= 0 {
					continue
				}
				q = min(q, want[k])
				want[k] -= q
			}
			g.FulfillmentOrderLineItems = append(g.FulfillmentOrderLineItems, foLine{ID: li.ID, Quantity: int(q)})
		}
		if len(g.FulfillmentOrderLineItems) > 0 {
			groups = append(groups, g)
		}
	}
	if len(groups) == 0 {
		// Nothing left to fulfil: an earlier attempt (or the merchant) did it.
		if len(st.Order.Fulfillments) > 0 {
			return st.Order.Fulfillments[len(st.Order.Fulfillments)-1].ID, nil
		}
		return "", permanent(fmt.Errorf("order %s has no open fulfillment order lines to fulfil", oid))
	}
	input := map[string]any{"lineItemsByFulfillmentOrder": groups, "notifyCustomer": false}
	if tracking.number != "" || tracking.company != "" {
		ti := map[string]any{}
		if tracking.company != "" {
			ti["company"] = carrierName(tracking.company)
		}
		if tracking.number != "" {
			ti["number"] = tracking.number
		}
		if tracking.url != "" {
			ti["url"] = tracking.url
		}
		input["trackingInfo"] = ti
	}
	var out struct {
		FulfillmentCreate struct {
			Fulfillment *struct {
				ID string `json:"id"`
			} `json:"fulfillment"`
			UserErrors []userError `json:"userErrors"`
		} `json:"fulfillmentCreate"`
	}
	if err := cl.do(ctx, "fulfillmentCreate", fulfillmentCreateMutation, map[string]any{"fulfillment": input}, 10, false, &out); err != nil {
		return "", err
	}
	if len(out.FulfillmentCreate.UserErrors) > 0 {
		return "", userErrorsErr("fulfillmentCreate", out.FulfillmentCreate.UserErrors)
	}
	if out.FulfillmentCreate.Fulfillment == nil {
		return "", errors.New("shopify: fulfillmentCreate returned no fulfillment")
	}
	return out.FulfillmentCreate.Fulfillment.ID, nil
}

func locOf(fo gFulfillmentOrder) string {
	if fo.AssignedLocation.Location == nil {
		return ""
	}
	return fo.AssignedLocation.Location.ID
}

// carrierName spells Crossdock's carrier codes as Shopify's tracking
// companies, so Shopify builds the tracking link itself.
func carrierName(code string) string {
	switch strings.ToLower(code) {
	case "ups":
		return "UPS"
	case "fedex":
		return "FedEx"
	case "usps":
		return "USPS"
	case "dhl":
		return "DHL Express"
	}
	return code
}

const cancelStateQuery = `query CancelState($id: ID!) { order(id: $id) { id cancelledAt } }`

const orderCancelMutation = `mutation Cancel($orderId: ID!, $reason: OrderCancelReason!, $refund: Boolean!, $restock: Boolean!) {
  orderCancel(orderId: $orderId, reason: $reason, refund: $refund, restock: $restock, notifyCustomer: false) {
    job { id done }
    orderCancelUserErrors { code field message }
  }
}`

// cancel cancels an order with orderCancel; an order already cancelled is a
// success (check before create).
func (c *Connector) cancel(ctx context.Context, cl *client, cmd sdk.Command) (string, error) {
	var p canonical.CancelOrder
	if err := json.Unmarshal(cmd.Payload, &p); err != nil {
		return "", permanent(fmt.Errorf("cancel_order payload: %w", err))
	}
	oid, err := orderGID("", p.ExternalID, p.OrderID)
	if err != nil {
		return "", err
	}
	var st struct {
		Order *struct {
			ID          string  `json:"id"`
			CancelledAt *string `json:"cancelledAt"`
		} `json:"order"`
	}
	if err := cl.do(ctx, "CancelState", cancelStateQuery, map[string]any{"id": oid}, 1, true, &st); err != nil {
		return "", err
	}
	if st.Order == nil {
		return "", permanent(fmt.Errorf("order %s not found", oid))
	}
	if st.Order.CancelledAt != nil {
		return oid, nil
	}
	var out struct {
		OrderCancel struct {
			OrderCancelUserErrors []userError `json:"orderCancelUserErrors"`
		} `json:"orderCancel"`
	}
	vars := map[string]any{"orderId": oid, "reason": cancelReason(p.Reason), "refund": p.Refund, "restock": p.Restock}
	if err := cl.do(ctx, "orderCancel", orderCancelMutation, vars, 10, false, &out); err != nil {
		return "", err
	}
	if errs := out.OrderCancel.OrderCancelUserErrors; len(errs) > 0 {
		if len(errs) == 1 && errs[0].Code != nil && *errs[0].Code == "ORDER_ALREADY_CANCELLED" {
			return oid, nil
		}
		return "", userErrorsErr("orderCancel", errs)
	}
	return oid, nil
}

// cancelReason maps a free-form reason to OrderCancelReason.
func cancelReason(r string) string {
	switch strings.ToLower(r) {
	case "customer":
		return "CUSTOMER"
	case "declined":
		return "DECLINED"
	case "fraud":
		return "FRAUD"
	case "inventory":
		return "INVENTORY"
	case "staff":
		return "STAFF"
	}
	return "OTHER"
}
