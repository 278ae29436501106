package yamlconf

import (
	"fmt"
	"time"
)

// JSONable turns a value decoded from YAML into one encoding/json can encode
// as the YAML meant it: maps with non-string keys get string keys, and
// timestamps (YAML decodes unquoted dates to time.Time) become RFC 3339. It
// changes maps and slices in place.
func JSONable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = JSONable(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = JSONable(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = JSONable(e)
		}
		return x
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	return v
}
