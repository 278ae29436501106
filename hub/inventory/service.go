package inventory

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/store"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// Command is a command for a connector, with the bus topic it goes to
// ("<channel>.out"). Mutating methods return the commands their change caused;
// the caller publishes them in the same transaction.
type Command struct {
	// Topic is the bus topic, "<connector>.out".
	Topic string `json:"topic"`
	// Command is what the connector is asked to do.
	Command sdk.Command `json:"command"`
}

// OutTopic is the bus topic of commands for a connector instance.
func OutTopic(connector string) string { return connector + ".out" }

// Level is one SKU's stock at one location, with its available-to-promise.
type Level struct {
	canonical.InventoryLevel
	// ATP is on hand - reserved - safety stock, never below 0.
	ATP int64 `json:"atp"`
	// Version is the level row's version.
	Version int64 `json:"version"`
}

// Service is the inventory service. It is safe for concurrent use; all its
// state is in the database.
type Service struct {
	d   store.Dialect
	cfg Config
	ttl time.Duration
	now func() time.Time
	// scopes are the aggregates kept current for every SKU a change touches:
	// "" (every active location) and each network channel's selection;
	// chanScope maps a network channel to its scope.
	scopes    []string
	chanScope map[string]string
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// New returns an inventory service for a database dialect and configuration.
func New(d store.Dialect, cfg Config, opts ...Option) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Service{d: d, cfg: cfg, now: time.Now}
	if cfg.ReservationTTL != "" {
		s.ttl, _ = parseTTL(cfg.ReservationTTL)
	}
	for _, o := range opts {
		o(s)
	}
	s.scopes = []string{""}
	s.chanScope = map[string]string{}
	for ch, b := range cfg.Buffers {
		if b.PerLocation {
			continue
		}
		k := scopeKey(b)
		s.chanScope[ch] = k
		if !contains(s.scopes, k) {
			s.scopes = append(s.scopes, k)
		}
	}
	sort.Strings(s.scopes)
	return s, nil
}

// Config returns the service's configuration.
func (s *Service) Config() Config { return s.cfg }

func parseTTL(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("reservation_ttl %q is not a positive duration like 48h", v)
	}
	return d, nil
}

func (s *Service) q(query string) string { return s.d.Rebind(query) }

var validReasons = map[canonical.MovementReason]bool{
	canonical.MoveReceipt: true, canonical.MoveSale: true, canonical.MoveAdjustment: true, canonical.MoveCount: true,
	canonical.MoveTransfer: true, canonical.MoveReturn: true, canonical.MoveDamage: true,
}

// Record appends a movement to the ledger and applies it to the level.
func (s *Service) Record(ctx context.Context, tx store.DBTX, m canonical.InventoryMovement) ([]Command, error) {
	if err := checkMovement(m); err != nil {
		return nil, err
	}
	if m.Delta == 0 {
		return s.Sync(ctx, tx, m.SKU)
	}
	a, err := s.lockAggs(ctx, tx, m.SKU, m.LocationID)
	if err != nil {
		return nil, err
	}
	if err := s.record(ctx, tx, a, m); err != nil {
		return nil, err
	}
	return s.syncWith(ctx, tx, a, m.SKU, "")
}

func checkMovement(m canonical.InventoryMovement) error {
	if m.SKU == "" || m.LocationID == "" {
		return invalid("movement needs a sku and a location")
	}
	if !validReasons[m.Reason] {
		return invalid("movement reason %q is not one of receipt, sale, adjustment, count, transfer, return, damage", m.Reason)
	}
	return nil
}

