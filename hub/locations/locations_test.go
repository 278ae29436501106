package locations_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/locations"
	"github.com/crossdockhq/crossdock/hub/store"
	"github.com/crossdockhq/crossdock/hub/store/storetest"
	"github.com/crossdockhq/crossdock/pipelines/yamlconf"
)

const csvText = `id,name,type,line1,city,region,postal_code,country,capabilities,groups,daily_capacity
wh-nj,NJ DC,warehouse,1 Dock Rd,Edison,NJ,10001,US,ship;returns,us;dc,2
st-bh,Beverly Hills,store,9 Rodeo Dr,Beverly Hills,CA,90210,US,ship;pickup,us;stores,0
st-x,Nowhere,store,1 Main St,Nowhere,XX,99999,US,pickup,stores,0
`

func TestLoad_GeocodesKnownZIPsAndReportsUnknownOnes(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	locs, err := locations.ParseCSV(strings.NewReader(csvText))
	if err != nil {
		t.Fatal(err)
	}
	svc := locations.New(db.Dialect)
	rep, err := svc.Load(ctx, db, locs)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Created != 3 || len(rep.Unresolved) != 1 || rep.Unresolved[0].LocationID != "st-x" || rep.Unresolved[0].PostalCode != "99999" {
		t.Fatalf("report = %+v", rep)
	}
	nj, err := svc.Get(ctx, db, "wh-nj")
	if err != nil || nj.Geo == nil || nj.Geo.Lat < 40 || nj.Geo.Lat > 41 {
		t.Fatalf("wh-nj = %+v %v, want geocoded near New York", nj, err)
	}
	if x, _ := svc.Get(ctx, db, "st-x"); x.Geo != nil {
		t.Fatalf("unknown ZIP must not be guessed: %+v", x.Geo)
	}
	if !nj.Has(canonical.CapReturns) || len(nj.Groups) != 2 || nj.DailyCapacity != 2 || !nj.Active {
		t.Fatalf("wh-nj fields = %+v", nj.Location)
	}
	// Loading again updates.
	rep, err = svc.Load(ctx, db, locs[:1])
	if err != nil || rep.Updated != 1 {
		t.Fatalf("reload = %+v %v", rep, err)
	}
	all, _ := svc.List(ctx, db)
	near := locations.Nearby(all, *nj.Geo, 100, nil)
	if len(near) != 1 || near[0].Location.ID != "wh-nj" {
		t.Fatalf("nearby = %+v", near)
	}
	if near = locations.Nearby(all, *nj.Geo, 0, nil); len(near) != 2 || near[1].Location.ID != "st-bh" || near[1].DistanceKM < 3000 {
		t.Fatalf("all by distance = %+v", near)
	}
}

func TestPut_StaleVersionIsRefused(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	svc := locations.New(db.Dialect)
	l := canonical.Location{ID: "a", Name: "A", Type: canonical.LocationStore, Geo: &canonical.GeoPoint{Lat: 1, Lng: 1}, Active: true}
	row, _, err := svc.Put(ctx, db, l, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Put(ctx, db, l, row.Version); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Put(ctx, db, l, row.Version); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale write: %v, want ErrConflict", err)
	}
}

func TestCapacity_RefusesOverTheDailyLimit(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	svc := locations.New(db.Dialect, locations.WithClock(func() time.Time { return now }))
	l := canonical.Location{ID: "a", Name: "A", Type: canonical.LocationStore, Geo: &canonical.GeoPoint{}, DailyCapacity: 2, Active: true}
	if _, _, err := svc.Put(ctx, db, l, 0); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := svc.TakeCapacity(ctx, db, "a", 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.TakeCapacity(ctx, db, "a", 1); !errors.Is(err, locations.ErrCapacityFull) {
		t.Fatalf("third order: %v, want ErrCapacityFull", err)
	}
	now = now.Add(24 * time.Hour)
	if c, _ := svc.CapacityToday(ctx, db, "a"); c.Used != 0 || c.Left != 2 {
		t.Fatalf("next day = %+v", c)
	}
}

func TestParseCSV_RejectsBadRowsWithTheirLine(t *testing.T) {
	tests := []struct{ name, csv, want string }{
		{"unknown column", "id,name,type,colour\n", `unknown column "colour"`},
		{"missing type column", "id,name\n", `column "type" is required`},
		{"bad type", "id,name,type\na,A,castle\n", `line 2: location "a": type "castle"`},
		{"bad lat", "id,name,type,lat\na,A,store,north\n", `line 2: lat "north"`},
		{"NaN coordinate", "id,name,type,lat,lng\na,A,store,NaN,1\n", `line 2: location "a": geo is outside`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := locations.ParseCSV(strings.NewReader(tt.csv))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestSection_DecodesAFilePathOrAList(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "locs.csv"), []byte(csvText), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]string{
		"file": "locations.csv_placeholder",
		"list": "- { id: a, name: A, type: store, lat: 1.5, lng: 2, groups: [g] }\n",
	} {
		t.Run(name, func(t *testing.T) {
			if name == "file" {
				src = "locs.csv\n"
			}
			n, err := yamlconf.Parse("hub.yaml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			var s locations.Section
			d := yamlconf.NewDecoder("hub.yaml", nil)
			d.Decode(n, &s)
			if err := d.Err(); err != nil {
				t.Fatal(err)
			}
			locs, err := s.Locations(dir)
			if err != nil {
				t.Fatal(err)
			}
			if name == "file" && len(locs) != 3 || name == "list" && (len(locs) != 1 || locs[0].Geo == nil || locs[0].Geo.Lat != 1.5 || !locs[0].Active) {
				t.Fatalf("locations = %+v", locs)
			}
		})
	}
}
