package inventory

import (
	"errors"
	"fmt"
)

// ErrInsufficientStock is matched (errors.Is) by every refusal to reserve.
var ErrInsufficientStock = errors.New("insufficient stock")

// InsufficientStockError is a refused reservation: what was asked and what
// was free. LocationID is "" for a network-wide reservation.
type InsufficientStockError struct {
	SKU        string `json:"sku"`
	LocationID string `json:"location_id"`
	Requested  int64  `json:"requested"`
	Available  int64  `json:"available"`
}

func (e *InsufficientStockError) Error() string {
	loc := e.LocationID
	if loc == "" {
		loc = "network"
	}
	return fmt.Sprintf("insufficient stock: sku %s at %s: requested %d, available %d", e.SKU, loc, e.Requested, e.Available)
}

// Is makes errors.Is(err, ErrInsufficientStock) true.
func (e *InsufficientStockError) Is(target error) bool { return target == ErrInsufficientStock }

// ErrInvalid is matched by errors about bad input (unknown reason, zero quantity...).
var ErrInvalid = errors.New("invalid inventory request")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}
