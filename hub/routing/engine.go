package routing

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/geo"
	"github.com/crossdockhq/crossdock/hub/store"
)

// Config is what a Router needs. Rules, Locations and Stock are required;
// the rest have defaults or are only needed by Route and Reroute.
type Config struct {
	// Rules are the routing rules.
	Rules *RuleSet
	// Locations lists locations.
	Locations Locations
	// Stock gives inventory levels.
	Stock Stock
	// Velocity gives sales velocity for days of cover; nil means no sales
	// recorded (every location has maximal cover).
	Velocity Velocity
	// Capacity gives orders allocated today; nil means capacity is not checked.
	Capacity Capacity
	// Reserver holds stock for a plan (Route and Reroute).
	Reserver Reserver
	// Decisions stores decisions and allocations (Route, Reroute, Explain).
	Decisions Decisions
	// Geo geocodes addresses without coordinates; defaults to geo.Lookup.
	Geo GeoLookup
	// Now is the clock; defaults to time.Now.
	Now func() time.Time
}

// Router makes routing decisions. It is safe for concurrent use; all its
// state is behind its interfaces.
type Router struct {
	cfg      Config
	geoCache sync.Map // "country|postal" -> geoResult
	index    atomic.Pointer[locIndex]
}

// locIndex is the per-location data derived from one Locations.All result,
// reused while the implementation returns the same (cached) slice.
type locIndex struct {
	first  *canonical.Location
	n      int
	locs   []locEntry
	byID   map[string]*locEntry
	static sync.Map // staticKey -> *staticSet
}

// staticKey names the filters of a rule that depend on the location alone.
type staticKey struct {
	rule  *Rule
	capab canonical.Capability
}

// staticSet is what a rule's location-only filters (active, type,
// capability, groups, tags) make of the location index, computed once per
// rule and location list: the exclusion counts, the locations passing them
// that the distance limit applies to (with coordinates, by latitude) and the
// others passing.
type staticSet struct {
	counts  [len(exclReasons)]int
	byLat   []int     // limited locations with coordinates, by latitude
	lats    []float64 // their latitudes
	nonBand []int     // other passing locations, in index order
	nanLat  bool      // a latitude is NaN: the fast path does not apply
}

// staticFail returns the reason a location fails a rule's location-only
// filters, or -1; it mirrors the switch in candidates.
func staticFail(cs *Candidates, capab canonical.Capability, l *canonical.Location) int {
	switch {
	case !l.Active:
		return rInactive
	case len(cs.Types) > 0 && !slices.Contains(cs.Types, l.Type):
		return rType
	case !l.Has(capab):
		return rCapability
	case len(cs.Groups) > 0 && !intersects(l.Groups, cs.Groups):
		return rGroup
	case len(cs.Tags) > 0 && !containsAll(l.Tags, cs.Tags):
		return rTags
	case len(cs.ExcludeTags) > 0 && intersects(l.Tags, cs.ExcludeTags):
		return rTags
	}
	return -1
}

func (d *decision) staticSet(rule *Rule, capab canonical.Capability) *staticSet {
	idx := d.r.index.Load()
	if idx == nil || len(idx.locs) != len(d.locs) || (len(d.locs) > 0 && &idx.locs[0] != &d.locs[0]) {
		return nil
	}
	key := staticKey{rule, capab}
	if v, ok := idx.static.Load(key); ok {
		return v.(*staticSet)
	}
	cs := &rule.Candidates
	st := &staticSet{}
	for i := range d.locs {
		e := &d.locs[i]
		if r := staticFail(cs, capab, e.loc); r >= 0 {
			st.counts[r]++
			continue
		}
		if cs.MaxDistanceKM > 0 && !slices.Contains(cs.DistanceExempt, e.loc.Type) && e.geo != nil {
			st.byLat = append(st.byLat, i)
		} else {
			st.nonBand = append(st.nonBand, i)
		}
	}
	slices.SortStableFunc(st.byLat, func(a, b int) int { return cmp.Compare(d.locs[a].geo.Lat, d.locs[b].geo.Lat) })
	st.lats = make([]float64, len(st.byLat))
	for j, i := range st.byLat {
		st.lats[j] = d.locs[i].geo.Lat
		st.nanLat = st.nanLat || math.IsNaN(st.lats[j])
	}
	idx.static.Store(key, st)
	return st
}

// fastFilter applies a rule's location filters using its staticSet: only
// the locations within the distance limit's latitude band are looked at one
// by one; of those beyond it, only the nearest (the ones the trace can list)
// are. It gives the same exclusions, counts and passing locations, in the
// same order, as the loop in candidates; ok is false when it does not apply.
func (d *decision) fastFilter(rule *Rule, capab canonical.Capability, dest *canonical.GeoPoint, excl *exclusionList) (pass []*candidate, ok bool) {
	cs := &rule.Candidates
	st := d.staticSet(rule, capab)
	if st == nil || st.nanLat || math.IsNaN(dest.Lat) {
		return nil, false
	}
	for r, n := range st.counts {
		excl.n[r] += n
	}
	far := func(j int) bool { return math.Abs(st.lats[j]-dest.Lat)*kmPerDegreeLat > cs.MaxDistanceKM }
	// lats ascend: the locations too far south form a prefix, too far north a suffix.
	lo := sort.Search(len(st.lats), func(j int) bool { return st.lats[j] >= dest.Lat || !far(j) })
	hi := lo + sort.Search(len(st.lats)-lo, func(j int) bool { return st.lats[lo+j] > dest.Lat && far(lo+j) })
	type tooFar struct {
		i       int
		km      float64
		atLeast bool
	}
	fars := make([]tooFar, 0, 2*listPerReason+hi-lo)
	latKM := func(j int) float64 { return math.Abs(st.lats[j]-dest.Lat) * kmPerDegreeLat }
	// The nearest listPerReason on each side, and any tied with the last of them.
	taken := 0
	for j := lo - 1; j >= 0; j-- {
		if n := lo - 1 - j; n >= listPerReason && latKM(j) > latKM(j+1) {
			break
		}
		fars = append(fars, tooFar{st.byLat[j], latKM(j), true})
		taken++
	}
	for j := hi; j < len(st.lats); j++ {
		if n := j - hi; n >= listPerReason && latKM(j) > latKM(j-1) {
			break
		}
		fars = append(fars, tooFar{st.byLat[j], latKM(j), true})
		taken++
	}
	excl.n[rTooFar] += lo + len(st.lats) - hi - taken
	var in []int
	in = append(in, st.byLat[lo:hi]...)
	in = append(in, st.nonBand...)
	slices.Sort(in)
	for _, i := range in {
		e := &d.locs[i]
		limited := cs.MaxDistanceKM > 0 && !slices.Contains(cs.DistanceExempt, e.loc.Type)
		km := unknownKM
		switch {
		case e.geo != nil:
			km = d.distance(i, dest)
		case limited:
			excl.add(rNoCoordinate, exclusion{id: e.loc.ID, detail: "location has no coordinates", km: unknownKM})
			continue
		}
		if limited && km > cs.MaxDistanceKM {
			fars = append(fars, tooFar{i, km, false})
			continue
		}
		pass = append(pass, &candidate{e: e, km: km})
	}
	slices.SortFunc(fars, func(a, b tooFar) int { return cmp.Compare(a.i, b.i) })
	for _, f := range fars {
		excl.add(rTooFar, exclusion{id: d.locs[f.i].loc.ID, km: f.km, limit: cs.MaxDistanceKM, atLeast: f.atLeast})
	}
	return pass, true
}

