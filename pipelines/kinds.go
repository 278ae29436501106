package pipelines

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/ext"

	"github.com/crossdockhq/crossdock/canonical"
)

// KindInfo says how records of one kind look to pipelines: the Go type their
// payload decodes into and the CEL variable that names it.
type KindInfo struct {
	// Kind is the record kind.
	Kind canonical.Kind
	// Var is the CEL variable of the payload, e.g. "order" ("payload" works too).
	Var string
	// Type is the payload's Go type (a struct of package canonical).
	Type reflect.Type
}

var kinds = []KindInfo{
	{canonical.KindOrder, "order", reflect.TypeOf(canonical.Order{})},
	{canonical.KindProduct, "product", reflect.TypeOf(canonical.Product{})},
	{canonical.KindInventoryLevel, "level", reflect.TypeOf(canonical.InventoryLevel{})},
	{canonical.KindInventoryCount, "count", reflect.TypeOf(canonical.InventoryCount{})},
	{canonical.KindMovement, "movement", reflect.TypeOf(canonical.InventoryMovement{})},
	{canonical.KindLocation, "location", reflect.TypeOf(canonical.Location{})},
	{canonical.KindCustomer, "customer", reflect.TypeOf(canonical.Customer{})},
	{canonical.KindShipment, "shipment", reflect.TypeOf(canonical.Shipment{})},
	// "return" is a reserved word in CEL.
	{canonical.KindReturn, "rma", reflect.TypeOf(canonical.Return{})},
	{canonical.KindSubscription, "subscription", reflect.TypeOf(canonical.Subscription{})},
	{canonical.KindListing, "listing", reflect.TypeOf(canonical.Listing{})},
	{canonical.KindAllocation, "allocation", reflect.TypeOf(canonical.Allocation{})},
}

// Kinds returns what pipelines know of each record kind.
func Kinds() []KindInfo { return append([]KindInfo(nil), kinds...) }

// LookupKind returns the KindInfo of k.
func LookupKind(k canonical.Kind) (KindInfo, bool) {
	for _, ki := range kinds {
		if ki.Kind == k {
			return ki, true
		}
	}
	return KindInfo{}, false
}

func kindNames() []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = string(k.Kind)
	}
	sort.Strings(out)
	return out
}

// celTypeName is the CEL name native types get: the package's name, a dot, the type's.
func celTypeName(t reflect.Type) string {
	pkg := t.PkgPath()
	if i := strings.LastIndex(pkg, "/"); i >= 0 {
		pkg = pkg[i+1:]
	}
	return pkg + "." + t.Name()
}

var (
	baseEnvOnce sync.Once
	baseEnv     *cel.Env
	baseEnvErr  error
	kindEnvs    sync.Map // canonical.Kind -> *cel.Env
)

func newBaseEnv() (*cel.Env, error) {
	baseEnvOnce.Do(func() {
		args := []any{ext.ParseStructTag("json"), reflect.TypeOf(canonical.Record{})}
		for _, k := range kinds {
			args = append(args, k.Type)
		}
		baseEnv, baseEnvErr = cel.NewEnv(
			ext.NativeTypes(args...),
			ext.Strings(), ext.Lists(), ext.Math(),
			cel.Variable("record", cel.ObjectType(celTypeName(reflect.TypeOf(canonical.Record{})))),
			cel.Variable("now", cel.TimestampType),
		)
	})
	return baseEnv, baseEnvErr
}

// celEnv returns the CEL environment for records of kind k: `record` (the
// envelope), `now`, and the payload as both its kind's variable and `payload`.
func celEnv(k canonical.Kind) (*cel.Env, error) {
	if e, ok := kindEnvs.Load(k); ok {
		return e.(*cel.Env), nil
	}
	ki, ok := LookupKind(k)
	if !ok {
		return nil, fmt.Errorf("unknown record kind %q", k)
	}
	base, err := newBaseEnv()
	if err != nil {
		return nil, fmt.Errorf("cel environment: %w", err)
	}
	t := cel.ObjectType(celTypeName(ki.Type))
	env, err := base.Extend(cel.Variable(ki.Var, t), cel.Variable("payload", t))
	if err != nil {
		return nil, fmt.Errorf("cel environment for %s: %w", k, err)
	}
	kindEnvs.Store(k, env)
	return env, nil
}

// streamKinds maps the usual stream names to the kind they yield, so that
// `from: {connector: shopify-us, stream: orders}` needs no `kind`.
var streamKinds = map[string]canonical.Kind{
	"orders":              canonical.KindOrder,
	"products":            canonical.KindProduct,
	"inventory":           canonical.KindInventoryLevel,
	"inventory_levels":    canonical.KindInventoryLevel,
	"inventory_counts":    canonical.KindInventoryCount,
	"counts":              canonical.KindInventoryCount,
	"inventory_movements": canonical.KindMovement,
	"movements":           canonical.KindMovement,
	"locations":           canonical.KindLocation,
	"customers":           canonical.KindCustomer,
	"shipments":           canonical.KindShipment,
	"tracking":            canonical.KindShipment,
	"returns":             canonical.KindReturn,
	"subscriptions":       canonical.KindSubscription,
	"listings":            canonical.KindListing,
	"allocations":         canonical.KindAllocation,
}

// InTopic is the topic records of kind k arrive on from connectors: "<kind>.in".
func InTopic(k canonical.Kind) string { return string(k) + ".in" }

// OutTopic is the topic of commands for a connector instance: "<connector>.out".
func OutTopic(connector string) string { return connector + ".out" }
