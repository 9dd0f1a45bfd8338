package overlay

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/weipian/weipian/pipeline/geodesy"
)

// projCache memoises Zone.Forward for one patch: neighbouring parcels share
// their corners, so most vertices near a patch are projected several times
// otherwise. It is an open-addressing hash table that is emptied in O(1) by
// bumping the generation; a hit returns the very value Forward computed, so
// the cache changes no result.
type projCache struct {
	slots []projSlot
	mask  uint64
	gen   uint32
	n     int
}

type projSlot struct {
	key orb.Point // lon/lat
	val orb.Point // projected, relative to the patch origin
	gen uint32
}

// reset empties the cache and makes room for n points.
func (c *projCache) reset(n int) {
	size := 1024
	for size < 2*n {
		size *= 2
	}
	if len(c.slots) < size || c.gen == math.MaxUint32 {
		c.slots = make([]projSlot, max(size, len(c.slots)))
		c.gen = 0
	}
	c.mask = uint64(len(c.slots) - 1)
	c.gen++
	c.n = 0
}

// forward returns the projection of p into z relative to (ox, oy).
func (c *projCache) forward(z geodesy.Zone, p orb.Point, ox, oy float64) orb.Point {
	if 2*(c.n+1) > len(c.slots) {
		c.grow()
	}
	h := math.Float64bits(p[0])*0x9E3779B97F4A7C15 ^ math.Float64bits(p[1])*0xC2B2AE3D27D4EB4F
	i := (h ^ h>>29) & c.mask
	for {
		s := &c.slots[i]
		if s.gen != c.gen {
			x, y := z.Forward(p[0], p[1])
			*s = projSlot{key: p, val: orb.Point{x - ox, y - oy}, gen: c.gen}
			c.n++
			return s.val
		}
		if s.key == p {
			return s.val
		}
		i = (i + 1) & c.mask
	}
}

// grow doubles the table, keeping the current entries.
func (c *projCache) grow() {
	old, gen := c.slots, c.gen
	c.slots = make([]projSlot, 2*len(old))
	c.mask = uint64(len(c.slots) - 1)
	c.gen = 1
	c.n = 0
	for _, s := range old {
		if s.gen != gen {
			continue
		}
		h := math.Float64bits(s.key[0])*0x9E3779B97F4A7C15 ^ math.Float64bits(s.key[1])*0xC2B2AE3D27D4EB4F
		i := (h ^ h>>29) & c.mask
		for c.slots[i].gen == c.gen {
			i = (i + 1) & c.mask
		}
		c.slots[i] = projSlot{key: s.key, val: s.val, gen: c.gen}
		c.n++
	}
}
