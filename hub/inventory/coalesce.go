package inventory

import (
	"encoding/json"

	"github.com/crossdockhq/crossdock/canonical"
)

// Coalesce merges the SetInventory commands of one change: when the same
// channel, SKU and location was set several times, only the last figure is
// kept (with the first one's Previous), in the position of the first. Other
// commands are kept as they are, in order. A figure that came back to what
// the channel was told before the change (Previous == Available) is dropped.
func Coalesce(cmds []Command) []Command {
	type key struct{ topic, sku, loc string }
	first := map[key]int{}
	out := make([]Command, 0, len(cmds))
	for _, c := range cmds {
		if c.Command.Action != canonical.ActionSetInventory {
			out = append(out, c)
			continue
		}
		var p canonical.SetInventory
		if err := json.Unmarshal(c.Command.Payload, &p); err != nil {
			out = append(out, c)
			continue
		}
		k := key{c.Topic, p.SKU, p.LocationID}
		i, seen := first[k]
		if !seen {
			first[k] = len(out)
			out = append(out, c)
			continue
		}
		var prev canonical.SetInventory
		_ = json.Unmarshal(out[i].Command.Payload, &prev) // we wrote it
		p.Previous = prev.Previous
		merged := out[i]
		merged.Command.Payload = json.RawMessage(mustJSON(p))
		out[i] = merged
	}
	kept := out[:0]
	for _, c := range out {
		if c.Command.Action == canonical.ActionSetInventory {
			var p canonical.SetInventory
			if json.Unmarshal(c.Command.Payload, &p) == nil && p.Previous != nil && *p.Previous == p.Available {
				continue
			}
		}
		kept = append(kept, c)
	}
	return kept
}
