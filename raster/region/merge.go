package region

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/paulmach/orb"
)

// Group is one region produced by [Merge]: the sorted indices of the parts it
// joins and the canonical runs of their union.
type Group struct {
	Parts []int
	Runs  []Run
}

// Merge joins regions coming from different tiles (or any split of a pixel
// set into 4-connected parts) into the 4-connected regions of their union.
//
// parts[i] is one region; its runs may be in any order and need not be
// canonical. Two parts belong together when a run of one touches a run of the
// other: on the same row when they overlap or one ends where the other starts
// (X1 == X0), or on adjacent rows (|dy| == 1) when their x-intervals overlap
// ([a0,a1) and [b0,b1) overlap when a0 < b1 && b0 < a1; a shared corner is not
// enough). Parts are joined transitively and are never split, even if a part
// is not itself connected.
//
// Merge returns one [Group] per merged region, ordered by their first run
// (smallest Y, then X0): Parts holds the sorted indices of the parts in it and
// Runs the canonical runs of their union. Parts without any non-empty run
// belong to no group. The result is deterministic and depends only on the
// pixel sets of the parts, not on their order (apart from the indices in
// Parts) or the order of their runs. Time O(N log N) and memory O(N + len(parts))
// in the total number N of runs.
func Merge(parts [][]Run) []Group {
	// Each run with its part, keyed by (Y, X0) packed into one integer so
	// that the sort compares a single word.
	type partRun struct {
		key      uint64
		x1, part int32
	}
	total := 0
	for _, p := range parts {
		total += len(p)
	}
	all := make([]partRun, 0, total)
	for i, p := range parts {
		for _, r := range p {
			if r.X0 < r.X1 {
				all = append(all, partRun{packYX(r.Y, r.X0), r.X1, int32(i)})
			}
		}
	}
	if len(all) == 0 {
		return nil
	}
	slices.SortFunc(all, func(a, b partRun) int { return cmp.Compare(a.key, b.key) })

	// Coalesce the runs of each row into clusters: maximal intervals of
	// touching or overlapping runs. All parts with a run in a cluster are
	// joined, and the clusters of all parts are the canonical runs of the
	// union. rep[k] is one part of cluster k.
	uf := newUnionFind(len(parts))
	clusters := make([]Run, 0, len(all))
	rep := make([]int32, 0, len(all))
	for _, pr := range all {
		r := Run{X1: pr.x1}
		r.Y, r.X0 = unpackYX(pr.key)
		if n := len(clusters) - 1; n >= 0 && clusters[n].Y == r.Y && r.X0 <= clusters[n].X1 {
			// r starts inside or at the end of the cluster, so it touches the
			// run that reaches furthest right (runs are sorted by X0), whose
			// part is already joined with rep[n].
			clusters[n].X1 = max(clusters[n].X1, r.X1)
			uf.union(rep[n], pr.part)
			continue
		}
		clusters = append(clusters, r)
		rep = append(rep, pr.part)
	}
	// Overlapping clusters of adjacent rows contain overlapping runs (a
	// cluster has no gap), so their parts are 4-connected.
	linkRows(clusters, func(i, j int) { uf.union(rep[i], rep[j]) })

	// Number the groups by their first cluster, then distribute clusters and
	// parts. Every cluster lies entirely in one group.
	group := make([]int32, len(parts)) // group of each root part, -1 if none yet
	for i := range group {
		group[i] = -1
	}
	clusterGroup := make([]int32, len(clusters))
	count := []int{}
	for k := range clusters {
		root := uf.find(rep[k])
		if group[root] < 0 {
			group[root] = int32(len(count))
			count = append(count, 0)
		}
		clusterGroup[k] = group[root]
		count[group[root]]++
	}
	groups := make([]Group, len(count))
	runs := make([]Run, len(clusters))
	start := 0
	for g, c := range count {
		groups[g].Runs = runs[start : start : start+c]
		start += c
	}
	for k, c := range clusters {
		g := clusterGroup[k]
		groups[g].Runs = append(groups[g].Runs, c)
	}

	// Parts are visited in index order, so Parts come out sorted. partGroup
	// is the group of each part, -1 for parts without runs.
	const hasRuns = -2
	partGroup := make([]int32, len(parts))
	for i := range partGroup {
		partGroup[i] = -1
	}
	for _, pr := range all {
		partGroup[pr.part] = hasRuns
	}
	clear(count)
	used := 0
	for i, g := range partGroup {
		if g == hasRuns {
			g = group[uf.find(int32(i))]
			partGroup[i] = g
			count[g]++
			used++
		}
	}
	indices := make([]int, used)
	start = 0
	for g, c := range count {
		groups[g].Parts = indices[start : start : start+c]
		start += c
	}
	for i, g := range partGroup {
		if g >= 0 {
			groups[g].Parts = append(groups[g].Parts, i)
		}
	}
	return groups
}

// Stitch is a convenience used by tests and callers: it merges the regions
// that several tiles produced with [Label] (tiles[t] is the output of tile t,
// in scene coordinates) and traces each merged region.
//
// It returns the groups of [Merge], whose Parts index the concatenation of
// the tiles' regions (tile 0's regions first, then tile 1's, and so on), and
// one polygon per group from [Trace]. The error is the first one returned by
// Trace, which happens only if the input regions are not 4-connected.
func Stitch(tiles [][][]Run) ([]Group, []orb.Polygon, error) {
	var parts [][]Run
	for _, t := range tiles {
		parts = append(parts, t...)
	}
	groups := Merge(parts)
	polys := make([]orb.Polygon, len(groups))
	for i, g := range groups {
		p, err := Trace(g.Runs)
		if err != nil {
			return nil, nil, fmt.Errorf("%w (merged region %d)", err, i)
		}
		polys[i] = p
	}
	return groups, polys, nil
}

// packYX packs y and x into a word that orders like (y, x).
func packYX(y, x int32) uint64 {
	return uint64(uint32(y)^1<<31)<<32 | uint64(uint32(x)^1<<31)
}

// unpackYX is the inverse of packYX.
func unpackYX(k uint64) (y, x int32) {
	return int32(uint32(k>>32) ^ 1<<31), int32(uint32(k) ^ 1<<31)
}
