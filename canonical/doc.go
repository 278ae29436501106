// Package canonical is Crossdock's model of commerce: orders, products, inventory,
// locations, shipments, returns, subscriptions, customers, and the Record envelope
// that carries any of them across the bus and the connector protocol.
//
// Every connector maps its platform's payloads to and from these types, so the
// rest of the hub thinks in one vocabulary. The package promises:
//
//   - Money is exact: integer minor units with an ISO 4217 currency, never a float.
//   - Quantities are integers; times are UTC and RFC 3339 on the wire.
//   - Validate reports every problem at once, each with a JSON path.
//   - No card data: a value that looks like a primary account number is refused
//     by validation, and the error never repeats the digits.
//
// It imports nothing of the project, so any other package may depend on it.
package canonical
