package shopify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// Products: QueryRoot.products sorted by UPDATED_AT with an updated_at
// search filter; each with variants(first: 20) (price is the Money scalar, a
// decimal string in the shop currency, in 2025-01), inventoryItem { id } and
// selectedOptions. About 63 points a product, so 15 a page.

type gVariant struct {
	ID              string  `json:"id"`
	Title           string  `json:"title"`
	SKU             *string `json:"sku"`
	Barcode         *string `json:"barcode"`
	Price           string  `json:"price"`
	CompareAtPrice  *string `json:"compareAtPrice"`
	SelectedOptions []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"selectedOptions"`
	InventoryItem gID `json:"inventoryItem"`
}

type gProduct struct {
	ID              string    `json:"id"`
	Title           string    `json:"title"`
	Handle          string    `json:"handle"`
	DescriptionHTML string    `json:"descriptionHtml"`
	Vendor          string    `json:"vendor"`
	ProductType     string    `json:"productType"`
	Status          string    `json:"status"`
	Tags            []string  `json:"tags"`
	IsGiftCard      bool      `json:"isGiftCard"`
	UpdatedAt       time.Time `json:"updatedAt"`
	Variants        struct {
		PageInfo gPageInfo  `json:"pageInfo"`
		Nodes    []gVariant `json:"nodes"`
	} `json:"variants"`
}

const productFields = `
fragment Variant on ProductVariant { id title sku barcode price compareAtPrice selectedOptions { name value } inventoryItem { id } }
fragment ProductFields on Product {
  id title handle descriptionHtml vendor productType status tags isGiftCard updatedAt
  variants(first: 20) { pageInfo { hasNextPage endCursor } nodes { ...Variant } }
}`

const productsQuery = `query Products($first: Int!, $after: String, $query: String) {
  products(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {
    pageInfo { hasNextPage endCursor }
    nodes { ...ProductFields }
  }
}` + productFields

const productVariantsQuery = `query ProductVariants($id: ID!, $after: String) {
  product(id: $id) { variants(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { ...Variant } } }
}
fragment Variant on ProductVariant { id title sku barcode price compareAtPrice selectedOptions { name value } inventoryItem { id } }`

const productsPerPage = 15

func (c *Connector) readProducts(ctx context.Context, cfg *Config, cl *client, m *mapper, cursor []byte, emit func(sdk.Batch) error) error {
	list := func(ctx context.Context, since string, after *string) ([]incItem, *string, bool, error) {
		vars := map[string]any{"first": productsPerPage, "after": after}
		if since != "" {
			vars["query"] = updatedFilter(since)
		}
		var out struct {
			Products struct {
				PageInfo gPageInfo         `json:"pageInfo"`
				Nodes    []json.RawMessage `json:"nodes"`
			} `json:"products"`
		}
		if err := cl.do(ctx, "Products", productsQuery, vars, 2+productsPerPage*63, true, &out); err != nil {
			return nil, nil, false, err
		}
		items := make([]incItem, 0, len(out.Products.Nodes))
		for _, raw := range out.Products.Nodes {
			var g gProduct
			if err := json.Unmarshal(raw, &g); err != nil {
				err := err
				items = append(items, incItem{id: "?", build: func() (canonical.Record, error) { return canonical.Record{}, err }, raw: raw})
				continue
			}
			if err := c.completeVariants(ctx, cl, &g); err != nil {
				return nil, nil, false, err
			}
			c.rememberItems(&g)
			g, raw := g, raw
			items = append(items, incItem{id: g.ID, updated: g.UpdatedAt, raw: raw, build: func() (canonical.Record, error) {
				p, err := m.mapProduct(&g)
				if err != nil {
					return canonical.Record{}, err
				}
				if err := p.Validate(); err != nil {
					return canonical.Record{}, fmt.Errorf("product %s: %w", g.ID, err)
				}
				return m.record(canonical.KindProduct, g.ID, g.UpdatedAt, "", p, c.opts.Now())
			}})
		}
		return items, out.Products.PageInfo.EndCursor, out.Products.PageInfo.HasNextPage, nil
	}
	return readIncremental(ctx, StreamProducts, cursor, list, emit)
}

func updatedFilter(since string) string { return fmt.Sprintf("updated_at:>='%s'", since) }

func (c *Connector) completeVariants(ctx context.Context, cl *client, g *gProduct) error {
	pi := g.Variants.PageInfo
	for pi.HasNextPage && pi.EndCursor != nil {
		var out struct {
			Product *struct {
				Variants struct {
					PageInfo gPageInfo  `json:"pageInfo"`
					Nodes    []gVariant `json:"nodes"`
				} `json:"variants"`
			} `json:"product"`
		}
		if err := cl.do(ctx, "ProductVariants", productVariantsQuery, map[string]any{"id": g.ID, "after": *pi.EndCursor}, 303, true, &out); err != nil {
			return err
		}
		if out.Product == nil {
			return nil
		}
		g.Variants.Nodes = append(g.Variants.Nodes, out.Product.Variants.Nodes...)
		pi = out.Product.Variants.PageInfo
	}
	return nil
}

// rememberItems caches SKU -> inventory item GID for inventory writes.
func (c *Connector) rememberItems(g *gProduct) {
	c.cacheMu.Lock()
	defer c.cacheMu.Unlock()
	for _, v := range g.Variants.Nodes {
		if s := str(v.SKU); s != "" && v.InventoryItem.ID != "" {
			c.items[s] = v.InventoryItem.ID
		}
	}
}

// mapProduct maps a GraphQL Product node; variant prices are in the shop
// currency.
func (m *mapper) mapProduct(g *gProduct) (canonical.Product, error) {
	p := canonical.Product{
		Handle: g.Handle, Title: g.Title, Description: g.DescriptionHTML, Vendor: g.Vendor, Category: g.ProductType,
		Tags: g.Tags, Status: canonical.ProductStatus(strings.ToLower(g.Status)), GiftCard: g.IsGiftCard, UpdatedAt: g.UpdatedAt.UTC(),
		Refs: canonical.Refs{{Connector: m.cfg.Instance, ID: g.ID, Version: g.UpdatedAt.UTC().Format(time.RFC3339)}},
	}
	for _, v := range g.Variants.Nodes {
		cv := canonical.Variant{SKU: str(v.SKU), Barcode: str(v.Barcode), Title: v.Title,
			Refs: canonical.Refs{{Connector: m.cfg.Instance, ID: v.ID}, {Connector: m.cfg.Instance + "/inventory_item", ID: v.InventoryItem.ID}}}
		var err error
		if cv.Price, err = canonical.ParseMoney(v.Price, m.currency); err != nil {
			return p, fmt.Errorf("variant %s: %w", v.ID, err)
		}
		if v.CompareAtPrice != nil && *v.CompareAtPrice != "" {
			cmp, err := canonical.ParseMoney(*v.CompareAtPrice, m.currency)
			if err != nil {
				return p, fmt.Errorf("variant %s: %w", v.ID, err)
			}
			cv.CompareAtPrice = &cmp
		}
		for _, o := range v.SelectedOptions {
			if o.Name == "Title" && o.Value == "Default Title" {
				continue
			}
			if cv.Options == nil {
				cv.Options = map[string]string{}
			}
			cv.Options[o.Name] = o.Value
		}
		p.Variants = append(p.Variants, cv)
	}
	return p, nil
}

// rProduct is the REST product of products/* webhooks.
type rProduct struct {
	ID                int64     `json:"id"`
	AdminGraphqlAPIID string    `json:"admin_graphql_api_id"`
	Title             string    `json:"title"`
	Handle            string    `json:"handle"`
	BodyHTML          *string   `json:"body_html"`
	Vendor            string    `json:"vendor"`
	ProductType       string    `json:"product_type"`
	Status            string    `json:"status"`
	Tags              string    `json:"tags"`
	UpdatedAt         time.Time `json:"updated_at"`
	Options           []struct {
		Name     string `json:"name"`
		Position int    `json:"position"`
	} `json:"options"`
	Variants []struct {
		ID                int64   `json:"id"`
		AdminGraphqlAPIID string  `json:"admin_graphql_api_id"`
		Title             string  `json:"title"`
		SKU               *string `json:"sku"`
		Barcode           *string `json:"barcode"`
		Price             string  `json:"price"`
		CompareAtPrice    *string `json:"compare_at_price"`
		InventoryItemID   int64   `json:"inventory_item_id"`
		Option1           *string `json:"option1"`
		Option2           *string `json:"option2"`
		Option3           *string `json:"option3"`
	} `json:"variants"`
}

// toGraphQL converts the REST product. REST has no isGiftCard on products:
// a gift card product read from a webhook has GiftCard false until polled.
func (r *rProduct) toGraphQL() *gProduct {
	gid := r.AdminGraphqlAPIID
	if gid == "" {
		gid = fmt.Sprintf("gid://shopify/Product/%d", r.ID)
	}
	g := &gProduct{ID: gid, Title: r.Title, Handle: r.Handle, DescriptionHTML: str(r.BodyHTML), Vendor: r.Vendor,
		ProductType: r.ProductType, Status: strings.ToUpper(r.Status), UpdatedAt: r.UpdatedAt}
	for _, t := range strings.Split(r.Tags, ",") {
		if t = strings.TrimSpace(t); t != "" {
			g.Tags = append(g.Tags, t)
		}
	}
	sort.SliceStable(r.Options, func(i, j int) bool { return r.Options[i].Position < r.Options[j].Position })
	for _, v := range r.Variants {
		vid := v.AdminGraphqlAPIID
		if vid == "" {
			vid = fmt.Sprintf("gid://shopify/ProductVariant/%d", v.ID)
		}
		gv := gVariant{ID: vid, Title: v.Title, SKU: v.SKU, Barcode: v.Barcode, Price: v.Price, CompareAtPrice: v.CompareAtPrice,
			InventoryItem: gID{ID: fmt.Sprintf("gid://shopify/InventoryItem/%d", v.InventoryItemID)}}
		for i, val := range []*string{v.Option1, v.Option2, v.Option3} {
			if val == nil || i >= len(r.Options) {
				continue
			}
			gv.SelectedOptions = append(gv.SelectedOptions, struct {
				Name  string `json:"name"`
				Value string `json:"value"`
			}{r.Options[i].Name, *val})
		}
		g.Variants.Nodes = append(g.Variants.Nodes, gv)
	}
	return g
}

// ---- upsert (syndication) ----

const productByHandleQuery = `query ProductByHandle($query: String!) {
  products(first: 1, query: $query) { nodes { id handle variants(first: 100) { nodes { id sku } } } }
}`

const productSetMutation = `mutation ProductSet($input: ProductSetInput!) {
  productSet(input: $input, synchronous: true) {
    product { id handle updatedAt }
    userErrors { code field message }
  }
}`

// upsertProduct creates or updates a product and its variants with
// productSet. Check before create: the product is looked up by its GID ref
// or its handle, and existing variants by SKU, so a retried command updates
// what the first attempt created instead of duplicating it. productSet has
// no idempotency key in 2025-01; the handle is the natural key.
func (c *Connector) upsertProduct(ctx context.Context, cfg *Config, cl *client, m *mapper, cmd sdk.Command) (string, error) {
	var p canonical.Product
	if err := json.Unmarshal(cmd.Payload, &p); err != nil {
		return "", permanent(fmt.Errorf("upsert_product payload: %w", err))
	}
	if p.Title == "" || len(p.Variants) == 0 {
		return "", permanent(fmt.Errorf("upsert_product: a product needs a title and at least one variant"))
	}
	handle := p.Handle
	if handle == "" {
		handle = handleize(p.Title)
	}
	var existing struct {
		ID       string
		Variants map[string]string // sku -> variant GID
	}
	existing.Variants = map[string]string{}
	var out struct {
		Products struct {
			Nodes []struct {
				ID       string `json:"id"`
				Handle   string `json:"handle"`
				Variants struct {
					Nodes []struct {
						ID  string  `json:"id"`
						SKU *string `json:"sku"`
					} `json:"nodes"`
				} `json:"variants"`
			} `json:"nodes"`
		} `json:"products"`
	}
	if err := cl.do(ctx, "ProductByHandle", productByHandleQuery, map[string]any{"query": "handle:'" + handle + "'"}, 204, true, &out); err != nil {
		return "", err
	}
	for _, n := range out.Products.Nodes {
		if n.Handle == handle {
			existing.ID = n.ID
			for _, v := range n.Variants.Nodes {
				existing.Variants[str(v.SKU)] = v.ID
			}
		}
	}
	if existing.ID == "" {
		if id, ok := p.Refs.Get(cfg.Instance); ok && strings.HasPrefix(id, "gid://shopify/Product/") {
			existing.ID = id
		}
	}
	input := map[string]any{"handle": handle, "title": p.Title, "descriptionHtml": p.Description, "vendor": p.Vendor,
		"productType": p.Category, "tags": nonNilStrings(p.Tags), "giftCard": p.GiftCard}
	if existing.ID != "" {
		input["id"] = existing.ID
	}
	switch p.Status {
	case canonical.ProductDraft:
		input["status"] = "DRAFT"
	case canonical.ProductArchived:
		input["status"] = "ARCHIVED"
	default:
		input["status"] = "ACTIVE"
	}
	// Options: the union of the variants' option names, in first-seen order;
	// a product without options has Shopify's "Title" / "Default Title".
	var optNames []string
	optValues := map[string][]string{}
	for _, v := range p.Variants {
		names := make([]string, 0, len(v.Options))
		for n := range v.Options {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if _, ok := optValues[n]; !ok {
				optNames = append(optNames, n)
			}
			if !containsStr(optValues[n], v.Options[n]) {
				optValues[n] = append(optValues[n], v.Options[n])
			}
		}
	}
	if len(optNames) == 0 {
		optNames = []string{"Title"}
		for _, v := range p.Variants {
			val := "Default Title"
			if len(p.Variants) > 1 {
				val = firstNonEmpty(v.Title, v.SKU)
			}
			optValues["Title"] = append(optValues["Title"], val)
		}
	}
	var opts []map[string]any
	for _, n := range optNames {
		var vals []map[string]any
		for _, v := range optValues[n] {
			vals = append(vals, map[string]any{"name": v})
		}
		opts = append(opts, map[string]any{"name": n, "values": vals})
	}
	input["productOptions"] = opts
	var variants []map[string]any
	for i, v := range p.Variants {
		if v.SKU == "" {
			return "", permanent(fmt.Errorf("upsert_product: variant %d has no sku", i))
		}
		var ovs []map[string]any
		for _, n := range optNames {
			val := v.Options[n]
			if n == "Title" && len(v.Options) == 0 {
				val = optValues["Title"][i]
			}
			ovs = append(ovs, map[string]any{"optionName": n, "name": val})
		}
		vi := map[string]any{"optionValues": ovs, "price": v.Price.Decimal(),
			"inventoryItem": map[string]any{"sku": v.SKU, "tracked": !p.GiftCard, "requiresShipping": !p.GiftCard}}
		if v.Barcode != "" {
			vi["barcode"] = v.Barcode
		}
		if v.CompareAtPrice != nil {
			vi["compareAtPrice"] = v.CompareAtPrice.Decimal()
		}
		if id, ok := existing.Variants[v.SKU]; ok {
			vi["id"] = id
		}
		variants = append(variants, vi)
	}
	input["variants"] = variants
	var res struct {
		ProductSet struct {
			Product *struct {
				ID string `json:"id"`
			} `json:"product"`
			UserErrors []userError `json:"userErrors"`
		} `json:"productSet"`
	}
	if err := cl.do(ctx, "productSet", productSetMutation, map[string]any{"input": input}, 10, false, &res); err != nil {
		return "", err
	}
	if len(res.ProductSet.UserErrors) > 0 {
		return "", userErrorsErr("productSet", res.ProductSet.UserErrors)
	}
	if res.ProductSet.Product == nil {
		return "", fmt.Errorf("shopify: productSet returned no product")
	}
	c.cacheMu.Lock()
	c.items = map[string]string{} // variants may have new inventory items
	c.cacheMu.Unlock()
	return res.ProductSet.Product.ID, nil
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func containsStr(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// handleize is Shopify's handle rule: lower-case words joined by dashes.
func handleize(t string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(t) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// ---- publish ----

const publicationsQuery = `query Publications { publications(first: 20) { nodes { id name } } }`

const publishMutation = `mutation Publish($id: ID!, $input: [PublicationInput!]!) {
  publishablePublish(id: $id, input: $input) { userErrors { field message } }
}`

const unpublishMutation = `mutation Unpublish($id: ID!, $input: [PublicationInput!]!) {
  publishableUnpublish(id: $id, input: $input) { userErrors { field message } }
}`

// publish publishes or unpublishes a product on the configured publications
// (all of the shop's by default). Both mutations set a state, so repeating
// one is harmless.
func (c *Connector) publish(ctx context.Context, cfg *Config, cl *client, cmd sdk.Command) (string, error) {
	var p canonical.Publish
	if err := json.Unmarshal(cmd.Payload, &p); err != nil {
		return "", permanent(fmt.Errorf("publish_product payload: %w", err))
	}
	pid := p.ExternalID
	if !strings.HasPrefix(pid, "gid://shopify/Product/") {
		return "", permanent(fmt.Errorf("publish_product: external_id %q is not a Shopify product GID", pid))
	}
	pubs, err := c.publications(ctx, cfg, cl)
	if err != nil {
		return "", err
	}
	var input []map[string]any
	for _, id := range pubs {
		input = append(input, map[string]any{"publicationId": id})
	}
	q, op := publishMutation, "publishablePublish"
	if !p.Published {
		q, op = unpublishMutation, "publishableUnpublish"
	}
	var out map[string]struct {
		UserErrors []userError `json:"userErrors"`
	}
	if err := cl.do(ctx, op, q, map[string]any{"id": pid, "input": input}, 10, false, &out); err != nil {
		return "", err
	}
	if errs := out[op].UserErrors; len(errs) > 0 {
		return "", userErrorsErr(op, errs)
	}
	return pid, nil
}

func (c *Connector) publications(ctx context.Context, cfg *Config, cl *client) ([]string, error) {
	c.cacheMu.Lock()
	cached := c.pubs
	c.cacheMu.Unlock()
	if cached != nil {
		return cached, nil
	}
	var out struct {
		Publications struct {
			Nodes []struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"nodes"`
		} `json:"publications"`
	}
	if err := cl.do(ctx, "Publications", publicationsQuery, nil, 22, true, &out); err != nil {
		return nil, err
	}
	var ids []string
	for _, n := range out.Publications.Nodes {
		if len(cfg.Publications) == 0 || containsStr(cfg.Publications, n.Name) || containsStr(cfg.Publications, n.ID) {
			ids = append(ids, n.ID)
		}
	}
	if len(ids) == 0 {
		return nil, permanent(fmt.Errorf("no publication matches %v", cfg.Publications))
	}
	c.cacheMu.Lock()
	c.pubs = ids
	c.cacheMu.Unlock()
	return ids, nil
}

// referenceURI names the command behind an inventory change, for Shopify's
// adjustment history.
func referenceURI(key string) string {
	return "crossdock://command/" + url.PathEscape(key)
}
