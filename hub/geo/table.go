package geo

//go:generate go run ./gen -out zipdata/zips.csv.gz

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/crossdockhq/crossdock/canonical"
)

// zipsCSVGz is "zip,lat,lng" lines sorted by zip, gzipped; see zipdata/README.md.
//
//go:embed zipdata/zips.csv.gz
var zipsCSVGz []byte

// table is the decoded ZIP table: codes sorted ascending, points beside them.
type table struct {
	codes  []uint32
	points []canonical.GeoPoint
}

var (
	tableOnce sync.Once
	theTable  *table
)

// zipTable decodes the embedded table on first use. The data is part of the
// binary and checked by the tests, so a decoding failure is a build defect.
func zipTable() *table {
	tableOnce.Do(func() {
		t, err := parseTable(zipsCSVGz)
		if err != nil {
			panic(fmt.Sprintf("geo: embedded ZIP table is corrupt: %v", err))
		}
		theTable = t
	})
	return theTable
}

func (t *table) find(zip string) (canonical.GeoPoint, bool) {
	n, err := strconv.ParseUint(zip, 10, 32)
	if err != nil {
		return canonical.GeoPoint{}, false
	}
	code := uint32(n)
	i := sort.Search(len(t.codes), func(i int) bool { return t.codes[i] >= code })
	if i == len(t.codes) || t.codes[i] != code {
		return canonical.GeoPoint{}, false
	}
	return t.points[i], true
}

// parseTable decodes the gzipped CSV; it insists on a header, sorted unique
// codes and coordinates in range.
func parseTable(gz []byte) (*table, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	sc := bufio.NewScanner(zr)
	if !sc.Scan() || sc.Text() != "zip,lat,lng" {
		return nil, fmt.Errorf("missing header zip,lat,lng")
	}
	t := &table{codes: make([]uint32, 0, 34000), points: make([]canonical.GeoPoint, 0, 34000)}
	line := 1
	for sc.Scan() {
		line++
		zip, rest, ok1 := strings.Cut(sc.Text(), ",")
		latS, lngS, ok2 := strings.Cut(rest, ",")
		if !ok1 || !ok2 || len(zip) != 5 {
			return nil, fmt.Errorf("line %d: want zip,lat,lng", line)
		}
		code, err := strconv.ParseUint(zip, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("line %d: zip: %w", line, err)
		}
		lat, err1 := strconv.ParseFloat(latS, 64)
		lng, err2 := strconv.ParseFloat(lngS, 64)
		if err1 != nil || err2 != nil || lat < -90 || lat > 90 || lng < -180 || lng > 180 {
			return nil, fmt.Errorf("line %d: bad coordinates %q,%q", line, latS, lngS)
		}
		if n := len(t.codes); n > 0 && t.codes[n-1] >= uint32(code) {
			return nil, fmt.Errorf("line %d: zip %s out of order", line, zip)
		}
		t.codes = append(t.codes, uint32(code))
		t.points = append(t.points, canonical.GeoPoint{Lat: lat, Lng: lng})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(t.codes) == 0 {
		return nil, fmt.Errorf("no rows")
	}
	return t, nil
}
