// Package file is the connector for the CSV and JSON Lines feeds merchants live
// in: it reads products, inventory levels and orders from files in a folder and
// writes the same (an export).
//
// Reading. Each stream (products, inventory, orders) reads the files of the
// folder that match its pattern, in name order, row by row. A header row (CSV)
// or the keys of each object (JSON Lines) are mapped to canonical fields through
// the stream's `columns` config; consecutive rows with the same product or order
// id make one product (its variants) or one order (its lines).
//
// Promises:
//   - The cursor is the file, byte offset and line after the last row of a batch,
//     so a read resumes exactly where the last stored cursor points: nothing lost,
//     nothing repeated. Rows appended to a file later are read on the next poll; a
//     JSON line without its newline yet is left for the next poll.
//   - A bad row never stops the others: it becomes an sdk.Reject in the batch,
//     located by file, line, column and field ("orders.csv:12:4 (quantity): ..."),
//     which the hub dead-letters, and the cursor moves past it.
//   - Writing the same command twice has one effect: the export keeps a ledger of
//     the idempotency keys it wrote (check before create).
package file
