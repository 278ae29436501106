package inventory

import (
	"context"
	"fmt"

	"github.com/crossdockhq/crossdock/hub/store"
)

// Republish forgets what channel was last told for skus and computes its
// figures afresh, returning a command for every location it is published at.
//
// A sales channel changes its own stock when it takes an order (Shopify
// decrements the location it assigned), while the hub may fulfil the order
// elsewhere; the channel's figure then no longer matches what the hub last
// published, and an unchanged hub figure would never be sent again. After an
// order from a channel, the hub republishes the order's SKUs to that channel.
func (s *Service) Republish(ctx context.Context, tx store.DBTX, channel string, skus []string) ([]Command, error) {
	if _, ok := s.cfg.Buffers[channel]; !ok {
		return nil, nil
	}
	var out []Command
	seen := map[string]bool{}
	for _, sku := range skus {
		if sku == "" || seen[sku] {
			continue
		}
		seen[sku] = true
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM published_inventory WHERE channel = ? AND sku = ?`), channel, sku); err != nil {
			return nil, fmt.Errorf("republish %s to %s: %w", sku, channel, err)
		}
		cmds, err := s.SyncChannel(ctx, tx, sku, channel)
		if err != nil {
			return nil, err
		}
		out = append(out, cmds...)
	}
	return out, nil
}
