package shopify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

const connectorVersion = "0.1.0"

// Stream names.
const (
	StreamOrders    = "orders"
	StreamProducts  = "products"
	StreamInventory = "inventory"
	StreamLocations = "locations"
)

// Connector is the Shopify connector: it reads orders, products, inventory
// levels and locations over the GraphQL Admin API, writes fulfilments,
// cancellations, inventory, products and publications, and verifies and
// parses webhooks. Build it with New, then Configure.
type Connector struct {
	opts Options

	mu     sync.RWMutex
	cfg    *Config
	client *client
	mapper *mapper

	cacheMu sync.Mutex
	items   map[string]string // SKU -> inventory item GID
	pubs    []string          // publication GIDs
}

// Options are the connector's construction options (not configuration).
type Options struct {
	// HTTPClient is used for API calls; nil uses one with a 30s timeout.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// New returns an unconfigured Shopify connector.
func New(opts Options) *Connector {
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Connector{opts: opts, items: map[string]string{}}
}

// Interface guards: the contract the hub relies on.
var (
	_ sdk.Connector      = (*Connector)(nil)
	_ sdk.Reader         = (*Connector)(nil)
	_ sdk.Writer         = (*Connector)(nil)
	_ sdk.WebhookHandler = (*Connector)(nil)
)

// Spec describes the connector.
func (c *Connector) Spec() sdk.Spec {
	return sdk.Spec{
		Name:         "shopify",
		Version:      connectorVersion,
		Description:  "Shopify sales channel over the GraphQL Admin API",
		ConfigSchema: json.RawMessage(configSchema),
		Streams: []sdk.StreamSpec{
			{Name: StreamOrders, Kind: canonical.KindOrder, Description: "orders, incremental by updated_at (query updated_at:>=, sorted by UPDATED_AT), resumable mid-page"},
			{Name: StreamProducts, Kind: canonical.KindProduct, Description: "products with variants, incremental by updated_at"},
			{Name: StreamInventory, Kind: canonical.KindInventoryLevel, Description: "inventory levels per location; each pass is a full snapshot, resumable mid-pass"},
			{Name: StreamLocations, Kind: canonical.KindLocation, Description: "locations (active and inactive); every read lists them all"},
		},
		Actions: []canonical.Action{
			canonical.ActionFulfilOrder, canonical.ActionCancelOrder, canonical.ActionSetInventory,
			canonical.ActionUpsertProduct, canonical.ActionPublishProduct,
		},
		Webhooks: true,
		RateLimits: []sdk.RateLimit{
			{Name: "graphql-cost", PerSecond: 100, Burst: 2000, Description: "GraphQL Admin API calculated query cost, Standard plan (Advanced 200/s, Plus 1000/s); paced from extensions.cost.throttleStatus"},
		},
	}
}

// Configure validates and applies a config.
func (c *Connector) Configure(_ context.Context, raw json.RawMessage) error {
	cfg, err := parseConfig(raw)
	if err != nil {
		return err
	}
	cl := newClient(&cfg, c.opts.HTTPClient)
	cl.now = c.opts.Now
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cfg = &cfg
	c.client = cl
	c.mapper = &mapper{cfg: &cfg}
	c.cacheMu.Lock()
	c.items = map[string]string{}
	c.pubs = nil
	c.cacheMu.Unlock()
	return nil
}

func (c *Connector) state() (*Config, *client, *mapper, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.cfg == nil {
		return nil, nil, nil, errors.New("shopify: not configured")
	}
	return c.cfg, c.client, c.mapper, nil
}

// Check reads the shop's name and currency: it proves the credentials, the
// API version and reachability in one cheap query (cost 2).
func (c *Connector) Check(ctx context.Context) error {
	_, cl, m, err := c.state()
	if err != nil {
		return &sdk.CheckError{Reason: sdk.CheckConfig, Message: err.Error()}
	}
	cur, err := c.shopCurrency(withAttempts(ctx, 2), cl, m)
	if err != nil {
		return checkError(err)
	}
	if _, ok := canonical.CurrencyExponent(cur); !ok {
		return &sdk.CheckError{Reason: sdk.CheckConfig, Message: fmt.Sprintf("shop currency %q is unknown", cur)}
	}
	return nil
}

func checkError(err error) error {
	var te *transientError
	switch {
	case errors.Is(err, errUnauthorized):
		return &sdk.CheckError{Reason: sdk.CheckAuth, Message: err.Error()}
	case errors.Is(err, errForbidden):
		return &sdk.CheckError{Reason: sdk.CheckPermission, Message: err.Error()}
	case errors.As(err, &te), errors.Is(err, context.DeadlineExceeded):
		return &sdk.CheckError{Reason: sdk.CheckNetwork, Message: err.Error()}
	default:
		return &sdk.CheckError{Reason: sdk.CheckConfig, Message: err.Error()}
	}
}

const shopQuery = `query Shop { shop { name myshopifyDomain currencyCode } }`

func (c *Connector) shopCurrency(ctx context.Context, cl *client, m *mapper) (string, error) {
	c.mu.RLock()
	cur := m.currency
	c.mu.RUnlock()
	if cur != "" {
		return cur, nil
	}
	var out struct {
		Shop struct {
			Name         string `json:"name"`
			CurrencyCode string `json:"currencyCode"`
		} `json:"shop"`
	}
	if err := cl.do(ctx, "Shop", shopQuery, nil, 2, true, &out); err != nil {
		return "", err
	}
	c.mu.Lock()
	m.currency = out.Shop.CurrencyCode
	c.mu.Unlock()
	return out.Shop.CurrencyCode, nil
}

// Read reads one stream from cursor, emitting a batch per page.
func (c *Connector) Read(ctx context.Context, stream string, cursor []byte, emit func(sdk.Batch) error) error {
	cfg, cl, m, err := c.state()
	if err != nil {
		return err
	}
	switch stream {
	case StreamOrders:
		return c.readOrders(ctx, cfg, cl, m, cursor, emit)
	case StreamProducts:
		if _, err := c.shopCurrency(ctx, cl, m); err != nil {
			return err
		}
		return c.readProducts(ctx, cfg, cl, m, cursor, emit)
	case StreamInventory:
		return c.readInventory(ctx, cfg, cl, m, cursor, emit)
	case StreamLocations:
		return c.readLocations(ctx, cfg, cl, m, cursor, emit)
	default:
		return fmt.Errorf("shopify: unknown stream %q", stream)
	}
}

// Write executes commands and returns one result per command, in order.
// set_inventory commands are grouped into bulk inventorySetQuantities calls;
// the others run one by one.
func (c *Connector) Write(ctx context.Context, cmds []sdk.Command) []sdk.Result {
	results := make([]sdk.Result, len(cmds))
	cfg, cl, m, err := c.state()
	if err != nil {
		for i, cmd := range cmds {
			results[i] = sdk.Result{CommandID: cmd.ID, Status: sdk.StatusPermanent, Error: err.Error()}
		}
		return results
	}
	var inv []int
	for i, cmd := range cmds {
		if cmd.Action == canonical.ActionSetInventory {
			inv = append(inv, i)
			continue
		}
		var ext string
		var err error
		switch cmd.Action {
		case canonical.ActionFulfilOrder:
			ext, err = c.fulfil(ctx, cfg, cl, cmd)
		case canonical.ActionCancelOrder:
			ext, err = c.cancel(ctx, cl, cmd)
		case canonical.ActionUpsertProduct:
			ext, err = c.upsertProduct(ctx, cfg, cl, m, cmd)
		case canonical.ActionPublishProduct:
			ext, err = c.publish(ctx, cfg, cl, cmd)
		default:
			err = permanent(fmt.Errorf("action %q is not supported", cmd.Action))
		}
		results[i] = result(cmd, ext, err)
	}
	if len(inv) > 0 {
		sub := make([]sdk.Command, len(inv))
		for k, i := range inv {
			sub[k] = cmds[i]
		}
		for k, r := range c.setInventory(ctx, cfg, cl, sub) {
			results[inv[k]] = r
		}
	}
	return results
}

// permanentError marks a command that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return &permanentError{err} }

// result classifies an outcome: permanent for bad input, userErrors and
// refusals; retryable for transient failures.
func result(cmd sdk.Command, ext string, err error) sdk.Result {
	r := sdk.Result{CommandID: cmd.ID, ExternalID: ext, Status: sdk.StatusOK}
	if err == nil {
		return r
	}
	r.Error = err.Error()
	var pe *permanentError
	var te *transientError
	var ge gqlErrors
	switch {
	case errors.As(err, &pe), errors.As(err, &ge), errors.Is(err, errForbidden):
		r.Status = sdk.StatusPermanent
	case errors.As(err, &te):
		r.Status = sdk.StatusRetryable
		r.RetryAfter = te.retryAfter
	default:
		r.Status = sdk.StatusRetryable
	}
	return r
}
