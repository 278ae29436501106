// Package store owns the hub's SQL database: opening it (one SQLite file in WAL
// mode by default, PostgreSQL for several replicas), its embedded migrations, and
// the small dialect helpers every repository uses. The bus and the hub's state
// share one database, so a handler changes state and publishes its next messages
// in one transaction (DESIGN.md §3.1).
package store