// record appends a movement and applies it; the caller holds the SKU's lock (a).
func (s *Service) record(ctx context.Context, tx store.DBTX, a *aggs, m canonical.InventoryMovement) error {
	if err := checkMovement(m); err != nil {
		return err
	}
	if m.Delta == 0 {
		return nil
	}
	now := s.now()
	if m.At.IsZero() {
		m.At = now
	}
	if err := s.ensureLevel(ctx, tx, m.SKU, m.LocationID); err != nil {
		return err
	}
	nowS := store.FormatTime(now)
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO inventory_movements (id, sku, location_id, delta, reason, source, reference, at, recorded_at)
		VALUES (?,?,?,?,?,?,?,?,?)`), store.NewID(), m.SKU, m.LocationID, m.Delta, string(m.Reason), m.Source, m.Reference,
		store.FormatTime(m.At), nowS); err != nil {
		return fmt.Errorf("record movement %s at %s: %w", m.SKU, m.LocationID, err)
	}
	if _, err := s.changeLevel(ctx, tx, a, m.SKU, m.LocationID, m.Delta, 0, nowS, false, 0); err != nil {
		return fmt.Errorf("apply movement %s at %s: %w", m.SKU, m.LocationID, err)
	}
	return nil
}

// Transfer moves units between locations: two transfer movements.
func (s *Service) Transfer(ctx context.Context, tx store.DBTX, sku, from, to string, qty int64, source, reference string) ([]Command, error) {
	if qty <= 0 || from == to {
		return nil, invalid("transfer needs a positive quantity between two locations")
	}
	at := s.now()
	if sku == "" || from == "" || to == "" {
		return nil, invalid("movement needs a sku and a location")
	}
	a, err := s.lockAggs(ctx, tx, sku, from)
	if err != nil {
		return nil, err
	}
	for _, m := range []canonical.InventoryMovement{
		{SKU: sku, LocationID: from, Delta: -qty, Reason: canonical.MoveTransfer, Source: source, Reference: reference, At: at},
		{SKU: sku, LocationID: to, Delta: qty, Reason: canonical.MoveTransfer, Source: source, Reference: reference, At: at},
	} {
		if err := s.record(ctx, tx, a, m); err != nil {
			return nil, err
		}
	}
	return s.syncWith(ctx, tx, a, sku, "")
}

// Count reconciles a physical count against the ledger: the ledger's on-hand
// at the count's time is compared with the counted quantity and the difference
// is recorded as a count movement. It returns that movement's delta.
func (s *Service) Count(ctx context.Context, tx store.DBTX, c canonical.InventoryCount, source string) (int64, []Command, error) {
	if c.SKU == "" || c.LocationID == "" || c.OnHand < 0 {
		return 0, nil, invalid("count needs a sku, a location and a non-negative quantity")
	}
	if c.At.IsZero() {
		c.At = s.now()
	}
	var ledger int64
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COALESCE(SUM(delta), 0) FROM inventory_movements WHERE sku = ? AND location_id = ? AND at <= ?`),
		c.SKU, c.LocationID, store.FormatTime(c.At)).Scan(&ledger); err != nil {
		return 0, nil, fmt.Errorf("count %s at %s: %w", c.SKU, c.LocationID, err)
	}
	delta := c.OnHand - ledger
	if delta == 0 {
		return 0, nil, nil
	}
	cmds, err := s.Record(ctx, tx, canonical.InventoryMovement{SKU: c.SKU, LocationID: c.LocationID, Delta: delta,
		Reason: canonical.MoveCount, Source: source, Reference: "count@" + store.FormatTime(c.At), At: c.At})
	return delta, cmds, err
}

// ensureLevel creates the level row of a SKU at a location (with the safety
// stock its rules give) if it does not exist yet.
func (s *Service) ensureLevel(ctx context.Context, tx store.DBTX, sku, loc string) error {
	var one int
	err := tx.QueryRowContext(ctx, s.q(`SELECT 1 FROM inventory_levels WHERE sku = ? AND location_id = ?`), sku, loc).Scan(&one)
	if err == nil {
		return nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read level %s at %s: %w", sku, loc, err)
	}
	if err := s.ensureSKU(ctx, tx, sku); err != nil {
		return err
	}
	safety, err := s.effectiveSafety(ctx, tx, sku, loc)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO inventory_levels (sku, location_id, on_hand, reserved, safety_stock, incoming, version, updated_at)
		VALUES (?,?,0,0,?,0,1,?) ON CONFLICT (sku, location_id) DO NOTHING`), sku, loc, safety, store.FormatTime(s.now())); err != nil {
		return fmt.Errorf("create level %s at %s: %w", sku, loc, err)
	}
	return nil
}

func (s *Service) ensureSKU(ctx context.Context, tx store.DBTX, sku string) error {
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO inventory_skus (sku) VALUES (?) ON CONFLICT (sku) DO NOTHING`), sku); err != nil {
		return fmt.Errorf("register sku %s: %w", sku, err)
	}
	return nil
}

