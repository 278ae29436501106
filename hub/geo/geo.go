package geo

import (
	"errors"
	"fmt"
	"strings"

	"github.com/crossdockhq/crossdock/canonical"
)

// Errors Lookup reports, always wrapped in a *LookupError; test with errors.Is.
var (
	// ErrUnknownPostalCode means the code is well formed but not in the table.
	ErrUnknownPostalCode = errors.New("unknown postal code")
	// ErrUnsupportedCountry means there is no table for the country.
	ErrUnsupportedCountry = errors.New("unsupported country")
	// ErrInvalidPostalCode means the code cannot be a postal code of the country.
	ErrInvalidPostalCode = errors.New("invalid postal code")
)

// LookupError is the error of a failed Lookup: which input and why.
type LookupError struct {
	// Country and PostalCode are the input as given.
	Country    string
	PostalCode string
	// Err is ErrUnknownPostalCode, ErrUnsupportedCountry or ErrInvalidPostalCode.
	Err error
}

func (e *LookupError) Error() string {
	return fmt.Sprintf("geocode %s %q: %v", e.Country, e.PostalCode, e.Err)
}

func (e *LookupError) Unwrap() error { return e.Err }

// zipCountries are the ISO 3166-1 codes whose addresses use US ZIP codes. A
// territory's codes are accepted only within the ZIP prefixes the USPS gives it,
// so "PR 10001" is reported rather than placed in New York.
var zipCountries = map[string][]string{
	"US":  nil, // every prefix
	"USA": nil,
	"PR":  {"006", "007", "009"},
	"VI":  {"008"},
	"GU":  {"969"},
	"MP":  {"9695"},
	"AS":  {"96799"},
}

// Lookup returns the centroid of the postal code's area. country is an ISO
// 3166-1 alpha-2 code, case-insensitive ("US"; also "USA" and the territories
// PR, VI, GU, MP, AS). postalCode is a five-digit ZIP, a ZIP+4 with or without
// the dash, or a ZIP that lost its leading zeros. It never guesses: see the
// errors above.
func Lookup(country, postalCode string) (canonical.GeoPoint, error) {
	prefixes, ok := zipCountries[strings.ToUpper(strings.TrimSpace(country))]
	if !ok {
		return canonical.GeoPoint{}, &LookupError{Country: country, PostalCode: postalCode, Err: ErrUnsupportedCountry}
	}
	zip, ok := NormalizeZIP(postalCode)
	if !ok {
		return canonical.GeoPoint{}, &LookupError{Country: country, PostalCode: postalCode, Err: ErrInvalidPostalCode}
	}
	if prefixes != nil && !hasAnyPrefix(zip, prefixes) {
		return canonical.GeoPoint{}, &LookupError{Country: country, PostalCode: postalCode, Err: ErrUnknownPostalCode}
	}
	p, found := zipTable().find(zip)
	if !found {
		return canonical.GeoPoint{}, &LookupError{Country: country, PostalCode: postalCode, Err: ErrUnknownPostalCode}
	}
	return p, nil
}

// NormalizeZIP returns the five-digit ZIP of a US postal code as people write
// it: "02134", "02134-1234", "021341234", " 2134 " (leading zero lost). It
// reports false for anything else.
func NormalizeZIP(postalCode string) (string, bool) {
	s := strings.TrimSpace(postalCode)
	if base, plus4, found := strings.Cut(s, "-"); found {
		if len(plus4) != 4 || !allDigits(plus4) {
			return "", false
		}
		s = strings.TrimSpace(base)
	} else if len(s) == 9 && allDigits(s) {
		s = s[:5]
	}
	if len(s) < 3 || len(s) > 5 || !allDigits(s) {
		return "", false
	}
	return strings.Repeat("0", 5-len(s)) + s, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// LookupAddress returns where an address is: its own coordinates when it has
// them, else the centroid of its postal code (Lookup's rules and errors).
func LookupAddress(a canonical.Address) (canonical.GeoPoint, error) {
	if a.Geo != nil {
		return *a.Geo, nil
	}
	return Lookup(a.Country, a.PostalCode)
}
