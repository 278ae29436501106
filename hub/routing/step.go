package routing

import (
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/inventory"
	"github.com/crossdockhq/crossdock/pipelines"
	"github.com/crossdockhq/crossdock/pipelines/yamlconf"
)

// The `route` pipeline step, written in a pipeline as
//
//	steps:
//	  - route: {}
//
// routes the order in flight in the handler's transaction (decide, reserve at
// the chosen locations, store the decision and allocations) and replaces the
// order record with one allocation record per location: the fulfilment
// requests, for a `to` of action fulfilment_request. A held or backordered
// order yields no record (it waits in its queue); an order already allocated
// yields none either (a redelivery).

// RegisterStep adds the `route` step to a pipelines registry. publish, when
// not nil, receives the inventory commands the reservations caused (channel
// stock updates) to publish in the step's transaction; nil drops them (the
// inventory service's periodic sync publishes them later).
func RegisterStep(reg *pipelines.Registry, r *Router, publish func(sc *pipelines.StepContext, cmds []inventory.Command) error) {
	reg.Register("route", func() pipelines.Step { return &RouteStep{router: r, publish: publish} })
}

// RouteStep is the `route` step. Make it with RegisterStep.
type RouteStep struct {
	router  *Router
	publish func(sc *pipelines.StepContext, cmds []inventory.Command) error
}

var (
	_ pipelines.Step        = (*RouteStep)(nil)
	_ pipelines.KindChanger = (*RouteStep)(nil)
	_ pipelines.Provisioner = (*RouteStep)(nil)
	_ yamlconf.Unmarshaler  = (*RouteStep)(nil)
	_ pipelines.Router      = StepService{}
)

// DecodeYAML accepts `route: {}` or `route:` with no options; the rules come
// from the hub's routing configuration.
func (s *RouteStep) DecodeYAML(d *yamlconf.Decoder, n *yaml.Node) {
	if n == nil || (n.Kind == yaml.ScalarNode && (n.Tag == "!!null" || n.Value == "")) {
		return
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 0 {
		return
	}
	d.Errorf(n, "route takes no options (its rules are the hub's `routing` file); write `route: {}`")
}

// Provision checks the step reads orders.
func (s *RouteStep) Provision(pc *pipelines.ProvisionContext) error {
	if pc.Kind != canonical.KindOrder {
		return pc.Errorf(pc.Pos, "route needs order records, this pipeline carries %s", pc.Kind)
	}
	return nil
}

// OutputKind says the step turns orders into allocations.
func (s *RouteStep) OutputKind(in canonical.Kind) canonical.Kind { return canonical.KindAllocation }

// Process routes one order.
func (s *RouteStep) Process(sc *pipelines.StepContext, rec *pipelines.Record) ([]*pipelines.Record, error) {
	if s.router == nil {
		return nil, errors.New("route: no router configured (the hub has no routing rules)")
	}
	if sc.Tx == nil {
		return nil, errors.New("route: needs the handler's transaction")
	}
	p, err := rec.Payload()
	if err != nil {
		return nil, err
	}
	o, ok := p.(*canonical.Order)
	if !ok {
		return nil, fmt.Errorf("route: record is %s, not an order", rec.Kind)
	}
	res, err := s.router.Route(sc.Context, sc.Tx, o)
	if err != nil {
		return nil, err
	}
	if s.publish != nil && len(res.Inventory) > 0 {
		if err := s.publish(sc, res.Inventory); err != nil {
			return nil, fmt.Errorf("route: publish inventory updates: %w", err)
		}
	}
	out := make([]*pipelines.Record, 0, len(res.Requests))
	for _, req := range res.Requests {
		out = append(out, pipelines.NewRecord(req, rec.Metadata))
	}
	return out, nil
}

// StepService adapts a Router to pipelines.Router (Services.Router), for a
// route step written elsewhere: it routes the order in the step's
// transaction and returns the new allocations.
type StepService struct {
	// Router routes.
	Router *Router
}

// Route implements pipelines.Router.
func (s StepService) Route(sc *pipelines.StepContext, order *canonical.Order) ([]canonical.Allocation, error) {
	if sc.Tx == nil {
		return nil, errors.New("route: needs the handler's transaction")
	}
	res, err := s.Router.Route(sc.Context, sc.Tx, order)
	if err != nil {
		return nil, err
	}
	return res.Allocations, nil
}
