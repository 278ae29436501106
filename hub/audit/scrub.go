package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/crossdockhq/crossdock/canonical"
)

// Redacted replaces a value that must not be stored.
const Redacted = "[REDACTED]"

// sensitiveKeyParts mark a key whose value is a secret or card data, compared
// with the key lower-cased and stripped of '_', '-', '.' and spaces.
var sensitiveKeyParts = []string{
	"token", "secret", "password", "passwd", "passphrase", "authorization",
	"apikey", "privatekey", "credential", "cookie", "card", "cvv", "cvc", "pan",
}

func sensitiveKey(k string) bool {
	n := strings.Map(func(r rune) rune {
		switch r {
		case '_', '-', '.', ' ':
			return -1
		}
		return r
	}, strings.ToLower(k))
	for _, p := range sensitiveKeyParts {
		if p == "pan" {
			if n == "pan" { // "pan" alone; "company", "span" are fine
				return true
			}
			continue
		}
		if strings.Contains(n, p) {
			return true
		}
	}
	return false
}

// encodeState turns a Before/After value into scrubbed, compact JSON with
// sorted object keys; "" for nil.
func encodeState(v any) (string, error) {
	var raw []byte
	switch x := v.(type) {
	case nil:
		return "", nil
	case json.RawMessage:
		raw = x
	case []byte:
		raw = x
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return "", fmt.Errorf("encode: %w", err)
		}
		raw = b
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return "", nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return "", fmt.Errorf("decode: %w", err)
	}
	if tree == nil {
		return "", nil
	}
	tree = scrubValue(tree, "")
	// Belt and braces: if the guard still sees card data, store nothing of it.
	if canonical.CheckNoCardData(tree) != nil {
		tree = Redacted
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(tree); err != nil {
		return "", fmt.Errorf("encode: %w", err)
	}
	return strings.TrimSuffix(out.String(), "\n"), nil
}

// scrubValue returns v with secrets and card data redacted; name is the key
// that holds v (array elements inherit their array's key).
func scrubValue(v any, name string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys) // deterministic names for redacted keys
		n := 0
		for _, k := range keys {
			val := x[k]
			if hasCardData("", k) {
				n++
				k = fmt.Sprintf("%s-%d", Redacted, n)
				out[k] = Redacted
				continue
			}
			if sensitiveKey(k) && val != nil {
				out[k] = Redacted
				continue
			}
			out[k] = scrubValue(val, k)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = scrubValue(e, name)
		}
		return out
	case string:
		return scrubString(x, name)
	case json.Number:
		if hasCardData(name, x.String()) {
			return Redacted
		}
		return x
	default:
		return v
	}
}

// digitRun is a run of digits possibly grouped by single spaces or dashes.
var digitRun = regexp.MustCompile(`[0-9](?:[ -]?[0-9])*`)

// scrubString redacts the card-like digit runs of s, or all of s when that is
// not enough to satisfy canonical.CheckNoCardData.
func scrubString(s, name string) string {
	if !hasCardData(name, s) {
		return s
	}
	out := digitRun.ReplaceAllStringFunc(s, func(run string) string {
		if hasCardData(name, run) {
			return Redacted
		}
		return run
	})
	if hasCardData(name, out) {
		return Redacted
	}
	return out
}

// hasCardData asks the canonical guard whether s, held under the key name,
// looks like a payment card number.
func hasCardData(name, s string) bool {
	return canonical.CheckNoCardData(map[string]string{name: s}) != nil
}