// levelRow is a level joined with its location's routing facts.
type levelRow struct {
	Level
	active bool
	groups []string
}

func (s *Service) levels(ctx context.Context, db store.DBTX, sku string) ([]levelRow, error) {
	rs, err := db.QueryContext(ctx, s.q(`SELECT l.location_id, l.on_hand, l.reserved, l.safety_stock, l.incoming, l.version, l.updated_at,
		COALESCE(loc.active, 1), COALESCE(loc.groups, '')
		FROM inventory_levels l LEFT JOIN locations loc ON loc.id = l.location_id WHERE l.sku = ? ORDER BY l.location_id`), sku)
	if err != nil {
		return nil, fmt.Errorf("levels of %s: %w", sku, err)
	}
	defer rs.Close()
	var out []levelRow
	for rs.Next() {
		var r levelRow
		var at, groups string
		var active int
		if err := rs.Scan(&r.LocationID, &r.OnHand, &r.Reserved, &r.SafetyStock, &r.Incoming, &r.Version, &at, &active, &groups); err != nil {
			return nil, fmt.Errorf("levels of %s: %w", sku, err)
		}
		r.SKU = sku
		r.UpdatedAt, _ = store.ParseTime(at)
		r.ATP = r.Available()
		r.active = active != 0
		r.groups = store.SplitSet(groups)
		out = append(out, r)
	}
	return out, rs.Err()
}

// Levels returns a SKU's level at every location that has one, by location id.
func (s *Service) Levels(ctx context.Context, db store.DBTX, sku string) ([]Level, error) {
	rows, err := s.levels(ctx, db, sku)
	if err != nil {
		return nil, err
	}
	out := make([]Level, len(rows))
	for i, r := range rows {
		out[i] = r.Level
	}
	return out, nil
}

// Level returns a SKU's level at one location (zero if it has none).
func (s *Service) Level(ctx context.Context, db store.DBTX, sku, loc string) (Level, error) {
	var l Level
	var at string
	err := db.QueryRowContext(ctx, s.q(`SELECT on_hand, reserved, safety_stock, incoming, version, updated_at FROM inventory_levels
		WHERE sku = ? AND location_id = ?`), sku, loc).Scan(&l.OnHand, &l.Reserved, &l.SafetyStock, &l.Incoming, &l.Version, &at)
	l.SKU, l.LocationID = sku, loc
	if errors.Is(err, sql.ErrNoRows) {
		return l, nil
	}
	if err != nil {
		return l, fmt.Errorf("level %s at %s: %w", sku, loc, err)
	}
	l.UpdatedAt, _ = store.ParseTime(at)
	l.ATP = l.Available()
	return l, nil
}

// serves reports whether a location counts for a channel's figures.
func (b ChannelBuffer) serves(r levelRow) bool { return b.servesLoc(r.LocationID, r.active, r.groups) }

// NetworkATP is the SKU's available-to-promise across the locations that serve
// the channel (every active location when channel is "" or unconfigured), less
// the network-wide reservations not yet routed, never below 0.
func (s *Service) NetworkATP(ctx context.Context, db store.DBTX, sku, channel string) (int64, error) {
	a, err := s.readAggs(ctx, db, sku)
	if err != nil {
		return 0, err
	}
	sum, err := s.scopeATP(ctx, db, a, sku, scopeKey(s.cfg.Buffers[channel]))
	if err != nil {
		return 0, err
	}
	return max(sum-a.nr, 0), nil
}

