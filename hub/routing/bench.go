package routing

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/geo"
	"github.com/crossdockhq/crossdock/hub/inventory"
	"github.com/crossdockhq/crossdock/hub/store"
)

// BenchConfig sizes the routing benchmark. Zero fields take the issue's
// figures: 1,000 locations, 100,000 SKUs, orders of three lines on average.
type BenchConfig struct {
	// RulesPath is the rules file; default configs/routing/default.yaml
	// (relative to the working directory, i.e. the repository root).
	RulesPath string
	// Locations is the number of locations: one warehouse (wh-main) and stores.
	Locations int
	// SKUs is the catalogue size; the warehouse stocks every SKU.
	SKUs int
	// SKUsPerStore is the assortment of each store, drawn by popularity.
	SKUsPerStore int
	// Orders is the number of timed decisions; Warmup more run first, untimed.
	Orders, Warmup int
	// RouteOrders is the number of full Route calls (decide, reserve, store,
	// each in its own transaction) timed after the decisions; 0 means 1,000.
	RouteOrders int
	// Seed makes the generated world reproducible.
	Seed uint64
	// Dir is where the SQLite file goes; default a new temporary folder, removed after.
	Dir string
}

// BenchReport is what the benchmark measured: the world's size, decision
// latency by wall clock and by thread CPU time, throughput, Route and
// pickup-offer latency, the outcomes and winning rules, and the method.
type BenchReport struct {
	Locations, SKUs, LevelRows, SaleMovements, Orders int
	MeanLines                                         float64
	SetupTime                                         time.Duration
	P50, P90, P99, Max                                time.Duration
	CPUP50, CPUP90, CPUP99, CPUMax                    time.Duration
	LoadAverage                                       string
	DecisionsPerSec                                   float64
	ParallelDecisionsPerSec                           float64
	Workers                                           int
	RouteP50, RouteP99                                time.Duration
	PickupP50, PickupP99                              time.Duration
	PickupFound                                       float64
	RoutesPerSec                                      float64
	Outcomes                                          map[Outcome]int
	Rules                                             map[string]int
	Method                                            string
}

// metros are the centres stores cluster around (lat, lng).
var metros = [][2]float64{
	{40.71, -74.01}, {34.05, -118.24}, {41.88, -87.63}, {29.76, -95.37}, {33.45, -112.07}, {39.95, -75.17},
	{29.42, -98.49}, {32.72, -117.16}, {32.78, -96.80}, {37.34, -121.89}, {30.27, -97.74}, {30.33, -81.66},
	{37.77, -122.42}, {39.96, -83.00}, {35.23, -80.84}, {39.77, -86.16}, {47.61, -122.33}, {39.74, -104.99},
	{38.91, -77.04}, {42.36, -71.06}, {36.16, -86.78}, {42.33, -83.05}, {45.52, -122.68}, {36.17, -115.14},
	{35.15, -90.05}, {39.29, -76.61}, {43.04, -87.91}, {35.08, -106.65}, {36.15, -95.99}, {38.58, -121.49},
	{33.75, -84.39}, {25.76, -80.19}, {44.98, -93.27}, {29.95, -90.07}, {27.95, -82.46}, {40.44, -79.99},
	{39.10, -94.58}, {41.50, -81.69}, {28.54, -81.38}, {40.76, -111.89},
}

