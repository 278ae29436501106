// Package orders keeps the hub's orders: every channel's orders stored
// canonically (the JSON document plus indexed columns) with their external
// refs, a lifecycle state machine, the history of every change, and the
// customer-service changes made before fulfilment.
//
// Promises:
//   - One order per (channel, external id): the same order arriving twice, by
//     webhook and by poll, is stored once and replaced only by a newer version
//     (Record.Version); an equal or older version changes nothing.
//   - Accept stores the order and reserves its units in the caller's
//     transaction, so an order is never stored without its reservations (or a
//     recorded shortage).
//   - Status changes follow the lifecycle (Transitions); an illegal one is a
//     *TransitionError and changes nothing.
//   - Every change appends to the order's history, and every change that must
//     reach a channel (a cancel, inventory figures) is returned as commands for
//     the caller to publish in the same transaction.
package orders
