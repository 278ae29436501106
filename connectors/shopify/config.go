package shopify

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// DefaultAPIVersion is the dated GraphQL Admin API version the connector
// speaks unless configured otherwise. The queries use fields present in
// 2025-01 (inventorySetQuantities with compareQuantity; productSet with
// variants' inventoryItem.sku; Order.retailLocation).
const DefaultAPIVersion = "2025-01"

// Config is the connector's configuration.
type Config struct {
	// Instance names this connector instance (e.g. "shopify-us"); it is the
	// Source of every record and the connector of ExternalRefs. Default "shopify".
	Instance string `json:"instance,omitempty"`
	// ShopDomain is the shop's myshopify domain, e.g. "acme.myshopify.com".
	ShopDomain string `json:"shop_domain"`
	// AccessToken is an Admin API access token (shpat_...). Either it or
	// ClientID and ClientSecret are required.
	AccessToken string `json:"access_token,omitempty"`
	// ClientID and ClientSecret obtain an expiring token with the
	// client-credentials grant; it is refreshed before it expires.
	ClientID     string `json:"client_id,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
	// APIVersion is the GraphQL Admin API version, YYYY-MM. Default 2025-01.
	APIVersion string `json:"api_version,omitempty"`
	// WebhookSecret verifies X-Shopify-Hmac-Sha256 (the app's client secret).
	WebhookSecret string `json:"webhook_secret,omitempty"`
	// BaseURL overrides https://{shop_domain}, e.g. a sandbox's address.
	BaseURL string `json:"base_url,omitempty"`
	// Locations maps Shopify location GIDs (gid://shopify/Location/N) to
	// Crossdock location ids. Unmapped Shopify locations keep their GID.
	Locations map[string]string `json:"locations,omitempty"`
	// Publications are the publication (sales channel) names or GIDs that
	// publish_product acts on; default all publications of the shop.
	Publications []string `json:"publications,omitempty"`
	// PageSize is the number of orders per page (1-5, default 5): an order
	// with its lines costs about 190 points and a query may request 1000.
	PageSize int `json:"page_size,omitempty"`
}

var (
	domainRe  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*\.myshopify\.com$`)
	versionRe = regexp.MustCompile(`^(\d{4}-(01|04|07|10)|unstable)$`)
)

// configSchema is the JSON Schema of Config (draft 2020-12).
const configSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "Shopify connector config",
  "type": "object",
  "additionalProperties": false,
  "required": ["shop_domain"],
  "properties": {
    "instance": {"type": "string", "description": "connector instance name, the Source of records"},
    "shop_domain": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*\\.myshopify\\.com$"},
    "access_token": {"type": "string", "description": "Admin API access token", "writeOnly": true},
    "client_id": {"type": "string"},
    "client_secret": {"type": "string", "writeOnly": true},
    "api_version": {"type": "string", "pattern": "^(\\d{4}-(01|04|07|10)|unstable)$", "default": "2025-01"},
    "webhook_secret": {"type": "string", "writeOnly": true},
    "base_url": {"type": "string", "format": "uri"},
    "locations": {"type": "object", "additionalProperties": {"type": "string"}},
    "publications": {"type": "array", "items": {"type": "string"}},
    "page_size": {"type": "integer", "minimum": 1, "maximum": 5, "default": 5, "description": "orders per page; an order with its lines costs about 190 points and one query may request at most 1000"}
  },
  "anyOf": [
    {"required": ["access_token"]},
    {"required": ["client_id", "client_secret"]}
  ]
}`

// parseConfig decodes and validates a config, reporting every problem.
func parseConfig(raw json.RawMessage) (Config, error) {
	var c Config
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, &sdk.ConfigError{Fields: []sdk.FieldError{{Field: "", Message: "not a valid config object: " + err.Error()}}}
	}
	c.setDefaults()
	if errs := c.validate(); len(errs) > 0 {
		return c, &sdk.ConfigError{Fields: errs}
	}
	return c, nil
}

func (c *Config) setDefaults() {
	if c.Instance == "" {
		c.Instance = "shopify"
	}
	if c.APIVersion == "" {
		c.APIVersion = DefaultAPIVersion
	}
	if c.PageSize == 0 {
		c.PageSize = 5
	}
	c.ShopDomain = strings.ToLower(strings.TrimSpace(c.ShopDomain))
}

func (c *Config) validate() []sdk.FieldError {
	var errs []sdk.FieldError
	add := func(f, m string) { errs = append(errs, sdk.FieldError{Field: f, Message: m}) }
	if c.ShopDomain == "" {
		add("shop_domain", "is required")
	} else if !domainRe.MatchString(c.ShopDomain) {
		add("shop_domain", fmt.Sprintf("%q is not a myshopify domain (NAME.myshopify.com)", c.ShopDomain))
	}
	hasToken := c.AccessToken != ""
	hasClient := c.ClientID != "" || c.ClientSecret != ""
	switch {
	case !hasToken && !hasClient:
		add("access_token", "access_token or client_id and client_secret are required")
	case hasClient && (c.ClientID == "" || c.ClientSecret == ""):
		add("client_secret", "client_id and client_secret go together")
	}
	if !versionRe.MatchString(c.APIVersion) {
		add("api_version", fmt.Sprintf("%q is not a Shopify API version (YYYY-MM, a quarter's first month)", c.APIVersion))
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("base_url", fmt.Sprintf("%q is not an http(s) URL", c.BaseURL))
		}
	}
	for g, id := range c.Locations {
		if !strings.HasPrefix(g, "gid://shopify/Location/") {
			add("locations."+g, "keys must be Shopify location GIDs (gid://shopify/Location/N)")
		}
		if id == "" {
			add("locations."+g, "Crossdock location id is empty")
		}
	}
	if c.PageSize < 1 || c.PageSize > 5 {
		add("page_size", "must be between 1 and 5 (an order costs about 190 points; a query may request at most 1000)")
	}
	return errs
}

// baseURL is where the Admin API lives.
func (c *Config) baseURL() string {
	if c.BaseURL != "" {
		return strings.TrimRight(c.BaseURL, "/")
	}
	return "https://" + c.ShopDomain
}

// crossdockLocation maps a Shopify location GID to a Crossdock location id.
func (c *Config) crossdockLocation(gid string) string {
	if gid == "" {
		return ""
	}
	if id, ok := c.Locations[gid]; ok {
		return id
	}
	return gid
}

// shopifyLocation maps a Crossdock location id back to a Shopify GID.
func (c *Config) shopifyLocation(id string) (string, bool) {
	for g, x := range c.Locations {
		if x == id {
			return g, true
		}
	}
	if strings.HasPrefix(id, "gid://shopify/Location/") {
		return id, true
	}
	return "", false
}
