package pipelines

import (
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/pipelines/yamlconf"
)

// The commerce steps hand records to the hub's services: `store` keeps an
// order, `reserve` holds its stock, `stock` applies stock reports. Each runs in
// the handler's transaction, so the state it changes commits with the records
// the pipeline emits, or not at all. They need the hub: in `crossdock test`
// they fail unless the test replaces them.

// RegisterCommerceSteps adds store, reserve and stock to a registry.
func RegisterCommerceSteps(r *Registry) {
	r.Register("store", func() Step { return new(StoreStep) })
	r.Register("reserve", func() Step { return new(ReserveStep) })
	r.Register("stock", func() Step { return new(StockStep) })
}

// noOptions accepts `step: {}` or `step:` with nothing after it.
func noOptions(d *yamlconf.Decoder, n *yaml.Node, step string) {
	if n == nil || (n.Kind == yaml.ScalarNode && (n.Tag == "!!null" || n.Value == "")) {
		return
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 0 {
		return
	}
	d.Errorf(n, "%s takes no options; write `%s: {}`", step, step)
}

func needKind(pc *ProvisionContext, step string, kinds ...canonical.Kind) error {
	for _, k := range kinds {
		if pc.Kind == k {
			return nil
		}
	}
	return pc.Errorf(pc.Pos, "%s needs %v records, this pipeline carries %s", step, kinds, pc.Kind)
}

// StoreStep stores the order it carries, comparing versions, so the same order
// brought twice (webhook and poll, or a redelivery) is one order:
//
//   - store: {}
//
// An order that changed nothing (an older or the same version) is dropped
// here, so the steps after it act once per real change.
type StoreStep struct{}

var (
	_ Step                 = (*StoreStep)(nil)
	_ Provisioner          = (*StoreStep)(nil)
	_ yamlconf.Unmarshaler = (*StoreStep)(nil)
)

// DecodeYAML implements yamlconf.Unmarshaler.
func (s *StoreStep) DecodeYAML(d *yamlconf.Decoder, n *yaml.Node) { noOptions(d, n, "store") }

// Provision checks the pipeline carries orders.
func (s *StoreStep) Provision(pc *ProvisionContext) error {
	return needKind(pc, "store", canonical.KindOrder)
}

// Process stores the order.
func (s *StoreStep) Process(sc *StepContext, rec *Record) ([]*Record, error) {
	if sc.Services == nil || sc.Services.Orders == nil {
		return nil, Permanent(errors.New("store: the hub's order service is not available here"))
	}
	order, err := orderOf(rec)
	if err != nil {
		return nil, err
	}
	env, err := rec.Envelope()
	if err != nil {
		return nil, err
	}
	changed, err := sc.Services.Orders.StoreOrder(sc, env, order)
	if err != nil {
		return nil, err
	}
	if !changed {
		return nil, nil
	}
	rec.SetPayload(canonical.KindOrder, order)
	return []*Record{rec}, nil
}

// ReserveStep reserves an order's open lines network-wide, until routing
// picks the locations:
//
//   - reserve: {}
//
// Lines that cannot be reserved leave the order unreserved and are logged; the
// order goes on (routing may backorder or hold it).
type ReserveStep struct{}

var (
	_ Step                 = (*ReserveStep)(nil)
	_ Provisioner          = (*ReserveStep)(nil)
	_ yamlconf.Unmarshaler = (*ReserveStep)(nil)
)

// DecodeYAML implements yamlconf.Unmarshaler.
func (s *ReserveStep) DecodeYAML(d *yamlconf.Decoder, n *yaml.Node) { noOptions(d, n, "reserve") }

// Provision checks the pipeline carries orders.
func (s *ReserveStep) Provision(pc *ProvisionContext) error {
	return needKind(pc, "reserve", canonical.KindOrder)
}

// Process reserves the order.
func (s *ReserveStep) Process(sc *StepContext, rec *Record) ([]*Record, error) {
	if sc.Services == nil || sc.Services.Inventory == nil {
		return nil, Permanent(errors.New("reserve: the hub's inventory service is not available here"))
	}
	order, err := orderOf(rec)
	if err != nil {
		return nil, err
	}
	short, err := sc.Services.Inventory.Reserve(sc, order)
	if err != nil {
		return nil, err
	}
	if len(short) > 0 && sc.Logger != nil {
		sc.Logger.Info("order not reserved: stock short", "order", order.ID, "short_lines", len(short))
	}
	rec.SetPayload(canonical.KindOrder, order)
	return []*Record{rec}, nil
}

// StockStep applies a stock report to the ledger as a count: the difference
// with the ledger becomes a count movement, and channels are told their new
// figures. It takes inventory_level records (their on_hand) and
// inventory_count records, and passes them on:
//
//   - stock: {}
type StockStep struct{}

var (
	_ Step                 = (*StockStep)(nil)
	_ Provisioner          = (*StockStep)(nil)
	_ yamlconf.Unmarshaler = (*StockStep)(nil)
)

// DecodeYAML implements yamlconf.Unmarshaler.
func (s *StockStep) DecodeYAML(d *yamlconf.Decoder, n *yaml.Node) { noOptions(d, n, "stock") }

// Provision checks the pipeline carries stock reports.
func (s *StockStep) Provision(pc *ProvisionContext) error {
	return needKind(pc, "stock", canonical.KindInventoryLevel, canonical.KindInventoryCount)
}

// Process applies the report.
func (s *StockStep) Process(sc *StepContext, rec *Record) ([]*Record, error) {
	if sc.Services == nil || sc.Services.Stock == nil {
		return nil, Permanent(errors.New("stock: the hub's inventory service is not available here"))
	}
	p, err := rec.Payload()
	if err != nil {
		return nil, Permanent(err)
	}
	var c canonical.InventoryCount
	switch v := p.(type) {
	case *canonical.InventoryLevel:
		c = canonical.InventoryCount{SKU: v.SKU, LocationID: v.LocationID, OnHand: v.OnHand, At: v.UpdatedAt}
	case *canonical.InventoryCount:
		c = *v
	default:
		return nil, Permanent(fmt.Errorf("stock: cannot apply a %s record", rec.Kind))
	}
	if c.At.IsZero() {
		c.At = rec.At
	}
	if _, err := sc.Services.Stock.ApplyCount(sc, c, rec.Source); err != nil {
		return nil, err
	}
	return []*Record{rec}, nil
}

func orderOf(rec *Record) (*canonical.Order, error) {
	p, err := rec.Payload()
	if err != nil {
		return nil, Permanent(err)
	}
	o, ok := p.(*canonical.Order)
	if !ok {
		return nil, Permanent(fmt.Errorf("expected an order, got %s", rec.Kind))
	}
	return o, nil
}
