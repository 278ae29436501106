package routing

import (
	"fmt"
	"slices"
	"strings"

	"cel.dev/cel-go/cel"
	"github.com/crossdockhq/crossdock/canonical"
)

// RuleSet is a merchant's routing configuration: the ordered rules, the default
// warehouse used as the savings baseline, the sales-velocity window and the
// shipping rate table. Build one with LoadRules or DecodeRules; the zero value
// routes nothing.
type RuleSet struct {
	// File is the file the rules were read from, for messages.
	File string
	// DefaultWarehouse is the location id the baseline plan ships everything from.
	DefaultWarehouse string
	// VelocityWindowDays is the window average daily sales are measured over.
	VelocityWindowDays int
	// DefaultQueue is where an order waits when no rule yields a plan and the
	// last rule says "next".
	DefaultQueue string
	// Rates is the shipping rate table used for cost estimates and savings.
	Rates RateTable
	// Rules are tried in order; the first that yields a plan wins.
	Rules []*Rule
}

// Rule is one routing rule: which orders it applies to, which locations may
// serve them, how they are ranked, whether the order may be split, and what
// happens when the rule yields no plan.
type Rule struct {
	// Name identifies the rule in decisions and messages; unique in a RuleSet.
	Name string
	// Pos is where the rule starts in its file.
	Pos Position
	// When selects the orders the rule applies to.
	When When
	// Method is the fulfilment method of the plans this rule makes; empty means
	// the order's own method. A pickup order can be served by a ship_to_store rule.
	Method canonical.FulfilmentMethod
	// Candidates selects the locations that may serve.
	Candidates Candidates
	// Rank orders the candidates.
	Rank Rank
	// Split says whether an order may be served from several locations.
	Split Split
	// Otherwise says what happens when the rule yields no plan.
	Otherwise Otherwise
}

// When selects orders. Empty lists match everything; all given conditions must hold.
type When struct {
	// Channels are connector instance names, e.g. "shopify-us".
	Channels []string
	// Fulfilment are the fulfilment methods the order must have.
	Fulfilment []canonical.FulfilmentMethod
	// ShippingMethods match a shipping line's code or title, case-insensitively.
	ShippingMethods []string
	// Countries are ISO 3166-1 alpha-2 destination countries.
	Countries []string
	// Regions are ISO 3166-2 destination subdivisions, e.g. "US-CA".
	Regions []string
	// Condition is a CEL expression over `order` that must be true.
	Condition string

	prog cel.Program
}

// LinesMode says whether a candidate must hold every line or may hold some.
type LinesMode string

// Lines modes.
const (
	// LinesAll keeps only locations that can serve every line.
	LinesAll LinesMode = "all"
	// LinesPartial keeps locations that can serve at least one line (for splits).
	LinesPartial LinesMode = "partial"
)

// Candidates selects the locations a rule may route to.
type Candidates struct {
	// Types are the location types allowed; empty allows all.
	Types []canonical.LocationType
	// Groups: the location must belong to at least one; empty allows all.
	Groups []string
	// Tags: the location must carry every one.
	Tags []string
	// ExcludeTags: the location must carry none.
	ExcludeTags []string
	// Capability is what the location must be able to do; defaults from the
	// plan's method (ship, pickup, ship_to_store).
	Capability canonical.Capability
	// MaxDistanceKM is the furthest a location may be from the destination; 0 = no limit.
	MaxDistanceKM float64
	// MaxCandidates, when positive, makes the rule consider only the nearest
	// locations that pass every filter, stock included: their stock is read
	// nearest first, a batch at a time, until this many are found.
	MaxCandidates int
	// DistanceExempt are location types MaxDistanceKM does not apply to (e.g.
	// warehouse, so a split may combine the far warehouse and nearby stores).
	DistanceExempt []canonical.LocationType
	// MinCapacityLeft is the daily order capacity a location must have left
	// (only for locations with a daily capacity); defaults to 1.
	MinCapacityLeft int
	// Lines says whether a candidate must hold every line.
	Lines LinesMode
	// PickupStore restricts the candidates to the store the customer chose.
	PickupStore bool
}

// Criterion names one ranking criterion.
type Criterion string

// Ranking criteria.
const (
	// ByDistance prefers the location nearest the destination.
	ByDistance Criterion = "distance"
	// ByDaysOfCover prefers the location with the most days of cover
	// (on hand / average daily sales) for the order's SKUs: overstocked first.
	ByDaysOfCover Criterion = "days_of_cover"
	// ByBalance prefers the location left with the most units after the order.
	ByBalance Criterion = "balance"
	// ByPriority prefers the location with the lowest priority number.
	ByPriority Criterion = "priority"
	// ByShippingCost prefers the cheapest estimated shipping.
	ByShippingCost Criterion = "shipping_cost"
)

var criteria = []Criterion{ByDistance, ByDaysOfCover, ByBalance, ByPriority, ByShippingCost}

// RankMode says how criteria combine.
type RankMode string

// Rank modes.
const (
	// RankOrdered compares criteria one after another: the next breaks ties of the previous.
	RankOrdered RankMode = "ordered"
	// RankWeighted sums each criterion's normalised cost times its weight; lowest wins.
	RankWeighted RankMode = "weighted"
)

// Rank orders candidates.
type Rank struct {
	// Mode is ordered or weighted.
	Mode RankMode
	// By are the criteria, in order.
	By []RankBy
}

