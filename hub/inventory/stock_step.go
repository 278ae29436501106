package inventory

import (
	"errors"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/pipelines"
)

// Stock adapts the service to the pipelines' `stock` step: a stock report
// from a system of record becomes a count reconciled against the ledger.
type Stock struct {
	Inventory *Service
	// Publish publishes the commands the change caused (channel figures) in
	// the step's transaction.
	Publish func(sc *pipelines.StepContext, cmds []Command) error
}

var _ pipelines.StockKeeper = Stock{}

// ApplyCount implements pipelines.StockKeeper.
func (s Stock) ApplyCount(sc *pipelines.StepContext, c canonical.InventoryCount, source string) (int64, error) {
	if sc.Tx == nil {
		return 0, errors.New("inventory: stock needs the step's transaction")
	}
	delta, cmds, err := s.Inventory.Count(sc.Context, sc.Tx, c, source)
	if err != nil {
		return 0, err
	}
	if len(cmds) > 0 && s.Publish != nil {
		if err := s.Publish(sc, cmds); err != nil {
			return 0, err
		}
	}
	return delta, nil
}
