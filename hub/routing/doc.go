// Package routing decides where each order is fulfilled: which location (or
// locations) serves which lines, by the merchant's rules, with every decision
// explained and its shipping saving measured.
//
// The rules (LoadRules, configs/routing/*.yaml, docs/routing.md) are an
// ordered list; the first rule that yields a plan wins. A rule selects orders
// (`when`: channel, fulfilment method, shipping method, destination, a CEL
// condition), the locations that may serve (`candidates`: type, group, tags,
// capability, distance, daily capacity, all lines or part), ranks them
// (`rank`: ordered or weighted distance, days of cover, inventory balance,
// priority, estimated shipping cost), may split the order (`split`), and says
// what happens when it yields no plan (`otherwise`: next rule, hold in a
// queue, backorder).
//
// The decision core (Router.Decide) is pure: it reads state through small
// interfaces declared here (Locations, Stock, Velocity, Capacity) and changes
// nothing. Router.Route adds the side effects in the caller's transaction:
// it reserves the plan's stock (Reserver), stores the decision and the
// allocations (Decisions) and returns one fulfilment request per location.
// Router.Reroute handles a location's rejection. World implements every
// interface in memory; the SQL* types and InventoryReserver implement them
// over the hub's tables and hub/inventory.
//
// Promises:
//   - Every decision is explained (DESIGN.md §3.6): the rules tried and why
//     each did not apply, the candidates with their raw and normalised scores,
//     why each excluded location was excluded, the winning rule, the plan's
//     estimated cost against the baseline (everything from the default
//     warehouse) and the saving. It is stored with the order in
//     routing_decisions and returned by Explain.
//   - Nothing doubled (DESIGN.md §3.1): stock is reserved in the same
//     transaction that stores the decision; a reservation is all or nothing;
//     an order already allocated is not allocated again; fulfilment requests
//     carry stable idempotency keys.
//   - Bad rules get a clear error: every problem in a rules file is reported
//     with its file:line:col, CEL conditions are type-checked at load.
package routing
