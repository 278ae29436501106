package store

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// TimeFormat is how times are stored: UTC, fixed width, so TEXT columns sort
// in time order on every engine.
const TimeFormat = "2006-01-02T15:04:05.000000000Z"

// FormatTime renders t for a TEXT time column.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// ParseTime reads a TEXT time column written by FormatTime (or any RFC 3339 time).
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(TimeFormat, s)
	if err != nil {
		t, err = time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("parse stored time %q: %w", s, err)
		}
	}
	return t.UTC(), nil
}

// NewID returns a new time-ordered unique id (UUIDv7 text) for a row.
func NewID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

// mustJSON marshals a value the program built itself; such values always marshal.
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("store: marshal %T: %v", v, err))
	}
	return string(b)
}
