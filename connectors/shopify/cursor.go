package shopify

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// incCursor resumes an incremental stream (orders, products). A pass lists
// everything with updated_at >= Since, sorted by UPDATED_AT, page by page.
// Records at exactly Since that an earlier pass emitted are in Seen and are
// skipped, so `>=` repeats nothing while still catching records updated
// later in the same second. Mid-pass, After is the page cursor (Shopify's
// cursors are keyset cursors, valid while records change) and Max/MaxIDs
// track the pass's highest updated_at; when the pass ends they become the
// next Since/Seen.
//
// Known limit: Shopify's updated_at has second precision, so two changes to
// one record within the same second that straddle a pass carry the same
// Version; the second is not re-emitted. Downstream could not order them
// anyway.
type incCursor struct {
	Since  string   `json:"since,omitempty"`
	Seen   []string `json:"seen,omitempty"`
	After  string   `json:"after,omitempty"`
	Max    string   `json:"max,omitempty"`
	MaxIDs []string `json:"max_ids,omitempty"`
}

func decodeIncCursor(raw []byte) (incCursor, error) {
	var c incCursor
	if len(raw) == 0 {
		return c, nil
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, fmt.Errorf("shopify: bad cursor: %w", err)
	}
	return c, nil
}

func (c incCursor) encode() []byte {
	b, _ := json.Marshal(c)
	return b
}

// incItem is one listed record before mapping.
type incItem struct {
	id      string
	updated time.Time
	build   func() (canonical.Record, error)
	raw     []byte
}

// incPage lists one page of a pass over records updated at or after since
// (RFC 3339; "" for everything).
type incPage func(ctx context.Context, since string, after *string) (items []incItem, next *string, more bool, err error)

// readIncremental runs passes until nothing is left, emitting a batch per page.
func readIncremental(ctx context.Context, stream string, raw []byte, list incPage, emit func(sdk.Batch) error) error {
	cur, err := decodeIncCursor(raw)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, id := range cur.Seen {
		seen[id] = true
	}
	for {
		var after *string
		if cur.After != "" {
			a := cur.After
			after = &a
		}
		items, next, more, err := list(ctx, cur.Since, after)
		if err != nil {
			return err
		}
		var batch sdk.Batch
		for _, it := range items {
			ts := it.updated.UTC().Format(time.RFC3339)
			if ts == cur.Since && seen[it.id] {
				continue
			}
			switch {
			case ts > cur.Max:
				cur.Max, cur.MaxIDs = ts, []string{it.id}
			case ts == cur.Max:
				cur.MaxIDs = appendUnique(cur.MaxIDs, it.id)
			}
			rec, err := it.build()
			if err != nil {
				batch.Rejects = append(batch.Rejects, sdk.Reject{Location: stream + ": " + it.id, Message: err.Error(), Raw: it.raw})
				continue
			}
			batch.Records = append(batch.Records, rec)
		}
		if more && next != nil {
			cur.After = *next
		} else {
			// Pass complete: the watermark moves to the highest updated_at seen.
			if cur.Max != "" {
				if cur.Max == cur.Since {
					for _, id := range cur.MaxIDs {
						seen[id] = true
					}
				} else {
					seen = map[string]bool{}
					for _, id := range cur.MaxIDs {
						seen[id] = true
					}
					cur.Since = cur.Max
				}
				cur.Seen = keys(seen)
			}
			cur.After, cur.Max, cur.MaxIDs = "", "", nil
		}
		batch.Cursor = cur.encode()
		if len(batch.Records) > 0 || len(batch.Rejects) > 0 || string(batch.Cursor) != string(raw) {
			if err := emit(batch); err != nil {
				return err
			}
			raw = batch.Cursor
		}
		if !(more && next != nil) {
			return nil
		}
	}
}

func appendUnique(list []string, v string) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}
