// Package canonical is Crossdock's model of commerce: orders, products, inventory,
// locations, shipments, returns, subscriptions, customers, and the Record envelope
// that carries any of them across the bus and the connector protocol.
//
// Every connector maps its platform's payloads to and from these types, so the
// rest of the hub thinks in one vocabulary. The package promises:
//
//   - Money is exact: integer minor units with an ISO 4217 currency, never a float.
//     ParseMoney reads the decimal strings platforms send and refuses what it
//     cannot represent exactly; arithmetic refuses mixed currencies and overflow;
//     Allocate splits a total across lines without losing or inventing a unit.
//   - Quantities are integers; times are UTC and RFC 3339 on the wire.
//   - Validate, on every type, reports every problem at once as ValidationErrors,
//     each with a JSON path ("lines[2].quantity: must be greater than 0"); a
//     Record's payload is decoded by its kind and checked under "payload.".
//   - No card data: CheckNoCardData, which Validate runs, refuses any string
//     that looks like a primary account number, and its error names the field
//     but never repeats the digits (the rule is documented in cardguard.go).
//   - The JSON Schemas (draft 2020-12) served by Schema and RecordSchema are
//     generated from these types (go generate; see internal/schemagen) and a
//     test keeps the committed copies in step with the code.
//
// It imports nothing of the project, so any other package may depend on it.
package canonical
