package orders

import (
	"context"
	"errors"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/inventory"
	"github.com/crossdockhq/crossdock/pipelines"
)

// Steps adapts the order service to the pipelines' `store` and `reserve` steps.
type Steps struct {
	Orders *Service
	// Publish publishes the commands a step's change caused, in the step's
	// transaction (the hub wiring passes the bus); required when channels
	// have inventory buffers.
	Publish func(ctx context.Context, tx pipelines.DBTX, cmds []inventory.Command) error
}

var (
	_ pipelines.OrderStore = Steps{}
	_ pipelines.Reserver   = Steps{}
)

func (s Steps) publish(sc *pipelines.StepContext, cmds []inventory.Command) error {
	if len(cmds) == 0 {
		return nil
	}
	if s.Publish == nil {
		return errors.New("orders: commands to publish but no publisher wired")
	}
	return s.Publish(sc.Context, sc.Tx, inventory.Coalesce(cmds))
}

// StoreOrder implements pipelines.OrderStore: it stores the record's order
// (comparing versions) without reserving, and fills order with what is stored.
func (s Steps) StoreOrder(sc *pipelines.StepContext, rec canonical.Record, order *canonical.Order) (bool, error) {
	if sc.Tx == nil {
		return false, errors.New("orders: store needs the step's transaction")
	}
	o := *order
	if o.Channel == "" {
		o.Channel = rec.Source
	}
	if o.ExternalID == "" {
		o.ExternalID = rec.ExternalID
	}
	res, err := s.Orders.Store(sc.Context, sc.Tx, o, rec.Version, rec.Source)
	if err != nil {
		return false, err
	}
	*order = res.Order
	return res.Outcome != Unchanged, s.publish(sc, res.Commands)
}

// Reserve implements pipelines.Reserver: it reserves a stored pending order's
// open lines and returns the lines it could not reserve (then none is held).
func (s Steps) Reserve(sc *pipelines.StepContext, order *canonical.Order) ([]canonical.LineQuantity, error) {
	if sc.Tx == nil {
		return nil, errors.New("orders: reserve needs the step's transaction")
	}
	res, err := s.Orders.ReserveOrder(sc.Context, sc.Tx, order.ID, "pipeline:"+sc.Pipeline)
	if err != nil {
		return nil, err
	}
	*order = res.Order
	var short []canonical.LineQuantity
	for _, sh := range res.Shortages {
		short = append(short, canonical.LineQuantity{LineID: sh.LineID, SKU: sh.SKU, Quantity: sh.Requested})
	}
	return short, s.publish(sc, res.Commands)
}
