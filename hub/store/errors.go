package store

import (
	"errors"
	"fmt"
)

// ErrConflict is the error a repository returns when a write is based on a
// stale version of a row: someone else changed it first. Test with errors.Is.
var ErrConflict = errors.New("store: version conflict")

// ErrNotFound is the error a repository returns when the row asked for does not exist.
var ErrNotFound = errors.New("store: not found")

// ConflictError names the row whose write was refused and the version the writer
// expected. It matches ErrConflict with errors.Is.
type ConflictError struct {
	// Entity is the kind of row, e.g. "order".
	Entity string
	// ID is the row's id.
	ID string
	// Expected is the version the writer read.
	Expected int64
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s %s: version %d is stale: changed by another writer", e.Entity, e.ID, e.Expected)
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// NotFoundError names the row that does not exist. It matches ErrNotFound.
type NotFoundError struct {
	// Entity is the kind of row, e.g. "order".
	Entity string
	// ID is the id asked for.
	ID string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("%s %s not found", e.Entity, e.ID) }

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }
