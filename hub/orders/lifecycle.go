package orders

import (
	"errors"
	"fmt"

	"github.com/crossdockhq/crossdock/canonical"
)

// Transitions is the order lifecycle: the statuses each status may move to.
//
//	pending -> confirmed -> allocated -> partially_fulfilled -> fulfilled -> returned
//	   any of pending, confirmed, allocated -> cancelled
//	allocated -> confirmed (routing undone); partially_fulfilled -> cancelled (rest
//	cancelled) or returned; cancelled and returned are final.
var Transitions = map[canonical.OrderStatus][]canonical.OrderStatus{
	canonical.OrderPending:            {canonical.OrderConfirmed, canonical.OrderCancelled},
	canonical.OrderConfirmed:          {canonical.OrderAllocated, canonical.OrderCancelled},
	canonical.OrderAllocated:          {canonical.OrderConfirmed, canonical.OrderPartiallyFulfilled, canonical.OrderFulfilled, canonical.OrderCancelled},
	canonical.OrderPartiallyFulfilled: {canonical.OrderFulfilled, canonical.OrderCancelled, canonical.OrderReturned},
	canonical.OrderFulfilled:          {canonical.OrderReturned},
	canonical.OrderCancelled:          {},
	canonical.OrderReturned:           {},
}

// CanTransition reports whether an order may move from one status to another.
func CanTransition(from, to canonical.OrderStatus) bool {
	for _, s := range Transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Editable reports whether customer service may still change the order
// (address, lines, cancel): only before fulfilment starts.
func Editable(s canonical.OrderStatus) bool {
	return s == canonical.OrderPending || s == canonical.OrderConfirmed || s == canonical.OrderAllocated
}

// ErrIllegalTransition is matched (errors.Is) by every refused status change.
var ErrIllegalTransition = errors.New("illegal order transition")

// TransitionError is a refused change: the order, its status and what was asked.
type TransitionError struct {
	OrderID string
	From    canonical.OrderStatus
	To      canonical.OrderStatus
	// Action is the change asked for when it is not a plain status change
	// ("change_address", "cancel_line").
	Action string
}

func (e *TransitionError) Error() string {
	if e.Action != "" {
		return fmt.Sprintf("order %s is %s: %s is allowed only before fulfilment (pending, confirmed, allocated)", e.OrderID, e.From, e.Action)
	}
	allowed := Transitions[e.From]
	return fmt.Sprintf("order %s cannot go from %s to %s (allowed: %v)", e.OrderID, e.From, e.To, allowed)
}

// Is makes errors.Is(err, ErrIllegalTransition) true.
func (e *TransitionError) Is(target error) bool { return target == ErrIllegalTransition }

// ErrInvalidOrder is matched by errors about a malformed order or request.
var ErrInvalidOrder = errors.New("invalid order")

// InvalidError names the field that is wrong.
type InvalidError struct {
	Field   string
	Message string
}

func (e *InvalidError) Error() string { return e.Field + ": " + e.Message }

// Is makes errors.Is(err, ErrInvalidOrder) true.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalidOrder }
