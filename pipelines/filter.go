package pipelines

import (
	"cel.dev/cel-go/cel"
	"gopkg.in/yaml.v3"

	"github.com/crossdockhq/crossdock/pipelines/yamlconf"
)

// FilterStep keeps the records for which a boolean CEL expression is true and
// drops the others:
//
//   - filter: order.totals.total.amount > 0 && order.status != "cancelled"
type FilterStep struct {
	// If is the condition.
	If Expr

	prg *Program
}

var (
	_ Step                 = (*FilterStep)(nil)
	_ Provisioner          = (*FilterStep)(nil)
	_ yamlconf.Unmarshaler = (*FilterStep)(nil)
)

// DecodeYAML reads the condition, written as the step's value.
func (f *FilterStep) DecodeYAML(d *yamlconf.Decoder, n *yaml.Node) {
	f.If.DecodeYAML(d, n)
}

// Provision type-checks the condition: it must be a bool.
func (f *FilterStep) Provision(pc *ProvisionContext) error {
	prg, err := pc.Compile(f.If, cel.BoolType)
	if err != nil {
		return err
	}
	f.prg = prg
	return nil
}

// Process passes rec on when the condition holds.
func (f *FilterStep) Process(sc *StepContext, rec *Record) ([]*Record, error) {
	ok, err := f.prg.EvalBool(sc, rec)
	if err != nil || !ok {
		return nil, err
	}
	return []*Record{rec}, nil
}
