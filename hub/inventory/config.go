package inventory

import (
	"fmt"
	"math"
	"sort"
)

// Config is the hub.yaml `inventory` section.
//
//	inventory:
//	  reservation_ttl: 48h
//	  safety_stock:
//	    - { name: stores, groups: [stores], quantity: 2 }
//	    - { name: fragile, tags: [fragile], locations: [wh-east], quantity: 5 }
//	  buffers:
//	    shopify-us: { groups: [us], fixed: 2, zero_below: 3 }
//	    amazon-us:  { percent: 80, cap: 100 }
type Config struct {
	// ReservationTTL is how long a reservation made without an explicit expiry
	// lives (Go duration, e.g. "48h"); empty means reservations do not expire.
	ReservationTTL string `yaml:"reservation_ttl,omitempty" json:"reservation_ttl,omitempty"`
	// SafetyStock rules, applied in order; when several match, the last wins.
	// A quantity set directly for a SKU at a location wins over every rule.
	SafetyStock []SafetyRule `yaml:"safety_stock,omitempty" json:"safety_stock,omitempty"`
	// Buffers per channel (connector instance). A channel listed here gets
	// its inventory figures published; an empty entry publishes raw ATP.
	Buffers map[string]ChannelBuffer `yaml:"buffers,omitempty" json:"buffers,omitempty"`
}

// SafetyRule holds back units at matching SKU/location pairs. Empty conditions
// match everything; non-empty ones must all match.
type SafetyRule struct {
	// Name identifies the rule in explanations.
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// Locations are location ids the rule applies to.
	Locations []string `yaml:"locations,omitempty" json:"locations,omitempty"`
	// Groups are location groups; a location in any of them matches.
	Groups []string `yaml:"groups,omitempty" json:"groups,omitempty"`
	// Tags are product tags; a SKU with any of them matches.
	Tags []string `yaml:"tags,omitempty" json:"tags,omitempty"`
	// SKUs are SKUs the rule applies to.
	SKUs []string `yaml:"skus,omitempty" json:"skus,omitempty"`
	// Quantity is the safety stock to hold back.
	Quantity int64 `yaml:"quantity" json:"quantity"`
}

// ChannelBuffer says which locations serve a channel and how the channel's
// figure is cut from their ATP. The steps apply in this order:
//
//  1. zero_below: if ATP < zero_below, publish 0;
//  2. fixed: subtract a fixed number of units (not below 0);
//  3. percent: publish floor(ATP x percent / 100);
//  4. cap: publish at most cap units.
type ChannelBuffer struct {
	// Locations are the location ids that serve the channel; with Groups
	// empty too, every active location does.
	Locations []string `yaml:"locations,omitempty" json:"locations,omitempty"`
	// Groups are location groups that serve the channel.
	Groups []string `yaml:"groups,omitempty" json:"groups,omitempty"`
	// Exclude are location ids never counted for the channel.
	Exclude []string `yaml:"exclude,omitempty" json:"exclude,omitempty"`
	// PerLocation publishes one figure per serving location (location_id set),
	// instead of one network figure (location_id "").
	PerLocation bool `yaml:"per_location,omitempty" json:"per_location,omitempty"`
	// Fixed units held back from the channel.
	Fixed int64 `yaml:"fixed,omitempty" json:"fixed,omitempty"`
	// Percent of ATP shown, 0 to 100 (nil means 100).
	Percent *float64 `yaml:"percent,omitempty" json:"percent,omitempty"`
	// Cap is the most the channel ever shows; 0 means no cap.
	Cap int64 `yaml:"cap,omitempty" json:"cap,omitempty"`
	// ZeroBelow publishes 0 when ATP is below it; 0 disables the rule.
	ZeroBelow int64 `yaml:"zero_below,omitempty" json:"zero_below,omitempty"`
}

// Apply cuts a channel's figure from an available-to-promise quantity.
func (b ChannelBuffer) Apply(atp int64) int64 {
	a := atp
	if a < 0 {
		a = 0
	}
	if b.ZeroBelow > 0 && a < b.ZeroBelow {
		return 0
	}
	a -= b.Fixed
	if a < 0 {
		a = 0
	}
	if b.Percent != nil {
		bp := int64(math.Round(*b.Percent * 100)) // basis points, exact integer math
		a = a * bp / 10000
	}
	if b.Cap > 0 && a > b.Cap {
		a = b.Cap
	}
	return a
}

// Validate reports every problem of the configuration.
func (c Config) Validate() error {
	var probs []string
	if c.ReservationTTL != "" {
		if _, err := parseTTL(c.ReservationTTL); err != nil {
			probs = append(probs, err.Error())
		}
	}
	for i, r := range c.SafetyStock {
		if r.Quantity < 0 {
			probs = append(probs, fmt.Sprintf("safety_stock[%d]: quantity %d is negative", i, r.Quantity))
		}
	}
	names := make([]string, 0, len(c.Buffers))
	for ch := range c.Buffers {
		names = append(names, ch)
	}
	sort.Strings(names)
	for _, ch := range names {
		b := c.Buffers[ch]
		if b.Fixed < 0 || b.Cap < 0 || b.ZeroBelow < 0 {
			probs = append(probs, fmt.Sprintf("buffers.%s: fixed, cap and zero_below must not be negative", ch))
		}
		if b.Percent != nil && (*b.Percent < 0 || *b.Percent > 100) {
			probs = append(probs, fmt.Sprintf("buffers.%s: percent %v is outside 0..100", ch, *b.Percent))
		}
	}
	if len(probs) > 0 {
		return &ConfigError{Problems: probs}
	}
	return nil
}

// ConfigError lists the problems of an inventory configuration.
type ConfigError struct{ Problems []string }

func (e *ConfigError) Error() string {
	s := "inventory config:"
	for _, p := range e.Problems {
		s += " " + p + ";"
	}
	return s[:len(s)-1]
}
