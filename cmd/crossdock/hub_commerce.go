package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/api"
	"github.com/crossdockhq/crossdock/hub/audit"
	"github.com/crossdockhq/crossdock/hub/auth"
	"github.com/crossdockhq/crossdock/hub/bus"
	"github.com/crossdockhq/crossdock/hub/config"
	"github.com/crossdockhq/crossdock/hub/connhost"
	"github.com/crossdockhq/crossdock/hub/egress"
	"github.com/crossdockhq/crossdock/hub/inventory"
	"github.com/crossdockhq/crossdock/hub/locations"
	"github.com/crossdockhq/crossdock/hub/orders"
	"github.com/crossdockhq/crossdock/hub/routing"
	"github.com/crossdockhq/crossdock/hub/store"
	"github.com/crossdockhq/crossdock/pipelines"
	plughost "github.com/crossdockhq/crossdock/plugins/host"
)

// The commerce part wires the hub's state and its connectors into a running
// hub: the audit log, API tokens, locations, inventory and orders (the
// services pipeline steps call), the API under /api/v1, the connector host
// with webhook ingress, the egress of commands, and the dead-lettering of
// records connectors could not deliver.
func init() {
	addStepKinds(pipelines.RegisterCommerceSteps)
	// The router is built once the database is open; the step finds it in
	// the StepContext's services.
	addStepKinds(func(reg *pipelines.Registry) { routing.RegisterStep(reg, nil, nil) })
	addHubPart(commerceHubPart)
}

// reservationSweep is how often expired reservations are released.
const reservationSweep = 30 * time.Second

