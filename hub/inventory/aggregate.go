package inventory

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/crossdockhq/crossdock/hub/store"
)

// Network aggregates (table inventory_atp, migration 00004).
//
// For each SKU and scope (a selection of locations: "" is every active
// location, a channel's buffer defines the others) the hub keeps the sum over
// the scope's locations of the per-location ATP, max(on hand - reserved -
// safety stock, 0). Every change of a level applies the change of that
// location's ATP to the SKU's rows of the scopes the location belongs to, in
// the same transaction and under the SKU's row lock, so a network figure is one
// row read instead of a sum over every location.
//
// A row is trusted only while its epoch equals location_epoch.n, which the
// locations repository bumps whenever a location's active flag or groups
// change; a row of an older epoch is recomputed from the levels (under the
// SKU's lock) before it is used, and readers without the lock fall back to the
// sum. Rows are created lazily, under the lock, by the first change of a SKU.

// scopeDef is the location selection of a scope.
type scopeDef struct {
	L []string `json:"l,omitempty"`
	G []string `json:"g,omitempty"`
	X []string `json:"x,omitempty"`
}

// scopeKey is the scope of a channel buffer's location selection.
func scopeKey(b ChannelBuffer) string {
	if len(b.Locations) == 0 && len(b.Groups) == 0 && len(b.Exclude) == 0 {
		return ""
	}
	norm := func(v []string) []string {
		if len(v) == 0 {
			return nil
		}
		out := slices.Clone(v)
		slices.Sort(out)
		return slices.Compact(out)
	}
	return mustJSON(scopeDef{L: norm(b.Locations), G: norm(b.Groups), X: norm(b.Exclude)})
}

var scopeCache sync.Map // scope key -> ChannelBuffer

// scopeBuffer is the location selection a scope key stands for.
func scopeBuffer(key string) (ChannelBuffer, error) {
	if key == "" {
		return ChannelBuffer{}, nil
	}
	if b, ok := scopeCache.Load(key); ok {
		return b.(ChannelBuffer), nil
	}
	var d scopeDef
	if err := json.Unmarshal([]byte(key), &d); err != nil {
		return ChannelBuffer{}, fmt.Errorf("inventory scope %q: %w", key, err)
	}
	b := ChannelBuffer{Locations: d.L, Groups: d.G, Exclude: d.X}
	scopeCache.Store(key, b)
	return b, nil
}

// servesLoc reports whether a location with these facts counts for b's selection.
func (b ChannelBuffer) servesLoc(loc string, active bool, groups []string) bool {
	if !active || contains(b.Exclude, loc) {
		return false
	}
	if len(b.Locations) == 0 && len(b.Groups) == 0 {
		return true
	}
	return contains(b.Locations, loc) || intersects(b.Groups, groups)
}

func clampATP(onHand, reserved, safety int64) int64 { return max(onHand-reserved-safety, 0) }

// locFacts is what decides a location's membership of scopes.
type locFacts struct {
	active bool
	groups []string
}

// aggs is a SKU's network aggregates inside a transaction that holds the SKU's
// lock: fresh rows by scope, the network-wide reservations, and the facts of
// the locations touched.
type aggs struct {
	sku string
	// ok is false when the database has no location epoch (aggregates unused).
	ok bool
	// locked is true when loaded under the SKU's lock: missing rows may then
	// be created.
	locked bool
	epoch  int64
	nr     int64
	rows   map[string]int64
	locs   map[string]locFacts
	// pub is what each channel was last told ("channel\x00location" ->
	// quantity), when loaded; kept current by the syncs of this change.
	pub map[string]int64
	// due is how many active reservations of the SKU had expired when loaded
	// (only counted by Reserve).
	due int64
}

