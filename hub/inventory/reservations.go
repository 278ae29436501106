package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/store"
)

// Reservation statuses.
const (
	StatusActive   = "active"
	StatusReleased = "released"
	StatusConsumed = "consumed"
	StatusExpired  = "expired"
)

// Reservation is units of a SKU promised to an order line, at a location or
// network-wide (LocationID "") until routing picks the location.
type Reservation struct {
	ID         string     `json:"id"`
	OrderID    string     `json:"order_id"`
	LineID     string     `json:"line_id"`
	SKU        string     `json:"sku"`
	LocationID string     `json:"location_id"`
	Quantity   int64      `json:"quantity"`
	Status     string     `json:"status"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	Version    int64      `json:"version"`
}

// ReserveRequest asks for units for one order line.
type ReserveRequest struct {
	OrderID string
	LineID  string
	SKU     string
	// LocationID is where to reserve; "" reserves network-wide.
	LocationID string
	Quantity   int64
	// ExpiresAt is when the reservation lapses; nil uses the configured TTL
	// (or never, without one).
	ExpiresAt *time.Time
}

// Reserve promises units to an order line. It fails with an
// *InsufficientStockError when the location (or the network) cannot cover it.
// Reservations of one SKU serialise on the SKU's row lock, and the location's
// level is changed by a conditional UPDATE (on hand - reserved - safety >= qty),
// so concurrent orders never reserve the same unit twice.
func (s *Service) Reserve(ctx context.Context, tx store.DBTX, req ReserveRequest) (Reservation, []Command, error) {
	if req.SKU == "" || req.OrderID == "" || req.Quantity <= 0 {
		return Reservation{}, nil, invalid("reservation needs an order, a sku and a positive quantity")
	}
	now := s.now()
	nowS := store.FormatTime(now)
	a, err := s.lockLoad(ctx, tx, req.SKU, req.LocationID, nowS)
	if err != nil {
		return Reservation{}, nil, err
	}
	if a.due > 0 || !a.ok {
		if _, err := s.expireSKU(ctx, tx, a, req.SKU, now); err != nil {
			return Reservation{}, nil, err
		}
	}
	// Units free across the network once network-wide promises are honoured;
	// with none outstanding a location's own ATP is the only limit.
	networkFree := int64(math.MaxInt64)
	if req.LocationID == "" || a.nr > 0 {
		sum, err := s.scopeATP(ctx, tx, a, req.SKU, "")
		if err != nil {
			return Reservation{}, nil, err
		}
		networkFree = max(sum-a.nr, 0)
	}
	if req.LocationID == "" {
		if networkFree < req.Quantity {
			return Reservation{}, nil, &InsufficientStockError{SKU: req.SKU, Requested: req.Quantity, Available: networkFree}
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE inventory_skus SET network_reserved = network_reserved + ? WHERE sku = ? AND network_reserved = ?`),
			req.Quantity, req.SKU, a.nr)
		if err != nil {
			return Reservation{}, nil, fmt.Errorf("reserve %s: %w", req.SKU, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return Reservation{}, nil, &store.ConflictError{Entity: "inventory_sku", ID: req.SKU}
		}
		a.nr += req.Quantity
	} else {
		ok := false
		if networkFree >= req.Quantity {
			// The conditional UPDATE is the check: it changes the row only
			// if on hand - reserved - safety stock covers the quantity.
			if ok, err = s.changeLevel(ctx, tx, a, req.SKU, req.LocationID, 0, req.Quantity, nowS, true, req.Quantity); err != nil {
				return Reservation{}, nil, fmt.Errorf("reserve %s at %s: %w", req.SKU, req.LocationID, err)
			}
		}
		if !ok {
			l, err := s.Level(ctx, tx, req.SKU, req.LocationID)
			if err != nil {
				return Reservation{}, nil, err
			}
			return Reservation{}, nil, &InsufficientStockError{SKU: req.SKU, LocationID: req.LocationID, Requested: req.Quantity, Available: min(l.ATP, networkFree)}
		}
	}
	r := Reservation{ID: store.NewID(), OrderID: req.OrderID, LineID: req.LineID, SKU: req.SKU, LocationID: req.LocationID,
		Quantity: req.Quantity, Status: StatusActive, ExpiresAt: req.ExpiresAt, CreatedAt: now, UpdatedAt: now, Version: 1}
	if r.ExpiresAt == nil && s.ttl > 0 {
		t := now.Add(s.ttl)
		r.ExpiresAt = &t
	}
	var exp any
	if r.ExpiresAt != nil {
		exp = store.FormatTime(*r.ExpiresAt)
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO reservations (id, order_id, line_id, sku, location_id, quantity, status, expires_at, created_at, updated_at, version)
		VALUES (?,?,?,?,?,?,?,?,?,?,1)`), r.ID, r.OrderID, r.LineID, r.SKU, r.LocationID, r.Quantity, r.Status, exp,
		nowS, nowS); err != nil {
		return Reservation{}, nil, fmt.Errorf("store reservation: %w", err)
	}
	cmds, err := s.syncWith(ctx, tx, a, req.SKU, "")
	return r, cmds, err
}

const resCols = `id, order_id, line_id, sku, location_id, quantity, status, expires_at, created_at, updated_at, version`

func scanReservation(sc interface{ Scan(...any) error }) (Reservation, error) {
	var r Reservation
	var exp sql.NullString
	var ca, ua string
	if err := sc.Scan(&r.ID, &r.OrderID, &r.LineID, &r.SKU, &r.LocationID, &r.Quantity, &r.Status, &exp, &ca, &ua, &r.Version); err != nil {
		return r, err
	}
	if exp.Valid {
		t, _ := store.ParseTime(exp.String)
		r.ExpiresAt = &t
	}
	r.CreatedAt, _ = store.ParseTime(ca)
	r.UpdatedAt, _ = store.ParseTime(ua)
	return r, nil
}

func (s *Service) queryReservations(ctx context.Context, db store.DBTX, where string, args ...any) ([]Reservation, error) {
	rs, err := db.QueryContext(ctx, s.q(`SELECT `+resCols+` FROM reservations WHERE `+where+` ORDER BY created_at, id`), args...)
	if err != nil {
		return nil, fmt.Errorf("read reservations: %w", err)
	}
	defer rs.Close()
	var out []Reservation
	for rs.Next() {
		r, err := scanReservation(rs)
		if err != nil {
			return nil, fmt.Errorf("read reservations: %w", err)
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

// Reservation returns one reservation.
func (s *Service) Reservation(ctx context.Context, db store.DBTX, id string) (Reservation, error) {
	r, err := scanReservation(db.QueryRowContext(ctx, s.q(`SELECT `+resCols+` FROM reservations WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, &store.NotFoundError{Entity: "reservation", ID: id}
	}
	if err != nil {
		return r, fmt.Errorf("read reservation %s: %w", id, err)
	}
	return r, nil
}