func commerceHubPart(ctx context.Context, h *runningHub) (func(context.Context) error, error) {
	cfg, b, logger := h.Config, h.Bus, h.Logger
	auditLog := audit.New(h.DB)

	sec, err := decodeHubSections(cfg)
	if err != nil {
		return nil, err
	}
	tokens, err := auth.NewTokens(sec.api)
	if err != nil {
		return nil, fmt.Errorf("api tokens: %w", err)
	}
	inv, err := inventory.New(h.DB.Dialect, sec.inventory)
	if err != nil {
		return nil, fmt.Errorf("inventory: %w", err)
	}
	ordersSvc := orders.New(h.DB.Dialect, inv)
	locs := locations.New(h.DB.Dialect)
	locList, rules := sec.locations, sec.rules

	// publish sends the commands a change caused, in the change's transaction.
	publish := func(ctx context.Context, tx pipelines.DBTX, cmds []inventory.Command) error {
		sqlTx, ok := tx.(*sql.Tx)
		if !ok {
			return errors.New("publish commands: the step has no SQL transaction")
		}
		return api.Publish(ctx, b, sqlTx, cmds)
	}
	err = b.InTx(ctx, func(tx *sql.Tx) error {
		if len(locList) > 0 {
			rep, err := locs.Load(ctx, tx, locList)
			if err != nil {
				return fmt.Errorf("locations: %w", err)
			}
			for _, u := range rep.Unresolved {
				logger.Warn("location has no coordinate; distance rules will skip it", "location", u)
			}
		}
		cmds, err := inv.ApplyConfig(ctx, tx)
		if err != nil {
			return fmt.Errorf("inventory config: %w", err)
		}
		if err := publish(ctx, tx, cmds); err != nil {
			return err
		}
		return auditLog.Append(ctx, tx, audit.Entry{Actor: audit.ActorSystem, Action: audit.ActionConfigLoad,
			Subject: "config:" + cfg.Path, After: map[string]any{"connectors": cfg.ConnectorNames(), "locations": len(locList)}})
	})
	if err != nil {
		return nil, err
	}

	steps := orders.Steps{Orders: ordersSvc, Publish: publish}
	h.Services.Orders = republishingStore{Steps: steps, inv: inv, publish: publish}
	h.Services.Inventory = steps
	h.Services.Availability = inventory.Availability{Inventory: inv}
	h.Services.Stock = inventory.Stock{Inventory: inv, Publish: func(sc *pipelines.StepContext, cmds []inventory.Command) error {
		return publish(sc.Context, sc.Tx, cmds)
	}}

	// Routing: the rules of the hub.yaml `routing` section over the state in SQL.
	routeLocs := &routing.SQLLocations{Dialect: h.DB.Dialect}
	routeStock := routing.SQLStock{Dialect: h.DB.Dialect}
	decisions := routing.SQLDecisions{Dialect: h.DB.Dialect}
	if rules != nil {
		router, err := routing.New(routing.Config{Rules: rules, Locations: routeLocs, Stock: routeStock,
			Velocity: routing.SQLVelocity{Dialect: h.DB.Dialect}, Capacity: routing.SQLCapacity{Dialect: h.DB.Dialect},
			Reserver: routing.InventoryReserver{Inventory: inv}, Decisions: decisions})
		if err != nil {
			return nil, err
		}
		h.Services.Router = routing.StepService{Router: router,
			Publish: func(sc *pipelines.StepContext, cmds []inventory.Command) error {
				return publish(sc.Context, sc.Tx, cmds)
			},
			// A routed order is allocated; a pending one is confirmed on the way
			// (the lifecycle goes pending -> confirmed -> allocated).
			Allocated: func(sc *pipelines.StepContext, orderID string) error {
				actor := "pipeline:" + sc.Pipeline
				var te *orders.TransitionError
				if _, err := ordersSvc.Transition(sc.Context, sc.Tx, orderID, canonical.OrderConfirmed, 0, actor); err != nil && !errors.As(err, &te) {
					return err
				}
				_, err := ordersSvc.Transition(sc.Context, sc.Tx, orderID, canonical.OrderAllocated, 0, actor)
				return err
			}}
	}
	explain := api.RoutingExplainerFunc(func(ctx context.Context, db store.DBTX, orderID string) (any, error) {
		d, err := decisions.Explain(ctx, db, orderID)
		if d == nil && err == nil {
			return []routing.Decision{}, nil
		}
		return d, err
	})
	var pickup http.Handler
	if rules != nil {
		pickup = routing.PickupOptionsHandler(routing.PickupOptions{DB: h.DB, Locations: routeLocs, Stock: routeStock})
	}
	h.Server.Handle("/api/v1/", api.New(api.Deps{DB: h.DB, Tokens: tokens, Publisher: b, Audit: auditLog,
		Inventory: inv, Orders: ordersSvc, Locations: locs, Routing: explain, PickupOptions: pickup, Logger: logger}))

	// Connectors: the host supervises the plugins and polls their streams;
	// webhooks arrive at /webhooks/{instance}; commands leave through egress.
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find the crossdock binary for built-in connectors: %w", err)
	}
	host, err := newConnectorHost(cfg, connhost.Config{DB: h.DB, Publisher: b, Registerer: h.Metrics, Executable: exe,
		Audit: auditRefusals{log: auditLog, db: h.DB, logger: logger}, Logger: logger})
	if err != nil {
		return nil, err
	}
	h.Server.Handle("POST /webhooks/{instance}", host.WebhookHandler())
	h.Server.Handle("GET /connectors/status", host.StatusHandler())
	out, err := egress.New(b, host, egress.Config{Instances: cfg.ConnectorNames()}, logger)
	if err != nil {
		return nil, err
	}
	if err := b.Handle("connector-rejects", connhost.RejectTopic, deadLetterRejects(b)); err != nil {
		return nil, err
	}
	if err := host.Start(ctx); err != nil {
		return nil, fmt.Errorf("start connectors: %w", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sweep := time.NewTicker(reservationSweep)
		defer sweep.Stop()
		go out.Run(ctx)
		for {
			select {
			case <-ctx.Done():
				return
			case <-sweep.C:
				err := b.InTx(ctx, func(tx *sql.Tx) error {
					_, cmds, err := inv.Expire(ctx, tx)
					if err != nil {
						return err
					}
					return publish(ctx, tx, cmds)
				})
				if err != nil && ctx.Err() == nil {
					logger.Error("release expired reservations", "err", err)
				}
			}
		}
	}()
	return func(context.Context) error {
		host.Close()
		plughost.CleanupClients()
		return nil
	}, nil
}

// republishingStore stores orders, then republishes their SKUs to the
// channel they came from: the channel changed its own stock figures when it
// took the order (see inventory.Service.Republish).
type republishingStore struct {
	orders.Steps
	inv     *inventory.Service
	publish func(ctx context.Context, tx pipelines.DBTX, cmds []inventory.Command) error
}

func (r republishingStore) StoreOrder(sc *pipelines.StepContext, rec canonical.Record, order *canonical.Order) (bool, error) {
	changed, err := r.Steps.StoreOrder(sc, rec, order)
	if err != nil || !changed {
		return changed, err
	}
	skus := make([]string, 0, len(order.Lines))
	for _, l := range order.Lines {
		skus = append(skus, l.SKU)
	}
	cmds, err := r.inv.Republish(sc.Context, sc.Tx, order.Channel, skus)
	if err != nil {
		return false, err
	}
	return true, r.publish(sc.Context, sc.Tx, cmds)
}

// deadLetterRejects moves what connectors could not map, or what the hub's
// screen refused, into the dead-letter queue, where `crossdock dlq list`
// shows it with its file, line and field.
func deadLetterRejects(b *bus.Bus) bus.Handler {
	return func(ctx context.Context, tx *sql.Tx, msg *message.Message) ([]bus.Out, error) {
		source := msg.Metadata.Get("source")
		reason := msg.Metadata.Get("location") + ": " + msg.Metadata.Get("reason")
		return nil, b.DeadLetters().Add(ctx, tx, msg, connhost.RejectTopic, "connector:"+source, msg.Metadata.Get("stream"), reason)
	}
}

// hubSections are the hub.yaml sections the commerce part owns, decoded.
type hubSections struct {
	api       auth.Config
	inventory inventory.Config
	locations []canonical.Location
	rules     *routing.RuleSet
}

// decodeHubSections decodes and checks the api, inventory, locations and
// routing sections; `crossdock validate` calls it too, so a mistake there is
// found before the hub runs. Every problem is reported, with its position.
func decodeHubSections(cfg *config.Config) (hubSections, error) {
	var sec hubSections
	var errs []error
	if err := decodeOptionalSection(cfg, "api", &sec.api); err != nil {
		errs = append(errs, err)
	} else if err := sec.api.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("%s: api: %w", cfg.SectionPos("api"), err))
	}
	if err := decodeOptionalSection(cfg, "inventory", &sec.inventory); err != nil {
		errs = append(errs, err)
	} else if err := sec.inventory.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("%s: inventory: %w", cfg.SectionPos("inventory"), err))
	}
	var err error
	if sec.locations, err = configuredLocations(cfg); err != nil {
		errs = append(errs, err)
	}
	if sec.rules, err = routing.RulesFromConfig(cfg); err != nil {
		errs = append(errs, err)
	}
	return sec, errors.Join(errs...)
}

// decodeOptionalSection decodes a hub.yaml section if the file has it.
func decodeOptionalSection(cfg *config.Config, name string, into any) error {
	if _, ok := cfg.Section(name); !ok {
		return nil
	}
	return cfg.DecodeSection(name, into)
}

// configuredLocations reads the hub.yaml `locations` section: a CSV file
// (relative to the hub.yaml) or a list.
func configuredLocations(cfg *config.Config) ([]canonical.Location, error) {
	var sec locations.Section
	if err := decodeOptionalSection(cfg, "locations", &sec); err != nil {
		return nil, err
	}
	if sec.File == "" {
		out := make([]canonical.Location, len(sec.List))
		for i, c := range sec.List {
			out[i] = c.Location()
		}
		return out, nil
	}
	path := sec.File
	if !filepath.IsAbs(path) {
		path = filepath.Join(cfg.Dir, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: locations: %w", cfg.SectionPos("locations"), err)
	}
	defer f.Close()
	locs, err := locations.ParseCSV(f)
	if err != nil {
		return nil, fmt.Errorf("locations %s: %w", path, err)
	}
	return locs, nil
}
