// Package inventory keeps the hub's picture of stock: an append-only ledger of
// movements per SKU per location, the levels derived from it (rebuildable at
// any time), reservations for accepted orders, safety stock, available-to-promise
// per location and across the network, and the figure published to each channel
// after its buffers.
//
// Promises:
//   - No oversell. A reservation succeeds only if on hand - reserved - safety
//     stock covers it, checked and written under a per-SKU row lock in the
//     caller's transaction (a conditional UPDATE, which serialises on SQLite and
//     PostgreSQL alike; LockSKUs takes several SKUs' locks in a fixed order so
//     multi-line orders cannot deadlock on PostgreSQL); a refusal is an *InsufficientStockError naming the SKU,
//     location, requested and available quantities.
//   - The ledger is the truth. Levels equal what Rebuild recomputes from the
//     ledger and the active reservations.
//   - Network figures cost one row read, not a sum over every location. Per
//     SKU and location selection (every active location, or a channel's
//     locations/groups/exclude) the sum of the locations' ATP is kept in
//     inventory_atp, changed in the same transaction and under the same SKU
//     lock as every level it sums; a change of a location's active flag or
//     groups makes the rows stale (location epoch) and they are recomputed
//     before use. The rows equal the sums over the levels at all times
//     (AggregateDrift checks; Rebuild corrects). Levels must therefore be
//     changed only through this package.
//   - Every mutating method returns the SetInventory commands for the channels
//     whose published figure changed; the caller publishes them in the same
//     transaction (DESIGN.md §3.1), and published_inventory remembers what each
//     channel was told, so an unchanged figure is never sent twice.
//
// Every method takes a store.DBTX; mutating methods expect a transaction.
package inventory
