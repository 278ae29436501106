package engine

import (
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/bus"
	"github.com/crossdockhq/crossdock/pipelines"
)

// oneDecoder decodes a message's envelope and its payload in one JSON pass,
// into a struct built once per kind: envelopeHeader's fields plus a Payload
// field of the kind's Go type.
type oneDecoder struct {
	kind canonical.Kind
	typ  reflect.Type
}

func newOneDecoder(k canonical.Kind) (*oneDecoder, bool) {
	ki, ok := pipelines.LookupKind(k)
	if !ok {
		return nil, false
	}
	h := reflect.TypeOf(envelopeHeader{})
	fields := make([]reflect.StructField, 0, h.NumField()+1)
	for i := 0; i < h.NumField(); i++ {
		fields = append(fields, h.Field(i))
	}
	fields = append(fields, reflect.StructField{Name: "Payload", Type: ki.Type, Tag: `json:"payload"`})
	return &oneDecoder{kind: k, typ: reflect.StructOf(fields)}, true
}

// decode returns the record with its payload decoded, or ok false when the
// message carries another kind (the caller decodes it the usual way).
func (d *oneDecoder) decode(data []byte, md map[string]string) (*pipelines.Record, bool, error) {
	if k := md[bus.MetaKind]; k != "" && k != string(d.kind) {
		return nil, false, nil
	}
	v := reflect.New(d.typ)
	if err := json.Unmarshal(data, v.Interface()); err != nil {
		return nil, false, fmt.Errorf("decode record: %w", err)
	}
	e := v.Elem()
	rec := canonical.Record{
		Kind:           canonical.Kind(e.Field(0).String()),
		ID:             e.Field(1).String(),
		Source:         e.Field(2).String(),
		ExternalID:     e.Field(3).String(),
		Version:        e.Field(4).Int(),
		IdempotencyKey: e.Field(5).String(),
		At:             e.Field(6).Interface().(time.Time),
	}
	if rec.Kind != d.kind {
		return nil, false, nil
	}
	return pipelines.NewDecodedRecord(rec, e.Field(7).Addr().Interface(), md), true, nil
}
