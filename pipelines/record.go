package pipelines

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/crossdockhq/crossdock/canonical"
)

// Record is a canonical record in flight through a pipeline. Its payload is
// decoded once, into the Go type of its kind, shared by the steps, and encoded
// again only if a step changed it.
type Record struct {
	canonical.Record
	// Metadata is the bus message's metadata (correlation_id, ...), carried on.
	Metadata map[string]string

	payload any // pointer to the kind's Go type; nil until decoded
	dirty   bool
}

// NewRecord wraps an envelope for a pipeline run.
func NewRecord(rec canonical.Record, metadata map[string]string) *Record {
	return &Record{Record: rec, Metadata: metadata}
}

// NewDecodedRecord wraps an envelope whose payload the caller has already
// decoded into payload, a pointer to the Go type of rec.Kind (one JSON pass for
// envelope and payload instead of two). rec.Payload is ignored: the payload is
// encoded from payload when the record leaves the pipeline.
func NewDecodedRecord(rec canonical.Record, payload any, metadata map[string]string) *Record {
	rec.Payload = nil
	return &Record{Record: rec, Metadata: metadata, payload: payload, dirty: true}
}

// Payload returns the payload decoded into a pointer to its kind's Go type
// (*canonical.Order for an order).
func (r *Record) Payload() (any, error) {
	if r.payload != nil {
		return r.payload, nil
	}
	ki, ok := LookupKind(r.Kind)
	if !ok {
		return nil, fmt.Errorf("record kind %q has no known payload type", r.Kind)
	}
	p := reflect.New(ki.Type).Interface()
	if len(r.Record.Payload) > 0 {
		if err := json.Unmarshal(r.Record.Payload, p); err != nil {
			return nil, fmt.Errorf("decode %s payload: %w", r.Kind, err)
		}
	}
	r.payload = p
	return p, nil
}

// SetPayload replaces the payload with v, a pointer to the Go type of kind; the
// record takes that kind.
func (r *Record) SetPayload(kind canonical.Kind, v any) {
	r.Kind = kind
	r.payload = v
	r.dirty = true
}

// Touch marks the decoded payload as changed in place, so Envelope encodes it.
func (r *Record) Touch() { r.dirty = true }

// Envelope returns the canonical record with its payload encoded.
func (r *Record) Envelope() (canonical.Record, error) {
	if r.dirty {
		b, err := json.Marshal(r.payload)
		if err != nil {
			return canonical.Record{}, fmt.Errorf("encode %s payload: %w", r.Kind, err)
		}
		r.Record.Payload = b
		r.dirty = false
	}
	return r.Record, nil
}

// Clone returns an independent copy, for a step that emits several records.
func (r *Record) Clone() (*Record, error) {
	env, err := r.Envelope()
	if err != nil {
		return nil, err
	}
	md := make(map[string]string, len(r.Metadata))
	for k, v := range r.Metadata {
		md[k] = v
	}
	env.Payload = append(json.RawMessage(nil), env.Payload...)
	return &Record{Record: env, Metadata: md}, nil
}
