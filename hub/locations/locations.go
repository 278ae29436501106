package locations

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/geo"
	"github.com/crossdockhq/crossdock/hub/store"
)

// Geocoder finds the coordinate of a postal code; hub/geo's Lookup is one.
type Geocoder func(country, postalCode string) (canonical.GeoPoint, error)

// Service is the locations service.
type Service struct {
	repo    store.Locations
	geocode Geocoder
	now     func() time.Time
}

// Option configures a Service.
type Option func(*Service)

// WithGeocoder replaces the offline geocoder (tests).
func WithGeocoder(g Geocoder) Option { return func(s *Service) { s.geocode = g } }

// WithClock sets the clock used for "today" (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// New returns a locations service for a database dialect.
func New(d store.Dialect, opts ...Option) *Service {
	s := &Service{repo: store.Locations{Dialect: d}, geocode: geo.Lookup, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Unresolved is a location whose coordinates could not be found.
type Unresolved struct {
	LocationID string `json:"location_id"`
	Country    string `json:"country"`
	PostalCode string `json:"postal_code"`
	Reason     string `json:"reason"`
}

// Report is what a Load did.
type Report struct {
	Created    int          `json:"created"`
	Updated    int          `json:"updated"`
	Unresolved []Unresolved `json:"unresolved,omitempty"`
}

var validTypes = map[canonical.LocationType]bool{
	canonical.LocationWarehouse: true, canonical.LocationStore: true, canonical.Location3PL: true,
	canonical.LocationFBA: true, canonical.LocationDropship: true,
}

var validCaps = map[canonical.Capability]bool{
	canonical.CapShip: true, canonical.CapPickup: true, canonical.CapShipToStore: true, canonical.CapReturns: true,
}

// Validate checks a location's fields.
func Validate(l canonical.Location) error {
	var probs []string
	if strings.TrimSpace(l.ID) == "" {
		probs = append(probs, "id is required")
	}
	if strings.TrimSpace(l.Name) == "" {
		probs = append(probs, "name is required")
	}
	if !validTypes[l.Type] {
		probs = append(probs, fmt.Sprintf("type %q is not one of warehouse, store, 3pl, fba, dropship", l.Type))
	}
	for _, c := range l.Capabilities {
		if !validCaps[c] {
			probs = append(probs, fmt.Sprintf("capability %q is not one of ship, pickup, ship_to_store, returns", c))
		}
	}
	if l.DailyCapacity < 0 {
		probs = append(probs, "daily_capacity must not be negative")
	}
	if g := l.Geo; g != nil && !(g.Lat >= -90 && g.Lat <= 90 && g.Lng >= -180 && g.Lng <= 180) { // NaN fails too
		probs = append(probs, "geo is outside -90..90, -180..180")
	}
	if len(probs) > 0 {
		return fmt.Errorf("location %q: %s", l.ID, strings.Join(probs, "; "))
	}
	return nil
}

// Put stores a location (insert, or update when it exists), geocoding it when it
// has no coordinates. expectedVersion 0 writes whatever is stored; otherwise a
// stale version fails with store.ErrConflict. The Unresolved is non-nil when
// geocoding failed (the location is stored without coordinates).
func (s *Service) Put(ctx context.Context, tx store.DBTX, l canonical.Location, expectedVersion int64) (store.LocationRow, *Unresolved, error) {
	if err := Validate(l); err != nil {
		return store.LocationRow{}, nil, err
	}
	if l.Address.Geo != nil && l.Geo == nil {
		l.Geo = l.Address.Geo
	}
	var unresolved *Unresolved
	if l.Geo == nil {
		p, err := s.geocode(l.Address.Country, l.Address.PostalCode)
		if err != nil {
			unresolved = &Unresolved{LocationID: l.ID, Country: l.Address.Country, PostalCode: l.Address.PostalCode, Reason: err.Error()}
		} else {
			l.Geo = &p
		}
	}
	cur, err := s.repo.Get(ctx, tx, l.ID)
	var version int64
	switch {
	case errors.Is(err, store.ErrNotFound):
		if expectedVersion != 0 {
			return store.LocationRow{}, nil, err
		}
	case err != nil:
		return store.LocationRow{}, nil, err
	default:
		version = cur.Version
		if expectedVersion != 0 {
			version = expectedVersion
		}
	}
	v, err := s.repo.Put(ctx, tx, store.LocationRow{Location: l, Version: version})
	if err != nil {
		return store.LocationRow{}, nil, err
	}
	return store.LocationRow{Location: l, Version: v}, unresolved, nil
}

// Load stores every location, reporting those it could not geocode.
func (s *Service) Load(ctx context.Context, tx store.DBTX, locs []canonical.Location) (Report, error) {
	var rep Report
	seen := map[string]bool{}
	for _, l := range locs {
		if seen[l.ID] {
			return rep, fmt.Errorf("location %q is listed twice", l.ID)
		}
		seen[l.ID] = true
		row, un, err := s.Put(ctx, tx, l, 0)
		if err != nil {
			return rep, err
		}
		if row.Version == 1 {
			rep.Created++
		} else {
			rep.Updated++
		}
		if un != nil {
			rep.Unresolved = append(rep.Unresolved, *un)
		}
	}
	return rep, nil
}

// Get returns one location.
func (s *Service) Get(ctx context.Context, db store.DBTX, id string) (store.LocationRow, error) {
	return s.repo.Get(ctx, db, id)
}

// List returns every location by id.
func (s *Service) List(ctx context.Context, db store.DBTX) ([]store.LocationRow, error) {
	return s.repo.List(ctx, db)
}

// Day is the capacity day of t: its UTC date.
func Day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// Capacity is a location's daily capacity and what today has used.
type Capacity struct {
	Daily int `json:"daily"` // 0 = no limit
	Used  int `json:"used"`
	// Left is Daily - Used (never below 0), or -1 when there is no limit.
	Left int `json:"left"`
}

// CapacityToday returns a location's capacity and today's use.
func (s *Service) CapacityToday(ctx context.Context, db store.DBTX, id string) (Capacity, error) {
	l, err := s.repo.Get(ctx, db, id)
	if err != nil {
		return Capacity{}, err
	}
	used, err := s.repo.CapacityUsed(ctx, db, id, Day(s.now()))
	if err != nil {
		return Capacity{}, err
	}
	c := Capacity{Daily: l.DailyCapacity, Used: used, Left: -1}
	if c.Daily > 0 {
		c.Left = max(c.Daily-used, 0)
	}
	return c, nil
}

// ErrCapacityFull is returned by TakeCapacity when the day's capacity is used up.
var ErrCapacityFull = errors.New("location capacity full")

// TakeCapacity counts n orders against a location's capacity today, refusing
// with ErrCapacityFull when it would go over (a location without a limit never
// refuses). A negative n gives capacity back.
func (s *Service) TakeCapacity(ctx context.Context, tx store.DBTX, id string, n int) error {
	c, err := s.CapacityToday(ctx, tx, id)
	if err != nil {
		return err
	}
	if n > 0 && c.Daily > 0 && c.Used+n > c.Daily {
		return fmt.Errorf("location %s: %w (%d of %d used today)", id, ErrCapacityFull, c.Used, c.Daily)
	}
	return s.repo.AddCapacityUsed(ctx, tx, id, Day(s.now()), n)
}

// Near is a location and its distance from a point.
type Near struct {
	Location   store.LocationRow `json:"location"`
	DistanceKM float64           `json:"distance_km"`
}

// Nearby lists the active locations with coordinates within radiusKM of
// origin (every one when radiusKM <= 0) for which keep returns true (nil keeps
// all), nearest first.
func Nearby(all []store.LocationRow, origin canonical.GeoPoint, radiusKM float64, keep func(store.LocationRow) bool) []Near {
	var out []Near
	for _, l := range all {
		if !l.Active || l.Geo == nil || (keep != nil && !keep(l)) {
			continue
		}
		d := geo.DistanceKM(origin, *l.Geo)
		if radiusKM > 0 && d > radiusKM {
			continue
		}
		out = append(out, Near{Location: l, DistanceKM: d})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].DistanceKM != out[j].DistanceKM {
			return out[i].DistanceKM < out[j].DistanceKM
		}
		return out[i].Location.ID < out[j].Location.ID
	})
	return out
}