// RankBy is one criterion of a ranking.
type RankBy struct {
	// Criterion is what is compared.
	Criterion Criterion
	// Weight is the criterion's weight in weighted mode.
	Weight float64
	// Tolerance makes values this close count as equal in ordered mode
	// (e.g. 5 km of distance).
	Tolerance float64
}

// Split says whether and how an order may be served from several locations.
type Split struct {
	// Allowed permits a split when no single location can serve the order.
	Allowed bool
	// MaxLocations caps the number of locations; 0 means 2.
	MaxLocations int
	// MinShipmentValue is the least merchandise value (minor units) a shipment may carry.
	MinShipmentValue int64
}

// Action is what happens when a rule yields no plan.
type Action string

// Otherwise actions.
const (
	// ActionNext tries the next rule.
	ActionNext Action = "next"
	// ActionHold parks the order in a named queue for a later retry.
	ActionHold Action = "hold"
	// ActionBackorder allocates the order to the best candidate, to ship when stock arrives.
	ActionBackorder Action = "backorder"
)

// Otherwise is what a rule does when it yields no plan.
type Otherwise struct {
	// Action is next, hold or backorder.
	Action Action
	// Queue is the hold queue's name.
	Queue string
	// AlternativesKM, when positive, makes a failed pickup rule list the other
	// pickup stores within this distance of the chosen store that could hand
	// over every line now.
	AlternativesKM float64
	// AlternativesLimit caps that list; 0 means 3.
	AlternativesLimit int
}

// Position is a place in a rules file.
type Position struct {
	// File is the file's path.
	File string
	// Line is 1-based.
	Line int
	// Col is 1-based.
	Col int
}

// String renders the position as file:line:col.
func (p Position) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// RuleError is one problem in a rules file, with its position.
type RuleError struct {
	// Pos is where the problem is.
	Pos Position
	// Msg says what is wrong.
	Msg string
}

// Error renders the problem as file:line:col: message.
func (e RuleError) Error() string { return e.Pos.String() + ": " + e.Msg }

// RuleErrors is every problem found in a rules file, in file order.
type RuleErrors []RuleError

// Error lists every problem, one per line.
func (e RuleErrors) Error() string {
	parts := make([]string, len(e))
	for i, x := range e {
		parts[i] = x.Error()
	}
	return strings.Join(parts, "\n")
}

// method returns the plan method a rule uses for an order.
func (r *Rule) method(o *canonical.Order) canonical.FulfilmentMethod {
	if r.Method != "" {
		return r.Method
	}
	if o.Fulfilment.Method == "" {
		return canonical.FulfilShip
	}
	return o.Fulfilment.Method
}

// capability returns the capability a candidate needs under the rule.
func (r *Rule) capability(m canonical.FulfilmentMethod) canonical.Capability {
	if r.Candidates.Capability != "" {
		return r.Candidates.Capability
	}
	switch m {
	case canonical.FulfilPickup:
		return canonical.CapPickup
	case canonical.FulfilShipToStore:
		return canonical.CapShipToStore
	default:
		return canonical.CapShip
	}
}

// matches reports whether the rule applies to the order; when it does not, it
// says why.
func (w *When) matches(o *canonical.Order, act map[string]any) (bool, string, error) {
	if len(w.Channels) > 0 && !slices.Contains(w.Channels, o.Channel) {
		return false, fmt.Sprintf("channel %q not in %v", o.Channel, w.Channels), nil
	}
	m := o.Fulfilment.Method
	if m == "" {
		m = canonical.FulfilShip
	}
	if len(w.Fulfilment) > 0 && !slices.Contains(w.Fulfilment, m) {
		return false, fmt.Sprintf("fulfilment %q not in %v", m, w.Fulfilment), nil
	}
	if len(w.ShippingMethods) > 0 {
		ok := false
		for _, sl := range o.ShippingLines {
			for _, want := range w.ShippingMethods {
				if strings.EqualFold(sl.Code, want) || strings.EqualFold(sl.Title, want) {
					ok = true
				}
			}
		}
		if !ok {
			return false, fmt.Sprintf("no shipping method in %v", w.ShippingMethods), nil
		}
	}
	var country, region string
	if o.ShippingAddress != nil {
		country = strings.ToUpper(o.ShippingAddress.Country)
		region = strings.ToUpper(o.ShippingAddress.Region)
	}
	if len(w.Countries) > 0 && !slices.Contains(w.Countries, country) {
		return false, fmt.Sprintf("destination country %q not in %v", country, w.Countries), nil
	}
	if len(w.Regions) > 0 && !slices.Contains(w.Regions, country+"-"+region) {
		return false, fmt.Sprintf("destination region %q not in %v", country+"-"+region, w.Regions), nil
	}
	if w.prog != nil {
		// A condition that fails on this order (a missing field, a non-bool
		// result) does not match it; the trace says why, and routing goes on.
		out, _, err := w.prog.Eval(act)
		if err != nil {
			return false, fmt.Sprintf("condition %q failed: %v", w.Condition, err), nil
		}
		b, ok := out.Value().(bool)
		if !ok {
			return false, fmt.Sprintf("condition %q yields %T, not bool", w.Condition, out.Value()), nil
		}
		if !b {
			return false, fmt.Sprintf("condition %q is false", w.Condition), nil
		}
	}
	return true, "", nil
}
