package routing

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/inventory"
	"github.com/crossdockhq/crossdock/hub/store"
)

// SQL-backed state over the hub's tables (hub/store migrations 00002 and
// 00300): locations, inventory_levels, inventory_movements,
// location_capacity, reservations (through hub/inventory), allocations and
// routing_decisions. Every query is written with ? and rebound per dialect.

// SQLLocations lists locations from the locations table, cached for TTL
// (locations change rarely and are read on every decision).
type SQLLocations struct {
	// Dialect is the database's dialect.
	Dialect store.Dialect
	// TTL is how long a loaded list is reused; 0 means 30 seconds.
	TTL time.Duration

	mu     sync.Mutex
	at     time.Time
	cached []canonical.Location
}

// All implements Locations.
func (s *SQLLocations) All(ctx context.Context, q store.DBTX) ([]canonical.Location, error) {
	ttl := s.TTL
	if ttl == 0 {
		ttl = 30 * time.Second
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached != nil && time.Since(s.at) < ttl {
		return s.cached, nil
	}
	rows, err := store.Locations{Dialect: s.Dialect}.List(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]canonical.Location, len(rows))
	for i, r := range rows {
		out[i] = r.Location
	}
	s.cached, s.at = out, time.Now()
	return out, nil
}

// Invalidate drops the cached list, e.g. after a location changed.
func (s *SQLLocations) Invalidate() {
	s.mu.Lock()
	s.cached = nil
	s.mu.Unlock()
}

// SQLStock reads inventory_levels.
type SQLStock struct {
	// Dialect is the database's dialect.
	Dialect store.Dialect
}