type geoResult struct {
	p   canonical.GeoPoint
	err error
}

// New returns a Router for a configuration.
func New(cfg Config) (*Router, error) {
	if cfg.Rules == nil || len(cfg.Rules.Rules) == 0 {
		return nil, errors.New("routing: new router: no rules")
	}
	if cfg.Locations == nil || cfg.Stock == nil {
		return nil, errors.New("routing: new router: Locations and Stock are required")
	}
	if cfg.Geo == nil {
		cfg.Geo = geo.Lookup
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Router{cfg: cfg}, nil
}

// Rules returns the router's rules.
func (r *Router) Rules() *RuleSet { return r.cfg.Rules }

const (
	unknownKM      = 20000.0 // half the earth's circumference: "as far as it gets"
	maxCoverDays   = 3650.0  // a SKU without sales in the window has ten years of cover
	listPerReason  = 25
	defaultAltsLim = 3
	smallFetch     = 48 // (location, SKU) pairs read in one query rather than SKU by SKU
	kmPerDegreeLat = 111.19
)

// lookup geocodes a country and postal code once per router.
func (r *Router) lookup(country, postal string) (canonical.GeoPoint, error) {
	key := strings.ToUpper(country) + "|" + postal
	if v, ok := r.geoCache.Load(key); ok {
		g := v.(geoResult)
		return g.p, g.err
	}
	p, err := r.cfg.Geo(country, postal)
	r.geoCache.Store(key, geoResult{p, err})
	return p, err
}

// addressPoint returns an address's coordinate, geocoding it when needed.
func (r *Router) addressPoint(a *canonical.Address) (*canonical.GeoPoint, error) {
	if a == nil {
		return nil, errors.New("no address")
	}
	if a.Geo != nil {
		return a.Geo, nil
	}
	if a.PostalCode == "" {
		return nil, errors.New("address has no postal code")
	}
	p, err := r.lookup(a.Country, a.PostalCode)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

func (r *Router) locationPoint(l *canonical.Location) *canonical.GeoPoint {
	if l.Geo != nil {
		return l.Geo
	}
	p, err := r.addressPoint(&l.Address)
	if err != nil {
		return nil
	}
	return p
}

// lineReq is one open order line to route.
type lineReq struct {
	line  *canonical.OrderLine
	qty   int64
	value int64
	grams int64
}

type locEntry struct {
	loc *canonical.Location
	geo *canonical.GeoPoint
	idx int // position in the location index
}

// decision holds one decision's inputs and lookups, shared by the rules tried.
type decision struct {
	r        *Router
	ctx      context.Context
	q        store.DBTX
	o        *canonical.Order
	now      time.Time
	lines    []lineReq
	skus     []string
	currency string
	locs     []locEntry
	byID     map[string]*locEntry
	excluded map[string]bool
	act      map[string]any

	stock      map[string]map[string]canonical.InventoryLevel
	read       []uint64 // (location, SKU) pairs read: bit k of words [idx*words, (idx+1)*words)
	words      int
	prefetched bool
	pairBuf    []stockPair
	vel        map[string]map[string]float64
	velDone    map[string]bool
	capUsed    map[string]int
	capDone    map[string]bool
	destCache  map[canonical.FulfilmentMethod]*canonical.GeoPoint
	destErrors map[canonical.FulfilmentMethod]error
	kmTo       map[*canonical.GeoPoint][]float64
}

// distance returns the km from location i to dest, computed once per decision.
func (d *decision) distance(i int, dest *canonical.GeoPoint) float64 {
	ks := d.kmTo[dest]
	if ks == nil {
		ks = make([]float64, len(d.locs))
		for j := range ks {
			ks[j] = -1
		}
		d.kmTo[dest] = ks
	}
	if ks[i] < 0 {
		ks[i] = geo.DistanceKM(*d.locs[i].geo, *dest)
	}
	return ks[i]
}

// Decide routes an order without changing anything: it reads state through
// q and returns the decision with its full trace. excluded are locations that
// must not serve this order (they rejected it before).
func (r *Router) Decide(ctx context.Context, q store.DBTX, o *canonical.Order, excluded []string) (*Decision, error) {
	start := time.Now()
	d, err := r.newDecision(ctx, q, o, excluded)
	if err != nil {
		return nil, err
	}
	out := &Decision{OrderID: o.ID, DecidedAt: d.now, ExcludedLocations: slices.Clone(excluded)}
	if len(d.lines) == 0 {
		out.Outcome, out.Queue, out.Reason = OutcomeHeld, r.cfg.Rules.DefaultQueue, "order has no open lines to route"
		out.ElapsedMicros = time.Since(start).Microseconds()
		return out, nil
	}
	done := false
	for _, rule := range r.cfg.Rules.Rules {
		tr, plan, alts, err := d.tryRule(rule)
		if err != nil {
			return nil, fmt.Errorf("routing: order %s: rule %q: %w", o.ID, rule.Name, err)
		}
		if len(alts) > 0 && out.Alternatives == nil {
			out.Alternatives = alts
		}
		if plan != nil {
			out.Rules = append(out.Rules, tr)
			out.Outcome, out.Rule, out.Plan = OutcomeAllocated, rule.Name, plan
			out.Reason = fmt.Sprintf("rule %q: %s", rule.Name, tr.Result)
			done = true
			break
		}
		if !tr.Matched {
			out.Rules = append(out.Rules, tr)
			continue
		}
		switch rule.Otherwise.Action {
		case ActionHold:
			tr.Action = ActionHold
			out.Outcome, out.Rule, out.Queue = OutcomeHeld, rule.Name, rule.Otherwise.Queue
			out.Reason = fmt.Sprintf("rule %q: %s; held in queue %q", rule.Name, tr.Result, rule.Otherwise.Queue)
			done = true
		case ActionBackorder:
			tr.Action = ActionBackorder
			if bp := d.backorderPlan(rule, &tr); bp != nil {
				out.Outcome, out.Rule, out.Plan = OutcomeBackorder, rule.Name, bp
				out.Reason = fmt.Sprintf("rule %q: %s; backordered at %s", rule.Name, tr.Result, bp[0].LocationID)
			} else {
				out.Outcome, out.Rule, out.Queue = OutcomeHeld, rule.Name, r.cfg.Rules.DefaultQueue
				out.Reason = fmt.Sprintf("rule %q: %s; no location to backorder at, held in queue %q", rule.Name, tr.Result, out.Queue)
			}
			done = true
		default:
			tr.Action = ActionNext
		}
		out.Rules = append(out.Rules, tr)
		if done {
			break
		}
	}
	if !done {
		out.Outcome, out.Queue = OutcomeHeld, r.cfg.Rules.DefaultQueue
		out.Reason = fmt.Sprintf("no rule yielded a plan; held in queue %q", out.Queue)
	}
	d.costs(out)
	out.ElapsedMicros = time.Since(start).Microseconds()
	return out, nil
}

func (r *Router) newDecision(ctx context.Context, q store.DBTX, o *canonical.Order, excluded []string) (*decision, error) {
	d := &decision{r: r, ctx: ctx, q: q, o: o, now: r.cfg.Now().UTC(),
		stock: map[string]map[string]canonical.InventoryLevel{},
		vel:   map[string]map[string]float64{}, velDone: map[string]bool{},
		capUsed: map[string]int{}, capDone: map[string]bool{},
		destCache: map[canonical.FulfilmentMethod]*canonical.GeoPoint{}, destErrors: map[canonical.FulfilmentMethod]error{},
		excluded: map[string]bool{}, kmTo: map[*canonical.GeoPoint][]float64{}}
	for _, x := range excluded {
		d.excluded[x] = true
	}
	d.currency = o.Totals.Total.Currency
	seen := map[string]bool{}
	for i := range o.Lines {
		l := &o.Lines[i]
		qty := l.Open()
		if qty <= 0 || l.GiftCard || l.SKU == "" {
			continue
		}
		if d.currency == "" {
			d.currency = l.UnitPrice.Currency
		}
		value := l.UnitPrice.Amount * qty
		if l.Quantity > 0 && l.Discount.Amount != 0 {
			value -= l.Discount.Amount * qty / l.Quantity
		}
		d.lines = append(d.lines, lineReq{line: l, qty: qty, value: value, grams: r.cfg.Rules.Rates.lineGrams(l, qty)})
		if !seen[l.SKU] {
			seen[l.SKU] = true
			d.skus = append(d.skus, l.SKU)
		}
	}
	all, err := r.cfg.Locations.All(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("routing: list locations: %w", err)
	}
	idx := r.index.Load()
	if idx == nil || len(all) == 0 || idx.n != len(all) || idx.first != &all[0] {
		idx = &locIndex{n: len(all), locs: make([]locEntry, len(all)), byID: make(map[string]*locEntry, len(all))}
		if len(all) > 0 {
			idx.first = &all[0]
		}
		for i := range all {
			idx.locs[i] = locEntry{loc: &all[i], geo: r.locationPoint(&all[i]), idx: i}
			idx.byID[all[i].ID] = &idx.locs[i]
		}
		r.index.Store(idx)
	}
	d.locs, d.byID = idx.locs, idx.byID
	d.words = (len(d.skus) + 63) / 64
	d.read = make([]uint64, len(d.locs)*d.words)
	return d, nil
}

// destination is where a plan's parcels go: the customer for ship, the pickup
// store for pickup and ship_to_store.
func (d *decision) destination(m canonical.FulfilmentMethod) (*canonical.GeoPoint, error) {
	if p, ok := d.destCache[m]; ok {
		return p, d.destErrors[m]
	}
	var p *canonical.GeoPoint
	var err error
	switch m {
	case canonical.FulfilPickup, canonical.FulfilShipToStore:
		id := d.o.Fulfilment.PickupLocationID
		if id == "" {
			err = errors.New("order names no pickup store")
		} else if e, ok := d.byID[id]; !ok {
			err = fmt.Errorf("pickup store %q is not a known location", id)
		} else if e.geo == nil {
			err = fmt.Errorf("pickup store %q has no coordinates", id)
		} else {
			p = e.geo
		}
	default:
		p, err = d.r.addressPoint(d.o.ShippingAddress)
		if err != nil {
			err = fmt.Errorf("shipping address: %w", err)
		}
	}
	d.destCache[m], d.destErrors[m] = p, err
	return p, err
}

// fetchStock loads levels of every SKU of the order at the locations, for the
// (location, SKU) pairs not read yet in this decision.
func (d *decision) fetchStock(ids []string) error {
	return d.fetchPairs(-1, ids)
}

// fetchSKU loads the level of the order's SKU number k at the locations not
// read yet.
func (d *decision) fetchSKU(k int, ids []string) error {
	return d.fetchPairs(k, ids)
}

// pairRead reports whether the pair (location entry, SKU number k) has been
// read in this decision; markRead records it.
func (d *decision) pairRead(e *locEntry, k int) bool {
	i := e.idx*d.words + k/64
	return d.read[i]&(1<<(k%64)) != 0
}

func (d *decision) markRead(e *locEntry, k int) {
	i := e.idx*d.words + k/64
	d.read[i] |= 1 << (k % 64)
}

// locID returns the location index's copy of a location id, "" when unknown.
func (d *decision) locID(b []byte) string {
	if e, ok := d.byID[string(b)]; ok {
		return e.loc.ID
	}
	return ""
}

// pairStock is implemented by stock sources that can read an explicit list of
// (SKU, location) pairs in one query (SQLStock).
type pairStock interface {
	levelPairs(ctx context.Context, q store.DBTX, pairs []stockPair, into map[string]map[string]canonical.InventoryLevel, locID func([]byte) string) error
}

type stockPair struct{ sku, loc string }

// fetchPairs reads the pairs of SKU k (every SKU when k < 0) at ids that this
// decision has not read yet, each pair once. The first read of a decision
// also takes the default warehouse's pairs along: most decisions look at it
// (it is the fallback of most rule sets and the baseline), and a few more
// keys in a query cost far less than a query of their own.
func (d *decision) fetchPairs(k int, ids []string) error {
	lo, hi := 0, len(d.skus)
	if k >= 0 {
		lo, hi = k, k+1
	}
	pairs := d.pairBuf[:0]
	var unknown []string // ids outside the location index: read SKU by SKU as asked
	for _, id := range ids {
		e, ok := d.byID[id]
		if !ok {
			unknown = append(unknown, id)
			continue
		}
		for j := lo; j < hi; j++ {
			if !d.pairRead(e, j) {
				d.markRead(e, j)
				pairs = append(pairs, stockPair{d.skus[j], id})
			}
		}
	}
	ps, canPairs := d.r.cfg.Stock.(pairStock)
	if canPairs && !d.prefetched && len(pairs) > 0 {
		d.prefetched = true
		if e, ok := d.byID[d.r.cfg.Rules.DefaultWarehouse]; ok && e.loc.Active && len(pairs)+len(d.skus) <= maxKeyPairs {
			for j := range d.skus {
				if !d.pairRead(e, j) {
					d.markRead(e, j)
					pairs = append(pairs, stockPair{d.skus[j], e.loc.ID})
				}
			}
		}
	}
	d.pairBuf = pairs
	if len(unknown) > 0 {
		got, err := d.r.cfg.Stock.Levels(d.ctx, d.q, d.skus[lo:hi], unknown)
		if err != nil {
			return fmt.Errorf("stock levels: %w", err)
		}
		d.merge(got)
	}
	if len(pairs) == 0 {
		return nil
	}
	if canPairs && len(pairs) <= maxKeyPairs {
		if err := ps.levelPairs(d.ctx, d.q, pairs, d.stock, d.locID); err != nil {
			return fmt.Errorf("stock levels: %w", err)
		}
		return nil
	}
	// The SKUs and locations of the pairs, read as their cross product.
	var skus, locs []string
	seenSKU, seenLoc := map[string]bool{}, map[string]bool{}
	for _, p := range pairs {
		if !seenSKU[p.sku] {
			seenSKU[p.sku] = true
			skus = append(skus, p.sku)
		}
		if !seenLoc[p.loc] {
			seenLoc[p.loc] = true
			locs = append(locs, p.loc)
		}
	}
	got, err := d.r.cfg.Stock.Levels(d.ctx, d.q, skus, locs)
	if err != nil {
		return fmt.Errorf("stock levels: %w", err)
	}
	d.merge(got)
	return nil
}

func (d *decision) merge(got map[string]map[string]canonical.InventoryLevel) {
	for loc, m := range got {
		have := d.stock[loc]
		if have == nil {
			d.stock[loc] = m
			continue
		}
		for sku, l := range m {
			have[sku] = l
		}
	}
}

func (d *decision) fetchVelocity(ids []string) error {
	if d.r.cfg.Velocity == nil {
		return nil
	}
	var need []string
	for _, id := range ids {
		if !d.velDone[id] {
			need = append(need, id)
			d.velDone[id] = true
		}
	}
	if len(need) == 0 {
		return nil
	}
	got, err := d.r.cfg.Velocity.DailySales(d.ctx, d.q, d.skus, need, d.r.cfg.Rules.VelocityWindowDays)
	if err != nil {
		return fmt.Errorf("sales velocity: %w", err)
	}
	for loc, m := range got {
		d.vel[loc] = m
	}
	return nil
}

func (d *decision) fetchCapacity(ids []string) error {
	if d.r.cfg.Capacity == nil {
		return nil
	}
	var need []string
	for _, id := range ids {
		if !d.capDone[id] {
			need = append(need, id)
			d.capDone[id] = true
		}
	}
	if len(need) == 0 {
		return nil
	}
	got, err := d.r.cfg.Capacity.AllocatedToday(d.ctx, d.q, need, d.now)
	if err != nil {
		return fmt.Errorf("daily capacity: %w", err)
	}
	for id, n := range got {
		d.capUsed[id] = n
	}
	return nil
}

func (d *decision) available(loc, sku string) int64 {
	return d.stock[loc][sku].Available()
}

// candidate is a location that passed a rule's filters, with what it can serve.
type candidate struct {
	e      *locEntry
	km     float64
	served []int // indexes into d.lines
	full   bool
	values [5]float64
	norm   [5]float64
	score  float64
}

// exclusionList collects a rule's exclusions: counts per reason, and the
// nearest listPerReason of each reason kept for the trace (details are
// formatted only for those).
type exclusionList struct {
	counts map[string]int // filled by finish
	n      [len(exclReasons)]int
	top    [len(exclReasons)][]exclusion
}

// exclReasons are the exclusion reasons, indexed by the r* constants below.
var exclReasons = [...]string{ExclRejected, ExclInactive, ExclType, ExclGroup, ExclTags, ExclCapability, ExclNotPickup,
	ExclNoCoordinate, ExclTooFar, ExclCapacity, ExclNoStock, ExclNotExamined}

const (
	rRejected = iota
	rInactive
	rType
	rGroup
	rTags
	rCapability
	rNotPickup
	rNoCoordinate
	rTooFar
	rCapacity
	rNoStock
	rNotExamined
)

type exclusion struct {
	id, reason, detail string
	km, limit          float64
	atLeast            bool // km is a lower bound
	// A no-stock detail, formatted by finish for the exclusions listed:
	// prefix, then each missing line.
	prefix  string
	miss1   missingLine
	missing []missingLine // when more than miss1
}

type missingLine struct {
	sku         string
	need, avail int64
}

func (m missingLine) format(b *strings.Builder) {
	fmt.Fprintf(b, "sku %s (need %d, available %d)", m.sku, m.need, m.avail)
}

func (x *exclusionList) count(r int) { x.n[r]++ }

// countMap returns the counts per reason, nil when nothing was excluded.
func (x *exclusionList) countMap() map[string]int {
	var out map[string]int
	for i, n := range x.n {
		if n > 0 {
			if out == nil {
				out = map[string]int{}
			}
			out[exclReasons[i]] = n
		}
	}
	return out
}

func (x *exclusionList) add(r int, e exclusion) {
	x.n[r]++
	top := x.top[r]
	if len(top) == listPerReason && e.km >= top[len(top)-1].km {
		return
	}
	e.reason = exclReasons[r]
	if top == nil {
		top = make([]exclusion, 0, listPerReason+1)
	}
	i, _ := slices.BinarySearchFunc(top, e.km, func(a exclusion, km float64) int {
		if a.km <= km {
			return -1
		}
		return 1
	})
	top = slices.Insert(top, i, e)
	if len(top) > listPerReason {
		top = top[:listPerReason]
	}
	x.top[r] = top
}

func (x *exclusionList) finish() []Exclusion {
	x.counts = x.countMap()
	n := 0
	for _, top := range x.top {
		n += len(top)
	}
	all := make([]exclusion, 0, n)
	for _, top := range x.top {
		all = append(all, top...)
	}
	for i := range all {
		e := &all[i]
		if e.prefix == "" {
			continue
		}
		var b strings.Builder
		b.WriteString(e.prefix)
		if e.missing == nil {
			e.miss1.format(&b)
		}
		for j, m := range e.missing {
			if j > 0 {
				b.WriteString(", ")
			}
			m.format(&b)
		}
		e.detail = b.String()
	}
	slices.SortStableFunc(all, func(a, b exclusion) int {
		if c := cmp.Compare(a.km, b.km); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	out := make([]Exclusion, len(all))
	for i, e := range all {
		if e.reason == ExclTooFar {
			e.detail = fmt.Sprintf("%.1f km away, rule allows %.0f km", e.km, e.limit)
			if e.atLeast {
				e.detail = fmt.Sprintf("over %.0f km away, rule allows %.0f km", e.km, e.limit)
			}
		}
		out[i] = Exclusion{LocationID: e.id, Reason: e.reason, Detail: e.detail}
	}
	return out
}

// tryRule applies one rule; it returns a plan when the rule yields one.
func (d *decision) tryRule(rule *Rule) (RuleTrace, []PlannedShipment, []Alternative, error) {
	tr := RuleTrace{Rule: rule.Name}
	if rule.When.prog != nil && d.act == nil {
		d.act = orderActivation(d.o)
	}
	ok, why, err := rule.When.matches(d.o, d.act)
	if err != nil {
		return tr, nil, nil, err
	}
	if !ok {
		tr.NotMatched = why
		return tr, nil, nil, nil
	}
	tr.Matched = true
	method := rule.method(d.o)
	tr.Method = method
	dest, destErr := d.destination(method)
	if destErr != nil && (method != canonical.FulfilShip || rule.Candidates.PickupStore) {
		tr.Result = "no plan: " + destErr.Error()
		return tr, nil, nil, nil
	}
	cands, excl, err := d.candidates(rule, method, dest, destErr, false)
	if err != nil {
		return tr, nil, nil, err
	}
	if err := d.rank(rule, cands); err != nil {
		return tr, nil, nil, err
	}
	tr.Candidates = d.traceCandidates(rule, cands)
	tr.Excluded = excl.finish()
	tr.ExcludedCounts = excl.counts

	var full []*candidate
	for _, c := range cands {
		if c.full {
			full = append(full, c)
		}
	}
	if len(full) > 0 {
		c := full[0]
		tr.Result = fmt.Sprintf("plan: %s serves every line", c.e.loc.ID)
		return tr, []PlannedShipment{d.shipment(c, method, allIdx(len(d.lines)))}, nil, nil
	}
	if rule.Split.Allowed && len(cands) > 0 {
		plan, why := d.split(rule, method, cands)
		if plan != nil {
			ids := make([]string, len(plan))
			for i, s := range plan {
				ids[i] = s.LocationID
			}
			tr.Result = fmt.Sprintf("split plan: no single location serves every line; %s", strings.Join(ids, " + "))
			return tr, plan, nil, nil
		}
		tr.Result = "no plan: " + why
	} else if len(cands) == 0 {
		tr.Result = "no plan: no candidate location"
	} else {
		tr.Result = "no plan: no single candidate serves every line and the rule does not split"
	}
	var alts []Alternative
	if rule.Candidates.PickupStore && rule.Otherwise.AlternativesKM > 0 {
		alts, err = d.alternatives(rule, dest)
		if err != nil {
			return tr, nil, nil, err
		}
	}
	return tr, nil, alts, nil
}

func allIdx(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// candidates applies a rule's candidate filters. With ignoreStock (backorder)
// every location passing the other filters is a full candidate.
func (d *decision) candidates(rule *Rule, method canonical.FulfilmentMethod, dest *canonical.GeoPoint, destErr error, ignoreStock bool) ([]*candidate, *exclusionList, error) {
	cs := &rule.Candidates
	capab := rule.capability(method)
	pickupID := d.o.Fulfilment.PickupLocationID
	excl := &exclusionList{}
	var pass []*candidate
	fast := false
	if !cs.PickupStore && len(d.excluded) == 0 && dest != nil && method != canonical.FulfilPickup {
		pass, fast = d.fastFilter(rule, capab, dest, excl)
	}
	for i := range d.locs {
		if fast {
			break
		}
		e := &d.locs[i]
		l := e.loc
		switch {
		case cs.PickupStore && l.ID != pickupID:
			excl.count(rNotPickup)
			continue
		case d.excluded[l.ID]:
			excl.add(rRejected, exclusion{id: l.ID, detail: "rejected a fulfilment request for this order"})
			continue
		case !l.Active:
			excl.count(rInactive)
			continue
		case len(cs.Types) > 0 && !slices.Contains(cs.Types, l.Type):
			excl.count(rType)
			continue
		case !l.Has(capab):
			if cs.PickupStore {
				excl.add(rCapability, exclusion{id: l.ID, detail: fmt.Sprintf("lacks capability %s", capab)})
			} else {
				excl.count(rCapability)
			}
			continue
		case len(cs.Groups) > 0 && !intersects(l.Groups, cs.Groups):
			excl.count(rGroup)
			continue
		case len(cs.Tags) > 0 && !containsAll(l.Tags, cs.Tags):
			excl.count(rTags)
			continue
		case len(cs.ExcludeTags) > 0 && intersects(l.Tags, cs.ExcludeTags):
			excl.count(rTags)
			continue
		}
		limited := cs.MaxDistanceKM > 0 && !slices.Contains(cs.DistanceExempt, l.Type)
		km := unknownKM
		switch {
		case method == canonical.FulfilPickup && l.ID == pickupID:
			km = 0
		case limited && dest != nil && e.geo != nil && math.Abs(e.geo.Lat-dest.Lat)*kmPerDegreeLat > cs.MaxDistanceKM:
			// The latitude difference alone puts it out of range: no need
			// for the exact distance (most of a national chain, every time).
			excl.add(rTooFar, exclusion{id: l.ID, km: math.Abs(e.geo.Lat-dest.Lat) * kmPerDegreeLat, limit: cs.MaxDistanceKM, atLeast: true})
			continue
		case dest != nil && e.geo != nil:
			km = d.distance(i, dest)
		case limited:
			detail := "location has no coordinates"
			if dest == nil {
				detail = "destination unknown: " + errText(destErr)
			}
			excl.add(rNoCoordinate, exclusion{id: l.ID, detail: detail, km: unknownKM})
			continue
		}
		if limited && km > cs.MaxDistanceKM {
			excl.add(rTooFar, exclusion{id: l.ID, km: km, limit: cs.MaxDistanceKM})
			continue
		}
		pass = append(pass, &candidate{e: e, km: km})
	}
	// Nearest first, so max_candidates keeps the nearest; distance-exempt
	// locations (the warehouse a split may always use) come before them all.
	slices.SortStableFunc(pass, func(a, b *candidate) int {
		ea, eb := slices.Contains(cs.DistanceExempt, a.e.loc.Type), slices.Contains(cs.DistanceExempt, b.e.loc.Type)
		if ea != eb {
			return boolFirst(ea)
		}
		return cmp.Compare(a.km, b.km)
	})
	if cs.Lines == LinesAll && !ignoreStock {
		return d.fullCandidates(cs, pass, excl)
	}
	// Partial candidates: stock is read a batch at a time, nearest first,
	// until max_candidates of them are found.
	batch := len(pass)
	if cs.MaxCandidates > 0 {
		batch = max(cs.MaxCandidates, 8)
	}
	var kept []*candidate
	examined := 0
	for examined < len(pass) && (cs.MaxCandidates == 0 || countUseful(kept, cs.Lines) < cs.MaxCandidates) {
		part := pass[examined:min(examined+batch, len(pass))]
		examined += len(part)
		got, err := d.checkBatch(cs, part, excl, ignoreStock)
		if err != nil {
			return nil, nil, err
		}
		kept = append(kept, got...)
	}
	for range len(pass) - examined {
		excl.count(rNotExamined)
	}
	if cs.MaxCandidates > 0 && len(kept) > cs.MaxCandidates {
		// Keep the nearest MaxCandidates useful ones (full ones when every
		// line is required; the batch order is by distance already).
		kept = kept[:cs.MaxCandidates]
	}
	return kept, excl, nil
}

// fullCandidates keeps the locations that can serve every line. It reads
// stock one SKU at a time and drops a location at its first missing SKU, so
// only the locations still in the running are looked up for the next SKU:
// a few indexed reads however many locations are in range.
func (d *decision) fullCandidates(cs *Candidates, pass []*candidate, excl *exclusionList) ([]*candidate, *exclusionList, error) {
	need := map[string]int64{}
	for _, lr := range d.lines {
		need[lr.line.SKU] += lr.qty
	}
	alive := pass
	ids := make([]string, 0, len(pass))
	for k, sku := range d.skus {
		if len(alive) == 0 {
			break
		}
		ids = ids[:0]
		for _, c := range alive {
			ids = append(ids, c.e.loc.ID)
		}
		// Few pairs left: one query for every SKU beats one per SKU.
		if len(ids)*(len(d.skus)-k) <= smallFetch {
			if err := d.fetchStock(ids); err != nil {
				return nil, nil, err
			}
		}
		if err := d.fetchSKU(k, ids); err != nil {
			return nil, nil, err
		}
		next := alive[:0:0]
		for _, c := range alive {
			if a := d.available(c.e.loc.ID, sku); a < need[sku] {
				prefix := "no stock for "
				if len(d.skus) > 1 {
					prefix = "cannot serve every line: no stock for "
				}
				excl.add(rNoStock, exclusion{id: c.e.loc.ID, prefix: prefix, miss1: missingLine{sku, need[sku], a}, km: c.km})
				continue
			}
			next = append(next, c)
		}
		alive = next
	}
	var capIDs []string
	for _, c := range alive {
		if c.e.loc.DailyCapacity > 0 {
			capIDs = append(capIDs, c.e.loc.ID)
		}
	}
	if err := d.fetchCapacity(capIDs); err != nil {
		return nil, nil, err
	}
	var kept []*candidate
	for _, c := range alive {
		if capLim := c.e.loc.DailyCapacity; capLim > 0 && d.r.cfg.Capacity != nil {
			if used := d.capUsed[c.e.loc.ID]; capLim-used < cs.MinCapacityLeft {
				excl.add(rCapacity, exclusion{id: c.e.loc.ID, detail: fmt.Sprintf("daily capacity %d orders, %d taken today", capLim, used), km: c.km})
				continue
			}
		}
		if cs.MaxCandidates > 0 && len(kept) == cs.MaxCandidates {
			excl.count(rNotExamined)
			continue
		}
		c.served, c.full = allIdx(len(d.lines)), true
		kept = append(kept, c)
	}
	return kept, excl, nil
}

func countUseful(cs []*candidate, mode LinesMode) int {
	if mode == LinesPartial {
		return len(cs)
	}
	n := 0
	for _, c := range cs {
		if c.full {
			n++
		}
	}
	return n
}

// checkBatch applies the capacity and stock filters to some candidates.
func (d *decision) checkBatch(cs *Candidates, part []*candidate, excl *exclusionList, ignoreStock bool) ([]*candidate, error) {
	var capIDs []string
	for _, c := range part {
		if c.e.loc.DailyCapacity > 0 {
			capIDs = append(capIDs, c.e.loc.ID)
		}
	}
	if err := d.fetchCapacity(capIDs); err != nil {
		return nil, err
	}
	var pass []*candidate
	for _, c := range part {
		if capLim := c.e.loc.DailyCapacity; capLim > 0 && d.r.cfg.Capacity != nil {
			used := d.capUsed[c.e.loc.ID]
			if capLim-used < cs.MinCapacityLeft {
				excl.add(rCapacity, exclusion{id: c.e.loc.ID, detail: fmt.Sprintf("daily capacity %d orders, %d taken today", capLim, used), km: c.km})
				continue
			}
		}
		pass = append(pass, c)
	}
	if ignoreStock {
		for _, c := range pass {
			c.served, c.full = allIdx(len(d.lines)), true
		}
		return pass, nil
	}
	ids := make([]string, len(pass))
	for i, c := range pass {
		ids[i] = c.e.loc.ID
	}
	if err := d.fetchStock(ids); err != nil {
		return nil, err
	}
	kept := pass[:0]
	left := map[string]int64{}
	for _, c := range pass {
		clear(left)
		c.served = c.served[:0]
		var missing []int
		for i, lr := range d.lines {
			sku := lr.line.SKU
			a, ok := left[sku]
			if !ok {
				a = d.available(c.e.loc.ID, sku)
			}
			if a >= lr.qty {
				left[sku] = a - lr.qty
				c.served = append(c.served, i)
			} else {
				left[sku] = a
				missing = append(missing, i)
			}
		}
		c.full = len(missing) == 0
		switch {
		case len(c.served) == 0:
			excl.add(rNoStock, exclusion{id: c.e.loc.ID, prefix: "no stock for ", missing: d.missingLines(c.e.loc.ID, missing), km: c.km})
			continue
		case !c.full && cs.Lines == LinesAll:
			excl.add(rNoStock, exclusion{id: c.e.loc.ID, prefix: "cannot serve every line: no stock for ", missing: d.missingLines(c.e.loc.ID, missing), km: c.km})
			continue
		}
		kept = append(kept, c)
	}
	return kept, nil
}

// missingLines says which lines a location cannot serve (formatted by
// exclusionList.finish for the exclusions listed).
func (d *decision) missingLines(loc string, idx []int) []missingLine {
	out := make([]missingLine, len(idx))
	for i, j := range idx {
		lr := d.lines[j]
		out[i] = missingLine{lr.line.SKU, lr.qty, d.available(loc, lr.line.SKU)}
	}
	return out
}

func errText(err error) string {
	if err == nil {
		return "no coordinates"
	}
	return err.Error()
}

func intersects(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

func critIndex(c Criterion) int { return slices.Index(criteria, c) }

func higherIsBetter(c Criterion) bool { return c == ByDaysOfCover || c == ByBalance }

// measure fills a candidate's values for the lines it serves.
func (d *decision) measure(rule *Rule, method canonical.FulfilmentMethod, c *candidate) {
	id := c.e.loc.ID
	cover, balance := maxCoverDays, math.MaxFloat64
	var grams int64
	for _, i := range c.served {
		lr := d.lines[i]
		grams += lr.grams
		lv := d.stock[id][lr.line.SKU]
		if v := d.vel[id][lr.line.SKU]; v > 0 {
			cover = min(cover, float64(lv.OnHand)/v)
		}
		balance = min(balance, float64(lv.Available()-lr.qty))
	}
	if len(c.served) == 0 {
		balance = 0
	}
	c.values[critIndex(ByDistance)] = c.km
	c.values[critIndex(ByDaysOfCover)] = cover
	c.values[critIndex(ByBalance)] = balance
	c.values[critIndex(ByPriority)] = float64(c.e.loc.Priority)
	c.values[critIndex(ByShippingCost)] = float64(d.shipCost(method, c.e.loc.ID, c.km, grams).Amount)
}

// shipCost estimates the cost of sending grams from a location under a method.
func (d *decision) shipCost(method canonical.FulfilmentMethod, locID string, km float64, grams int64) canonical.Money {
	if method == canonical.FulfilPickup && locID == d.o.Fulfilment.PickupLocationID {
		return canonical.Money{Currency: d.r.cfg.Rules.Rates.Currency}
	}
	return d.r.cfg.Rules.Rates.Estimate(km, grams)
}

// rank orders candidates best first under the rule's ranking.
func (d *decision) rank(rule *Rule, cs []*candidate) error {
	if len(cs) == 0 {
		return nil
	}
	method := rule.method(d.o)
	for _, b := range rule.Rank.By {
		if b.Criterion == ByDaysOfCover {
			ids := make([]string, len(cs))
			for i, c := range cs {
				ids[i] = c.e.loc.ID
			}
			if err := d.fetchVelocity(ids); err != nil {
				return err
			}
		}
	}
	for _, c := range cs {
		d.measure(rule, method, c)
	}
	byID := func(a, b *candidate) int { return strings.Compare(a.e.loc.ID, b.e.loc.ID) }
	if rule.Rank.Mode == RankWeighted {
		var wsum float64
		for _, b := range rule.Rank.By {
			wsum += b.Weight
		}
		for _, b := range rule.Rank.By {
			k := critIndex(b.Criterion)
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, c := range cs {
				lo, hi = min(lo, c.values[k]), max(hi, c.values[k])
			}
			for _, c := range cs {
				n := 0.0
				if hi > lo {
					n = (c.values[k] - lo) / (hi - lo)
					if higherIsBetter(b.Criterion) {
						n = 1 - n
					}
				}
				c.norm[k] = n
				if wsum > 0 {
					c.score += b.Weight * n / wsum
				}
			}
		}
		slices.SortStableFunc(cs, func(a, b *candidate) int {
			if a.full != b.full {
				return boolFirst(a.full)
			}
			if c := cmp.Compare(a.score, b.score); c != 0 {
				return c
			}
			return byID(a, b)
		})
		return nil
	}
	slices.SortStableFunc(cs, func(a, b *candidate) int {
		if a.full != b.full {
			return boolFirst(a.full)
		}
		for _, by := range rule.Rank.By {
			k := critIndex(by.Criterion)
			x, y := a.values[k], b.values[k]
			if math.Abs(x-y) <= by.Tolerance {
				continue
			}
			if higherIsBetter(by.Criterion) {
				return cmp.Compare(y, x)
			}
			return cmp.Compare(x, y)
		}
		return byID(a, b)
	})
	return nil
}

func boolFirst(aFull bool) int {
	if aFull {
		return -1
	}
	return 1
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

func (d *decision) traceCandidates(rule *Rule, cs []*candidate) []CandidateTrace {
	out := make([]CandidateTrace, 0, min(len(cs), 50))
	for i, c := range cs {
		if i == 50 {
			break
		}
		ct := CandidateTrace{LocationID: c.e.loc.ID, Full: c.full, Values: map[Criterion]float64{}}
		for _, b := range rule.Rank.By {
			ct.Values[b.Criterion] = round3(c.values[critIndex(b.Criterion)])
		}
		if rule.Rank.Mode == RankWeighted {
			ct.Normalised = map[Criterion]float64{}
			for _, b := range rule.Rank.By {
				ct.Normalised[b.Criterion] = round3(c.norm[critIndex(b.Criterion)])
			}
			ct.Score = round3(c.score)
		}
		if !c.full {
			for _, i := range c.served {
				ct.Lines = append(ct.Lines, d.lines[i].line.ID)
			}
		}
		out = append(out, ct)
	}
	return out
}

// shipment builds the planned shipment of some lines from a candidate.
func (d *decision) shipment(c *candidate, method canonical.FulfilmentMethod, idx []int) PlannedShipment {
	s := PlannedShipment{LocationID: c.e.loc.ID, LocationName: c.e.loc.Name, Method: method, DistanceKM: round3(c.km),
		Value: canonical.Money{Currency: d.currency}}
	if c.km >= unknownKM {
		s.DistanceKM = 0
	}
	for _, i := range idx {
		lr := d.lines[i]
		s.Lines = append(s.Lines, canonical.LineQuantity{LineID: lr.line.ID, SKU: lr.line.SKU, Quantity: lr.qty})
		s.Value.Amount += lr.value
		s.Grams += lr.grams
	}
	// A pickup order served at a store other than the chosen one travels there.
	if method == canonical.FulfilPickup && c.e.loc.ID != d.o.Fulfilment.PickupLocationID {
		s.Method = canonical.FulfilShipToStore
	}
	s.EstimatedCost = d.shipCost(method, c.e.loc.ID, c.km, s.Grams)
	return s
}

// split fills the order from several candidates: each round takes the
// candidate serving the most remaining value (rank breaks ties), until every
// line is served or the location limit is reached. It refuses a plan with a
// shipment below the minimum value.
func (d *decision) split(rule *Rule, method canonical.FulfilmentMethod, cs []*candidate) ([]PlannedShipment, string) {
	remaining := map[int]bool{}
	for i := range d.lines {
		remaining[i] = true
	}
	used := map[*candidate]bool{}
	var plan []PlannedShipment
	for len(remaining) > 0 && len(plan) < rule.Split.MaxLocations {
		var best *candidate
		var bestIdx []int
		var bestVal int64 = -1
		for _, c := range cs {
			if used[c] {
				continue
			}
			left := map[string]int64{}
			var idx []int
			var val int64
			for _, i := range c.served {
				if !remaining[i] {
					continue
				}
				lr := d.lines[i]
				a, ok := left[lr.line.SKU]
				if !ok {
					a = d.available(c.e.loc.ID, lr.line.SKU)
				}
				if a < lr.qty {
					continue
				}
				left[lr.line.SKU] = a - lr.qty
				idx = append(idx, i)
				val += lr.value + 1 // +1 so zero-priced lines still count
			}
			if len(idx) > 0 && val > bestVal {
				best, bestIdx, bestVal = c, idx, val
			}
		}
		if best == nil {
			break
		}
		used[best] = true
		for _, i := range bestIdx {
			delete(remaining, i)
		}
		plan = append(plan, d.shipment(best, method, bestIdx))
	}
	if len(remaining) > 0 {
		var skus []string
		for i := range d.lines {
			if remaining[i] {
				skus = append(skus, d.lines[i].line.SKU)
			}
		}
		return nil, fmt.Sprintf("split over at most %d locations cannot serve sku %s", rule.Split.MaxLocations, strings.Join(skus, ", "))
	}
	if min := rule.Split.MinShipmentValue; min > 0 {
		for _, s := range plan {
			if s.Value.Amount < min {
				return nil, fmt.Sprintf("split refused: shipment from %s is worth %d, below the minimum shipment value %d (%s minor units)",
					s.LocationID, s.Value.Amount, min, s.Value.Currency)
			}
		}
	}
	return plan, ""
}

// backorderPlan assigns every line to the best candidate regardless of stock.
func (d *decision) backorderPlan(rule *Rule, tr *RuleTrace) []PlannedShipment {
	method := rule.method(d.o)
	dest, destErr := d.destination(method)
	cs, _, err := d.candidates(rule, method, dest, destErr, true)
	if err != nil || len(cs) == 0 {
		return nil
	}
	if d.rank(rule, cs) != nil {
		return nil
	}
	return []PlannedShipment{d.shipment(cs[0], method, allIdx(len(d.lines)))}
}

// alternatives lists pickup stores near the chosen one that can hand over
// every line now.
func (d *decision) alternatives(rule *Rule, ref *canonical.GeoPoint) ([]Alternative, error) {
	if ref == nil {
		return nil, nil
	}
	type near struct {
		e  *locEntry
		km float64
	}
	var ns []near
	for i := range d.locs {
		e := &d.locs[i]
		if e.loc.ID == d.o.Fulfilment.PickupLocationID || !e.loc.Active || !e.loc.Has(canonical.CapPickup) || e.geo == nil || d.excluded[e.loc.ID] {
			continue
		}
		if km := geo.DistanceKM(*ref, *e.geo); km <= rule.Otherwise.AlternativesKM {
			ns = append(ns, near{e, km})
		}
	}
	slices.SortFunc(ns, func(a, b near) int { return cmp.Compare(a.km, b.km) })
	ids := make([]string, len(ns))
	for i, n := range ns {
		ids[i] = n.e.loc.ID
	}
	if err := d.fetchStock(ids); err != nil {
		return nil, err
	}
	limit := rule.Otherwise.AlternativesLimit
	if limit <= 0 {
		limit = defaultAltsLim
	}
	var out []Alternative
	for _, n := range ns {
		if len(out) == limit {
			break
		}
		if a, ok := d.holdsAll(n.e.loc.ID); ok {
			out = append(out, Alternative{LocationID: n.e.loc.ID, Name: n.e.loc.Name, DistanceKM: round3(n.km), Available: a})
		}
	}
	return out, nil
}

// holdsAll reports whether a location can serve every line now, with its
// available units per SKU.
func (d *decision) holdsAll(id string) (map[string]int64, bool) {
	need := map[string]int64{}
	for _, lr := range d.lines {
		need[lr.line.SKU] += lr.qty
	}
	avail := make(map[string]int64, len(need))
	for sku, n := range need {
		a := d.available(id, sku)
		avail[sku] = a
		if a < n {
			return nil, false
		}
	}
	return avail, true
}

// costs sets the plan's estimated cost, the baseline and the saving.
func (d *decision) costs(out *Decision) {
	rates := d.r.cfg.Rules.Rates
	if out.Outcome == OutcomeAllocated || out.Outcome == OutcomeBackorder {
		total := canonical.Money{Currency: rates.Currency}
		for _, s := range out.Plan {
			total.Amount += s.EstimatedCost.Amount
		}
		out.EstimatedCost = &total
	}
	method := d.o.Fulfilment.Method
	if method == "" {
		method = canonical.FulfilShip
	}
	dest, err := d.destination(method)
	if err == nil && dest != nil {
		out.Destination = dest
	}
	whID := d.r.cfg.Rules.DefaultWarehouse
	out.BaselineLocation = whID
	wh, ok := d.byID[whID]
	if !ok || wh.geo == nil || dest == nil {
		return
	}
	var grams int64
	for _, lr := range d.lines {
		grams += lr.grams
	}
	base := rates.Estimate(geo.DistanceKM(*wh.geo, *dest), grams)
	out.BaselineCost = &base
	if out.EstimatedCost != nil {
		out.Saving = &canonical.Money{Amount: base.Amount - out.EstimatedCost.Amount, Currency: base.Currency}
	}
}
