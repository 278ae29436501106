package file

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
)

// mapper reads canonical fields from a row through a stream's column mapping.
// Every failing getter returns a *rowErr carrying a *fieldError that names the
// field, its header and its column.
type mapper struct {
	cfg      StreamConfig
	currency string
}

func (m mapper) lookup(r *row, field string) (cell, string, bool) {
	h := m.cfg.column(field)
	c, ok := r.cells[h]
	return c, h, ok && c.value != ""
}

func (m mapper) fail(r *row, field, format string, args ...any) error {
	h := m.cfg.column(field)
	c := r.cells[h]
	return &rowErr{row: r, err: &fieldError{field: field, header: h, col: c.col, msg: fmt.Sprintf("%s: ", h) + fmt.Sprintf(format, args...)}}
}

func (m mapper) str(r *row, field string) string {
	c, _, _ := m.lookup(r, field)
	return c.value
}

func (m mapper) required(r *row, field string) (string, error) {
	c, _, ok := m.lookup(r, field)
	if !ok {
		return "", m.fail(r, field, "required value is missing")
	}
	return c.value, nil
}

func (m mapper) int(r *row, field string, required bool) (int64, error) {
	c, _, ok := m.lookup(r, field)
	if !ok {
		if required {
			return 0, m.fail(r, field, "required value is missing")
		}
		return 0, nil
	}
	n, err := strconv.ParseInt(c.value, 10, 64)
	if err != nil {
		return 0, m.fail(r, field, "%q is not a whole number", c.value)
	}
	return n, nil
}

func (m mapper) rowCurrency(r *row) string {
	if c := m.str(r, "currency"); c != "" {
		return strings.ToUpper(c)
	}
	return m.currency
}

func (m mapper) money(r *row, field string, required bool) (*canonical.Money, error) {
	c, _, ok := m.lookup(r, field)
	if !ok {
		if required {
			return nil, m.fail(r, field, "required value is missing")
		}
		return nil, nil
	}
	mo, err := canonical.ParseMoney(c.value, m.rowCurrency(r))
	if err != nil {
		return nil, m.fail(r, field, "%v", err)
	}
	return &mo, nil
}

func (m mapper) moneyOrZero(r *row, field string) (canonical.Money, error) {
	mo, err := m.money(r, field, false)
	if err != nil || mo == nil {
		return canonical.Money{Currency: m.rowCurrency(r)}, err
	}
	return *mo, nil
}

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"}

func (m mapper) time(r *row, field string) (time.Time, error) {
	c, _, ok := m.lookup(r, field)
	if !ok {
		return time.Time{}, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, c.value); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, m.fail(r, field, "%q is not a time (want RFC 3339, e.g. 2026-03-01T09:30:00Z)", c.value)
}

func (m mapper) list(r *row, field string) []string {
	v := m.str(r, field)
	if v == "" {
		return nil
	}
	parts := strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == '|' })
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// validate turns a canonical validation failure into a row error on the first row.
func validate(rows []*row, v interface{ Validate() error }) error {
	if err := v.Validate(); err != nil {
		return &rowErr{row: rows[0], err: fmt.Errorf("invalid: %w", err)}
	}
	return nil
}

// envelope wraps a payload: the version is the source's updated_at or, without
// one, the file's modification time; the idempotency key is a digest of the rows,
// so reading the same rows twice yields the same key.
func envelope(kind canonical.Kind, externalID string, updated time.Time, rows []*row, payload []byte) canonical.Record {
	at := updated
	if at.IsZero() {
		at = rows[0].mtime.UTC()
	}
	h := sha256.New()
	h.Write([]byte(kind))
	for _, r := range rows {
		h.Write([]byte{0})
		h.Write(r.raw)
	}
	return canonical.Record{
		Kind:           kind,
		Source:         "file",
		ExternalID:     externalID,
		Version:        at.UnixMilli(),
		IdempotencyKey: "file:" + string(kind) + ":" + hex.EncodeToString(h.Sum(nil)[:12]),
		At:             at,
		Payload:        payload,
	}
}

func formatInt(n int64) string { return strconv.FormatInt(n, 10) }

func formatMoney(m *canonical.Money) string {
	if m == nil {
		return ""
	}
	return m.Decimal()
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
