package canonical

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"
)

// NewPayload returns a pointer to a zero value of the type a kind carries
// (*Order for KindOrder, *Product for KindProduct, ...), ready to decode into.
func NewPayload(kind Kind) (Entity, error) {
	switch kind {
	case KindOrder:
		return &Order{}, nil
	case KindProduct:
		return &Product{}, nil
	case KindInventoryLevel:
		return &InventoryLevel{}, nil
	case KindInventoryCount:
		return &InventoryCount{}, nil
	case KindMovement:
		return &InventoryMovement{}, nil
	case KindLocation:
		return &Location{}, nil
	case KindCustomer:
		return &Customer{}, nil
	case KindShipment:
		return &Shipment{}, nil
	case KindReturn:
		return &Return{}, nil
	case KindSubscription:
		return &Subscription{}, nil
	case KindListing:
		return &Listing{}, nil
	case KindAllocation:
		return &Allocation{}, nil
	}
	return nil, fmt.Errorf("unknown record kind %q (known: %s)", kind, joinEnum(Kinds))
}

// Decode decodes the payload into the type of the record's kind and returns it
// as a pointer (*Order, *Product, ...). It does not validate; see Validate.
func (r Record) Decode() (Entity, error) {
	v, err := NewPayload(r.Kind)
	if err != nil {
		return nil, err
	}
	if err := decodePayload(r.Payload, v); err != nil {
		return nil, fmt.Errorf("decode %s payload: %w", r.Kind, redactDigits(err))
	}
	return v, nil
}

// decodePayload decodes one JSON value. Unknown fields are ignored, so a newer
// producer's additions do not break an older hub (the JSON Schemas, which
// connector authors check against, are strict); trailing data is refused.
func decodePayload(raw []byte, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return fmt.Errorf("empty payload")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(v); err != nil {
		return err // callers redact: see redactDigits
	}
	if dec.More() {
		return fmt.Errorf("data after the payload")
	}
	return nil
}

// longDigits matches digit runs that could be a card number; decode errors
// quote offending numbers, and no error may repeat card data.
var longDigits = regexp.MustCompile(`[0-9][0-9 -]{11,}[0-9]`)

// redactDigits rewrites an error so that it quotes no long digit run.
func redactDigits(err error) error {
	msg := err.Error()
	if !longDigits.MatchString(msg) {
		return err
	}
	return fmt.Errorf("%s", longDigits.ReplaceAllString(msg, "[redacted]"))
}

// jsonTypeName names the JSON type a Go type decodes from.
func jsonTypeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		if t == reflect.TypeFor[time.Time]() {
			return "an RFC 3339 time"
		}
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		if t == reflect.TypeFor[time.Time]() {
			return "an RFC 3339 time"
		}
		return "an object"
	}
	return "a " + t.Kind().String()
}

// NewRecord wraps an entity in a Record of the given kind, encoding the payload.
// The caller sets the envelope's other fields (ID, ExternalID, Version, ...).
func NewRecord(kind Kind, source string, payload any) (Record, error) {
	if !kind.Valid() {
		return Record{}, fmt.Errorf("new record: unknown kind %q", kind)
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return Record{}, fmt.Errorf("new %s record: %w", kind, err)
	}
	return Record{Kind: kind, Source: source, Payload: raw}, nil
}

// DecodeRecord decodes a Record from JSON and validates it, payload included.
// It never panics, whatever the input; the error lists every problem.
func DecodeRecord(data []byte) (Record, error) {
	var r Record
	if err := decodePayload(data, &r); err != nil {
		return Record{}, fmt.Errorf("decode record: %w", redactDigits(err))
	}
	if err := r.Validate(); err != nil {
		return Record{}, err
	}
	return r, nil
}

// Validate checks the envelope (a known kind, source, idempotency key, time,
// version) and the payload: it must decode into the kind's type and pass that
// type's validation, whose problems are reported with paths under "payload.".
// The card-data guard reads the raw payload, so even fields the kind's type
// does not know are checked.
func (r Record) Validate() error {
	return validateWith(r, r.validate)
}

func (r Record) validate(c *checker, path string) {
	kindOK := true
	switch {
	case r.Kind == "":
		c.addf(at(path, "kind"), "is required (one of %s)", joinEnum(Kinds))
		kindOK = false
	case !r.Kind.Valid():
		c.addf(at(path, "kind"), "must be one of %s, not %q", joinEnum(Kinds), string(r.Kind))
		kindOK = false
	}
	c.required(at(path, "source"), r.Source)
	c.required(at(path, "idempotency_key"), r.IdempotencyKey)
	c.nonNegative(at(path, "version"), r.Version)
	c.timeSet(at(path, "at"), r.At)
	pp := at(path, "payload")
	if len(bytes.TrimSpace(r.Payload)) == 0 || string(bytes.TrimSpace(r.Payload)) == "null" {
		c.addf(pp, "is required")
		return
	}
	if !kindOK {
		return
	}
	v, err := NewPayload(r.Kind)
	if err != nil {
		return
	}
	if err := decodePayload(r.Payload, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			got, _, _ := strings.Cut(te.Value, " ") // "number 123" -> "number": never quote the value
			want := jsonTypeName(te.Type)
			if got == "number" && want == "an integer" {
				want = "an integer in the range of int64"
			}
			c.addf(at(pp, te.Field), "must be %s, not %s", want, got)
			return
		}
		c.addf(pp, "does not decode as %s: %v", r.Kind, redactDigits(err))
		return
	}
	if pv, ok := v.(validator); ok {
		pv.validate(c, pp)
	}
}