func placeholders(n int) string {
	if n == 0 {
		return "NULL"
	}
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// maxKeyPairs bounds the (sku, location) pairs looked up one by one; beyond
// it a query reads every location of the SKUs and filters.
const maxKeyPairs = 400

func pairList(n int) string {
	return strings.TrimSuffix(strings.Repeat("(?,?),", n), ",")
}

func keyPairs(skus, locs []string) []any {
	out := make([]any, 0, 2*len(skus)*len(locs))
	for _, s := range skus {
		for _, l := range locs {
			out = append(out, s, l)
		}
	}
	return out
}

func args(lists ...[]string) []any {
	var out []any
	for _, l := range lists {
		for _, s := range l {
			out = append(out, s)
		}
	}
	return out
}

// Levels implements Stock.
func (s SQLStock) Levels(ctx context.Context, q store.DBTX, skus, locationIDs []string) (map[string]map[string]canonical.InventoryLevel, error) {
	out := map[string]map[string]canonical.InventoryLevel{}
	if len(skus) == 0 || (locationIDs != nil && len(locationIDs) == 0) {
		return out, nil
	}
	var query string
	var a []any
	if pairs := len(skus) * len(locationIDs); locationIDs != nil && pairs <= maxKeyPairs {
		// One primary-key lookup per (sku, location): a VALUES list joined
		// on the key, which SQLite and PostgreSQL both plan as index seeks.
		query = `SELECT l.location_id, l.sku, l.on_hand, l.reserved, l.safety_stock, l.incoming FROM (VALUES ` + pairList(pairs) +
			`) AS k JOIN inventory_levels l ON l.sku = k.column1 AND l.location_id = k.column2`
		a = keyPairs(skus, locationIDs)
	} else {
		query = `SELECT location_id, sku, on_hand, reserved, safety_stock, incoming FROM inventory_levels WHERE sku IN (` + placeholders(len(skus)) + `)`
		a = args(skus)
		if locationIDs != nil {
			// On SQLite the location list must not steer the planner to
			// the per-location index (it would scan every SKU of each
			// location): the unary + keeps the (sku, location_id) key in use.
			col := "location_id"
			if s.Dialect == store.SQLite {
				col = "+location_id"
			}
			query += ` AND ` + col + ` IN (` + placeholders(len(locationIDs)) + `)`
			a = append(a, args(locationIDs)...)
		}
	}
	return s.scanLevels(ctx, q, query, a)
}

// levelPairs reads explicit (SKU, location) pairs, one primary-key lookup
// each, in one query (the decision core's pairStock), into `into` (keyed by
// location id then SKU). locID maps a location id read back to the caller's
// copy of the string (to spare an allocation per row); "" means unknown.
func (s SQLStock) levelPairs(ctx context.Context, q store.DBTX, pairs []stockPair, into map[string]map[string]canonical.InventoryLevel,
	locID func([]byte) string) error {
	if len(pairs) == 0 {
		return nil
	}
	a := make([]any, 0, 2*len(pairs))
	for _, p := range pairs {
		a = append(a, p.sku, p.loc)
	}
	query := `SELECT l.location_id, l.sku, l.on_hand, l.reserved, l.safety_stock, l.incoming FROM (VALUES ` + pairList(len(pairs)) +
		`) AS k JOIN inventory_levels l ON l.sku = k.column1 AND l.location_id = k.column2`
	rows, err := q.QueryContext(ctx, s.Dialect.Rebind(query), a...)
	if err != nil {
		return fmt.Errorf("read inventory levels: %w", err)
	}
	defer rows.Close()
	var rawLoc, rawSKU sql.RawBytes
	lastSKU := ""
	for rows.Next() {
		var l canonical.InventoryLevel
		if err := rows.Scan(&rawLoc, &rawSKU, &l.OnHand, &l.Reserved, &l.SafetyStock, &l.Incoming); err != nil {
			return fmt.Errorf("read inventory levels: %w", err)
		}
		if l.LocationID = locID(rawLoc); l.LocationID == "" {
			l.LocationID = string(rawLoc)
		}
		if string(rawSKU) != lastSKU {
			lastSKU = string(rawSKU)
		}
		l.SKU = lastSKU
		m := into[l.LocationID]
		if m == nil {
			m = map[string]canonical.InventoryLevel{}
			into[l.LocationID] = m
		}
		m[l.SKU] = l
	}
	return rows.Err()
}

func (s SQLStock) scanLevels(ctx context.Context, q store.DBTX, query string, a []any) (map[string]map[string]canonical.InventoryLevel, error) {
	out := map[string]map[string]canonical.InventoryLevel{}
	rows, err := q.QueryContext(ctx, s.Dialect.Rebind(query), a...)
	if err != nil {
		return nil, fmt.Errorf("read inventory levels: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var l canonical.InventoryLevel
		if err := rows.Scan(&l.LocationID, &l.SKU, &l.OnHand, &l.Reserved, &l.SafetyStock, &l.Incoming); err != nil {
			return nil, fmt.Errorf("read inventory levels: %w", err)
		}
		m := out[l.LocationID]
		if m == nil {
			m = map[string]canonical.InventoryLevel{}
			out[l.LocationID] = m
		}
		m[l.SKU] = l
	}
	return out, rows.Err()
}

// SQLVelocity derives average daily sales from the inventory ledger: units
// that left stock with reason "sale" in the window, divided by its days.
type SQLVelocity struct {
	// Dialect is the database's dialect.
	Dialect store.Dialect
	// Now is the clock; defaults to time.Now.
	Now func() time.Time
}

// DailySales implements Velocity.
func (s SQLVelocity) DailySales(ctx context.Context, q store.DBTX, skus, locationIDs []string, windowDays int) (map[string]map[string]float64, error) {
	out := map[string]map[string]float64{}
	if len(skus) == 0 || len(locationIDs) == 0 || windowDays <= 0 {
		return out, nil
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	since := store.FormatTime(now().Add(-time.Duration(windowDays) * 24 * time.Hour))
	var query string
	var a []any
	if pairs := len(skus) * len(locationIDs); pairs <= maxKeyPairs {
		// Seeks on the ledger's (sku, location_id, at) index, pair by pair.
		query = `SELECT m.location_id, m.sku, SUM(-m.delta) FROM (VALUES ` + pairList(pairs) + `) AS k JOIN inventory_movements m
			ON m.sku = k.column1 AND m.location_id = k.column2 AND m.at >= ? WHERE m.reason = 'sale' AND m.delta < 0 GROUP BY m.location_id, m.sku`
		a = append(keyPairs(skus, locationIDs), since)
	} else {
		query = `SELECT location_id, sku, SUM(-delta) FROM inventory_movements WHERE reason = 'sale' AND delta < 0 AND sku IN (` +
			placeholders(len(skus)) + `) AND location_id IN (` + placeholders(len(locationIDs)) + `) AND at >= ? GROUP BY location_id, sku`
		a = append(args(skus, locationIDs), since)
	}
	rows, err := q.QueryContext(ctx, s.Dialect.Rebind(query), a...)
	if err != nil {
		return nil, fmt.Errorf("read sales velocity: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var loc, sku string
		var units int64
		if err := rows.Scan(&loc, &sku, &units); err != nil {
			return nil, fmt.Errorf("read sales velocity: %w", err)
		}
		if out[loc] == nil {
			out[loc] = map[string]float64{}
		}
		out[loc][sku] = float64(units) / float64(windowDays)
	}
	return out, rows.Err()
}

// SQLCapacity reads location_capacity (orders taken per location per UTC day).
type SQLCapacity struct {
	// Dialect is the database's dialect.
	Dialect store.Dialect
}

// AllocatedToday implements Capacity.
func (s SQLCapacity) AllocatedToday(ctx context.Context, q store.DBTX, locationIDs []string, now time.Time) (map[string]int, error) {
	out := map[string]int{}
	if len(locationIDs) == 0 {
		return out, nil
	}
	query := `SELECT location_id, used FROM location_capacity WHERE day = ? AND location_id IN (` + placeholders(len(locationIDs)) + `)`
	a := append([]any{now.UTC().Format(time.DateOnly)}, args(locationIDs)...)
	rows, err := q.QueryContext(ctx, s.Dialect.Rebind(query), a...)
	if err != nil {
		return nil, fmt.Errorf("read location capacity: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("read location capacity: %w", err)
		}
		out[id] = n
	}
	return out, rows.Err()
}

// InventoryReserver reserves through the inventory service (hub/inventory):
// a line already reserved network-wide when the order was accepted has that
// reservation assigned to the chosen location; otherwise a location
// reservation is made. All items or none: the items are reserved inside a
// savepoint rolled back on failure.
type InventoryReserver struct {
	// Inventory is the inventory service.
	Inventory *inventory.Service
}

// Reserve implements Reserver.
func (s InventoryReserver) Reserve(ctx context.Context, q store.DBTX, orderID string, items []Reservation) ([]inventory.Command, error) {
	_, isTx := q.(*sql.Tx)
	_, isConn := q.(*sql.Conn)
	sp := isTx || isConn
	if sp {
		if _, err := q.ExecContext(ctx, `SAVEPOINT routing_reserve`); err != nil {
			return nil, fmt.Errorf("savepoint: %w", err)
		}
	}
	cmds, err := s.reserve(ctx, q, orderID, items)
	if err != nil {
		if sp {
			if _, rbErr := q.ExecContext(ctx, `ROLLBACK TO SAVEPOINT routing_reserve`); rbErr != nil {
				return nil, errors.Join(err, fmt.Errorf("rollback to savepoint: %w", rbErr))
			}
			_, _ = q.ExecContext(ctx, `RELEASE SAVEPOINT routing_reserve`)
		}
		return nil, err
	}
	if sp {
		if _, err := q.ExecContext(ctx, `RELEASE SAVEPOINT routing_reserve`); err != nil {
			return nil, fmt.Errorf("release savepoint: %w", err)
		}
	}
	return cmds, nil
}

func (s InventoryReserver) reserve(ctx context.Context, q store.DBTX, orderID string, items []Reservation) ([]inventory.Command, error) {
	existing, err := s.Inventory.OrderReservations(ctx, q, orderID)
	if err != nil {
		return nil, err
	}
	network := map[string]inventory.Reservation{}
	for _, r := range existing {
		if r.Status == inventory.StatusActive && r.LocationID == "" {
			network[r.LineID] = r
		}
	}
	var cmds []inventory.Command
	for _, it := range items {
		if nr, ok := network[it.LineID]; ok && nr.SKU == it.SKU && nr.Quantity == it.Quantity {
			_, c, err := s.Inventory.Assign(ctx, q, nr.ID, it.LocationID)
			if err != nil {
				return nil, err
			}
			cmds = append(cmds, c...)
			continue
		}
		_, c, err := s.Inventory.Reserve(ctx, q, inventory.ReserveRequest{OrderID: orderID, LineID: it.LineID, SKU: it.SKU,
			LocationID: it.LocationID, Quantity: it.Quantity})
		if err != nil {
			return nil, err
		}
		cmds = append(cmds, c...)
	}
	return cmds, nil
}

// Release implements Reserver.
func (s InventoryReserver) Release(ctx context.Context, q store.DBTX, orderID, locationID string) ([]inventory.Command, error) {
	rs, err := s.Inventory.OrderReservations(ctx, q, orderID)
	if err != nil {
		return nil, err
	}
	var cmds []inventory.Command
	for _, r := range rs {
		if r.Status != inventory.StatusActive || r.LocationID != locationID {
			continue
		}
		c, err := s.Inventory.Release(ctx, q, r.ID)
		if err != nil {
			return nil, err
		}
		cmds = append(cmds, c...)
	}
	return cmds, nil
}

// SQLDecisions stores decisions in routing_decisions, allocations in the
// state's allocations table, and counts each allocation in location_capacity.
type SQLDecisions struct {
	// Dialect is the database's dialect.
	Dialect store.Dialect
}

var (
	_ Decisions = SQLDecisions{}
	_ Explainer = SQLDecisions{}
	_ Stock     = SQLStock{}
	_ Velocity  = SQLVelocity{}
	_ Capacity  = SQLCapacity{}
	_ Reserver  = InventoryReserver{}
	_ Locations = (*SQLLocations)(nil)
)

func moneyAmount(m *canonical.Money) any {
	if m == nil {
		return nil
	}
	return m.Amount
}

// Save implements Decisions.
func (s SQLDecisions) Save(ctx context.Context, q store.DBTX, d *Decision, order *canonical.Order, allocs []canonical.Allocation) error {
	doc, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode decision: %w", err)
	}
	od, err := json.Marshal(order)
	if err != nil {
		return fmt.Errorf("encode order: %w", err)
	}
	var currency string
	if d.BaselineCost != nil {
		currency = d.BaselineCost.Currency
	} else if d.EstimatedCost != nil {
		currency = d.EstimatedCost.Currency
	}
	_, err = q.ExecContext(ctx, s.Dialect.Rebind(`INSERT INTO routing_decisions (id, order_id, attempt, outcome, rule, queue, currency,
		estimated_cost, baseline_cost, saving, decided_at, doc, order_doc) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`),
		d.ID, d.OrderID, d.Attempt, string(d.Outcome), d.Rule, d.Queue, currency, moneyAmount(d.EstimatedCost), moneyAmount(d.BaselineCost),
		moneyAmount(d.Saving), store.FormatTime(d.DecidedAt), string(doc), string(od))
	if err != nil {
		return fmt.Errorf("insert routing decision for order %s: %w", d.OrderID, err)
	}
	repo := store.Allocations{Dialect: s.Dialect}
	locs := store.Locations{Dialect: s.Dialect}
	for _, a := range allocs {
		if _, err := repo.Put(ctx, q, a); err != nil {
			return err
		}
		if err := locs.AddCapacityUsed(ctx, q, a.LocationID, a.CreatedAt.UTC().Format(time.DateOnly), 1); err != nil {
			return err
		}
	}
	return nil
}

// Latest implements Decisions.
func (s SQLDecisions) Latest(ctx context.Context, q store.DBTX, orderID string) (*Decision, *canonical.Order, []canonical.Allocation, error) {
	var doc, od string
	err := q.QueryRowContext(ctx, s.Dialect.Rebind(`SELECT doc, order_doc FROM routing_decisions WHERE order_id = ? ORDER BY attempt DESC LIMIT 1`), orderID).Scan(&doc, &od)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, nil, ErrNoDecision
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read routing decision of order %s: %w", orderID, err)
	}
	var d Decision
	var o canonical.Order
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return nil, nil, nil, fmt.Errorf("decode routing decision of order %s: %w", orderID, err)
	}
	if err := json.Unmarshal([]byte(od), &o); err != nil {
		return nil, nil, nil, fmt.Errorf("decode routed order %s: %w", orderID, err)
	}
	all, err := store.Allocations{Dialect: s.Dialect}.ByOrder(ctx, q, orderID)
	if err != nil {
		return nil, nil, nil, err
	}
	var open []canonical.Allocation
	for _, a := range all {
		if a.Status != AllocRejected && a.Status != AllocCancelled {
			open = append(open, a)
		}
	}
	return &d, &o, open, nil
}

// List implements Decisions.
func (s SQLDecisions) List(ctx context.Context, q store.DBTX, orderID string) ([]Decision, error) {
	rows, err := q.QueryContext(ctx, s.Dialect.Rebind(`SELECT doc FROM routing_decisions WHERE order_id = ? ORDER BY attempt`), orderID)
	if err != nil {
		return nil, fmt.Errorf("list routing decisions of order %s: %w", orderID, err)
	}
	defer rows.Close()
	var out []Decision
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, fmt.Errorf("list routing decisions of order %s: %w", orderID, err)
		}
		var d Decision
		if err := json.Unmarshal([]byte(doc), &d); err != nil {
			return nil, fmt.Errorf("decode routing decision of order %s: %w", orderID, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Explain implements Explainer: the API's `routing` field of an order.
func (s SQLDecisions) Explain(ctx context.Context, q store.DBTX, orderID string) ([]Decision, error) {
	return s.List(ctx, q, orderID)
}

// SetAllocationStatus implements Decisions; a rejected or cancelled
// allocation gives its day's capacity back.
func (s SQLDecisions) SetAllocationStatus(ctx context.Context, q store.DBTX, orderID, locationID, status string) error {
	repo := store.Allocations{Dialect: s.Dialect}
	all, err := repo.ByOrder(ctx, q, orderID)
	if err != nil {
		return err
	}
	found := false
	for _, a := range all {
		if a.LocationID != locationID || a.Status == AllocRejected || a.Status == AllocCancelled {
			continue
		}
		found = true
		a.Status = status
		if _, err := repo.Put(ctx, q, a); err != nil {
			return err
		}
		if status == AllocRejected || status == AllocCancelled {
			if err := (store.Locations{Dialect: s.Dialect}).AddCapacityUsed(ctx, q, locationID, a.CreatedAt.UTC().Format(time.DateOnly), -1); err != nil {
				return err
			}
		}
	}
	if !found {
		return fmt.Errorf("order %s has no open allocation at %s", orderID, locationID)
	}
	return nil
}

// Held returns the orders whose latest decision holds them in queue, oldest
// decision first: the work list of a retry job.
func (s SQLDecisions) Held(ctx context.Context, q store.DBTX, queue string) ([]string, error) {
	rows, err := q.QueryContext(ctx, s.Dialect.Rebind(`SELECT d.order_id FROM routing_decisions d WHERE d.queue = ? AND d.outcome = 'held'
		AND d.attempt = (SELECT MAX(x.attempt) FROM routing_decisions x WHERE x.order_id = d.order_id) ORDER BY d.decided_at, d.order_id`), queue)
	if err != nil {
		return nil, fmt.Errorf("list held orders in %s: %w", queue, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list held orders in %s: %w", queue, err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
