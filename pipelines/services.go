package pipelines

import (
	"time"

	"github.com/crossdockhq/crossdock/canonical"
)

// Services are the hub services steps reach. Each is a small interface declared
// here, where it is consumed, and implemented in a hub package; the hub wiring
// fills the fields it has. A nil field means the service is not available (while
// validating, or in a test that does not mock it); a step that needs it fails
// its records with a clear error rather than panicking.
type Services struct {
	// Dedupe remembers idempotency keys, durably, in the handler's transaction.
	Dedupe Deduper
	// Orders stores orders and their lifecycle (the `store` step).
	Orders OrderStore
	// Inventory reserves stock for orders (the `reserve` step).
	Inventory Reserver
	// Router chooses the locations that fulfil an order (the `route` step).
	Router Router
	// Catalog turns products into channel listings (the `syndicate` step).
	Catalog Syndicator
	// Availability computes the quantities to publish to channels (the
	// `publish_inventory` step).
	Availability InventoryPublisher
	// Connectors performs calls a step makes to a connector while processing
	// (lookups); mocked in `crossdock test`.
	Connectors ConnectorCaller
	// Stock applies stock figures from a system of record to the ledger (the
	// `stock` step).
	Stock StockKeeper
}

// StockKeeper applies stock reports (an ERP's or a POS's levels and counts)
// to the hub's inventory ledger.
type StockKeeper interface {
	// ApplyCount reconciles a counted on-hand figure against the ledger: the
	// difference becomes a count movement, and the channels whose published
	// figure changed are told in the step's transaction. It returns the
	// movement's delta (0 when the ledger already agreed).
	ApplyCount(sc *StepContext, count canonical.InventoryCount, source string) (delta int64, err error)
}

// Deduper remembers keys within a scope for a window.
type Deduper interface {
	// Seen records key in scope and reports whether it was already recorded
	// less than window ago. It runs in sc.Tx, so a rolled-back record is
	// forgotten with its transaction.
	Seen(sc *StepContext, scope, key string, window time.Duration) (bool, error)
}

// OrderStore keeps the hub's orders.
type OrderStore interface {
	// StoreOrder upserts the order carried by rec (comparing versions) and
	// reports whether it changed anything.
	StoreOrder(sc *StepContext, rec canonical.Record, order *canonical.Order) (changed bool, err error)
}

// Reserver reserves stock for orders.
type Reserver interface {
	// Reserve reserves the order's open lines; it returns the lines it could
	// not reserve.
	Reserve(sc *StepContext, order *canonical.Order) (short []canonical.LineQuantity, err error)
}

// Router chooses where an order is fulfilled.
type Router interface {
	// Route returns the allocations of the order, each with its routing trace.
	Route(sc *StepContext, order *canonical.Order) ([]canonical.Allocation, error)
}

// Syndicator maps products to channel listings.
type Syndicator interface {
	// Syndicate returns the listing of the product on channel and whether the
	// channel needs an update.
	Syndicate(sc *StepContext, product *canonical.Product, channel string) (canonical.Listing, bool, error)
}

// InventoryPublisher computes the stock figures channels show.
type InventoryPublisher interface {
	// Publish returns the quantities to send to channel after a level changed.
	Publish(sc *StepContext, level *canonical.InventoryLevel, channel string) ([]canonical.SetInventory, error)
}

// ConnectorCall is one command a step sends to a connector and waits for.
type ConnectorCall struct {
	Connector      string
	Action         canonical.Action
	IdempotencyKey string
	Payload        []byte
}

// ConnectorResult is a connector's answer to a ConnectorCall.
type ConnectorResult struct {
	// OK is false when the connector refused the command.
	OK bool
	// Retryable says whether a refusal may succeed later.
	Retryable bool
	// ExternalID is the id the external system gave.
	ExternalID string
	// Error explains a refusal.
	Error string
}

// ConnectorCaller sends commands to connectors synchronously.
type ConnectorCaller interface {
	Call(sc *StepContext, call ConnectorCall) (ConnectorResult, error)
}
