package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Shopify's search syntax, the subset the connector uses: terms
// `field:value`, `field:>=value`, `field:>'value'` joined by spaces (AND) and
// `OR`. Values may be quoted. Unknown fields match nothing, as on Shopify an
// unknown filter is ignored with a warning; here being strict keeps tests
// honest.

type term struct {
	Field, Op, Value string
}

type searchQuery [][]term // OR of ANDs

func parseSearch(q string) searchQuery {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil
	}
	var out searchQuery
	for _, group := range splitOR(q) {
		var and []term
		for _, tok := range tokenize(group) {
			f, v, ok := strings.Cut(tok, ":")
			if !ok {
				and = append(and, term{Field: "title", Op: ":", Value: tok})
				continue
			}
			op := ":"
			for _, o := range []string{">=", "<=", ">", "<"} {
				if strings.HasPrefix(v, o) {
					op, v = o, v[len(o):]
					break
				}
			}
			v = strings.Trim(v, `'"`)
			and = append(and, term{Field: strings.ToLower(f), Op: op, Value: v})
		}
		out = append(out, and)
	}
	return out
}

func splitOR(q string) []string {
	var parts []string
	toks := tokenize(q)
	cur := []string{}
	for _, t := range toks {
		if t == "OR" {
			parts = append(parts, strings.Join(cur, " "))
			cur = nil
			continue
		}
		cur = append(cur, t)
	}
	return append(parts, strings.Join(cur, " "))
}

// tokenize splits on spaces outside quotes.
func tokenize(s string) []string {
	var out []string
	var b strings.Builder
	quote := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			b.WriteByte(c)
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
			b.WriteByte(c)
		case c == ' ' || c == '(' || c == ')':
			if b.Len() > 0 {
				out = append(out, b.String())
				b.Reset()
			}
		default:
			b.WriteByte(c)
		}
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

// match evaluates the query with a field getter returning the field's string
// value or time.
func (q searchQuery) match(get func(field string) (any, bool)) bool {
	if len(q) == 0 {
		return true
	}
	for _, and := range q {
		ok := true
		for _, t := range and {
			if !t.match(get) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (t term) match(get func(string) (any, bool)) bool {
	v, ok := get(t.Field)
	if !ok {
		return false
	}
	switch x := v.(type) {
	case time.Time:
		ref, err := time.Parse(time.RFC3339, t.Value)
		if err != nil {
			if d, err2 := time.Parse("2006-01-02", t.Value); err2 == nil {
				ref = d
			} else {
				return false
			}
		}
		switch t.Op {
		case ">=":
			return !x.Before(ref)
		case ">":
			return x.After(ref)
		case "<=":
			return !x.After(ref)
		case "<":
			return x.Before(ref)
		default:
			return x.Equal(ref)
		}
	case string:
		return strings.EqualFold(x, t.Value)
	case []string:
		for _, s := range x {
			if strings.EqualFold(s, t.Value) {
				return true
			}
		}
	}
	return false
}

// pageCursor is the sandbox's opaque cursor: like Shopify's, base64 of a JSON
// object with the last id and the sort value (keyset pagination, so a cursor
// stays valid while records change).
type pageCursor struct {
	LastID    int64  `json:"last_id"`
	LastValue string `json:"last_value"`
}

func encodeCursor(id int64, value string) string {
	b, _ := json.Marshal(pageCursor{LastID: id, LastValue: value})
	return base64.StdEncoding.EncodeToString(b)
}

func decodeCursor(s string) (pageCursor, error) {
	var c pageCursor
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return c, fmt.Errorf("invalid cursor")
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("invalid cursor")
	}
	return c, nil
}

// sortKey is a record's position in a sorted listing.
type sortKey struct {
	value string // sortable string form (RFC 3339 nano UTC for times, zero-padded ids)
	id    int64
}

func (a sortKey) less(b sortKey) bool {
	if a.value != b.value {
		return a.value < b.value
	}
	return a.id < b.id
}

func timeKey(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }
func idKey(id int64) string      { return fmt.Sprintf("%020d", id) }

// page picks the window after the cursor. keys must be sorted ascending
// (reverse lists are handled by the caller flipping the order).
func page[T any](items []T, key func(T) sortKey, first *int32, after *string, reverse bool) (out []T, cursors []string, hasNext bool, err error) {
	n := defaultPageFirst
	if first != nil {
		n = int(*first)
	}
	if n < 0 || n > 250 {
		return nil, nil, false, fmt.Errorf("first cannot exceed 250")
	}
	start := 0
	if after != nil && *after != "" {
		c, err := decodeCursor(*after)
		if err != nil {
			return nil, nil, false, err
		}
		ck := sortKey{c.LastValue, c.LastID}
		start = len(items)
		for i, it := range items {
			k := key(it)
			if (!reverse && ck.less(k)) || (reverse && k.less(ck)) {
				start = i
				break
			}
		}
	}
	end := start + n
	if end > len(items) {
		end = len(items)
	}
	out = items[start:end]
	for _, it := range out {
		k := key(it)
		cursors = append(cursors, encodeCursor(k.id, k.value))
	}
	return out, cursors, end < len(items), nil
}