// lockSKU takes the SKU's row lock for the rest of the transaction (creating
// the SKU's row if needed) and returns its network-wide reservations: an
// upsert holds a row lock on PostgreSQL until commit; SQLite transactions of
// the hub are BEGIN IMMEDIATE and so hold the database write lock already.
func (s *Service) lockSKU(ctx context.Context, tx store.DBTX, sku string) (networkReserved int64, err error) {
	if s.d == store.SQLite {
		// The transaction holds the database write lock already: read the
		// row, creating it the first time, instead of writing it every time.
		err := tx.QueryRowContext(ctx, `SELECT network_reserved FROM inventory_skus WHERE sku = ?`, sku).Scan(&networkReserved)
		if errors.Is(err, sql.ErrNoRows) {
			_, err = tx.ExecContext(ctx, `INSERT INTO inventory_skus (sku, lock_seq) VALUES (?, 1) ON CONFLICT (sku) DO NOTHING`, sku)
		}
		if err != nil {
			return 0, fmt.Errorf("lock sku %s: %w", sku, err)
		}
		return networkReserved, nil
	}
	if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO inventory_skus (sku, lock_seq) VALUES (?, 1)
		ON CONFLICT (sku) DO UPDATE SET lock_seq = inventory_skus.lock_seq + 1 RETURNING network_reserved`), sku).Scan(&networkReserved); err != nil {
		return 0, fmt.Errorf("lock sku %s: %w", sku, err)
	}
	return networkReserved, nil
}

// LockSKUs takes the row locks of several SKUs for the rest of the
// transaction, in SKU order, so transactions that change the same SKUs (an
// order's lines in any order) queue instead of deadlocking on PostgreSQL.
// On SQLite, whose hub transactions hold the database write lock, it does
// nothing. Reserve and the other changes lock their SKU themselves; call this
// first when one transaction changes several SKUs.
func (s *Service) LockSKUs(ctx context.Context, tx store.DBTX, skus []string) error {
	if s.d == store.SQLite || len(skus) < 2 {
		return nil
	}
	sorted := slices.Clone(skus)
	slices.Sort(sorted)
	for _, sku := range slices.Compact(sorted) {
		if sku == "" {
			continue
		}
		if _, err := s.lockSKU(ctx, tx, sku); err != nil {
			return err
		}
	}
	return nil
}

// lockKnownSKU is lockSKU for a SKU the hub may not know: it creates no row
// and reports whether there is one.
func (s *Service) lockKnownSKU(ctx context.Context, tx store.DBTX, sku string) (networkReserved int64, found bool, err error) {
	q := `UPDATE inventory_skus SET lock_seq = lock_seq + 1 WHERE sku = ? RETURNING network_reserved`
	if s.d == store.SQLite {
		q = `SELECT network_reserved FROM inventory_skus WHERE sku = ?` // see lockSKU
	}
	err = tx.QueryRowContext(ctx, s.q(q), sku).Scan(&networkReserved)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("lock sku %s: %w", sku, err)
	}
	return networkReserved, true, nil
}

// lockAggs locks the SKU and loads its current aggregates, with what its
// channels were last told; loc, when set, is a location whose facts are
// loaded with them.
func (s *Service) lockAggs(ctx context.Context, tx store.DBTX, sku, loc string) (*aggs, error) {
	return s.lockLoad(ctx, tx, sku, loc, "")
}

// lockLoad is lockAggs that also counts the reservations due by dueAt (see
// loadAggs). On SQLite the transaction holds the write lock already, so the
// SKU's row is read with the aggregates (and created if missing) instead of
// being locked by a write of its own.
func (s *Service) lockLoad(ctx context.Context, tx store.DBTX, sku, loc, dueAt string) (*aggs, error) {
	if s.d == store.SQLite {
		a, err := s.loadAggs(ctx, tx, sku, loc, -1, dueAt)
		if err != nil {
			return nil, err
		}
		if a.nr < 0 {
			a.nr = 0
			if _, err := tx.ExecContext(ctx, `INSERT INTO inventory_skus (sku, lock_seq) VALUES (?, 1) ON CONFLICT (sku) DO NOTHING`, sku); err != nil {
				return nil, fmt.Errorf("lock sku %s: %w", sku, err)
			}
		}
		return a, nil
	}
	nr, err := s.lockSKU(ctx, tx, sku)
	if err != nil {
		return nil, err
	}
	return s.loadAggs(ctx, tx, sku, loc, nr, dueAt)
}

// loadAggs reads, in one statement, the location epoch and loc's facts, the
// SKU's aggregate rows, its published figures (when channels are configured)
// and, with dueAt set, how many of its active reservations expire by then
// (in a.due). With nr
// < 0 it reads the SKU's network-wide reservations too (a.nr stays < 0 when
// the SKU has no row).
func (s *Service) loadAggs(ctx context.Context, tx store.DBTX, sku, loc string, nr int64, dueAt string) (*aggs, error) {
	a := &aggs{sku: sku, nr: nr, rows: map[string]int64{}, locs: map[string]locFacts{}}
	q := `SELECT 'e', '', COALESCE(loc.groups, ''), e.n, COALESCE(loc.active, 1) FROM location_epoch e LEFT JOIN locations loc ON loc.id = ? WHERE e.id = 1
		UNION ALL SELECT 'a', scope, '', atp, epoch FROM inventory_atp WHERE sku = ?`
	args := []any{loc, sku}
	if len(s.cfg.Buffers) > 0 {
		a.pub = map[string]int64{}
		q += ` UNION ALL SELECT 'p', channel, location_id, quantity, 0 FROM published_inventory WHERE sku = ?`
		args = append(args, sku)
	}
	if nr < 0 {
		q += ` UNION ALL SELECT 'k', '', '', network_reserved, 0 FROM inventory_skus WHERE sku = ?`
		args = append(args, sku)
	}
	if dueAt != "" {
		q += ` UNION ALL SELECT 'x', '', '', COUNT(*), 0 FROM reservations WHERE sku = ? AND status = '` + StatusActive + `' AND expires_at IS NOT NULL AND expires_at <= ?`
		args = append(args, sku, dueAt)
	}
	rs, err := tx.QueryContext(ctx, s.q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("network aggregates of %s: %w", sku, err)
	}
	type aggRow struct {
		scope string
		atp   int64
		epoch int64
	}
	var found []aggRow
	for rs.Next() {
		var kind, k1, k2 string
		var n1, n2 int64
		if err := rs.Scan(&kind, &k1, &k2, &n1, &n2); err != nil {
			rs.Close()
			return nil, fmt.Errorf("network aggregates of %s: %w", sku, err)
		}
		switch kind {
		case "e":
			a.ok, a.epoch = true, n1
			if loc != "" {
				a.locs[loc] = locFacts{active: n2 != 0, groups: store.SplitSet(k2)}
			}
		case "a":
			found = append(found, aggRow{k1, n1, n2})
		case "p":
			a.pub[k1+"\x00"+k2] = n1
		case "k":
			a.nr = n1
		case "x":
			a.due = n1
		}
	}
	if err := rs.Close(); err != nil {
		return nil, fmt.Errorf("network aggregates of %s: %w", sku, err)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("network aggregates of %s: %w", sku, err)
	}
	if !a.ok {
		return a, nil
	}
	a.locked = true
	for _, r := range found {
		if r.epoch == a.epoch {
			a.rows[r.scope] = r.atp
		}
	}
	// The network scope and this service's channel scopes are created (or
	// recomputed, if stale) now, so reads without the lock find them current;
	// other stale rows are left for scopeATP to recompute when needed.
	for _, scope := range s.scopes {
		if _, ok := a.rows[scope]; !ok {
			if err := s.putAgg(ctx, tx, a, scope); err != nil {
				return nil, err
			}
		}
	}
	return a, nil
}

// putAgg recomputes one aggregate row from the levels and stores it.
func (s *Service) putAgg(ctx context.Context, tx store.DBTX, a *aggs, scope string) error {
	b, err := scopeBuffer(scope)
	if err != nil {
		return err
	}
	sum, err := s.servingATP(ctx, tx, a.sku, b)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO inventory_atp (sku, scope, atp, epoch) VALUES (?,?,?,?)
		ON CONFLICT (sku, scope) DO UPDATE SET atp = excluded.atp, epoch = excluded.epoch`), a.sku, scope, sum, a.epoch); err != nil {
		return fmt.Errorf("store network aggregate of %s: %w", a.sku, err)
	}
	a.rows[scope] = sum
	return nil
}

