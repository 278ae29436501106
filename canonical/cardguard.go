package canonical

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The card-data guard (DESIGN.md §3.4: no card data, ever).
//
// CheckNoCardData walks every string of a value: struct fields by their JSON
// names, map keys and values, slice elements, pointers and interfaces, and the
// raw JSON payload of a Record (decoded and walked too; if it is not JSON, its
// bytes are scanned as text). A string is refused when it holds something that
// looks like a primary account number:
//
//  1. A run of ASCII digits, possibly split into groups by single spaces or
//     dashes, and not a phone number ('+' then at most 15 digits, E.164).
//  2. Either one unbroken group of 13 to 19 digits, or groups laid out as cards
//     are printed: 4-4-4-x (x of 1 to 4 digits), 4-4-4-4-x (x of 1 to 3),
//     4-6-4 (Diners) or 4-6-5 (Amex). Other groupings (Amazon order ids
//     "305-1234567-1234567", tracking numbers in blocks) are not cards. The
//     run is tried whole and without a leading or trailing group of at most
//     3 digits, so "qty 2 4111 1111 1111 1111" and "4111 ... 1111 12/27" are
//     caught.
//  3. Starting with an issuer prefix of a card scheme: Visa 4; Mastercard 51-55
//     and 2221-2720; Amex 34, 37; Discover 6011, 644-649, 65; JCB 3528-3589;
//     Diners 300-305, 3095, 36, 38, 39; UnionPay 62; Maestro 50, 56-58, 6304,
//     6759, 6761-6763; Mir 2200-2204; RuPay 60. Order numbers, timestamps and
//     most ids start otherwise.
//  4. Passing the Luhn check.
//
// Two exemptions keep barcodes and platform ids from being refused:
//
//   - An unbroken group of 13 or 14 digits whose GTIN check digit is right is a
//     GTIN-13/EAN or GTIN-14 barcode, wherever it appears. (About one GTIN in ten
//     passes Luhn by chance, and German GTINs start with 4, so without this a
//     barcode in a note or an attribute would be refused.) The price is that a
//     13-digit Visa or 14-digit Diners number that is also a valid GTIN passes;
//     such numbers are rare, and every 15-19 digit card is still caught.
//   - In identifier fields (named id, *_id, sku, number, barcode, gtin, upc,
//     ean, isbn, tracking_number, idempotency_key, phone, version, or map keys
//     so named), an unbroken digit group is an identifier: Shopify's order,
//     product and variant ids are 13-14 digit numbers. A number laid out like
//     a card ("4111 1111 1111 1111") is still refused there.
//
// The error names the field's path and never repeats the digits; a map key that
// itself looks like a card number is shown as [redacted].

// CheckNoCardData returns ValidationErrors naming every field of v that holds
// something that looks like a payment card number, or nil. Validate calls it on
// every entity.
func CheckNoCardData(v any) error {
	if errs := scanCardData(v); len(errs) > 0 {
		return errs
	}
	return nil
}

// cardMessage is the one message of the guard; it never includes the value.
const cardMessage = "looks like a payment card number (13-19 digits passing the Luhn check); " +
	"card data must never reach Crossdock: send the payment processor's token and the last four digits"

// maxScanDepth bounds the walk, so a cyclic value cannot overflow the stack.
// A value nested deeper is refused rather than passed unchecked.
const maxScanDepth = 512

var (
	rawMessageType = reflect.TypeFor[json.RawMessage]()
	timeType       = reflect.TypeFor[time.Time]()
)

func scanCardData(v any) ValidationErrors {
	s := &cardScanner{}
	s.walk(reflect.ValueOf(v), "", "", 0)
	return s.errs
}

type cardScanner struct {
	errs    ValidationErrors
	tooDeep bool
}

func (s *cardScanner) hit(path string) {
	s.errs = append(s.errs, ValidationError{Path: path, Message: cardMessage})
}

