package routing

import (
	"github.com/crossdockhq/crossdock/canonical"
	"gopkg.in/yaml.v3"
)

// RateTable estimates shipping cost until real carrier rates are available: a
// zone chosen by distance band times a weight band, prices in minor units of
// one currency.
type RateTable struct {
	// Currency is the ISO 4217 code of every price.
	Currency string
	// DefaultUnitWeightGrams is the weight assumed for a line without one.
	DefaultUnitWeightGrams int64
	// WeightBandsGrams are increasing upper bounds of the weight bands; a
	// heavier parcel uses the last price column.
	WeightBandsGrams []int64
	// Zones are distance bands, nearest first.
	Zones []RateZone
}

// RateZone is one distance band and its prices per weight band.
type RateZone struct {
	// UpToKM is the band's upper bound; 0 on the last zone means no bound.
	UpToKM float64
	// Prices has one price per weight band plus one for heavier parcels.
	Prices []int64
}

// Estimate returns the estimated cost of one parcel of grams over km.
func (t RateTable) Estimate(km float64, grams int64) canonical.Money {
	if len(t.Zones) == 0 {
		return canonical.Money{Currency: t.Currency}
	}
	z := t.Zones[len(t.Zones)-1]
	for _, c := range t.Zones {
		if c.UpToKM > 0 && km <= c.UpToKM {
			z = c
			break
		}
	}
	col := len(t.WeightBandsGrams)
	for i, b := range t.WeightBandsGrams {
		if grams <= b {
			col = i
			break
		}
	}
	if col >= len(z.Prices) {
		col = len(z.Prices) - 1
	}
	return canonical.Money{Amount: z.Prices[col], Currency: t.Currency}
}

// lineGrams returns the shipping weight of qty units of a line.
func (t RateTable) lineGrams(l *canonical.OrderLine, qty int64) int64 {
	w := t.DefaultUnitWeightGrams
	if l.Weight != nil && l.Weight.Grams > 0 {
		w = l.Weight.Grams
	}
	return w * qty
}

func (d *decoder) rates(n *yaml.Node) RateTable {
	t := RateTable{DefaultUnitWeightGrams: 500}
	var zonesNode *yaml.Node
	d.fields(n, "shipping_rates", []string{"currency", "default_unit_weight_g", "weight_bands_g", "zones"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "currency":
			t.Currency = d.str(v, "shipping_rates.currency")
			if len(t.Currency) != 3 {
				d.errorf(v, "shipping_rates.currency: %q is not an ISO 4217 code", t.Currency)
			}
		case "default_unit_weight_g":
			t.DefaultUnitWeightGrams = d.int(v, "shipping_rates.default_unit_weight_g", 1)
		case "weight_bands_g":
			if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
				d.errorf(v, "shipping_rates.weight_bands_g must be a non-empty list of grams")
				return
			}
			var prev int64
			for _, c := range v.Content {
				g := d.int(c, "shipping_rates.weight_bands_g item", 1)
				if g <= prev {
					d.errorf(c, "shipping_rates.weight_bands_g must increase (%d after %d)", g, prev)
				}
				prev = g
				t.WeightBandsGrams = append(t.WeightBandsGrams, g)
			}
		case "zones":
			zonesNode = v
		}
	})
	if n.Kind != yaml.MappingNode {
		return t
	}
	if t.Currency == "" {
		d.errorf(n, "shipping_rates.currency is required")
	}
	if zonesNode == nil {
		d.errorf(n, "shipping_rates.zones is required")
		return t
	}
	if zonesNode.Kind != yaml.SequenceNode || len(zonesNode.Content) == 0 {
		d.errorf(zonesNode, "shipping_rates.zones must be a non-empty list")
		return t
	}
	prev := 0.0
	for i, zn := range zonesNode.Content {
		var z RateZone
		sawUpTo := false
		d.fields(zn, "shipping_rates zone", []string{"up_to_km", "prices"}, func(key string, k, v *yaml.Node) {
			switch key {
			case "up_to_km":
				sawUpTo = true
				z.UpToKM = d.float(v, "zone.up_to_km", 0)
				if z.UpToKM <= prev {
					d.errorf(v, "zone.up_to_km must increase (%g after %g)", z.UpToKM, prev)
				}
				prev = z.UpToKM
			case "prices":
				if v.Kind != yaml.SequenceNode {
					d.errorf(v, "zone.prices must be a list of minor-unit amounts")
					return
				}
				for _, c := range v.Content {
					z.Prices = append(z.Prices, d.int(c, "zone.prices item", 0))
				}
				if want := len(t.WeightBandsGrams) + 1; len(z.Prices) != want {
					d.errorf(v, "zone.prices has %d prices, want %d (one per weight band plus one for heavier parcels)", len(z.Prices), want)
				}
			}
		})
		last := i == len(zonesNode.Content)-1
		if zn.Kind == yaml.MappingNode && !sawUpTo && !last {
			d.errorf(zn, "zone: up_to_km is required on every zone but the last")
		}
		if len(z.Prices) == 0 && zn.Kind == yaml.MappingNode {
			d.errorf(zn, "zone: prices is required")
			z.Prices = []int64{0}
		}
		t.Zones = append(t.Zones, z)
	}
	return t
}