// facts returns a location's membership facts, reading them once per transaction.
func (a *aggs) facts(ctx context.Context, s *Service, tx store.DBTX, loc string) (locFacts, error) {
	if f, ok := a.locs[loc]; ok {
		return f, nil
	}
	var active int
	var groups string
	err := tx.QueryRowContext(ctx, s.q(`SELECT active, groups FROM locations WHERE id = ?`), loc).Scan(&active, &groups)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		active, groups = 1, "" // levels at an unknown location count as active, in no group
	case err != nil:
		return locFacts{}, fmt.Errorf("location %s: %w", loc, err)
	}
	f := locFacts{active: active != 0, groups: store.SplitSet(groups)}
	a.locs[loc] = f
	return f, nil
}

// add applies a change d of one location's ATP to the aggregates of the
// scopes the location belongs to.
func (a *aggs) add(ctx context.Context, s *Service, tx store.DBTX, loc string, d int64) error {
	if d == 0 || !a.ok || len(a.rows) == 0 {
		return nil
	}
	f, err := a.facts(ctx, s, tx, loc)
	if err != nil {
		return err
	}
	deltas := map[string]int64{}
	for scope := range a.rows {
		b, err := scopeBuffer(scope)
		if err != nil {
			return err
		}
		if b.servesLoc(loc, f.active, f.groups) {
			deltas[scope] = d
		}
	}
	return a.addScoped(ctx, s, tx, deltas)
}

