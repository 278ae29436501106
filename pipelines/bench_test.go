package pipelines_test

import (
	"encoding/json"
	"testing"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/pipelines"
)

// BenchmarkProcess measures one record through filter, map and dedupe
// without the bus: the pipeline's own cost per record.
func BenchmarkProcess(b *testing.B) {
	e := &pipelines.Env{}
	p, errs := pipelines.Parse("b.yaml", []byte(`name: b
from: {topic: order.in}
steps:
  - filter: order.totals.total.amount > 0 && order.status != "cancelled"
  - map:
      set:
        tags: order.tags + ["bench"]
        notes: '"via " + record.source'
      drop: [payment]
  - dedupe: {window: 1h}
to: [{topic: order.bench}]
`), e)
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	set, errs := pipelines.Compile([]*pipelines.Pipeline{p}, e)
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	c := set.Pipelines[0]
	payload, _ := json.Marshal(canonical.Order{ID: "o", Status: canonical.OrderPending, Tags: []string{"web"},
		Lines:   []canonical.OrderLine{{ID: "l1", SKU: "SKU-1", Quantity: 2, UnitPrice: canonical.Money{Amount: 1999, Currency: "USD"}}},
		Totals:  canonical.Totals{Total: canonical.Money{Amount: 4318, Currency: "USD"}},
		Payment: &canonical.Payment{Token: "tok"}})
	sc := base()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec := canonical.Record{Kind: canonical.KindOrder, Source: "bench", IdempotencyKey: string(rune(i)), Payload: payload}
		if _, err := c.Process(sc, rec, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}
