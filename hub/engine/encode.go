package engine

import (
	"encoding/json"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
)

// envelopeHeader is canonical.Record without its payload, field for field
// (TestEncodeRecord_SameAsJSONMarshal keeps them in step).
type envelopeHeader struct {
	Kind           canonical.Kind `json:"kind"`
	ID             string         `json:"id,omitempty"`
	Source         string         `json:"source"`
	ExternalID     string         `json:"external_id,omitempty"`
	Version        int64          `json:"version"`
	IdempotencyKey string         `json:"idempotency_key"`
	At             time.Time      `json:"at"`
}

// encodeRecord encodes rec as json.Marshal would, but splices the payload in
// as it is instead of re-validating and compacting it: the payload is already
// JSON (decoded from a message, or encoded by a step), and on the hot path
// re-scanning it costs more than the rest of the envelope.
func encodeRecord(rec canonical.Record) ([]byte, error) {
	head, err := json.Marshal(envelopeHeader{Kind: rec.Kind, ID: rec.ID, Source: rec.Source, ExternalID: rec.ExternalID,
		Version: rec.Version, IdempotencyKey: rec.IdempotencyKey, At: rec.At})
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(head)+len(rec.Payload)+12)
	out = append(out, head[:len(head)-1]...)
	out = append(out, `,"payload":`...)
	if len(rec.Payload) == 0 {
		out = append(out, "null"...)
	} else {
		out = append(out, rec.Payload...)
	}
	return append(out, '}'), nil
}