// addScoped adds a delta to each named scope's aggregate, one statement per
// distinct delta.
func (a *aggs) addScoped(ctx context.Context, s *Service, tx store.DBTX, deltas map[string]int64) error {
	byDelta := map[int64][]string{}
	for scope, d := range deltas {
		if d != 0 {
			byDelta[d] = append(byDelta[d], scope)
		}
	}
	for d, scopes := range byDelta {
		args := make([]any, 0, len(scopes)+2)
		args = append(args, d, a.sku)
		for _, sc := range scopes {
			args = append(args, sc)
			a.rows[sc] += d
		}
		q := `UPDATE inventory_atp SET atp = atp + ? WHERE sku = ? AND scope IN (?` + strings.Repeat(",?", len(scopes)-1) + `)`
		if _, err := tx.ExecContext(ctx, s.q(q), args...); err != nil {
			return fmt.Errorf("update network aggregates of %s: %w", a.sku, err)
		}
	}
	return nil
}

// scopeATP is the summed ATP of a scope's locations (before network-wide
// reservations): the aggregate when a holds a fresh one, else the sum, which
// is stored as the scope's aggregate when a was loaded under the SKU's lock.
func (s *Service) scopeATP(ctx context.Context, db store.DBTX, a *aggs, sku, scope string) (int64, error) {
	if a != nil {
		if v, ok := a.rows[scope]; ok {
			return v, nil
		}
		if a.ok && a.locked {
			if err := s.putAgg(ctx, db, a, scope); err != nil {
				return 0, err
			}
			return a.rows[scope], nil
		}
	}
	b, err := scopeBuffer(scope)
	if err != nil {
		return 0, err
	}
	return s.servingATP(ctx, db, sku, b)
}

// changeLevel adds dOnHand and dReserved to a level row and applies the change
// of its ATP to the aggregates. With guard, the row changes only if its ATP
// covers guardQty; it reports whether the row changed.
func (s *Service) changeLevel(ctx context.Context, tx store.DBTX, a *aggs, sku, loc string, dOnHand, dReserved int64, now string, guard bool, guardQty int64) (bool, error) {
	q := `UPDATE inventory_levels SET on_hand = on_hand + ?, reserved = reserved + ?, version = version + 1, updated_at = ?
		WHERE sku = ? AND location_id = ?`
	args := []any{dOnHand, dReserved, now, sku, loc}
	if guard {
		q += ` AND on_hand - reserved - safety_stock >= ?`
		args = append(args, guardQty)
	}
	q += ` RETURNING on_hand, reserved, safety_stock`
	var oh, rv, ss int64
	err := tx.QueryRowContext(ctx, s.q(q), args...).Scan(&oh, &rv, &ss)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("change level %s at %s: %w", sku, loc, err)
	}
	d := clampATP(oh, rv, ss) - clampATP(oh-dOnHand, rv-dReserved, ss)
	return true, a.add(ctx, s, tx, loc, d)
}

