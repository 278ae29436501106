// Package store owns the hub's SQL database: opening it (one SQLite file in WAL
// mode by default, PostgreSQL for several replicas), its embedded migrations, the
// small dialect helpers every repository uses, and the repositories of the
// commerce state (orders with their refs and history, customers, locations and
// their daily capacity, allocations, shipments). The bus and the hub's state
// share one database, so a handler changes state and publishes its next messages
// in one transaction (DESIGN.md §3.1).
//
// Repositories take a DBTX, so the caller picks the transaction. Mutable rows
// carry a version: a write based on a stale version is refused with a
// *ConflictError (errors.Is(err, ErrConflict)), never silently applied.
// Migrations are portable SQL that runs unchanged on SQLite and PostgreSQL;
// times are stored as fixed-width UTC text (FormatTime) so they sort.
package store
