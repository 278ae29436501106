package canonical

import "slices"

// The legal values of each enumerated type, in a stable order. Validation and
// the generated JSON Schemas both read these lists, so they never disagree.
var (
	// OrderStatuses lists every OrderStatus.
	OrderStatuses = []OrderStatus{OrderPending, OrderConfirmed, OrderAllocated,
		OrderPartiallyFulfilled, OrderFulfilled, OrderCancelled, OrderReturned}
	// FulfilmentMethods lists every FulfilmentMethod.
	FulfilmentMethods = []FulfilmentMethod{FulfilShip, FulfilPickup, FulfilShipToStore}
	// TrackingStatuses lists every TrackingStatus.
	TrackingStatuses = []TrackingStatus{TrackPending, TrackPickedUp, TrackInTransit,
		TrackOutForDelivery, TrackDelivered, TrackException, TrackReturned, TrackCancelled}
	// ReturnStatuses lists every ReturnStatus.
	ReturnStatuses = []ReturnStatus{ReturnRequested, ReturnApproved, ReturnReceived,
		ReturnRefunded, ReturnRejected}
	// SubscriptionStatuses lists every SubscriptionStatus.
	SubscriptionStatuses = []SubscriptionStatus{SubscriptionActive, SubscriptionPaused,
		SubscriptionCancelled}
	// LocationTypes lists every LocationType.
	LocationTypes = []LocationType{LocationWarehouse, LocationStore, Location3PL,
		LocationFBA, LocationDropship}
	// Capabilities lists every location Capability.
	Capabilities = []Capability{CapShip, CapPickup, CapShipToStore, CapReturns}
	// MovementReasons lists every MovementReason.
	MovementReasons = []MovementReason{MoveReceipt, MoveSale, MoveAdjustment, MoveCount,
		MoveTransfer, MoveReturn, MoveDamage}
	// ProductStatuses lists every ProductStatus.
	ProductStatuses = []ProductStatus{ProductActive, ProductDraft, ProductArchived}
	// ListingStatuses lists every ListingStatus.
	ListingStatuses = []ListingStatus{ListingPending, ListingPublished,
		ListingUnpublished, ListingError}
	// AllocationStatuses lists the values of Allocation.Status.
	AllocationStatuses = []string{AllocationRequested, AllocationAccepted,
		AllocationRejected, AllocationFulfilled, AllocationCancelled}
	// LabelFormats lists the values of Label.Format.
	LabelFormats = []string{"PDF", "ZPL", "PNG"}
)

// Allocation statuses: the values of Allocation.Status.
const (
	AllocationRequested = "requested"
	AllocationAccepted  = "accepted"
	AllocationRejected  = "rejected"
	AllocationFulfilled = "fulfilled"
	AllocationCancelled = "cancelled"
)

// Valid reports whether s is one of OrderStatuses.
func (s OrderStatus) Valid() bool { return slices.Contains(OrderStatuses, s) }

// Valid reports whether m is one of FulfilmentMethods.
func (m FulfilmentMethod) Valid() bool { return slices.Contains(FulfilmentMethods, m) }

// Valid reports whether s is one of TrackingStatuses.
func (s TrackingStatus) Valid() bool { return slices.Contains(TrackingStatuses, s) }

// Valid reports whether s is one of ReturnStatuses.
func (s ReturnStatus) Valid() bool { return slices.Contains(ReturnStatuses, s) }

// Valid reports whether s is one of SubscriptionStatuses.
func (s SubscriptionStatus) Valid() bool { return slices.Contains(SubscriptionStatuses, s) }

// Valid reports whether t is one of LocationTypes.
func (t LocationType) Valid() bool { return slices.Contains(LocationTypes, t) }

// Valid reports whether c is one of Capabilities.
func (c Capability) Valid() bool { return slices.Contains(Capabilities, c) }

// Valid reports whether r is one of MovementReasons.
func (r MovementReason) Valid() bool { return slices.Contains(MovementReasons, r) }

// Valid reports whether s is one of ProductStatuses.
func (s ProductStatus) Valid() bool { return slices.Contains(ProductStatuses, s) }

// Valid reports whether s is one of ListingStatuses.
func (s ListingStatus) Valid() bool { return slices.Contains(ListingStatuses, s) }

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool { return slices.Contains(Kinds, k) }