// RunBench measures routing decisions on a generated chain whose stock sits in
// a SQLite file with the hub's schema, prints the figures and the method of
// measurement to out, and returns them.
func RunBench(ctx context.Context, cfg BenchConfig, out io.Writer) (*BenchReport, error) {
	if cfg.RulesPath == "" {
		cfg.RulesPath = filepath.Join("configs", "routing", "default.yaml")
	}
	if cfg.Locations == 0 {
		cfg.Locations = 1000
	}
	if cfg.SKUs == 0 {
		cfg.SKUs = 100_000
	}
	if cfg.SKUsPerStore == 0 {
		cfg.SKUsPerStore = min(1000, cfg.SKUs)
	}
	if cfg.Orders == 0 {
		cfg.Orders = 10_000
	}
	if cfg.Warmup == 0 {
		cfg.Warmup = 1_000
	}
	if cfg.RouteOrders == 0 {
		cfg.RouteOrders = 1_000
	}
	if cfg.Seed == 0 {
		cfg.Seed = 6
	}
	rules, err := LoadRules(cfg.RulesPath)
	if err != nil {
		return nil, err
	}
	dir := cfg.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "crossdock-routing-bench-"); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		defer os.RemoveAll(dir)
	}
	setup := time.Now()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "bench.db"))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x7ea))
	rep := &BenchReport{Locations: cfg.Locations, SKUs: cfg.SKUs, Outcomes: map[Outcome]int{}, Rules: map[string]int{}}
	locs, err := benchLocations(ctx, db, rng, cfg, rules.DefaultWarehouse)
	if err != nil {
		return nil, err
	}
	if rep.LevelRows, rep.SaleMovements, err = benchStock(ctx, db, rng, cfg, locs); err != nil {
		return nil, err
	}
	inv, err := inventory.New(db.Dialect, inventory.Config{})
	if err != nil {
		return nil, err
	}
	r, err := New(Config{Rules: rules, Locations: &SQLLocations{Dialect: db.Dialect, TTL: time.Hour}, Stock: SQLStock{Dialect: db.Dialect},
		Velocity: SQLVelocity{Dialect: db.Dialect}, Capacity: SQLCapacity{Dialect: db.Dialect},
		Reserver: InventoryReserver{Inventory: inv}, Decisions: SQLDecisions{Dialect: db.Dialect}})
	if err != nil {
		return nil, err
	}
	orders := benchOrders(rng, cfg, locs, cfg.Warmup+cfg.Orders+cfg.RouteOrders)
	var lines int
	for _, o := range orders[cfg.Warmup : cfg.Warmup+cfg.Orders] {
		lines += len(o.Lines)
	}
	rep.Orders = cfg.Orders
	rep.MeanLines = float64(lines) / float64(cfg.Orders)
	rep.SetupTime = time.Since(setup)

	for _, o := range orders[:cfg.Warmup] {
		if _, err := r.Decide(ctx, db, o, nil); err != nil {
			return nil, err
		}
	}
	timed := orders[cfg.Warmup : cfg.Warmup+cfg.Orders]
	lat := make([]time.Duration, len(timed))
	cpu := make([]time.Duration, len(timed))
	runtime.LockOSThread() // so the thread's CPU clock is the decision's
	_, haveCPU := threadCPU()
	start := time.Now()
	for i, o := range timed {
		c0, _ := threadCPU()
		t0 := time.Now()
		d, err := r.Decide(ctx, db, o, nil)
		lat[i] = time.Since(t0)
		c1, _ := threadCPU()
		cpu[i] = time.Duration(c1 - c0)
		if err != nil {
			runtime.UnlockOSThread()
			return nil, err
		}
		rep.Outcomes[d.Outcome]++
		rep.Rules[d.Rule]++
	}
	rep.DecisionsPerSec = float64(len(timed)) / time.Since(start).Seconds()
	runtime.UnlockOSThread()
	slices.Sort(lat)
	rep.P50, rep.P90, rep.P99, rep.Max = pct(lat, 50), pct(lat, 90), pct(lat, 99), lat[len(lat)-1]
	if haveCPU {
		slices.Sort(cpu)
		rep.CPUP50, rep.CPUP90, rep.CPUP99, rep.CPUMax = pct(cpu, 50), pct(cpu, 90), pct(cpu, 99), cpu[len(cpu)-1]
	}
	rep.LoadAverage = loadAverage()

	// Throughput with one decision per core at a time.
	rep.Workers = runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	var firstErr error
	var mu sync.Mutex
	start = time.Now()
	for w := range rep.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(timed); i += rep.Workers {
				if _, err := r.Decide(ctx, db, timed[i], nil); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	rep.ParallelDecisionsPerSec = float64(len(timed)) / time.Since(start).Seconds()

	// Pickup offers: the storefront's question for the same carts.
	popts := PickupOptions{DB: db, Locations: r.cfg.Locations, Stock: r.cfg.Stock, MaxDistanceKM: 50, Limit: 5}
	pl := make([]time.Duration, 0, len(timed))
	found := 0
	for _, o := range timed[:min(len(timed), 2000)] {
		req := &PickupRequest{}
		for _, l := range o.Lines {
			req.Lines = append(req.Lines, PickupLine{SKU: l.SKU, Quantity: l.Quantity})
		}
		t0 := time.Now()
		res, err := pickupStores(ctx, popts, req, *o.ShippingAddress.Geo)
		pl = append(pl, time.Since(t0))
		if err != nil {
			return nil, err
		}
		if len(res.Stores) > 0 {
			found++
		}
	}
	slices.Sort(pl)
	rep.PickupP50, rep.PickupP99, rep.PickupFound = pct(pl, 50), pct(pl, 99), float64(found)/float64(len(pl))

	// Full Route calls: decide, reserve, store decision and allocations, commit.
	routed := orders[cfg.Warmup+cfg.Orders:]
	rl := make([]time.Duration, len(routed))
	start = time.Now()
	for i, o := range routed {
		t0 := time.Now()
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		if _, err := r.Route(ctx, tx, o); err != nil {
			_ = tx.Rollback()
			return nil, err
		}
		if err := tx.Commit(); err != nil {
			return nil, err
		}
		rl[i] = time.Since(t0)
	}
	rep.RoutesPerSec = float64(len(routed)) / time.Since(start).Seconds()
	slices.Sort(rl)
	rep.RouteP50, rep.RouteP99 = pct(rl, 50), pct(rl, 99)

	rep.Method = fmt.Sprintf("Router.Decide called one after another on one goroutine for %d generated orders after %d untimed warm-up orders, "+
		"each timed with Go's monotonic clock around the call (wall clock) and with the CPU clock of its OS thread (the goroutine is locked to "+
		"one thread, so this counts the decision's own work, SQLite included, and not the time it waited for a core on a busy machine). A decision includes every state lookup it makes against a SQLite file (WAL) "+
		"migrated with the hub's schema: locations (the SQLLocations cache, refreshed every hour here), location_capacity, inventory_levels "+
		"(%d rows) and sales velocity from inventory_movements (%d sale movements), plus CEL evaluation, ranking, costs and the explanation "+
		"trace; it excludes reservation and storage, timed separately as Route (decide + reserve + store + commit, one transaction per order, "+
		"%d orders). Parallel throughput runs the same orders on %d goroutines. Pickup offers are timed (wall clock) for the first 2,000 of those carts "+
		"at the customers' points, without the HTTP layer. Destinations carry coordinates (no geocoding).",
		cfg.Orders, cfg.Warmup, rep.LevelRows, rep.SaleMovements, len(routed), rep.Workers)
	if out != nil {
		rep.Print(out)
	}
	return rep, nil
}

// Print writes the report for a person.
func (rep *BenchReport) Print(w io.Writer) {
	fmt.Fprintf(w, "routing decision benchmark: %d locations, %d SKUs, %d stock rows, %d orders of %.2f lines on average (setup %s)\n",
		rep.Locations, rep.SKUs, rep.LevelRows, rep.Orders, rep.MeanLines, rep.SetupTime.Round(time.Millisecond))
	fmt.Fprintf(w, "  decide, wall clock: p50 %s  p90 %s  p99 %s  max %s  (target p99 <= 1ms)\n", rep.P50, rep.P90, rep.P99, rep.Max)
	if rep.CPUP50 > 0 {
		fmt.Fprintf(w, "  decide, thread CPU: p50 %s  p90 %s  p99 %s  max %s\n", rep.CPUP50, rep.CPUP90, rep.CPUP99, rep.CPUMax)
	}
	if rep.LoadAverage != "" {
		fmt.Fprintf(w, "  machine: %d CPUs, load average %s during the run\n", runtime.NumCPU(), rep.LoadAverage)
	}
	fmt.Fprintf(w, "  decisions/s: %.0f on one goroutine, %.0f on %d goroutines\n", rep.DecisionsPerSec, rep.ParallelDecisionsPerSec, rep.Workers)
	fmt.Fprintf(w, "  route (decide + reserve + store, own tx): p50 %s  p99 %s  %.0f orders/s\n", rep.RouteP50, rep.RouteP99, rep.RoutesPerSec)
	fmt.Fprintf(w, "  pickup options (50 km, 5 stores, same carts): p50 %s  p99 %s  (%.0f%% of carts found a store)\n", rep.PickupP50, rep.PickupP99, 100*rep.PickupFound)
	fmt.Fprintf(w, "  outcomes: %v\n  winning rules: %v\n", rep.Outcomes, rep.Rules)
	fmt.Fprintf(w, "  method: %s\n", rep.Method)
}

// loadAverage reads the 1-minute load average where the system offers it.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	if f := strings.Fields(string(b)); len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return ""
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

