// Package locations keeps the places that hold stock and fulfil orders
// (warehouses, stores, 3PLs, FBA, dropship suppliers): their address and
// coordinates, capabilities, groups, daily capacity and the capacity used
// today. Locations load from the hub.yaml `locations` section, either a list
// or the path of a CSV file.
//
// Promises: a location without coordinates is geocoded offline from its
// postal code (hub/geo); a postal code the table does not know is reported in
// the load report and the location is kept without coordinates, never placed
// at a guessed point. Writes are version-checked (store.ErrConflict).
package locations
