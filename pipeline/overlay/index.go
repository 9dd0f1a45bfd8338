package overlay

import (
	"math"
	"slices"
)

// box is an axis-aligned rectangle; min ≤ max on both axes for a non-empty box.
type box struct {
	minX, minY, maxX, maxY float64
}

// emptyBox returns a box that contains nothing and grows with extend.
func emptyBox() box {
	return box{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
}

func (b *box) extend(x, y float64) {
	b.minX = min(b.minX, x)
	b.minY = min(b.minY, y)
	b.maxX = max(b.maxX, x)
	b.maxY = max(b.maxY, y)
}

func (b box) union(c box) box {
	return box{min(b.minX, c.minX), min(b.minY, c.minY), max(b.maxX, c.maxX), max(b.maxY, c.maxY)}
}

func (b box) pad(d float64) box {
	return box{b.minX - d, b.minY - d, b.maxX + d, b.maxY + d}
}

// intersects reports whether b and c share at least one point (closed boxes).
func (b box) intersects(c box) bool {
	return b.minX <= c.maxX && c.minX <= b.maxX && b.minY <= c.maxY && c.minY <= b.maxY
}

// nodeSize is the fan-out of the packed R-tree.
const nodeSize = 16

// rtree is a static packed Hilbert R-tree (the flatbush layout): the items'
// boxes sorted along a Hilbert curve form the leaf level, and each upper
// level holds the union boxes of nodeSize consecutive nodes of the level
// below. It is built once and is then read-only, so it is safe for concurrent
// use. The zero value is an empty tree.
type rtree struct {
	n      int     // number of items
	boxes  []box   // all levels, leaves first, root last
	index  []int32 // leaf: item number; upper node: position of its first child in boxes
	levels []int   // levels[k] is the end (exclusive) of level k in boxes
}

// newRTree builds the tree over the given item boxes. Item numbers are the
// positions in items. It panics if there are more than MaxInt32 items.
func newRTree(items []box) *rtree {
	n := len(items)
	if n > math.MaxInt32 {
		panic("overlay: too many items for the spatial index")
	}
	t := &rtree{n: n}
	if n == 0 {
		return t
	}
	// Level sizes, to allocate once.
	total := n
	t.levels = append(t.levels, n)
	for m := n; m > 1; {
		m = (m + nodeSize - 1) / nodeSize
		total += m
		t.levels = append(t.levels, total)
	}
	t.boxes = make([]box, total)
	t.index = make([]int32, total)

	// Sort the items by the Hilbert value of their centres on a 2^16 grid
	// over the extent of all items; the item number breaks ties, so the
	// order is deterministic.
	ext := emptyBox()
	for _, b := range items {
		ext = ext.union(b)
	}
	const hmax = 1<<16 - 1
	w := ext.maxX - ext.minX
	h := ext.maxY - ext.minY
	keys := make([]uint64, n)
	for i, b := range items {
		var hx, hy uint32
		if w > 0 {
			hx = uint32(math.Floor(hmax * ((b.minX+b.maxX)/2 - ext.minX) / w))
		}
		if h > 0 {
			hy = uint32(math.Floor(hmax * ((b.minY+b.maxY)/2 - ext.minY) / h))
		}
		keys[i] = uint64(hilbert(min(hx, hmax), min(hy, hmax)))<<32 | uint64(i)
	}
	slices.Sort(keys)
	for k, key := range keys {
		i := int32(key & math.MaxUint32)
		t.boxes[k] = items[i]
		t.index[k] = i
	}

	// Upper levels.
	pos := n
	for lvl := 0; lvl+1 < len(t.levels); lvl++ {
		start := 0
		if lvl > 0 {
			start = t.levels[lvl-1]
		}
		end := t.levels[lvl]
		for c := start; c < end; c += nodeSize {
			b := emptyBox()
			for j := c; j < min(c+nodeSize, end); j++ {
				b = b.union(t.boxes[j])
			}
			t.boxes[pos] = b
			t.index[pos] = int32(c)
			pos++
		}
	}
	return t
}

// search appends to out the numbers of the items whose boxes intersect q, in
// a deterministic order, and returns it with the (grown) stack for reuse.
func (t *rtree) search(q box, out, stack []int32) ([]int32, []int32) {
	if t.n == 0 {
		return out, stack
	}
	stack = stack[:0]
	node := len(t.boxes) - 1 // the root, alone in its block
	lvl := len(t.levels) - 1
	for {
		end := min(node+nodeSize, t.levels[lvl])
		for pos := node; pos < end; pos++ {
			if !q.intersects(t.boxes[pos]) {
				continue
			}
			if lvl == 0 {
				out = append(out, t.index[pos])
			} else {
				stack = append(stack, t.index[pos], int32(lvl-1))
			}
		}
		if len(stack) == 0 {
			return out, stack
		}
		lvl = int(stack[len(stack)-1])
		node = int(stack[len(stack)-2])
		stack = stack[:len(stack)-2]
	}
}

// hilbert returns the position of (x, y), each in [0, 2^16), along the
// Hilbert curve of order 16 (the branch-free form from "Fast Hilbert curve
// generation, sorting, and range queries" by rawrunprotected, as used by
// flatbush).
func hilbert(x, y uint32) uint32 {
	a := x ^ y
	b := 0xFFFF ^ a
	c := 0xFFFF ^ (x | y)
	d := x & (y ^ 0xFFFF)

	A := a | (b >> 1)
	B := (a >> 1) ^ a
	C := ((c >> 1) ^ (b & (d >> 1))) ^ c
	D := ((a & (c >> 1)) ^ (d >> 1)) ^ d

	a, b, c, d = A, B, C, D
	A = (a & (a >> 2)) ^ (b & (b >> 2))
	B = (a & (b >> 2)) ^ (b & ((a ^ b) >> 2))
	C ^= (a & (c >> 2)) ^ (b & (d >> 2))
	D ^= (b & (c >> 2)) ^ ((a ^ b) & (d >> 2))

	a, b, c, d = A, B, C, D
	A = (a & (a >> 4)) ^ (b & (b >> 4))
	B = (a & (b >> 4)) ^ (b & ((a ^ b) >> 4))
	C ^= (a & (c >> 4)) ^ (b & (d >> 4))
	D ^= (b & (c >> 4)) ^ ((a ^ b) & (d >> 4))

	a, b, c, d = A, B, C, D
	C ^= (a & (c >> 8)) ^ (b & (d >> 8))
	D ^= (b & (c >> 8)) ^ ((a ^ b) & (d >> 8))

	a = C ^ (C >> 1)
	b = D ^ (D >> 1)

	i0 := x ^ y
	i1 := b | (0xFFFF ^ (i0 | a))

	return (interleave(i1) << 1) | interleave(i0)
}

// interleave spreads the low 16 bits of x to the even bits of the result.
func interleave(x uint32) uint32 {
	x = (x | (x << 8)) & 0x00FF00FF
	x = (x | (x << 4)) & 0x0F0F0F0F
	x = (x | (x << 2)) & 0x33333333
	x = (x | (x << 1)) & 0x55555555
	return x
}