func jitter(rng *rand.Rand, c [2]float64, deg float64) canonical.GeoPoint {
	return canonical.GeoPoint{Lat: c[0] + rng.NormFloat64()*deg, Lng: c[1] + rng.NormFloat64()*deg}
}

func benchLocations(ctx context.Context, db *store.DB, rng *rand.Rand, cfg BenchConfig, warehouse string) ([]canonical.Location, error) {
	reno := canonical.GeoPoint{Lat: 39.53, Lng: -119.81}
	locs := []canonical.Location{{ID: warehouse, Name: "Main warehouse", Type: canonical.LocationWarehouse, Geo: &reno, Active: true,
		Capabilities: []canonical.Capability{canonical.CapShip, canonical.CapShipToStore}}}
	for i := 1; i < cfg.Locations; i++ {
		g := jitter(rng, metros[i%len(metros)], 0.25)
		l := canonical.Location{ID: fmt.Sprintf("st-%04d", i), Name: fmt.Sprintf("Store %d", i), Type: canonical.LocationStore, Geo: &g,
			Active: true, Capabilities: []canonical.Capability{canonical.CapPickup}, Priority: rng.IntN(3)}
		if rng.IntN(10) < 8 {
			l.Capabilities = append(l.Capabilities, canonical.CapShip)
			l.DailyCapacity = 40
		}
		locs = append(locs, l)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	today := time.Now().UTC().Format(time.DateOnly)
	for _, l := range locs {
		if _, err := (store.Locations{Dialect: db.Dialect}).Put(ctx, tx, store.LocationRow{Location: l}); err != nil {
			return nil, err
		}
		if l.DailyCapacity > 0 {
			if err := (store.Locations{Dialect: db.Dialect}).AddCapacityUsed(ctx, tx, l.ID, today, rng.IntN(45)); err != nil {
				return nil, err
			}
		}
	}
	return locs, tx.Commit()
}

func skuName(i int) string { return fmt.Sprintf("SKU-%06d", i) }

func benchStock(ctx context.Context, db *store.DB, rng *rand.Rand, cfg BenchConfig, locs []canonical.Location) (rows, sales int, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback()
	// Loading a million rows: multi-row inserts, and the per-location index
	// built once at the end rather than kept up to date row by row.
	if _, err := tx.ExecContext(ctx, `DROP INDEX IF EXISTS inventory_levels_location`); err != nil {
		return 0, 0, err
	}
	now := store.FormatTime(time.Now())
	ins := &bulkInsert{ctx: ctx, tx: tx, head: `INSERT INTO inventory_levels (sku, location_id, on_hand, reserved, safety_stock, incoming, version, updated_at) VALUES `,
		row: `(?,?,?,0,0,0,1,?)`, per: 4}
	// Rows are generated first and inserted in key order, so the primary key
	// grows at its end instead of splitting pages all over.
	type levelRow struct {
		sku, loc string
		n        int64
	}
	var all []levelRow
	// The warehouse stocks the whole catalogue, 1% of it sold out.
	for s := range cfg.SKUs {
		n := int64(5 + rng.IntN(500))
		if rng.IntN(100) == 0 {
			n = 0
		}
		all = append(all, levelRow{skuName(s), locs[0].ID, n})
	}
	zipf := rand.NewZipf(rng, 1.07, 4, uint64(cfg.SKUs-1))
	seen := map[uint64]bool{}
	for _, l := range locs[1:] {
		clear(seen)
		for len(seen) < cfg.SKUsPerStore {
			s := zipf.Uint64()
			if seen[s] {
				if len(seen) > cfg.SKUsPerStore/2 {
					s = uint64(rng.IntN(cfg.SKUs)) // the long tail of the assortment
				}
				if seen[s] {
					continue
				}
			}
			seen[s] = true
			all = append(all, levelRow{skuName(int(s)), l.ID, int64(rng.IntN(12))})
		}
	}
	slices.SortFunc(all, func(a, b levelRow) int {
		if c := strings.Compare(a.sku, b.sku); c != 0 {
			return c
		}
		return strings.Compare(a.loc, b.loc)
	})
	for _, r := range all {
		if err := ins.add(r.sku, r.loc, r.n, now); err != nil {
			return 0, 0, err
		}
	}
	rows = len(all)
	if err := ins.flush(); err != nil {
		return 0, 0, err
	}
	if _, err := tx.ExecContext(ctx, `CREATE INDEX inventory_levels_location ON inventory_levels (location_id)`); err != nil {
		return 0, 0, err
	}
	// A month of store sales in the ledger, for days of cover.
	mv := &bulkInsert{ctx: ctx, tx: tx, head: `INSERT INTO inventory_movements (id, sku, location_id, delta, reason, source, reference, at, recorded_at) VALUES `,
		row: `(?,?,?,?,'sale','bench','',?,?)`, per: 6}
	nSales := len(locs) * 100
	for i := range nSales {
		l := locs[1+rng.IntN(len(locs)-1)]
		at := store.FormatTime(time.Now().Add(-time.Duration(rng.IntN(28*24)) * time.Hour))
		if err := mv.add(fmt.Sprintf("mv-%d", i), skuName(int(zipf.Uint64())), l.ID, -int64(1+rng.IntN(3)), at, now); err != nil {
			return 0, 0, err
		}
	}
	if err := mv.flush(); err != nil {
		return 0, 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, err
	}
	if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
		return 0, 0, err
	}
	return rows, nSales, nil
}