// OrderReservations lists an order's reservations (every status), oldest first.
func (s *Service) OrderReservations(ctx context.Context, db store.DBTX, orderID string) ([]Reservation, error) {
	return s.queryReservations(ctx, db, `order_id = ?`, orderID)
}

// unreserve ends an active reservation with a status, giving its units back;
// the caller holds the SKU's lock (a).
func (s *Service) unreserve(ctx context.Context, tx store.DBTX, a *aggs, r Reservation, status string) error {
	now := store.FormatTime(s.now())
	res, err := tx.ExecContext(ctx, s.q(`UPDATE reservations SET status = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ? AND status = ?`),
		status, now, r.ID, r.Version, StatusActive)
	if err != nil {
		return fmt.Errorf("end reservation %s: %w", r.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &store.ConflictError{Entity: "reservation", ID: r.ID, Expected: r.Version}
	}
	if r.LocationID == "" {
		_, err = tx.ExecContext(ctx, s.q(`UPDATE inventory_skus SET network_reserved = network_reserved - ? WHERE sku = ?`), r.Quantity, r.SKU)
		a.nr -= r.Quantity
	} else {
		_, err = s.changeLevel(ctx, tx, a, r.SKU, r.LocationID, 0, -r.Quantity, now, false, 0)
	}
	if err != nil {
		return fmt.Errorf("give back reservation %s: %w", r.ID, err)
	}
	return nil
}

func (s *Service) expireSKU(ctx context.Context, tx store.DBTX, a *aggs, sku string, now time.Time) (int, error) {
	due, err := s.queryReservations(ctx, tx, `sku = ? AND status = ? AND expires_at IS NOT NULL AND expires_at <= ?`, sku, StatusActive, store.FormatTime(now))
	if err != nil {
		return 0, err
	}
	for _, r := range due {
		if err := s.unreserve(ctx, tx, a, r, StatusExpired); err != nil {
			return 0, err
		}
	}
	return len(due), nil
}

// Release gives back an active reservation's units (order cancelled, line
// removed). Releasing a reservation that is no longer active is a no-op.
func (s *Service) Release(ctx context.Context, tx store.DBTX, id string) ([]Command, error) {
	r, err := s.Reservation(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if r.Status != StatusActive {
		return nil, nil
	}
	a, err := s.lockAggs(ctx, tx, r.SKU, r.LocationID)
	if err != nil {
		return nil, err
	}
	if err := s.unreserve(ctx, tx, a, r, StatusReleased); err != nil {
		return nil, err
	}
	return s.syncWith(ctx, tx, a, r.SKU, "")
}

// ReleaseOrder releases an order's active reservations; with lineID set, only
// that line's. It returns the released reservations.
func (s *Service) ReleaseOrder(ctx context.Context, tx store.DBTX, orderID, lineID string) ([]Reservation, []Command, error) {
	where, args := `order_id = ? AND status = ?`, []any{orderID, StatusActive}
	if lineID != "" {
		where += ` AND line_id = ?`
		args = append(args, lineID)
	}
	active, err := s.queryReservations(ctx, tx, where, args...)
	if err != nil {
		return nil, nil, err
	}
	var cmds []Command
	for _, r := range active {
		c, err := s.Release(ctx, tx, r.ID)
		if err != nil {
			return nil, nil, err
		}
		cmds = append(cmds, c...)
	}
	return active, Coalesce(cmds), nil
}

// Assign moves a network-wide reservation to the location routing chose. It
// fails with an *InsufficientStockError if that location cannot cover it.
func (s *Service) Assign(ctx context.Context, tx store.DBTX, id, locationID string) (Reservation, []Command, error) {
	r, err := s.Reservation(ctx, tx, id)
	if err != nil {
		return r, nil, err
	}
	if r.Status != StatusActive || r.LocationID != "" || locationID == "" {
		return r, nil, invalid("reservation %s is not an active network-wide reservation", id)
	}
	return s.assign(ctx, tx, nil, r, locationID)
}

// assign is Assign of a read reservation; a is the SKU's lock if already held.
func (s *Service) assign(ctx context.Context, tx store.DBTX, a *aggs, r Reservation, locationID string) (Reservation, []Command, error) {
	id := r.ID
	var err error
	if a == nil {
		if a, err = s.lockAggs(ctx, tx, r.SKU, locationID); err != nil {
			return r, nil, err
		}
	}
	if err := s.ensureLevel(ctx, tx, r.SKU, locationID); err != nil {
		return r, nil, err
	}
	now := store.FormatTime(s.now())
	ok, err := s.changeLevel(ctx, tx, a, r.SKU, locationID, 0, r.Quantity, now, true, r.Quantity)
	if err != nil {
		return r, nil, fmt.Errorf("assign reservation %s: %w", id, err)
	}
	if !ok {
		l, _ := s.Level(ctx, tx, r.SKU, locationID)
		return r, nil, &InsufficientStockError{SKU: r.SKU, LocationID: locationID, Requested: r.Quantity, Available: l.ATP}
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE inventory_skus SET network_reserved = network_reserved - ? WHERE sku = ?`), r.Quantity, r.SKU); err != nil {
		return r, nil, fmt.Errorf("assign reservation %s: %w", id, err)
	}
	a.nr -= r.Quantity
	res, err := tx.ExecContext(ctx, s.q(`UPDATE reservations SET location_id = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`),
		locationID, now, id, r.Version)
	if err != nil {
		return r, nil, fmt.Errorf("assign reservation %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return r, nil, &store.ConflictError{Entity: "reservation", ID: id, Expected: r.Version}
	}
	r.LocationID, r.Version = locationID, r.Version+1
	cmds, err := s.syncWith(ctx, tx, a, r.SKU, "")
	return r, cmds, err
}

// Consume turns reserved units into a sale when they ship: the reservation's
// units (or qty of them, when qty is less) leave the reservation and a sale
// movement records them leaving stock. A network-wide reservation is first
// assigned to locationID. source names the shipment.
func (s *Service) Consume(ctx context.Context, tx store.DBTX, id string, qty int64, locationID, source string) ([]Command, error) {
	r, err := s.Reservation(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if r.Status != StatusActive {
		return nil, invalid("reservation %s is %s, not active", id, r.Status)
	}
	if r.LocationID == "" && locationID == "" {
		return nil, invalid("reservation %s is not an active network-wide reservation", id)
	}
	loc := r.LocationID
	if loc == "" {
		loc = locationID
	}
	a, err := s.lockAggs(ctx, tx, r.SKU, loc)
	if err != nil {
		return nil, err
	}
	if r.LocationID == "" {
		if r, _, err = s.assign(ctx, tx, a, r, locationID); err != nil {
			return nil, err
		}
	}
	if qty <= 0 || qty > r.Quantity {
		qty = r.Quantity
	}
	now := store.FormatTime(s.now())
	status := StatusActive
	if qty == r.Quantity {
		status = StatusConsumed
	}
	res, err := tx.ExecContext(ctx, s.q(`UPDATE reservations SET quantity = quantity - ?, status = ?, updated_at = ?, version = version + 1
		WHERE id = ? AND version = ?`), qty, status, now, id, r.Version)
	if err != nil {
		return nil, fmt.Errorf("consume reservation %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, &store.ConflictError{Entity: "reservation", ID: id, Expected: r.Version}
	}
	if status == StatusConsumed {
		// Keep the consumed quantity visible on the row.
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE reservations SET quantity = ? WHERE id = ?`), r.Quantity, id); err != nil {
			return nil, fmt.Errorf("consume reservation %s: %w", id, err)
		}
	}
	if _, err := s.changeLevel(ctx, tx, a, r.SKU, r.LocationID, 0, -qty, now, false, 0); err != nil {
		return nil, fmt.Errorf("consume reservation %s: %w", id, err)
	}
	if err := s.record(ctx, tx, a, canonical.InventoryMovement{SKU: r.SKU, LocationID: r.LocationID, Delta: -qty, Reason: canonical.MoveSale,
		Source: source, Reference: r.OrderID}); err != nil {
		return nil, err
	}
	return s.syncWith(ctx, tx, a, r.SKU, "")
}

// Expire ends every active reservation whose expiry has passed, giving its
// units back. It returns how many it expired.
func (s *Service) Expire(ctx context.Context, tx store.DBTX) (int, []Command, error) {
	now := s.now()
	due, err := s.queryReservations(ctx, tx, `status = ? AND expires_at IS NOT NULL AND expires_at <= ?`, StatusActive, store.FormatTime(now))
	if err != nil {
		return 0, nil, err
	}
	locked := map[string]*aggs{}
	var skus []string
	for _, r := range due {
		a := locked[r.SKU]
		if a == nil {
			if a, err = s.lockAggs(ctx, tx, r.SKU, r.LocationID); err != nil {
				return 0, nil, err
			}
			locked[r.SKU] = a
			skus = append(skus, r.SKU)
		}
		if err := s.unreserve(ctx, tx, a, r, StatusExpired); err != nil {
			return 0, nil, err
		}
	}
	var cmds []Command
	for _, sku := range skus {
		c, err := s.syncWith(ctx, tx, locked[sku], sku, "")
		if err != nil {
			return 0, nil, err
		}
		cmds = append(cmds, c...)
	}
	return len(due), cmds, nil
}
