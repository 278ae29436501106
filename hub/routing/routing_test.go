package routing

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
)

// The test world: a chain with one warehouse in Reno and stores around Los
// Angeles plus one in San Francisco; customers in downtown Los Angeles.
var (
	reno         = canonical.GeoPoint{Lat: 39.5296, Lng: -119.8138}
	pasadena     = canonical.GeoPoint{Lat: 34.1478, Lng: -118.1445} // ~14 km from downtown LA
	santaMonica  = canonical.GeoPoint{Lat: 34.0195, Lng: -118.4912} // ~23 km
	irvine       = canonical.GeoPoint{Lat: 33.6846, Lng: -117.8265} // ~57 km
	sanFrancisco = canonical.GeoPoint{Lat: 37.7749, Lng: -122.4194} // ~560 km
	downtownLA   = canonical.GeoPoint{Lat: 34.0522, Lng: -118.2437}
	testNow      = time.Date(2026, 11, 29, 15, 0, 0, 0, time.UTC)
)

func loc(id string, typ canonical.LocationType, g canonical.GeoPoint, caps ...canonical.Capability) canonical.Location {
	return canonical.Location{ID: id, Name: id, Type: typ, Geo: &g, Capabilities: caps, Active: true}
}

func shop(id string, g canonical.GeoPoint) canonical.Location {
	return loc(id, canonical.LocationStore, g, canonical.CapShip, canonical.CapPickup)
}

// chain is the usual world; tests adjust it.
func chain() *World {
	w := NewWorld()
	w.AddLocation(loc("wh-main", canonical.LocationWarehouse, reno, canonical.CapShip, canonical.CapShipToStore))
	w.AddLocation(shop("st-pasadena", pasadena))
	w.AddLocation(shop("st-santa-monica", santaMonica))
	w.AddLocation(shop("st-irvine", irvine))
	w.AddLocation(shop("st-sf", sanFrancisco))
	return w
}

type line struct {
	sku   string
	qty   int64
	price int64
}

func order(id string, method canonical.FulfilmentMethod, pickup string, lines ...line) *canonical.Order {
	o := &canonical.Order{ID: id, Channel: "shopify-us", Status: canonical.OrderConfirmed,
		ShippingAddress: &canonical.Address{City: "Los Angeles", Region: "CA", PostalCode: "90012", Country: "US", Geo: &downtownLA},
		Fulfilment:      canonical.Fulfilment{Method: method, PickupLocationID: pickup}}
	var total int64
	for i, l := range lines {
		o.Lines = append(o.Lines, canonical.OrderLine{ID: "L" + string(rune('1'+i)), SKU: l.sku, Quantity: l.qty,
			UnitPrice: canonical.Money{Amount: l.price, Currency: "USD"}, RequiresShipping: true})
		total += l.price * l.qty
	}
	o.Totals.Total = canonical.Money{Amount: total, Currency: "USD"}
	return o
}

func defaultRules(t testing.TB) *RuleSet {
	t.Helper()
	rs, err := LoadRules("../../configs/routing/default.yaml")
	if err != nil {
		t.Fatalf("default rules: %v", err)
	}
	return rs
}

// rulesWith returns the default header (rates, warehouse) with other rules.
func rulesWith(t testing.TB, rules string) *RuleSet {
	t.Helper()
	src := `version: 1
default_warehouse: wh-main
shipping_rates:
  currency: USD
  weight_bands_g: [1000, 5000]
  zones:
    - { up_to_km: 50, prices: [500, 700, 900] }
    - { up_to_km: 300, prices: [700, 900, 1200] }
    - { prices: [1200, 1500, 2000] }
rules:
` + rules
	rs, err := DecodeRules("test.yaml", []byte(src))
	if err != nil {
		t.Fatalf("rules: %v", err)
	}
	return rs
}