func (s *Service) networkReserved(ctx context.Context, db store.DBTX, sku string) (int64, error) {
	var nr int64
	if err := db.QueryRowContext(ctx, s.q(`SELECT COALESCE(MAX(network_reserved), 0) FROM inventory_skus WHERE sku = ?`), sku).Scan(&nr); err != nil {
		return 0, fmt.Errorf("network reserved of %s: %w", sku, err)
	}
	return nr, nil
}

// servingATP sums, in SQL, the ATP of the locations that serve a channel with
// buffer b; the same selection as ChannelBuffer.serves.
func (s *Service) servingATP(ctx context.Context, db store.DBTX, sku string, b ChannelBuffer) (int64, error) {
	q := `SELECT COALESCE(SUM(CASE WHEN l.on_hand - l.reserved - l.safety_stock > 0 THEN l.on_hand - l.reserved - l.safety_stock ELSE 0 END), 0)
		FROM inventory_levels l LEFT JOIN locations loc ON loc.id = l.location_id
		WHERE l.sku = ? AND COALESCE(loc.active, 1) = 1`
	args := []any{sku}
	if len(b.Locations) > 0 || len(b.Groups) > 0 {
		var ors []string
		for _, id := range b.Locations {
			ors = append(ors, "l.location_id = ?")
			args = append(args, id)
		}
		for _, g := range b.Groups {
			ors = append(ors, "loc.groups LIKE ? ESCAPE '!'")
			args = append(args, "%,"+likeEscape(g)+",%")
		}
		q += " AND (" + strings.Join(ors, " OR ") + ")"
	}
	for _, id := range b.Exclude {
		q += " AND l.location_id <> ?"
		args = append(args, id)
	}
	var sum int64
	if err := db.QueryRowContext(ctx, s.q(q), args...).Scan(&sum); err != nil {
		return 0, fmt.Errorf("ATP of %s: %w", sku, err)
	}
	return sum, nil
}

// likeEscape escapes LIKE wildcards in a group name (escape character '!'),
// so the match is exact like ChannelBuffer.serves.
func likeEscape(v string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(v)
}

func networkATP(rows []levelRow, b ChannelBuffer, networkReserved int64) int64 {
	var sum int64
	for _, r := range rows {
		if b.serves(r) {
			sum += r.ATP
		}
	}
	sum -= networkReserved
	if sum < 0 {
		return 0
	}
	return sum
}

// ChannelFigure is what one channel should show and what it was last told.
type ChannelFigure struct {
	Channel string `json:"channel"`
	// LocationID is "" for a network figure.
	LocationID string `json:"location_id"`
	// ATP is the available-to-promise before the channel's buffer.
	ATP int64 `json:"atp"`
	// Quantity is the figure after the buffer.
	Quantity int64 `json:"quantity"`
	// Published is what the channel was last told (nil if never).
	Published *int64 `json:"published"`
}

// Sync recomputes what every configured channel should show for a SKU and
// returns a SetInventory command for each figure that differs from what the
// channel was last told, recording the new figure in published_inventory.
func (s *Service) Sync(ctx context.Context, tx store.DBTX, sku string) ([]Command, error) {
	return s.sync(ctx, tx, sku, "")
}

// syncWith is Sync inside a change that holds the SKU's lock and aggregates.
func (s *Service) syncWith(ctx context.Context, tx store.DBTX, a *aggs, sku, only string) ([]Command, error) {
	if len(s.cfg.Buffers) == 0 {
		return nil, nil
	}
	return s.syncFigures(ctx, tx, a, sku, only)
}

// SyncChannel is Sync for one channel only.
func (s *Service) SyncChannel(ctx context.Context, tx store.DBTX, sku, channel string) ([]Command, error) {
	if _, ok := s.cfg.Buffers[channel]; !ok {
		return nil, nil
	}
	return s.sync(ctx, tx, sku, channel)
}

