package reconcile

import (
	"fmt"
	"strconv"

	"github.com/paulmach/orb"
)

// zoneIndex resolves zone references and locates points in zones.
type zoneIndex struct {
	zones  []Zone
	byID   map[string]int
	byName map[string]int
	bounds []orb.Bound
}

func newZoneIndex(zones []Zone) (*zoneIndex, error) {
	zi := &zoneIndex{
		zones:  zones,
		byID:   make(map[string]int, len(zones)),
		byName: make(map[string]int, len(zones)),
		bounds: make([]orb.Bound, len(zones)),
	}
	for i, z := range zones {
		id := zoneID(z)
		if _, dup := zi.byID[id]; dup {
			return nil, fmt.Errorf("duplicate zone ID %q: %w", id, ErrInvalid)
		}
		zi.byID[id] = i
		if n := normName(z.Name); n != "" {
			if _, dup := zi.byName[n]; !dup {
				zi.byName[n] = i
			}
		}
		if len(z.Geometry) > 0 {
			zi.bounds[i] = z.Geometry.Bound()
		}
	}
	return zi, nil
}

// resolve returns the zone named by ref: its ID, else its normalised name.
func (zi *zoneIndex) resolve(ref string) (int, bool) {
	if i, ok := zi.byID[ref]; ok {
		return i, true
	}
	i, ok := zi.byName[normName(ref)]
	return i, ok
}

// containing returns the first zone (in input order) whose geometry contains
// pt, or -1.
func (zi *zoneIndex) containing(pt orb.Point) int {
	for i, z := range zi.zones {
		if len(z.Geometry) == 0 || !zi.bounds[i].Contains(pt) {
			continue
		}
		if inMulti(z.Geometry, pt) {
			return i
		}
	}
	return -1
}

// entryZones resolves the zones of an entry: the named ones that exist, or
// else the zone containing its location. The first is the primary zone: the
// one containing the location when it is among them.
func (zi *zoneIndex) entryZones(e *Entry) []int {
	var out []int
	seen := map[int]bool{}
	for _, ref := range e.Zones {
		if i, ok := zi.resolve(ref); ok && !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	if e.HasLocation {
		if c := zi.containing(e.Location); c >= 0 {
			if !seen[c] {
				out = append(out, c)
			}
			// Primary zone first.
			for k, z := range out {
				if z == c {
					out[0], out[k] = out[k], out[0]
					break
				}
			}
		}
	}
	return out
}

// patchZone returns the zone of a patch: PatrolZoneID resolved, else the
// zone containing its centroid, or -1.
func (zi *zoneIndex) patchZone(p *Patch, centroid orb.Point) int {
	if p.PatrolZoneID != "" {
		if i, ok := zi.resolve(p.PatrolZoneID); ok {
			return i
		}
		return -1
	}
	return zi.containing(centroid)
}

// zoneID is how ledgers and patches refer to a zone by ID: its feature ID in
// decimal.
func zoneID(z Zone) string { return strconv.FormatInt(z.ID, 10) }
