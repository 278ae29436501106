package routing

import (
	"time"

	"github.com/crossdockhq/crossdock/canonical"
)

// Outcome is how a routing decision ended.
type Outcome string

// Decision outcomes.
const (
	// OutcomeAllocated: a plan was found and its stock reserved.
	OutcomeAllocated Outcome = "allocated"
	// OutcomeHeld: the order waits in a named queue for a later retry.
	OutcomeHeld Outcome = "held"
	// OutcomeBackorder: the order is assigned to a location to ship when stock arrives.
	OutcomeBackorder Outcome = "backorder"
)

// Decision is one routing decision for an order, with everything needed to
// explain it: each rule tried, the candidates it considered with their scores,
// why every excluded location was excluded, the plan and its estimated cost
// against the baseline. It is stored with the order (routing_decisions) and
// returned by the API as the order's `routing` field.
type Decision struct {
	// ID identifies the decision.
	ID string `json:"id"`
	// OrderID is the order routed.
	OrderID string `json:"order_id"`
	// Attempt is 1 for the first decision and grows with every reroute or retry.
	Attempt int `json:"attempt"`
	// Outcome is allocated, held or backorder.
	Outcome Outcome `json:"outcome"`
	// Rule is the rule that produced the outcome ("" when none did).
	Rule string `json:"rule,omitempty"`
	// Queue is the hold queue, for held orders.
	Queue string `json:"queue,omitempty"`
	// Reason says in a sentence why the decision ended as it did.
	Reason string `json:"reason"`
	// Plan is one shipment per location.
	Plan []PlannedShipment `json:"plan,omitempty"`
	// Destination is the coordinate distances were measured to, when known.
	Destination *canonical.GeoPoint `json:"destination,omitempty"`
	// EstimatedCost is the estimated shipping cost of the plan.
	EstimatedCost *canonical.Money `json:"estimated_cost,omitempty"`
	// BaselineCost is the estimated cost of shipping everything from the default warehouse.
	BaselineCost *canonical.Money `json:"baseline_cost,omitempty"`
	// Saving is BaselineCost - EstimatedCost (negative when the plan costs more).
	Saving *canonical.Money `json:"saving,omitempty"`
	// BaselineLocation is the default warehouse the baseline ships from.
	BaselineLocation string `json:"baseline_location,omitempty"`
	// ExcludedLocations are locations excluded for this order because they
	// rejected a fulfilment request.
	ExcludedLocations []string `json:"excluded_locations,omitempty"`
	// Rerouted names the location whose rejection caused this decision.
	Rerouted string `json:"rerouted_from,omitempty"`
	// Alternatives are pickup stores that could hand over every line, when the
	// chosen pickup store could not.
	Alternatives []Alternative `json:"alternatives,omitempty"`
	// Rules is the trace of every rule tried, in order.
	Rules []RuleTrace `json:"rules"`
	// DecidedAt is when the decision was made.
	DecidedAt time.Time `json:"decided_at"`
	// ElapsedMicros is how long the decision took, state lookups included.
	ElapsedMicros int64 `json:"elapsed_us"`
}

// PlannedShipment is the part of a plan one location serves.
type PlannedShipment struct {
	// LocationID is the fulfilling location.
	LocationID string `json:"location_id"`
	// LocationName is its display name.
	LocationName string `json:"location_name,omitempty"`
	// Method is how the lines reach the customer.
	Method canonical.FulfilmentMethod `json:"method"`
	// Lines are the order lines and quantities served.
	Lines []canonical.LineQuantity `json:"lines"`
	// DistanceKM is from the location to the customer (ship) or the pickup store.
	DistanceKM float64 `json:"distance_km"`
	// Value is the merchandise value of the lines, after line discounts.
	Value canonical.Money `json:"value"`
	// Grams is the estimated shipping weight.
	Grams int64 `json:"grams"`
	// EstimatedCost is the estimated shipping cost (zero for pickup at the store).
	EstimatedCost canonical.Money `json:"estimated_cost"`
}

// Alternative is a pickup store that can hand over every line now.
type Alternative struct {
	// LocationID is the store.
	LocationID string `json:"location_id"`
	// Name is its display name.
	Name string `json:"name,omitempty"`
	// DistanceKM is from the reference point (the chosen store or the customer).
	DistanceKM float64 `json:"distance_km"`
	// Available is the units available per SKU of the order.
	Available map[string]int64 `json:"available"`
}

// RuleTrace is what one rule did for one order.
type RuleTrace struct {
	// Rule is the rule's name.
	Rule string `json:"rule"`
	// Matched says whether the rule's `when` selected the order.
	Matched bool `json:"matched"`
	// NotMatched says which condition did not hold.
	NotMatched string `json:"not_matched,omitempty"`
	// Method is the plan method the rule used.
	Method canonical.FulfilmentMethod `json:"method,omitempty"`
	// Result says what the rule produced: "plan", "split plan", or why none.
	Result string `json:"result,omitempty"`
	// Action is the otherwise action taken when the rule yielded no plan.
	Action Action `json:"action,omitempty"`
	// Candidates are the locations that could serve some or all lines, best first.
	Candidates []CandidateTrace `json:"candidates,omitempty"`
	// Excluded are excluded locations with their reasons. Locations left out
	// by type, capability, group, tags or inactivity are only counted (see
	// ExcludedCounts); the others are listed, up to 25 per reason, nearest first.
	Excluded []Exclusion `json:"excluded,omitempty"`
	// ExcludedCounts is the number of locations excluded per reason.
	ExcludedCounts map[string]int `json:"excluded_counts,omitempty"`
}

// CandidateTrace is one candidate with its scores.
type CandidateTrace struct {
	// LocationID is the candidate.
	LocationID string `json:"location_id"`
	// Full says whether it could serve every line.
	Full bool `json:"full"`
	// Lines are the line ids it could serve.
	Lines []string `json:"lines,omitempty"`
	// Values are the raw value per criterion (km, days, units, priority, minor units).
	Values map[Criterion]float64 `json:"values"`
	// Normalised are the 0 (best) to 1 (worst) costs per criterion, in weighted mode.
	Normalised map[Criterion]float64 `json:"normalised,omitempty"`
	// Score is the weighted score (lower wins), in weighted mode.
	Score float64 `json:"score,omitempty"`
}

// Exclusion reason codes.
const (
	ExclRejected     = "rejected"
	ExclInactive     = "inactive"
	ExclType         = "type"
	ExclGroup        = "group"
	ExclTags         = "tags"
	ExclCapability   = "capability"
	ExclNotPickup    = "not_pickup_store"
	ExclNoCoordinate = "no_coordinates"
	ExclTooFar       = "too_far"
	ExclCapacity     = "over_capacity"
	ExclNoStock      = "no_stock"
	// ExclNotExamined counts locations beyond a rule's max_candidates that
	// were not looked at because nearer ones sufficed.
	ExclNotExamined = "not_examined"
)

// Exclusion is why a location could not serve.
type Exclusion struct {
	// LocationID is the location excluded.
	LocationID string `json:"location_id"`
	// Reason is a code: rejected, too_far, over_capacity, no_stock, ...
	Reason string `json:"reason"`
	// Detail says it for a person: "no stock for sku TEE-M (need 2, available 1)".
	Detail string `json:"detail"`
}
