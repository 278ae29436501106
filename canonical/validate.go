package canonical

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ValidationError is one problem found by Validate: where, and what is wrong.
type ValidationError struct {
	// Path is the JSON path of the offending value, e.g. "lines[2].quantity";
	// empty for a problem with the value as a whole.
	Path string `json:"path"`
	// Message says what is wrong, e.g. "must be greater than 0".
	Message string `json:"message"`
}

// Error formats the problem as "path: message".
func (e ValidationError) Error() string {
	if e.Path == "" {
		return e.Message
	}
	return e.Path + ": " + e.Message
}

// ValidationErrors is every problem Validate found, in the order it found them.
// Validate returns it as its error (never an empty list), so a caller can show
// all the problems at once:
//
//	var verrs canonical.ValidationErrors
//	if errors.As(err, &verrs) { for _, e := range verrs { ... } }
type ValidationErrors []ValidationError

// Error joins all the problems: "lines[0].sku: is required; totals.total.currency: ...".
func (v ValidationErrors) Error() string {
	parts := make([]string, len(v))
	for i, e := range v {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Entity is a canonical value that can check itself.
type Entity interface {
	Validate() error
}

// checker collects validation problems with their JSON paths.
type checker struct {
	errs ValidationErrors
}

// validateWith runs a structural check, then the card-data guard over the whole
// value, and returns every problem found, or nil.
func validateWith(v any, check func(c *checker, path string)) error {
	c := &checker{}
	check(c, "")
	c.errs = append(c.errs, scanCardData(v)...)
	return c.err()
}

func (c *checker) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	return c.errs
}

func (c *checker) addf(path, format string, args ...any) {
	c.errs = append(c.errs, ValidationError{Path: path, Message: fmt.Sprintf(format, args...)})
}

// at joins a field name to a path: at("lines[0]", "sku") is "lines[0].sku".
func at(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

// idx indexes a path: idx("lines", 2) is "lines[2]".
func idx(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

func (c *checker) required(path, value string) {
	if strings.TrimSpace(value) == "" {
		c.addf(path, "is required")
	}
}

func (c *checker) positive(path string, n int64) {
	if n <= 0 {
		c.addf(path, "must be greater than 0")
	}
}

func (c *checker) nonNegative(path string, n int64) {
	if n < 0 {
		c.addf(path, "must not be negative")
	}
}

func (c *checker) timeSet(path string, t time.Time) {
	if t.IsZero() {
		c.addf(path, "is required")
	}
}

// enum checks value against the legal values; an empty value is reported as
// missing when required, and allowed otherwise.
func enum[T ~string](c *checker, path string, value T, legal []T, required bool) {
	if value == "" {
		if required {
			c.addf(path, "is required (one of %s)", joinEnum(legal))
		}
		return
	}
	for _, l := range legal {
		if value == l {
			return
		}
	}
	c.addf(path, "must be one of %s, not %q", joinEnum(legal), string(value))
}

func joinEnum[T ~string](legal []T) string {
	s := make([]string, len(legal))
	for i, l := range legal {
		s[i] = string(l)
	}
	return strings.Join(s, ", ")
}

// currency checks an ISO 4217 code.
func (c *checker) currency(path, code string) bool {
	switch {
	case code == "":
		c.addf(path, "is required")
		return false
	case !KnownCurrency(code):
		c.addf(path, "%q is not an active ISO 4217 currency code", code)
		return false
	}
	return true
}

// money checks an amount's currency and, when want is set, that it matches the
// currency of its document. Amounts must not be negative when nonNeg is set.
func (c *checker) money(path string, m Money, want string, nonNeg bool) {
	if c.currency(at(path, "currency"), m.Currency) && want != "" && m.Currency != want {
		c.addf(at(path, "currency"), "%s differs from the document's currency %s", m.Currency, want)
	}
	if nonNeg {
		c.nonNegative(at(path, "amount"), m.Amount)
	}
}

// Validate checks that the currency is an active ISO 4217 code.
func (m Money) Validate() error {
	return validateWith(m, func(c *checker, path string) { c.money(path, m, "", false) })
}

func (c *checker) refs(path string, refs Refs) {
	for i, r := range refs {
		p := idx(path, i)
		c.required(at(p, "connector"), r.Connector)
		c.required(at(p, "id"), r.ID)
	}
}

// idOrRefs requires Crossdock's id or, for an entity not yet stored by the hub,
// at least one external id.
func (c *checker) idOrRefs(path, id string, refs Refs) {
	if id == "" && len(refs) == 0 {
		c.addf(at(path, "id"), "is required (or at least one external id in refs)")
	}
}

func (c *checker) tags(path string, tags []string) {
	for i, t := range tags {
		if strings.TrimSpace(t) == "" {
			c.addf(idx(path, i), "must not be empty")
		}
	}
}

func (c *checker) country(path, code string) {
	if len(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' {
		c.addf(path, "must be an ISO 3166-1 alpha-2 code in upper case, e.g. US, not %q", code)
	}
}

func (c *checker) email(path, email string) {
	if !looksLikeEmail(email) {
		c.addf(path, "is not an email address")
	}
}

// looksLikeEmail checks the shape local@domain.tld, without spaces.
func looksLikeEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || strings.ContainsAny(s, " \t\r\n<>,;") ||
		strings.Contains(domain, "@") {
		return false
	}
	dot := strings.LastIndex(domain, ".")
	return dot > 0 && dot < len(domain)-1 && !strings.Contains(domain, "..")
}

func (c *checker) geo(path string, g *GeoPoint) {
	if g == nil {
		return
	}
	if math.IsNaN(g.Lat) || g.Lat < -90 || g.Lat > 90 {
		c.addf(at(path, "lat"), "must be between -90 and 90")
	}
	if math.IsNaN(g.Lng) || g.Lng < -180 || g.Lng > 180 {
		c.addf(at(path, "lng"), "must be between -180 and 180")
	}
}

// Validate checks the coordinate's ranges.
func (g GeoPoint) Validate() error {
	return validateWith(g, func(c *checker, path string) { c.geo(path, &g) })
}

// address checks an address; a postal address that is used for shipping or as a
// location's place must name its country (needCountry).
func (c *checker) address(path string, a *Address, needCountry bool) {
	if a == nil {
		return
	}
	if a.Country != "" || needCountry {
		c.country(at(path, "country"), a.Country)
	}
	if a.Email != "" {
		c.email(at(path, "email"), a.Email)
	}
	c.geo(at(path, "geo"), a.Geo)
}

// Validate checks the address's shape: the country is ISO 3166-1 alpha-2 when
// given, the email looks like one, the coordinate is in range.
func (a Address) Validate() error {
	return validateWith(a, func(c *checker, path string) { c.address(path, &a, false) })
}

func (c *checker) customer(path string, cu *Customer) {
	if cu == nil {
		return
	}
	if cu.Email != "" {
		c.email(at(path, "email"), cu.Email)
	}
	c.address(at(path, "default_address"), cu.DefaultAddress, false)
	c.tags(at(path, "tags"), cu.Tags)
	c.refs(at(path, "refs"), cu.Refs)
}

// Validate checks the customer's email, address and refs.
func (cu Customer) Validate() error {
	return validateWith(cu, cu.validate)
}

func (cu Customer) validate(c *checker, path string) {
	if cu.ID == "" && cu.Email == "" && len(cu.Refs) == 0 {
		c.addf(at(path, "id"), "is required (or an email, or an external id in refs)")
	}
	c.customer(path, &cu)
}

// validator is implemented by every record kind's payload type: it checks the
// value, reporting problems under path, without the card-data guard (which the
// top-level Validate runs once over the whole value).
type validator interface {
	validate(c *checker, path string)
}

var (
	_ validator = Order{}
	_ validator = Product{}
	_ validator = InventoryLevel{}
	_ validator = InventoryCount{}
	_ validator = InventoryMovement{}
	_ validator = Location{}
	_ validator = Customer{}
	_ validator = Shipment{}
	_ validator = Return{}
	_ validator = Subscription{}
	_ validator = Listing{}
	_ validator = Allocation{}
)

func (c *checker) weight(path string, w *Weight) {
	if w != nil {
		c.nonNegative(at(path, "grams"), w.Grams)
	}
}

func (c *checker) dimensions(path string, d *Dimensions) {
	if d == nil {
		return
	}
	c.nonNegative(at(path, "length_mm"), d.LengthMM)
	c.nonNegative(at(path, "width_mm"), d.WidthMM)
	c.nonNegative(at(path, "height_mm"), d.HeightMM)
}