func (s *Service) sync(ctx context.Context, tx store.DBTX, sku, only string) ([]Command, error) {
	if len(s.cfg.Buffers) == 0 {
		return nil, nil
	}
	// On SQLite the transaction holds the write lock: load the aggregates
	// as a change does (creating missing ones). On PostgreSQL Sync takes no
	// lock, as before (callers may sync several SKUs in any order), and reads
	// the current aggregates, summing the levels where there is none.
	var a *aggs
	if s.d == store.SQLite {
		nr, found, err := s.lockKnownSKU(ctx, tx, sku)
		if err != nil {
			return nil, err
		}
		if found {
			if a, err = s.loadAggs(ctx, tx, sku, "", nr, ""); err != nil {
				return nil, err
			}
		}
	}
	return s.syncFigures(ctx, tx, a, sku, only)
}

func (s *Service) syncFigures(ctx context.Context, tx store.DBTX, a *aggs, sku, only string) ([]Command, error) {
	figs, nr, err := s.computeFigures(ctx, tx, a, sku)
	if err != nil {
		return nil, err
	}
	published := a.pubs()
	if published == nil {
		if published, err = s.published(ctx, tx, sku); err != nil {
			return nil, err
		}
	}
	var cmds []Command
	now := store.FormatTime(s.now())
	for _, f := range figs {
		if only != "" && f.Channel != only {
			continue
		}
		prev, ok := published[f.Channel+"\x00"+f.LocationID]
		if ok && prev == f.Quantity {
			continue
		}
		inputs := mustJSON(map[string]any{"atp": f.ATP, "network_reserved": nr, "buffer": s.cfg.Buffers[f.Channel]})
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO published_inventory (channel, sku, location_id, quantity, inputs, updated_at)
			VALUES (?,?,?,?,?,?) ON CONFLICT (channel, sku, location_id) DO UPDATE SET quantity = excluded.quantity,
			inputs = excluded.inputs, updated_at = excluded.updated_at`), f.Channel, sku, f.LocationID, f.Quantity, inputs, now); err != nil {
			return nil, fmt.Errorf("sync %s to %s: %w", sku, f.Channel, err)
		}
		published[f.Channel+"\x00"+f.LocationID] = f.Quantity
		payload := canonical.SetInventory{SKU: sku, LocationID: f.LocationID, Available: f.Quantity}
		if ok {
			p := prev
			payload.Previous = &p
		}
		id := store.NewID()
		cmds = append(cmds, Command{Topic: OutTopic(f.Channel), Command: sdk.Command{
			ID: id, Action: canonical.ActionSetInventory, IdempotencyKey: "set_inventory:" + id, Payload: json.RawMessage(mustJSON(payload)),
		}})
	}
	return cmds, nil
}

// computeFigures is every channel's figure for a SKU now. Network figures are
// summed in SQL; levels are read row by row only for per-location channels.
//
// a holds the SKU's aggregates under its lock; nil reads them without a lock.
func (s *Service) computeFigures(ctx context.Context, db store.DBTX, a *aggs, sku string) ([]ChannelFigure, int64, error) {
	var err error
	if a == nil {
		if a, err = s.readAggs(ctx, db, sku); err != nil {
			return nil, 0, err
		}
	}
	nr := a.nr
	channels := make([]string, 0, len(s.cfg.Buffers))
	for ch := range s.cfg.Buffers {
		channels = append(channels, ch)
	}
	sort.Strings(channels)
	var rows []levelRow
	var out []ChannelFigure
	for _, ch := range channels {
		b := s.cfg.Buffers[ch]
		if b.PerLocation {
			if rows == nil {
				if rows, err = s.levels(ctx, db, sku); err != nil {
					return nil, 0, err
				}
			}
			for _, r := range rows {
				if b.serves(r) {
					out = append(out, ChannelFigure{Channel: ch, LocationID: r.LocationID, ATP: r.ATP, Quantity: b.Apply(r.ATP)})
				}
			}
			continue
		}
		sum, err := s.scopeATP(ctx, db, a, sku, s.chanScope[ch])
		if err != nil {
			return nil, 0, err
		}
		atp := max(sum-nr, 0)
		out = append(out, ChannelFigure{Channel: ch, ATP: atp, Quantity: b.Apply(atp)})
	}
	return out, nr, nil
}

func (s *Service) published(ctx context.Context, db store.DBTX, sku string) (map[string]int64, error) {
	rs, err := db.QueryContext(ctx, s.q(`SELECT channel, location_id, quantity FROM published_inventory WHERE sku = ?`), sku)
	if err != nil {
		return nil, fmt.Errorf("published figures of %s: %w", sku, err)
	}
	defer rs.Close()
	out := map[string]int64{}
	for rs.Next() {
		var ch, loc string
		var q int64
		if err := rs.Scan(&ch, &loc, &q); err != nil {
			return nil, fmt.Errorf("published figures of %s: %w", sku, err)
		}
		out[ch+"\x00"+loc] = q
	}
	return out, rs.Err()
}

// SyncAll runs Sync for every SKU the hub knows (after a configuration change).
func (s *Service) SyncAll(ctx context.Context, tx store.DBTX) ([]Command, error) {
	skus, err := s.skus(ctx, tx)
	if err != nil {
		return nil, err
	}
	var all []Command
	for _, sku := range skus {
		cmds, err := s.Sync(ctx, tx, sku)
		if err != nil {
			return nil, err
		}
		all = append(all, cmds...)
	}
	return all, nil
}

func (s *Service) skus(ctx context.Context, db store.DBTX) ([]string, error) {
	rs, err := db.QueryContext(ctx, `SELECT sku FROM inventory_skus ORDER BY sku`)
	if err != nil {
		return nil, fmt.Errorf("list skus: %w", err)
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		var sku string
		if err := rs.Scan(&sku); err != nil {
			return nil, fmt.Errorf("list skus: %w", err)
		}
		out = append(out, sku)
	}
	return out, rs.Err()
}

// SKUView is everything the hub knows about one SKU's availability.
type SKUView struct {
	SKU string `json:"sku"`
	// Levels per location.
	Levels []Level `json:"levels"`
	// NetworkReserved is reserved network-wide, not yet routed to a location.
	NetworkReserved int64 `json:"network_reserved"`
	// NetworkATP is the ATP across every active location less NetworkReserved.
	NetworkATP int64 `json:"network_atp"`
	// Channels are the per-channel figures: computed now and last published.
	Channels []ChannelFigure `json:"channels"`
}

// View returns a SKU's levels, network ATP and channel figures.
func (s *Service) View(ctx context.Context, db store.DBTX, sku string) (SKUView, error) {
	v := SKUView{SKU: sku, Levels: []Level{}, Channels: []ChannelFigure{}}
	rows, err := s.levels(ctx, db, sku)
	if err != nil {
		return v, err
	}
	if err := db.QueryRowContext(ctx, s.q(`SELECT COALESCE(MAX(network_reserved), 0) FROM inventory_skus WHERE sku = ?`), sku).Scan(&v.NetworkReserved); err != nil {
		return v, fmt.Errorf("view %s: %w", sku, err)
	}
	for _, r := range rows {
		v.Levels = append(v.Levels, r.Level)
	}
	v.NetworkATP = networkATP(rows, ChannelBuffer{}, v.NetworkReserved)
	published, err := s.published(ctx, db, sku)
	if err != nil {
		return v, err
	}
	figs, _, err := s.computeFigures(ctx, db, nil, sku)
	if err != nil {
		return v, err
	}
	for _, f := range figs {
		if p, ok := published[f.Channel+"\x00"+f.LocationID]; ok {
			f.Published = &p
		}
		v.Channels = append(v.Channels, f)
	}
	return v, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func intersects(a, b []string) bool {
	for _, x := range a {
		if contains(b, x) {
			return true
		}
	}
	return false
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("inventory: marshal %T: %v", v, err))
	}
	return string(b)
}

// RecordOnly appends a movement and applies it to the level without
// recomputing channel figures (bulk loads; call SyncAll afterwards).
func (s *Service) RecordOnly(ctx context.Context, tx store.DBTX, m canonical.InventoryMovement) error {
	if err := checkMovement(m); err != nil || m.Delta == 0 {
		return err
	}
	a, err := s.lockAggs(ctx, tx, m.SKU, m.LocationID)
	if err != nil {
		return err
	}
	return s.record(ctx, tx, a, m)
}