func router(t testing.TB, w *World, rs *RuleSet) *Router {
	t.Helper()
	r, err := New(Config{Rules: rs, Locations: w, Stock: w, Velocity: w, Capacity: w, Reserver: w, Decisions: w,
		Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func planLocations(d *Decision) []string {
	var out []string
	for _, s := range d.Plan {
		out = append(out, s.LocationID)
	}
	return out
}

func findExclusion(d *Decision, rule, locID string) *Exclusion {
	for _, tr := range d.Rules {
		if tr.Rule != rule {
			continue
		}
		for i := range tr.Excluded {
			if tr.Excluded[i].LocationID == locID {
				return &tr.Excluded[i]
			}
		}
	}
	return nil
}

const daysOfCoverRule = `
  - name: overstocked-store-first
    when: { fulfilment: ship }
    candidates: { type: store, capability: ship, max_distance_km: 150 }
    rank:
      by: [days_of_cover, distance]
`

const noSplitRule = `
  - name: single-location-only
    when: { fulfilment: ship }
    candidates: { capability: ship }
    otherwise: { action: hold, queue: awaiting-stock }
`

// TestRouting_Scenarios runs the routing scenarios of issue 6: each a small
// world of locations, stock and one order, with the decision it must produce.
func TestRouting_Scenarios(t *testing.T) {
	tests := []struct {
		name      string
		rules     func(t testing.TB) *RuleSet
		world     func(w *World)
		order     *canonical.Order
		outcome   Outcome
		rule      string
		locations []string
		queue     string
		check     func(t *testing.T, d *Decision)
	}{
		{
			name:  "NearestStoreWithStockWins",
			rules: defaultRules,
			world: func(w *World) {
				w.SetStock("wh-main", "TEE-M", 500)
				w.SetStock("st-pasadena", "TEE-M", 3)
				w.SetStock("st-irvine", "TEE-M", 3)
			},
			order:     order("o-near", canonical.FulfilShip, "", line{"TEE-M", 1, 2500}),
			outcome:   OutcomeAllocated,
			rule:      "ship-from-nearby-store",
			locations: []string{"st-pasadena"},
			check: func(t *testing.T, d *Decision) {
				if d.Saving == nil || d.Saving.Amount <= 0 {
					t.Errorf("shipping from a store 14 km away must save against the Reno warehouse: saving %+v", d.Saving)
				}
				if d.BaselineCost == nil || d.EstimatedCost == nil || d.BaselineCost.Amount-d.EstimatedCost.Amount != d.Saving.Amount {
					t.Errorf("saving must be baseline - estimated: %+v %+v %+v", d.BaselineCost, d.EstimatedCost, d.Saving)
				}
				if e := findExclusion(d, "ship-from-nearby-store", "st-santa-monica"); e == nil || e.Reason != ExclNoStock || !strings.Contains(e.Detail, "TEE-M") {
					t.Errorf("santa monica must be excluded for no stock of TEE-M: %+v", e)
				}
				if e := findExclusion(d, "ship-from-nearby-store", "st-sf"); e == nil || e.Reason != ExclTooFar {
					t.Errorf("san francisco must be excluded as too far: %+v", e)
				}
			},
		},
		{
			name:  "FarWarehouseWhenNoStoreHasStock",
			rules: defaultRules,
			world: func(w *World) {
				w.SetStock("wh-main", "TEE-M", 500)
				w.SetStock("st-sf", "TEE-M", 9) // has it, but 560 km away
			},
			order:     order("o-wh", canonical.FulfilShip, "", line{"TEE-M", 2, 2500}),
			outcome:   OutcomeAllocated,
			rule:      "ship-from-warehouse",
			locations: []string{"wh-main"},
			check: func(t *testing.T, d *Decision) {
				if d.Saving == nil || d.Saving.Amount != 0 {
					t.Errorf("the baseline plan saves nothing: %+v", d.Saving)
				}
			},
		},
		{
			name:  "OverstockedStoreWinsUnderDaysOfCover",
			rules: func(t testing.TB) *RuleSet { return rulesWith(t, daysOfCoverRule) },
			world: func(w *World) {
				w.SetStock("st-pasadena", "TEE-M", 6) // nearest, sells 3 a day: 2 days of cover
				w.SetSales("st-pasadena", "TEE-M", 3)
				w.SetStock("st-irvine", "TEE-M", 40) // further, sells 1 a day: 40 days
				w.SetSales("st-irvine", "TEE-M", 1)
			},
			order:     order("o-cover", canonical.FulfilShip, "", line{"TEE-M", 1, 2500}),
			outcome:   OutcomeAllocated,
			rule:      "overstocked-store-first",
			locations: []string{"st-irvine"},
			check: func(t *testing.T, d *Decision) {
				c := d.Rules[0].Candidates
				if len(c) != 2 || c[0].Values[ByDaysOfCover] != 40 || c[1].Values[ByDaysOfCover] != 2 {
					t.Errorf("candidates must show their days of cover, best first: %+v", c)
				}
			},
		},
		{
			name:  "SplitOnlyWhenNoSingleLocationCanServe",
			rules: defaultRules,
			world: func(w *World) {
				w.SetStock("wh-main", "TENT", 10) // warehouse has the tent, not the lamp
				w.SetStock("st-irvine", "LAMP", 4)
			},
			order:     order("o-split", canonical.FulfilShip, "", line{"TENT", 1, 19900}, line{"LAMP", 1, 4500}),
			outcome:   OutcomeAllocated,
			rule:      "ship-split",
			locations: []string{"wh-main", "st-irvine"},
			check: func(t *testing.T, d *Decision) {
				if d.EstimatedCost.Amount != d.Plan[0].EstimatedCost.Amount+d.Plan[1].EstimatedCost.Amount {
					t.Errorf("a split costs both parcels: %+v", d.EstimatedCost)
				}
			},
		},
		{
			name:  "NoSplitWhenOneLocationHoldsEverything",
			rules: defaultRules,
			world: func(w *World) {
				w.SetStock("wh-main", "TENT", 10)
				w.SetStock("wh-main", "LAMP", 10)
				w.SetStock("st-irvine", "LAMP", 4)
			},
			order:     order("o-nosplit", canonical.FulfilShip, "", line{"TENT", 1, 19900}, line{"LAMP", 1, 4500}),
			outcome:   OutcomeAllocated,
			rule:      "ship-from-warehouse",
			locations: []string{"wh-main"},
		},
		{
			name:  "NoSplitWhenTheRuleDoesNotAllowIt",
			rules: func(t testing.TB) *RuleSet { return rulesWith(t, noSplitRule) },
			world: func(w *World) {
				w.SetStock("wh-main", "TENT", 10)
				w.SetStock("st-irvine", "LAMP", 4)
			},
			order:   order("o-nosplitrule", canonical.FulfilShip, "", line{"TENT", 1, 19900}, line{"LAMP", 1, 4500}),
			outcome: OutcomeHeld,
			rule:    "single-location-only",
			queue:   "awaiting-stock",
		},
		{
			name:  "SplitBelowMinimumShipmentValueIsRefused",
			rules: defaultRules,
			world: func(w *World) {
				w.SetStock("wh-main", "TENT", 10)
				w.SetStock("st-irvine", "SOCKS", 4) // a $9 parcel: below the $25 minimum
			},
			order:   order("o-cheap", canonical.FulfilShip, "", line{"TENT", 1, 19900}, line{"SOCKS", 1, 900}),
			outcome: OutcomeHeld,
			rule:    "ship-split",
			queue:   "awaiting-stock",
			check: func(t *testing.T, d *Decision) {
				if !strings.Contains(d.Reason, "below the minimum shipment value 2500") || !strings.Contains(d.Reason, "st-irvine") {
					t.Errorf("reason must name the small shipment and the minimum: %s", d.Reason)
				}
			},
		},
		{
			name:  "BOPISAtStoreWithoutStockOffersNearbyAlternatives",
			rules: defaultRules,
			world: func(w *World) {
				w.SetStock("st-pasadena", "TEE-M", 0)
				w.SetStock("st-santa-monica", "TEE-M", 5) // 35 km from Pasadena: outside 25 km
				w.SetStock("st-irvine", "TEE-M", 5)       // 59 km: outside
				w.AddLocation(shop("st-glendale", canonical.GeoPoint{Lat: 34.1425, Lng: -118.2551}))
				w.SetStock("st-glendale", "TEE-M", 2) // 10 km from Pasadena
				w.SetStock("wh-main", "TEE-M", 100)
			},
			order:     order("o-bopis", canonical.FulfilPickup, "st-pasadena", line{"TEE-M", 2, 2500}),
			outcome:   OutcomeAllocated,
			rule:      "pickup-via-warehouse",
			locations: []string{"wh-main"},
			check: func(t *testing.T, d *Decision) {
				if len(d.Alternatives) != 1 || d.Alternatives[0].LocationID != "st-glendale" || d.Alternatives[0].Available["TEE-M"] != 2 {
					t.Errorf("alternatives must list the store within 25 km that holds every line: %+v", d.Alternatives)
				}
				if d.Plan[0].Method != canonical.FulfilShipToStore {
					t.Errorf("the warehouse sends the stock to the pickup store: method %s", d.Plan[0].Method)
				}
				if e := findExclusion(d, "pickup-at-chosen-store", "st-pasadena"); e == nil || e.Reason != ExclNoStock {
					t.Errorf("the chosen store must be excluded for no stock: %+v", e)
				}
			},
		},
		{
			name:  "BOPISReservesAtTheChosenStore",
			rules: defaultRules,
			world: func(w *World) {
				w.SetStock("st-pasadena", "TEE-M", 2)
				w.SetStock("st-glendale", "TEE-M", 2)
			},
			order:     order("o-bopis-ok", canonical.FulfilPickup, "st-pasadena", line{"TEE-M", 2, 2500}),
			outcome:   OutcomeAllocated,
			rule:      "pickup-at-chosen-store",
			locations: []string{"st-pasadena"},
			check: func(t *testing.T, d *Decision) {
				if d.EstimatedCost.Amount != 0 || d.Plan[0].Method != canonical.FulfilPickup {
					t.Errorf("a pickup at the store ships nothing: %+v", d.Plan[0])
				}
			},
		},
		{
			name:  "DailyCapacityIsRespected",
			rules: defaultRules,
			world: func(w *World) {
				p := shop("st-pasadena", pasadena)
				p.DailyCapacity = 10
				w.AddLocation(p)
				w.SetAllocatedToday("st-pasadena", testNow, 10)
				w.SetStock("st-pasadena", "TEE-M", 3)
				w.SetStock("st-santa-monica", "TEE-M", 3)
			},
			order:     order("o-cap", canonical.FulfilShip, "", line{"TEE-M", 1, 2500}),
			outcome:   OutcomeAllocated,
			rule:      "ship-from-nearby-store",
			locations: []string{"st-santa-monica"},
			check: func(t *testing.T, d *Decision) {
				e := findExclusion(d, "ship-from-nearby-store", "st-pasadena")
				if e == nil || e.Reason != ExclCapacity || !strings.Contains(e.Detail, "10 taken") {
					t.Errorf("pasadena must be excluded as over capacity: %+v", e)
				}
			},
		},
		{
			name:  "CELConditionOptsAnOrderOutOfStoreFulfilment",
			rules: defaultRules,
			world: func(w *World) {
				w.SetStock("wh-main", "TEE-M", 5)
				w.SetStock("st-pasadena", "TEE-M", 5)
			},
			order: func() *canonical.Order {
				o := order("o-tag", canonical.FulfilShip, "", line{"TEE-M", 1, 2500})
				o.Tags = []string{"no-store-fulfilment"}
				return o
			}(),
			outcome:   OutcomeAllocated,
			rule:      "ship-from-warehouse",
			locations: []string{"wh-main"},
		},
		{
			name:    "NothingInStockIsHeldForRetry",
			rules:   defaultRules,
			world:   func(w *World) {},
			order:   order("o-none", canonical.FulfilShip, "", line{"TEE-M", 1, 2500}),
			outcome: OutcomeHeld,
			rule:    "ship-split",
			queue:   "awaiting-stock",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := chain()
			tc.world(w)
			r := router(t, w, tc.rules(t))
			d, err := r.Decide(context.Background(), nil, tc.order, nil)
			if err != nil {
				t.Fatal(err)
			}
			if d.Outcome != tc.outcome || d.Rule != tc.rule || d.Queue != tc.queue || !slices.Equal(planLocations(d), tc.locations) {
				t.Fatalf("got %s by %q queue %q at %v (%s); want %s by %q queue %q at %v",
					d.Outcome, d.Rule, d.Queue, planLocations(d), d.Reason, tc.outcome, tc.rule, tc.queue, tc.locations)
			}
			if tc.check != nil {
				tc.check(t, d)
			}
		})
	}
}

func TestRouting_RejectionReroutesWithTheLocationExcluded(t *testing.T) {
	ctx := context.Background()
	w := chain()
	w.SetStock("st-pasadena", "TEE-M", 1)
	w.SetStock("st-santa-monica", "TEE-M", 1)
	w.SetStock("wh-main", "TEE-M", 10)
	r := router(t, w, defaultRules(t))
	o := order("o-reject", canonical.FulfilShip, "", line{"TEE-M", 1, 2500})

	first, err := r.Route(ctx, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	if got := planLocations(first.Decision); !slices.Equal(got, []string{"st-pasadena"}) || len(first.Requests) != 1 {
		t.Fatalf("first plan %v with %d requests; want st-pasadena with 1", got, len(first.Requests))
	}
	if w.Level("st-pasadena", "TEE-M").Reserved != 1 {
		t.Fatal("the unit must be reserved at pasadena")
	}

	second, err := r.Reroute(ctx, nil, o.ID, "st-pasadena")
	if err != nil {
		t.Fatal(err)
	}
	if got := planLocations(second.Decision); !slices.Equal(got, []string{"st-santa-monica"}) {
		t.Fatalf("reroute plan %v; want the next best store st-santa-monica", got)
	}
	if second.Decision.Attempt != 2 || second.Decision.Rerouted != "st-pasadena" || !slices.Equal(second.Decision.ExcludedLocations, []string{"st-pasadena"}) {
		t.Fatalf("reroute decision must record the attempt and the exclusion: %+v", second.Decision)
	}
	if e := findExclusion(second.Decision, "ship-from-nearby-store", "st-pasadena"); e == nil || e.Reason != ExclRejected {
		t.Fatalf("pasadena must be excluded as rejecting: %+v", e)
	}
	if w.Level("st-pasadena", "TEE-M").Reserved != 0 || w.Level("st-santa-monica", "TEE-M").Reserved != 1 {
		t.Fatal("the reservation must move from pasadena to santa monica")
	}

	// Santa Monica rejects too: the warehouse is next; both stores stay excluded.
	third, err := r.Reroute(ctx, nil, o.ID, "st-santa-monica")
	if err != nil {
		t.Fatal(err)
	}
	if got := planLocations(third.Decision); !slices.Equal(got, []string{"wh-main"}) {
		t.Fatalf("second reroute plan %v; want wh-main", got)
	}
	if !slices.Equal(third.Decision.ExcludedLocations, []string{"st-pasadena", "st-santa-monica"}) {
		t.Fatalf("exclusions must accumulate: %v", third.Decision.ExcludedLocations)
	}
	hist, _ := r.Explain(ctx, nil, o.ID)
	if len(hist) != 3 {
		t.Fatalf("explain must return the three decisions, got %d", len(hist))
	}
	if _, err := r.Reroute(ctx, nil, o.ID, "st-pasadena"); err == nil {
		t.Fatal("a location without an open allocation cannot reject")
	}
}

func TestRouting_RouteTwiceDoesNotAllocateTwice(t *testing.T) {
	ctx := context.Background()
	w := chain()
	w.SetStock("st-pasadena", "TEE-M", 5)
	r := router(t, w, defaultRules(t))
	o := order("o-dup", canonical.FulfilShip, "", line{"TEE-M", 1, 2500})
	if _, err := r.Route(ctx, nil, o); err != nil {
		t.Fatal(err)
	}
	again, err := r.Route(ctx, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Replayed || len(again.Requests) != 0 || w.Level("st-pasadena", "TEE-M").Reserved != 1 {
		t.Fatalf("a redelivered order must not be reserved or requested twice: %+v reserved %d", again, w.Level("st-pasadena", "TEE-M").Reserved)
	}
}

func TestRouting_HeldOrderIsRoutedWhenStockArrives(t *testing.T) {
	ctx := context.Background()
	w := chain()
	r := router(t, w, defaultRules(t))
	o := order("o-wait", canonical.FulfilShip, "", line{"TEE-M", 1, 2500})
	first, err := r.Route(ctx, nil, o)
	if err != nil || first.Decision.Outcome != OutcomeHeld {
		t.Fatalf("no stock anywhere must hold: %+v %v", first, err)
	}
	w.SetStock("wh-main", "TEE-M", 3)
	second, err := r.Route(ctx, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	if second.Decision.Outcome != OutcomeAllocated || second.Decision.Attempt != 2 || len(second.Requests) != 1 {
		t.Fatalf("retry must allocate as attempt 2: %+v", second.Decision)
	}
}

func TestRouting_ConcurrentOrdersForTheLastUnitInMemory(t *testing.T) {
	ctx := context.Background()
	w := chain()
	w.SetStock("st-pasadena", "LAST", 1)
	r := router(t, w, rulesWith(t, noSplitRule))
	results := make(chan *Result, 2)
	errs := make(chan error, 2)
	for _, id := range []string{"o-a", "o-b"} {
		go func() {
			res, err := r.Route(ctx, nil, order(id, canonical.FulfilShip, "", line{"LAST", 1, 2500}))
			results <- res
			errs <- err
		}()
	}
	outcomes := map[Outcome]int{}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		outcomes[(<-results).Decision.Outcome]++
	}
	if outcomes[OutcomeAllocated] != 1 || outcomes[OutcomeHeld] != 1 || w.Level("st-pasadena", "LAST").Reserved != 1 {
		t.Fatalf("want one allocation and one hold, got %v (reserved %d)", outcomes, w.Level("st-pasadena", "LAST").Reserved)
	}
}

func TestRouting_RetryAfterAFailedRerouteRoutesOnlyTheUncoveredLines(t *testing.T) {
	ctx := context.Background()
	w := chain()
	w.SetStock("wh-main", "TENT", 10)
	w.SetStock("st-irvine", "LAMP", 1)
	r := router(t, w, defaultRules(t))
	o := order("o-split-retry", canonical.FulfilShip, "", line{"TENT", 1, 19900}, line{"LAMP", 1, 4500})
	first, err := r.Route(ctx, nil, o)
	if err != nil || len(first.Allocations) != 2 {
		t.Fatalf("want a split over two locations: %+v %v", first, err)
	}
	// Irvine rejects the lamp; nobody else has one: the lamp waits.
	second, err := r.Reroute(ctx, nil, o.ID, "st-irvine")
	if err != nil || second.Decision.Outcome != OutcomeHeld {
		t.Fatalf("the lamp must be held: %+v %v", second, err)
	}
	w.SetStock("st-santa-monica", "LAMP", 1)
	third, err := r.Route(ctx, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(third.Allocations) != 1 || third.Allocations[0].LocationID != "st-santa-monica" || len(third.Allocations[0].Lines) != 1 ||
		third.Allocations[0].Lines[0].SKU != "LAMP" || w.Level("wh-main", "TENT").Reserved != 1 {
		t.Fatalf("the retry must route only the lamp, leaving the tent with the warehouse: %+v", third.Allocations)
	}
}

func TestRouting_SplitConsidersTheDistanceExemptWarehouseBeyondMaxCandidates(t *testing.T) {
	w := chain()
	w.SetStock("wh-main", "TENT", 10) // 625 km away, exempt from the 300 km limit
	w.SetStock("st-pasadena", "LAMP", 2)
	w.SetStock("st-santa-monica", "LAMP", 2)
	w.SetStock("st-irvine", "LAMP", 2)
	for i := range 10 { // more nearby stores than a batch of stock reads
		id := fmt.Sprintf("st-extra-%d", i)
		w.AddLocation(shop(id, canonical.GeoPoint{Lat: irvine.Lat + float64(i)*0.01, Lng: irvine.Lng}))
		w.SetStock(id, "LAMP", 2)
	}
	rs := rulesWith(t, `
  - name: split
    when: { fulfilment: ship }
    candidates: { capability: ship, lines: partial, max_distance_km: 300, distance_exempt: [warehouse], max_candidates: 2 }
    rank: { by: [distance] }
    split: { allowed: true, max_locations: 2 }
`)
	d, err := router(t, w, rs).Decide(context.Background(), nil, order("o-exempt", canonical.FulfilShip, "", line{"TENT", 1, 19900}, line{"LAMP", 1, 4500}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := planLocations(d); d.Outcome != OutcomeAllocated || !slices.Equal(got, []string{"wh-main", "st-pasadena"}) {
		t.Fatalf("the warehouse must be considered although two nearer stores qualify: %s %v (%s)", d.Outcome, got, d.Reason)
	}
}