// readAggs reads a SKU's fresh aggregates and network-wide reservations
// without locking (for read-only figures); missing or stale rows are left out,
// and scopeATP sums the levels for them.
func (s *Service) readAggs(ctx context.Context, db store.DBTX, sku string) (*aggs, error) {
	a := &aggs{sku: sku, rows: map[string]int64{}}
	rs, err := db.QueryContext(ctx, s.q(`SELECT e.n, COALESCE(k.network_reserved, 0), a.scope, a.atp, a.epoch
		FROM location_epoch e LEFT JOIN inventory_skus k ON k.sku = ? LEFT JOIN inventory_atp a ON a.sku = ? WHERE e.id = 1`), sku, sku)
	if err != nil {
		return nil, fmt.Errorf("network figures of %s: %w", sku, err)
	}
	defer rs.Close()
	found := false
	for rs.Next() {
		var scope sql.NullString
		var atp, epoch sql.NullInt64
		if err := rs.Scan(&a.epoch, &a.nr, &scope, &atp, &epoch); err != nil {
			return nil, fmt.Errorf("network figures of %s: %w", sku, err)
		}
		found = true
		if scope.Valid && epoch.Int64 == a.epoch {
			a.rows[scope.String] = atp.Int64
		}
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("network figures of %s: %w", sku, err)
	}
	if !found {
		nr, err := s.networkReserved(ctx, db, sku)
		if err != nil {
			return nil, err
		}
		a.nr = nr
	}
	return a, nil
}

// recomputeAggs recomputes every aggregate row of a SKU (and creates the
// missing ones of this service's channels), returning the rows that were wrong.
func (s *Service) recomputeAggs(ctx context.Context, tx store.DBTX, sku string) ([]Drift, error) {
	a, err := s.lockAggs(ctx, tx, sku, "")
	if err != nil || !a.ok {
		return nil, err
	}
	live := map[string]int64{}
	rs, err := tx.QueryContext(ctx, s.q(`SELECT scope, atp FROM inventory_atp WHERE sku = ?`), sku)
	if err != nil {
		return nil, fmt.Errorf("network aggregates of %s: %w", sku, err)
	}
	for rs.Next() {
		var scope string
		var atp int64
		if err := rs.Scan(&scope, &atp); err != nil {
			rs.Close()
			return nil, fmt.Errorf("network aggregates of %s: %w", sku, err)
		}
		live[scope] = atp
	}
	rs.Close()
	var drifts []Drift
	scopes := make([]string, 0, len(live))
	for scope := range live {
		scopes = append(scopes, scope)
	}
	slices.Sort(scopes)
	for _, scope := range scopes {
		b, err := scopeBuffer(scope)
		if err != nil {
			return nil, err
		}
		sum, err := s.servingATP(ctx, tx, sku, b)
		if err != nil {
			return nil, err
		}
		if sum == live[scope] {
			continue
		}
		drifts = append(drifts, Drift{SKU: sku, Field: "network_atp", Scope: scope, Live: live[scope], Rebuilt: sum})
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE inventory_atp SET atp = ?, epoch = ? WHERE sku = ? AND scope = ?`), sum, a.epoch, sku, scope); err != nil {
			return nil, fmt.Errorf("rebuild network aggregate of %s: %w", sku, err)
		}
	}
	return drifts, nil
}

// AggregateDrift compares every stored network aggregate (inventory_atp) with
// the sum over the levels it stands for and returns the rows that differ
// (Field "network_atp", Scope naming the selection); it changes nothing. Rows
// of an older location epoch are skipped: they are recomputed before use.
func (s *Service) AggregateDrift(ctx context.Context, db store.DBTX) ([]Drift, error) {
	epoch, err := (store.Locations{Dialect: s.d}).Epoch(ctx, db)
	if err != nil {
		return nil, err
	}
	type row struct {
		sku, scope string
		atp        int64
	}
	var rows []row
	rs, err := db.QueryContext(ctx, s.q(`SELECT sku, scope, atp FROM inventory_atp WHERE epoch = ? ORDER BY sku, scope`), epoch)
	if err != nil {
		return nil, fmt.Errorf("network aggregates: %w", err)
	}
	for rs.Next() {
		var r row
		if err := rs.Scan(&r.sku, &r.scope, &r.atp); err != nil {
			rs.Close()
			return nil, fmt.Errorf("network aggregates: %w", err)
		}
		rows = append(rows, r)
	}
	rs.Close()
	var out []Drift
	for _, r := range rows {
		b, err := scopeBuffer(r.scope)
		if err != nil {
			return nil, err
		}
		sum, err := s.servingATP(ctx, db, r.sku, b)
		if err != nil {
			return nil, err
		}
		if sum != r.atp {
			out = append(out, Drift{SKU: r.sku, Field: "network_atp", Scope: r.scope, Live: r.atp, Rebuilt: sum})
		}
	}
	return out, nil
}

// pubs is the published figures loaded with a (nil when not loaded).
func (a *aggs) pubs() map[string]int64 {
	if a == nil {
		return nil
	}
	return a.pub
}
