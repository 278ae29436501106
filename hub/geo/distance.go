package geo

import (
	"container/heap"
	"math"
	"sort"

	"github.com/crossdockhq/crossdock/canonical"
)

// EarthRadiusKM is the mean Earth radius (IUGG), used by DistanceKM.
const EarthRadiusKM = 6371.0088

const degToRad = math.Pi / 180

// DistanceKM is the great-circle distance between a and b in kilometres
// (haversine formula on a sphere of radius EarthRadiusKM).
func DistanceKM(a, b canonical.GeoPoint) float64 {
	return prepare(a).distance(b)
}

// origin holds what the haversine needs of a fixed point, so ranking many
// points around it computes it once.
type origin struct {
	latRad, lngRad, cosLat float64
}

func prepare(p canonical.GeoPoint) origin {
	lat := p.Lat * degToRad
	return origin{latRad: lat, lngRad: p.Lng * degToRad, cosLat: math.Cos(lat)}
}

// hav is the haversine of the central angle to p, a monotone stand-in for
// the distance.
func (o origin) hav(p canonical.GeoPoint) float64 {
	lat := p.Lat * degToRad
	s1 := math.Sin((lat - o.latRad) / 2)
	s2 := math.Sin((p.Lng*degToRad - o.lngRad) / 2)
	h := s1*s1 + o.cosLat*math.Cos(lat)*s2*s2
	return min(h, 1)
}

func havToKM(h float64) float64 { return 2 * EarthRadiusKM * math.Asin(math.Sqrt(h)) }

func (o origin) distance(p canonical.GeoPoint) float64 { return havToKM(o.hav(p)) }

// Neighbor is one point found by Nearest: its index in the slice given and its
// distance from the origin.
type Neighbor struct {
	Index      int
	DistanceKM float64
}

// Nearest returns the points nearest to origin, nearest first (equal distances
// by index). n > 0 keeps at most n of them; radiusKM > 0 keeps only those
// within radiusKM (inclusive). With both zero it ranks every point. It is
// linear in len(points) with a cheap latitude-band rejection before the
// haversine, and O(n) memory, so a few thousand locations take microseconds.
func Nearest(from canonical.GeoPoint, points []canonical.GeoPoint, n int, radiusKM float64) []Neighbor {
	o := prepare(from)
	// A point more than radius/R radians of latitude away is out of range
	// whatever its longitude; the band is widened a little for float rounding.
	maxDLat, maxHav := math.Inf(1), math.Inf(1)
	if radiusKM > 0 {
		maxDLat = radiusKM/EarthRadiusKM/degToRad + 1e-9
		if radiusKM < math.Pi*EarthRadiusKM {
			s := math.Sin(radiusKM / EarthRadiusKM / 2)
			maxHav = s*s + 1e-12
		}
	}
	// Rank by the haversine (monotone in distance); take the arcsine of the
	// points kept only. The heap keeps the n best, the worst on top.
	var h maxHeap
	if n > 0 {
		h = make(maxHeap, 0, min(n, len(points)))
	}
	for i, p := range points {
		if math.Abs(p.Lat-from.Lat) > maxDLat {
			continue
		}
		hv := o.hav(p)
		if hv > maxHav {
			continue
		}
		nb := Neighbor{Index: i, DistanceKM: hv}
		switch {
		case n <= 0 || len(h) < n:
			if n > 0 {
				heap.Push(&h, nb)
			} else {
				h = append(h, nb)
			}
		case less(nb, h[0]):
			h[0] = nb
			heap.Fix(&h, 0)
		}
	}
	out := make([]Neighbor, 0, len(h))
	for _, nb := range h {
		nb.DistanceKM = havToKM(nb.DistanceKM)
		if radiusKM > 0 && nb.DistanceKM > radiusKM {
			continue
		}
		out = append(out, nb)
	}
	sort.Slice(out, func(i, j int) bool { return less(out[i], out[j]) })
	return out
}

func less(a, b Neighbor) bool {
	if a.DistanceKM != b.DistanceKM {
		return a.DistanceKM < b.DistanceKM
	}
	return a.Index < b.Index
}

type maxHeap []Neighbor

func (h maxHeap) Len() int           { return len(h) }
func (h maxHeap) Less(i, j int) bool { return less(h[j], h[i]) }
func (h maxHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *maxHeap) Push(x any)        { *h = append(*h, x.(Neighbor)) }
func (h *maxHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