// walk visits v at path; name is the JSON name of the field or map key that
// holds it, which decides the identifier exemption.
func (s *cardScanner) walk(v reflect.Value, path, name string, depth int) {
	if !v.IsValid() {
		return
	}
	if depth > maxScanDepth {
		if !s.tooDeep {
			s.tooDeep = true
			s.errs = append(s.errs, ValidationError{Path: path, Message: "is nested too deeply to be checked for card data"})
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			s.walk(v.Elem(), path, name, depth+1)
		}
	case reflect.String:
		if containsCardNumber(v.String(), isIdentifierField(name)) {
			s.hit(path)
		}
	case reflect.Struct:
		if v.Type() == timeType {
			return
		}
		s.walkStruct(v, path, depth)
	case reflect.Map:
		s.walkMap(v, path, depth)
	case reflect.Slice, reflect.Array:
		if v.Type() == rawMessageType {
			s.walkRawJSON(v.Bytes(), path, name, depth)
			return
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // bytes (labels, images) are not text
		}
		for i := 0; i < v.Len(); i++ {
			s.walk(v.Index(i), idx(path, i), name, depth+1)
		}
	}
}

func (s *cardScanner) walkStruct(v reflect.Value, path string, depth int) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			if f.Anonymous {
				s.walk(v.Field(i), path, "", depth+1) // embedded: fields are promoted
				continue
			}
			name = f.Name
		}
		s.walk(v.Field(i), at(path, name), name, depth+1)
	}
}

func (s *cardScanner) walkMap(v reflect.Value, path string, depth int) {
	type entry struct {
		key string
		val reflect.Value
	}
	entries := make([]entry, 0, v.Len())
	iter := v.MapRange()
	for iter.Next() {
		k := iter.Key()
		for k.Kind() == reflect.Interface && !k.IsNil() {
			k = k.Elem()
		}
		var key string
		if k.Kind() == reflect.String {
			key = k.String()
		} else {
			key = fmtKey(k)
		}
		entries = append(entries, entry{key, iter.Value()})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].key < entries[j].key })
	for _, e := range entries {
		if containsCardNumber(e.key, false) {
			p := path + "[redacted]"
			s.errs = append(s.errs, ValidationError{Path: p, Message: "a map key " + cardMessage})
			s.walk(e.val, p, "", depth+1)
			continue
		}
		s.walk(e.val, mapPath(path, e.key), e.key, depth+1)
	}
}

func fmtKey(k reflect.Value) string {
	switch k.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(k.Uint(), 10)
	}
	return k.Type().String()
}

// mapPath adds a map key to a path: attributes.material, or
// attributes["care label"] for a key that is not a plain name.
func mapPath(path, key string) string {
	plain := key != ""
	for _, r := range key {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			plain = false
			break
		}
	}
	if plain {
		return at(path, key)
	}
	return path + "[" + strconv.Quote(key) + "]"
}

// walkRawJSON decodes raw JSON and walks it; bytes that are not JSON are
// scanned as text, so a malformed payload cannot smuggle a card number past.
func (s *cardScanner) walkRawJSON(raw []byte, path, name string, depth int) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if containsCardNumber(string(raw), false) {
			s.hit(path)
		}
		return
	}
	s.walk(reflect.ValueOf(v), path, name, depth+1)
}

// identifierFields are field names whose unbroken digit strings are ids.
var identifierFields = map[string]bool{
	"id": true, "sku": true, "number": true, "barcode": true, "gtin": true, "upc": true,
	"ean": true, "isbn": true, "tracking_number": true, "idempotency_key": true,
	"phone": true, "version": true,
}

func isIdentifierField(name string) bool {
	n := strings.ToLower(name)
	return identifierFields[n] || strings.HasSuffix(n, "_id") || strings.HasSuffix(n, "_ids")
}

// containsCardNumber reports whether s holds a digit run that looks like a card
// number, by the rules in the comment at the top of this file.
func containsCardNumber(s string, identifier bool) bool {
	var groups []string
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		start := i
		groups = groups[:0]
		for {
			j := i
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			groups = append(groups, s[i:j])
			if j+1 < len(s) && (s[j] == ' ' || s[j] == '-') && isDigit(s[j+1]) {
				i = j + 1
				continue
			}
			i = j
			break
		}
		if start > 0 && s[start-1] == '+' && digitCount(groups) <= 15 {
			continue // a phone number in E.164 format: at most 15 digits after '+'
		}
		if runIsCard(groups, identifier) {
			return true
		}
	}
	return false
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func digitCount(groups []string) int {
	n := 0
	for _, g := range groups {
		n += len(g)
	}
	return n
}

