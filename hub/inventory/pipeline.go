package inventory

import (
	"encoding/json"
	"errors"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/pipelines"
)

// Availability adapts the service to the pipelines' `publish_inventory` step.
type Availability struct {
	Inventory *Service
}

var _ pipelines.InventoryPublisher = Availability{}

// Publish implements pipelines.InventoryPublisher: after a level changed, the
// figures of channel that differ from what it was last told, recorded as
// published in the step's transaction (the step sends them).
func (a Availability) Publish(sc *pipelines.StepContext, level *canonical.InventoryLevel, channel string) ([]canonical.SetInventory, error) {
	if sc.Tx == nil {
		return nil, errors.New("inventory: publish needs the step's transaction")
	}
	cmds, err := a.Inventory.SyncChannel(sc.Context, sc.Tx, level.SKU, channel)
	if err != nil {
		return nil, err
	}
	out := make([]canonical.SetInventory, 0, len(cmds))
	for _, c := range cmds {
		var p canonical.SetInventory
		if err := json.Unmarshal(c.Command.Payload, &p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
