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
// inventory service's periodic sync publishes them later). r may be nil when
// the registry is built before the hub's database is open (the hub builds its
// registry first, to check its pipelines): the step then takes the router and
// publish function from the StepService in its StepContext's Services.Router.
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
	router, publish := s.router, s.publish
	var allocated func(sc *pipelines.StepContext, orderID string) error
	if sc.Services != nil {
		if ss, ok := sc.Services.Router.(StepService); ok {
			if router == nil {
				router, publish = ss.Router, ss.Publish
			}
			allocated = ss.Allocated
		}
	}
	if router == nil {
		return nil, pipelines.Permanent(errors.New("route: no router configured (the hub has no routing rules)"))
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
	res, err := router.Route(sc.Context, sc.Tx, o)
	if err != nil {
		return nil, err
	}
	if publish != nil && len(res.Inventory) > 0 {
		if err := publish(sc, res.Inventory); err != nil {
			return nil, fmt.Errorf("route: publish inventory updates: %w", err)
		}
	}
	if allocated != nil && !res.Replayed && len(res.Allocations) > 0 {
		if err := allocated(sc, o.ID); err != nil {
			return nil, fmt.Errorf("route: mark order %s allocated: %w", o.ID, err)
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
	// Publish publishes the inventory commands a route caused, in the step's
	// transaction; the route step uses it when it has no publish of its own.
	Publish func(sc *pipelines.StepContext, cmds []inventory.Command) error
	// Allocated, when set, is told of every order the route step allocated,
	// in the step's transaction (the hub moves the order to "allocated").
	Allocated func(sc *pipelines.StepContext, orderID string) error
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
