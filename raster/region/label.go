package region

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// Label finds the 4-connected regions of mask (row-major, width w, height h; a
// pixel is set when mask[i] != 0) and returns them as run lists. Coordinates
// are offset by (ox, oy): pixel (x, y) of the mask is reported as
// (x+ox, y+oy), so a tile can report scene coordinates.
//
// Each region's runs are canonical (sorted by Y then X0, maximal: no two runs
// on the same row touch). Regions are ordered by their first run. The runs of
// all regions share one backing array but each region slice is clipped to its
// length, so appending to one never overwrites another. Memory: O(number of
// runs), in addition to mask.
//
// Label panics if w or h is negative or mask is shorter than w*h.
func Label(mask []uint8, w, h int, ox, oy int32) [][]Run {
	if w < 0 || h < 0 || len(mask) < w*h {
		panic(fmt.Sprintf("region: Label: mask of %d bytes does not hold %d×%d pixels", len(mask), w, h))
	}
	runs := scanRuns(mask, w, h, ox, oy)
	if len(runs) == 0 {
		return nil
	}

	// Join runs of adjacent rows that overlap. With the smallest-index root
	// rule, the root of every region is its first run.
	uf := newUnionFind(len(runs))
	linkRows(runs, func(i, j int) { uf.union(int32(i), int32(j)) })

	// Number the regions in the order of their first run. A root is always
	// smaller than the other runs of its set, so its number is known first.
	region := make([]int32, len(runs))
	count := []int{}
	for i := range runs {
		root := uf.find(int32(i))
		if root == int32(i) {
			region[i] = int32(len(count))
			count = append(count, 0)
		} else {
			region[i] = region[root]
		}
		count[region[i]]++
	}

	// Counting sort of the runs by region keeps each region in (Y, X0) order.
	all := make([]Run, len(runs))
	regions := make([][]Run, len(count))
	start := 0
	for k, c := range count {
		regions[k] = all[start : start : start+c]
		start += c
	}
	for i, r := range runs {
		k := region[i]
		regions[k] = append(regions[k], r)
	}
	return regions
}

// Byte-parallel constants for scanning eight mask bytes at a time.
const (
	low7 = 0x7f7f7f7f7f7f7f7f
	msb  = 0x8080808080808080
)

// setFlags returns v with bit 7 of each byte set when that byte of v is
// non-zero and every other bit cleared. (Adding 0x7f to the low seven bits
// carries into bit 7 unless they are all zero; or-ing v catches bit 7 itself.)
func setFlags(v uint64) uint64 {
	return ((v&low7 + low7) | v) & msb
}

// word returns the little-endian word of row at x, padded with zeros past the
// end of the row.
func word(row []uint8, x int) uint64 {
	if x+8 <= len(row) {
		return binary.LittleEndian.Uint64(row[x:])
	}
	var buf [8]byte
	copy(buf[:], row[x:])
	return binary.LittleEndian.Uint64(buf[:])
}

// countRuns returns the number of maximal runs of set pixels in mask: the
// number of set pixels whose left neighbour is unset or outside the row.
func countRuns(mask []uint8, w, h int) int {
	n := 0
	for y := range h {
		row := mask[y*w : (y+1)*w]
		var prev uint64 // flags of the previous word; only bit 63 is used
		for x := 0; x < w; x += 8 {
			t := setFlags(word(row, x))
			n += bits.OnesCount64(t &^ (t<<8 | prev>>56))
			prev = t
		}
	}
	return n
}

// scanRuns returns the maximal runs of set pixels of mask, row by row, offset
// by (ox, oy). It looks at eight pixels at a time and visits only the
// positions where the row switches between set and unset.
func scanRuns(mask []uint8, w, h int, ox, oy int32) []Run {
	runs := make([]Run, 0, countRuns(mask, w, h))
	for y := range h {
		row := mask[y*w : (y+1)*w]
		var prev uint64 // flags of the previous word; only bit 63 is used
		start, open := 0, false
		for x := 0; x < w; x += 8 {
			t := setFlags(word(row, x))
			// Bit 7 of byte i of change is set when byte i differs from the
			// byte before it (the last byte of the previous word for i = 0).
			change := t ^ (t<<8 | prev>>56)
			prev = t
			for change != 0 {
				i := bits.TrailingZeros64(change) >> 3
				change &= change - 1
				if open {
					runs = append(runs, Run{Y: int32(y) + oy, X0: int32(start) + ox, X1: int32(x+i) + ox})
				} else {
					start = x + i
				}
				open = !open
			}
		}
		// A run reaching the end of the row is still open when w is a
		// multiple of 8; otherwise the zero padding has closed it at w.
		if open {
			runs = append(runs, Run{Y: int32(y) + oy, X0: int32(start) + ox, X1: int32(w) + ox})
		}
	}
	return runs
}