// runIsCard tries the run as a whole and, since a card number is often written
// next to a short number ("qty 2 4111 1111 1111 1111", "... 1111 12/27"), also
// without a leading or trailing group of at most 3 digits.
func runIsCard(groups []string, identifier bool) bool {
	n := len(groups)
	for lo := 0; lo <= 1; lo++ {
		for hi := n; hi >= n-1; hi-- {
			if hi-lo < 1 || (lo == 1 && len(groups[0]) > 3) || (hi == n-1 && len(groups[n-1]) > 3) {
				continue
			}
			if groupsAreCard(groups[lo:hi], identifier) {
				return true
			}
		}
	}
	return false
}

func groupsAreCard(groups []string, identifier bool) bool {
	var digits string
	if len(groups) == 1 {
		digits = groups[0]
		if len(digits) < 13 || len(digits) > 19 || identifier {
			return false
		}
		if (len(digits) == 13 || len(digits) == 14) && validGTIN(digits) {
			return false
		}
	} else {
		if !cardLayout(groups) {
			return false
		}
		digits = strings.Join(groups, "")
	}
	return cardPrefix(digits) && luhn(digits)
}

// cardLayout reports whether digit groups are laid out as card numbers are
// printed: 4-4-4-x, 4-4-4-4-x, 4-6-4 or 4-6-5.
func cardLayout(g []string) bool {
	if len(g[0]) != 4 {
		return false
	}
	switch len(g) {
	case 3:
		if len(g[1]) == 6 && (len(g[2]) == 4 || len(g[2]) == 5) {
			return true
		}
		return false
	case 4:
		return len(g[1]) == 4 && len(g[2]) == 4 && len(g[3]) >= 1 && len(g[3]) <= 4
	case 5:
		return len(g[1]) == 4 && len(g[2]) == 4 && len(g[3]) == 4 && len(g[4]) >= 1 && len(g[4]) <= 3
	}
	return false
}

// cardPrefix reports whether digits start with the issuer prefix of a card scheme.
func cardPrefix(d string) bool {
	p := func(n int) int {
		v, _ := strconv.Atoi(d[:n])
		return v
	}
	p1, p2, p3, p4 := p(1), p(2), p(3), p(4)
	switch {
	case p1 == 4: // Visa
		return true
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720: // Mastercard
		return true
	case p2 == 34 || p2 == 37: // American Express
		return true
	case p4 == 6011 || p2 == 65 || (p3 >= 644 && p3 <= 649): // Discover
		return true
	case p4 >= 3528 && p4 <= 3589: // JCB
		return true
	case (p3 >= 300 && p3 <= 305) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39: // Diners
		return true
	case p2 == 62: // UnionPay
		return true
	case p2 == 50 || (p2 >= 56 && p2 <= 58) || p4 == 6304 || p4 == 6759 || (p4 >= 6761 && p4 <= 6763): // Maestro
		return true
	case p4 >= 2200 && p4 <= 2204: // Mir
		return true
	case p2 == 60: // RuPay
		return true
	}
	return false
}

// luhn reports whether a digit string passes the Luhn (mod 10) check.
func luhn(d string) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		n := int(d[i] - '0')
		if double {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
		double = !double
	}
	return sum%10 == 0
}

// validGTIN reports whether a digit string has a correct GS1 check digit
// (weights 3 and 1 from the right, excluding the check digit).
func validGTIN(d string) bool {
	sum := 0
	for i, w := len(d)-2, 3; i >= 0; i-- {
		sum += int(d[i]-'0') * w
		w = 4 - w
	}
	return (10-sum%10)%10 == int(d[len(d)-1]-'0')
}
