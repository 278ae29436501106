package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
)

// LocationRow is a stored location with its row version.
type LocationRow struct {
	canonical.Location
	// Version is the row version for optimistic concurrency (0 = not stored yet).
	Version int64 `json:"version"`
}

// Locations is the locations repository, with each location's daily capacity use.
type Locations struct{ Dialect Dialect }

// Put inserts a location (Version 0) or updates it if Version is still the
// stored one; a stale write fails with a *ConflictError. It returns the new version.
func (r Locations) Put(ctx context.Context, db DBTX, l LocationRow) (int64, error) {
	now := FormatTime(time.Now())
	var lat, lng any
	if l.Geo != nil {
		lat, lng = l.Geo.Lat, l.Geo.Lng
	}
	groups := JoinSet(l.Groups)
	capNames := make([]string, len(l.Capabilities))
	for i, c := range l.Capabilities {
		capNames[i] = string(c)
	}
	caps := JoinSet(capNames)
	active := 0
	if l.Active {
		active = 1
	}
	if l.Version == 0 {
		// Levels may already name this id; until now they counted as an active
		// location in no group.
		if active != 1 || groups != "" {
			if err := r.bumpEpochIfStocked(ctx, db, l.ID); err != nil {
				return 0, err
			}
		}
		_, err := db.ExecContext(ctx, r.Dialect.Rebind(`INSERT INTO locations (id, name, type, lat, lng, active, daily_capacity, groups, capabilities, doc, version, updated_at)
			VALUES (?,?,?,?,?,?,?,?,?,?,1,?)`), l.ID, l.Name, string(l.Type), lat, lng, active, l.DailyCapacity, groups, caps, mustJSON(l.Location), now)
		if err != nil {
			return 0, fmt.Errorf("insert location %s: %w", l.ID, err)
		}
		return 1, nil
	}
	var oldActive int
	var oldGroups string
	err := db.QueryRowContext(ctx, r.Dialect.Rebind(`SELECT active, groups FROM locations WHERE id=?`), l.ID).Scan(&oldActive, &oldGroups)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("update location %s: %w", l.ID, err)
	}
	if err == nil && (oldActive != active || oldGroups != groups) {
		if err := r.bumpEpoch(ctx, db); err != nil {
			return 0, err
		}
	}
	res, err := db.ExecContext(ctx, r.Dialect.Rebind(`UPDATE locations SET name=?, type=?, lat=?, lng=?, active=?, daily_capacity=?, groups=?,
		capabilities=?, doc=?, version=version+1, updated_at=? WHERE id=? AND version=?`), l.Name, string(l.Type), lat, lng, active, l.DailyCapacity,
		groups, caps, mustJSON(l.Location), now, l.ID, l.Version)
	if err != nil {
		return 0, fmt.Errorf("update location %s: %w", l.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, &ConflictError{Entity: "location", ID: l.ID, Expected: l.Version}
	}
	return l.Version + 1, nil
}

// bumpEpochIfStocked bumps the location epoch when some inventory level names
// the location.
func (r Locations) bumpEpochIfStocked(ctx context.Context, db DBTX, id string) error {
	var one int
	err := db.QueryRowContext(ctx, r.Dialect.Rebind(`SELECT 1 FROM inventory_levels WHERE location_id=? LIMIT 1`), id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("location %s: levels: %w", id, err)
	}
	return r.bumpEpoch(ctx, db)
}

// bumpEpoch records that which locations count for network figures changed
// (a location's active flag or groups): the inventory service's per-SKU network
// aggregates of an older epoch are recomputed before use (migration 00004).
func (r Locations) bumpEpoch(ctx context.Context, db DBTX) error {
	if _, err := db.ExecContext(ctx, `UPDATE location_epoch SET n = n + 1 WHERE id = 1`); err != nil {
		return fmt.Errorf("bump location epoch: %w", err)
	}
	return nil
}

// Epoch returns the location epoch: a counter bumped, in the same
// transaction, by every change of a location's active flag or groups.
func (r Locations) Epoch(ctx context.Context, db DBTX) (int64, error) {
	var n int64
	err := db.QueryRowContext(ctx, `SELECT n FROM location_epoch WHERE id = 1`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("location epoch: %w", err)
	}
	return n, nil
}

// Get returns one location.
func (r Locations) Get(ctx context.Context, db DBTX, id string) (LocationRow, error) {
	var doc string
	var l LocationRow
	err := db.QueryRowContext(ctx, r.Dialect.Rebind(`SELECT doc, version FROM locations WHERE id=?`), id).Scan(&doc, &l.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return l, &NotFoundError{Entity: "location", ID: id}
	}
	if err != nil {
		return l, fmt.Errorf("read location %s: %w", id, err)
	}
	if err := json.Unmarshal([]byte(doc), &l.Location); err != nil {
		return l, fmt.Errorf("decode location %s: %w", id, err)
	}
	return l, nil
}

// List returns every location, by id.
func (r Locations) List(ctx context.Context, db DBTX) ([]LocationRow, error) {
	rs, err := db.QueryContext(ctx, `SELECT doc, version FROM locations ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list locations: %w", err)
	}
	defer rs.Close()
	var out []LocationRow
	for rs.Next() {
		var doc string
		var l LocationRow
		if err := rs.Scan(&doc, &l.Version); err != nil {
			return nil, fmt.Errorf("list locations: %w", err)
		}
		if err := json.Unmarshal([]byte(doc), &l.Location); err != nil {
			return nil, fmt.Errorf("decode location: %w", err)
		}
		out = append(out, l)
	}
	return out, rs.Err()
}

// CapacityUsed returns the orders a location has taken on day (YYYY-MM-DD, UTC).
func (r Locations) CapacityUsed(ctx context.Context, db DBTX, locationID, day string) (int, error) {
	var n int
	err := db.QueryRowContext(ctx, r.Dialect.Rebind(`SELECT used FROM location_capacity WHERE location_id=? AND day=?`), locationID, day).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("capacity of %s on %s: %w", locationID, day, err)
	}
	return n, nil
}

// AddCapacityUsed adds n (may be negative) to what a location has taken on day.
func (r Locations) AddCapacityUsed(ctx context.Context, db DBTX, locationID, day string, n int) error {
	_, err := db.ExecContext(ctx, r.Dialect.Rebind(`INSERT INTO location_capacity (location_id, day, used) VALUES (?,?,?)
		ON CONFLICT (location_id, day) DO UPDATE SET used = location_capacity.used + excluded.used`), locationID, day, n)
	if err != nil {
		return fmt.Errorf("add capacity used at %s on %s: %w", locationID, day, err)
	}
	return nil
}

// JoinSet renders names as ",a,b," so a column can be matched with LIKE '%,a,%'
// and split cheaply; "" for none.
func JoinSet(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return "," + strings.Join(names, ",") + ","
}

// SplitSet is the inverse of JoinSet.
func SplitSet(s string) []string {
	s = strings.Trim(s, ",")
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
