// Package pipetest runs the pipeline unit tests a merchant writes in YAML, in the
// spirit of Redpanda Connect's config tests: input records go through a compiled
// pipeline with the hub's services replaced by mocks, and the records that come
// out (or are dropped, or dead-lettered) are compared with what the test expects.
//
// A test file names one pipeline and holds its cases:
//
//	pipeline: ../pipelines/orders-intake.yaml
//	config: ../hub.yaml                 # connectors the pipeline may name
//	now: 2026-03-02T10:00:00Z           # CEL's now, fixed for repeatable tests
//	mocks:
//	  connectors:
//	    erp: {status: permanent, error: "customer is blocked"}
//	tests:
//	  - name: a paid order goes on, tagged
//	    input:
//	      - {kind: order, source: shopify-us, idempotency_key: o-1, payload: {...}}
//	    output:
//	      - topic: order.accepted
//	        payload: {tags: [paid, imported]}   # only the fields listed are compared
//	  - name: a duplicate is dropped
//	    input: [..., ...]
//	    output: [{...}]                          # one output for two inputs
//	  - name: a bad record is dead-lettered
//	    input: [...]
//	    output: []
//	    dead_letter: [{step: map, error: "no such key"}]
//
// It promises that every problem, in the test file or in a failed expectation,
// names file:line:col, and that each case starts from fresh mocks (an empty
// dedupe memory), so cases do not depend on each other.
package pipetest