// bulkInsert batches rows into multi-row INSERT statements.
type bulkInsert struct {
	ctx       context.Context
	tx        *sql.Tx
	head, row string
	per       int
	args      []any
}

const bulkRows = 200

func (b *bulkInsert) add(vals ...any) error {
	b.args = append(b.args, vals...)
	if len(b.args) >= bulkRows*b.per {
		return b.flush()
	}
	return nil
}

func (b *bulkInsert) flush() error {
	if len(b.args) == 0 {
		return nil
	}
	n := len(b.args) / b.per
	q := b.head + strings.TrimSuffix(strings.Repeat(b.row+",", n), ",")
	if _, err := b.tx.ExecContext(b.ctx, q, b.args...); err != nil {
		return fmt.Errorf("bench: load: %w", err)
	}
	b.args = b.args[:0]
	return nil
}

func benchOrders(rng *rand.Rand, cfg BenchConfig, locs []canonical.Location, n int) []*canonical.Order {
	zipf := rand.NewZipf(rng, 1.07, 4, uint64(cfg.SKUs-1))
	stores := locs[1:]
	out := make([]*canonical.Order, n)
	for i := range out {
		g := jitter(rng, metros[rng.IntN(len(metros))], 0.3)
		o := &canonical.Order{ID: fmt.Sprintf("bench-%06d", i), Channel: "shopify-us", Status: canonical.OrderConfirmed,
			ShippingAddress: &canonical.Address{Country: "US", Region: "CA", PostalCode: "00000", Geo: &g},
			Fulfilment:      canonical.Fulfilment{Method: canonical.FulfilShip}}
		switch k := rng.IntN(20); {
		case k < 2: // 10% pick up at the store nearest to them
			o.Fulfilment = canonical.Fulfilment{Method: canonical.FulfilPickup, PickupLocationID: nearestStore(stores, g)}
		case k < 3: // 5% ship to that store
			o.Fulfilment = canonical.Fulfilment{Method: canonical.FulfilShipToStore, PickupLocationID: nearestStore(stores, g)}
		}
		nl := 1 + rng.IntN(5)
		var total int64
		used := map[uint64]bool{}
		for j := 0; j < nl; j++ {
			s := zipf.Uint64()
			if used[s] {
				continue
			}
			used[s] = true
			price := int64(500 + rng.IntN(8000))
			o.Lines = append(o.Lines, canonical.OrderLine{ID: fmt.Sprintf("%d", j+1), SKU: skuName(int(s)), Quantity: int64(1 + rng.IntN(2)),
				UnitPrice: canonical.Money{Amount: price, Currency: "USD"}, RequiresShipping: true})
			total += price
		}
		o.Totals.Total = canonical.Money{Amount: total, Currency: "USD"}
		out[i] = o
	}
	return out
}

func nearestStore(stores []canonical.Location, g canonical.GeoPoint) string {
	best, bestKM := "", 0.0
	for i := range stores {
		if !stores[i].Has(canonical.CapPickup) {
			continue
		}
		if km := geo.DistanceKM(*stores[i].Geo, g); best == "" || km < bestKM {
			best, bestKM = stores[i].ID, km
		}
	}
	return best
}
