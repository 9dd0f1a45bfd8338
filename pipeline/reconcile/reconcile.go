package reconcile

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/paulmach/orb"
)

// Run decides the outcome of every patch in in.Patches:
//
//   - FoundByPatrol (巡查已发现) when a ledger entry reporting a violation
//     (Entry.Violation) lies within FoundDistance (default 100 m) of the
//     patch polygon, or names its JCBH in any text column, or — without
//     coordinates — names its Place in 违法地点 and no other patch of that
//     place (and zone) qualifies; and the patrol was between 180 days
//     (WithFoundWindow) before the start of the QSX day and the end of the
//     FlaggedAt day (default HSX) plus grace (default 0). The earliest such
//     entry is recorded.
//   - ShouldHaveFound (巡查应发现而未发现) otherwise, when a GPS track or a
//     located ledger entry came within SightDistance (default 200 m) of the
//     polygon between the start of the QSX day and the end of the FlaggedAt
//     day. Track fixes of a segment are joined into lines (unless more than
//     10 min or 2 km apart) and the time of closest approach is interpolated.
//     The closest pass (ties: earliest) and the latest one are recorded.
//   - NotCovered (未巡查覆盖) otherwise.
//
// Results are sorted by JCBH, then ID. Run checks ctx between patches and
// returns ctx.Err() if it is cancelled. Input errors wrap ErrInvalid.
func Run(ctx context.Context, in Input, opts ...Option) ([]PatchResult, error) {
	cfg := newConfig(opts)
	p, err := prepare(ctx, in, cfg)
	if err != nil {
		return nil, err
	}
	out := make([]PatchResult, len(in.Patches))
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		firstEr error
	)
	chunk := max(64, len(in.Patches)/(cfg.workers*16)+1)
	jobs := make(chan int)
	for range cfg.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := p.newScratch()
			for start := range jobs {
				if err := ctx.Err(); err != nil {
					mu.Lock()
					firstEr = cmp.Or(firstEr, err)
					mu.Unlock()
					continue
				}
				for i := start; i < min(start+chunk, len(out)); i++ {
					out[i] = p.evalPatch(i, s)
				}
			}
		}()
	}
	for start := 0; start < len(out); start += chunk {
		jobs <- start
	}
	close(jobs)
	wg.Wait()
	if firstEr != nil {
		return nil, firstEr
	}
	slices.SortFunc(out, func(a, b PatchResult) int {
		return cmp.Or(cmp.Compare(a.Patch.JCBH, b.Patch.JCBH), cmp.Compare(a.Patch.ID, b.Patch.ID))
	})
	return out, nil
}

// ppatch is a patch prepared for checking.
type ppatch struct {
	poly               ppoly
	centroid           orb.Point
	zone               int
	flagged            time.Time
	foundFrom, foundTo int64 // unix seconds, half-open
	passFrom, passTo   int64
}

// prepared holds the projected, indexed input. It is read-only once built.
type prepared struct {
	cfg     config
	in      Input
	pl      plane
	zi      *zoneIndex
	patches []ppatch

	entryZones [][]int
	entryXY    []xy
	entryIn    []bool // located and inside the working extent
	entryStart []int64
	entryGrid  *grid

	// Track fixes inside the working extent, flattened: fix i is joined to
	// fix i+1 when link[i].
	px, py    []float32
	pt        []int64
	ptrack    []int32
	link      []bool
	trackGrid *grid

	jcbhHits map[int][]int // patch -> entries naming its JCBH
	addrHits map[int][]int // patch -> entries matching it by address only
	zoneDays [][]int64     // zone -> sorted entry start times
}

// scratch is per-goroutine working memory.
type scratch struct {
	segStamp   []int32
	entryStamp []int32
}

func (p *prepared) newScratch() *scratch {
	return &scratch{segStamp: make([]int32, len(p.pt)), entryStamp: make([]int32, len(p.in.Entries))}
}

func dayStart(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

func prepare(ctx context.Context, in Input, cfg config) (*prepared, error) {
	p := &prepared{cfg: cfg, in: in}
	zi, err := newZoneIndex(in.Zones)
	if err != nil {
		return nil, err
	}
	p.zi = zi
	if len(in.Patches) == 0 {
		return p, nil
	}

	// Patches: validate, pick the projection, project.
	ids := make(map[string]bool, len(in.Patches))
	cents := make([]orb.Point, len(in.Patches))
	ll := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for i := range in.Patches {
		pa := &in.Patches[i]
		if pa.ID == "" {
			return nil, fmt.Errorf("patch %d (JCBH %q) has no ID: %w", i, pa.JCBH, ErrInvalid)
		}
		if ids[pa.ID] {
			return nil, fmt.Errorf("duplicate patch ID %q: %w", pa.ID, ErrInvalid)
		}
		ids[pa.ID] = true
		c := pa.Centroid
		if c == (orb.Point{}) {
			c = centroidOf(pa.Geometry)
		}
		if c == (orb.Point{}) {
			return nil, fmt.Errorf("patch %q has neither geometry nor centroid: %w", pa.ID, ErrInvalid)
		}
		if pa.HSX.IsZero() && pa.FlaggedAt.IsZero() {
			return nil, fmt.Errorf("patch %q has no after-image date (HSX): %w", pa.ID, ErrInvalid)
		}
		if pa.QSX.IsZero() {
			return nil, fmt.Errorf("patch %q has no before-image date (QSX): %w", pa.ID, ErrInvalid)
		}
		cents[i] = c
		ll = ll.Extend(c)
		if len(pa.Geometry) > 0 {
			ll = ll.Union(pa.Geometry.Bound())
		}
	}
	p.pl = newPlane(ll.Center())
	reach := max(cfg.sightDist, cfg.foundDist)
	ext := emptyBox()
	p.patches = make([]ppatch, len(in.Patches))
	for i := range in.Patches {
		pa := &in.Patches[i]
		pp := ppatch{poly: projectPolygon(p.pl, pa.Geometry, cents[i]), centroid: cents[i]}
		pp.zone = zi.patchZone(pa, cents[i])
		pp.flagged = cmp.Or(pa.FlaggedAt, pa.HSX)
		qsx := dayStart(pa.QSX, cfg.loc)
		end := dayStart(pp.flagged, cfg.loc).AddDate(0, 0, 1)
		pp.foundFrom = qsx.Add(-cfg.lookback).Unix()
		pp.foundTo = end.Add(cfg.grace).Unix()
		pp.passFrom, pp.passTo = qsx.Unix(), end.Unix()
		p.patches[i] = pp
		b := pp.poly.bb
		ext.add(b.minx, b.miny)
		ext.add(b.maxx, b.maxy)
	}
	ext = ext.grow(reach + 1)
	// A lon/lat box that surely holds every fix within reach, including the
	// far end of a joined track segment.
	margin := reach + cfg.maxGapDist + 1000
	latMax := math.Max(math.Abs(ll.Min[1]), math.Abs(ll.Max[1]))
	dLat := margin / 111000
	dLon := margin / (111000 * math.Max(math.Cos(math.Min(latMax+dLat, 89)*math.Pi/180), 0.01))
	llb := lonLatBox{ll.Min[0] - dLon, ll.Min[1] - dLat, ll.Max[0] + dLon, ll.Max[1] + dLat}

	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.prepareEntries(ext, llb, reach)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.prepareTracks(ext, llb, reach)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.prepareTextMatches()
	return p, nil
}

func (p *prepared) prepareEntries(ext box, llb lonLatBox, reach float64) {
	es := p.in.Entries
	p.entryZones = make([][]int, len(es))
	p.entryXY = make([]xy, len(es))
	p.entryIn = make([]bool, len(es))
	p.entryStart = make([]int64, len(es))
	p.zoneDays = make([][]int64, len(p.zi.zones))
	for i := range es {
		e := &es[i]
		p.entryZones[i] = p.zi.entryZones(e)
		p.entryStart[i] = e.Start.Unix()
		for _, z := range p.entryZones[i] {
			p.zoneDays[z] = append(p.zoneDays[z], p.entryStart[i])
		}
		if e.HasLocation && !e.Start.IsZero() && llb.has(e.Location[0], e.Location[1]) {
			x, y := p.pl.fwd(e.Location[0], e.Location[1])
			p.entryXY[i] = xy{x, y}
			p.entryIn[i] = true
		}
	}
	for _, d := range p.zoneDays {
		slices.Sort(d)
	}
	p.entryGrid = newGrid(ext, reach)
	p.entryGrid.fill(len(es), func(i int) (box, bool) {
		if !p.entryIn[i] {
			return box{}, false
		}
		q := p.entryXY[i]
		return box{q.x, q.y, q.x, q.y}, true
	})
}

func (p *prepared) prepareTracks(ext box, llb lonLatBox, reach float64) {
	n := 0
	for _, t := range p.in.Tracks {
		for _, s := range t.Segments {
			n += len(s)
		}
	}
	// Keep only fixes in the lon/lat box; most of a county's tracks are far
	// from any patch of a batch only in small batches, so size for all.
	p.px = make([]float32, 0, n/4)
	p.py = make([]float32, 0, n/4)
	p.pt = make([]int64, 0, n/4)
	p.ptrack = make([]int32, 0, n/4)
	p.link = make([]bool, 0, n/4)
	maxGap := int64(p.cfg.maxGap / time.Second)
	for ti, t := range p.in.Tracks {
		for _, s := range t.Segments {
			prevKept := false
			for _, q := range s {
				if q.Time.IsZero() || !llb.has(q.Lon, q.Lat) {
					prevKept = false
					continue
				}
				x, y := p.pl.fwd(q.Lon, q.Lat)
				ts := q.Time.Unix()
				if prevKept {
					k := len(p.pt) - 1
					dx, dy := x-float64(p.px[k]), y-float64(p.py[k])
					dt := ts - p.pt[k]
					if dt >= 0 && dt <= maxGap && dx*dx+dy*dy <= p.cfg.maxGapDist*p.cfg.maxGapDist {
						p.link[k] = true
					}
				}
				p.px = append(p.px, float32(x))
				p.py = append(p.py, float32(y))
				p.pt = append(p.pt, ts)
				p.ptrack = append(p.ptrack, int32(ti))
				p.link = append(p.link, false)
				prevKept = true
			}
		}
	}
	p.trackGrid = newGrid(ext, max(reach, 100))
	p.trackGrid.fill(len(p.pt), func(i int) (box, bool) {
		if p.link[i] {
			return box{
				float64(min(p.px[i], p.px[i+1])), float64(min(p.py[i], p.py[i+1])),
				float64(max(p.px[i], p.px[i+1])), float64(max(p.py[i], p.py[i+1])),
			}, true
		}
		if i > 0 && p.link[i-1] {
			return box{}, false // the end of a joined segment
		}
		return box{float64(p.px[i]), float64(p.py[i]), float64(p.px[i]), float64(p.py[i])}, true
	})
}

// prepareTextMatches finds entries that name a patch's JCBH, and entries
// without coordinates whose address names a patch's Place.
func (p *prepared) prepareTextMatches() {
	byJCBH := map[string][]int{}
	for i, pa := range p.in.Patches {
		if j := strings.ToUpper(strings.TrimSpace(pa.JCBH)); len(j) >= 4 {
			byJCBH[j] = append(byJCBH[j], i)
		}
	}
	places := map[string][]int{}
	for i, pa := range p.in.Patches {
		if pl := normName(pa.Place); len([]rune(pl)) >= 2 {
			places[pl] = append(places[pl], i)
		}
	}
	placeList := make([]string, 0, len(places))
	for k := range places {
		placeList = append(placeList, k)
	}
	slices.Sort(placeList)
	p.jcbhHits = map[int][]int{}
	p.addrHits = map[int][]int{}
	for ei := range p.in.Entries {
		e := &p.in.Entries[ei]
		if !e.Violation || e.Start.IsZero() {
			continue
		}
		named := false
		text := strings.Join([]string{e.Items, e.Subject, e.Address, e.Status, e.StopMeasure, e.StopEffect, e.FollowUp}, " ")
		for _, tok := range codeTokens(text) {
			for _, pi := range byJCBH[tok] {
				p.jcbhHits[pi] = append(p.jcbhHits[pi], ei)
				named = true
			}
		}
		if named || e.HasLocation || len(placeList) == 0 {
			continue
		}
		addr := normName(e.Address)
		if addr == "" {
			continue
		}
		var cands []int
		for _, pl := range placeList {
			if !strings.Contains(addr, pl) {
				continue
			}
			for _, pi := range places[pl] {
				pp := &p.patches[pi]
				if pp.zone >= 0 && len(p.entryZones[ei]) > 0 && !slices.Contains(p.entryZones[ei], pp.zone) {
					continue
				}
				if s := p.entryStart[ei]; s < pp.foundFrom || s >= pp.foundTo {
					continue
				}
				cands = append(cands, pi)
			}
		}
		slices.Sort(cands)
		cands = slices.Compact(cands)
		if len(cands) == 1 {
			p.addrHits[cands[0]] = append(p.addrHits[cands[0]], ei)
		}
	}
}

// codeTokens returns the upper-cased runs of ASCII letters, digits, '-' and
// '_' in s: candidate 监测编号.
func codeTokens(s string) []string {
	s = foldWidth(s)
	var out []string
	start := -1
	for i := 0; i <= len(s); i++ {
		c := byte(0)
		if i < len(s) {
			c = s[i]
		}
		ok := c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-' || c == '_'
		if ok && start < 0 {
			start = i
		}
		if !ok && start >= 0 {
			if i-start >= 4 {
				out = append(out, strings.ToUpper(strings.Trim(s[start:i], "-_")))
			}
			start = -1
		}
	}
	return out
}

// evalPatch checks one patch.
func (p *prepared) evalPatch(i int, s *scratch) PatchResult {
	pa := p.in.Patches[i]
	pp := &p.patches[i]
	r := PatchResult{Patch: pa, FlaggedAt: pp.flagged, ZoneID: pa.PatrolZoneID}
	if pp.zone >= 0 {
		r.ZoneID = zoneID(p.zi.zones[pp.zone])
		days := p.zoneDays[pp.zone]
		lo, _ := slices.BinarySearch(days, pp.passFrom)
		hi, _ := slices.BinarySearch(days, pp.passTo)
		r.ZoneEntries = hi - lo
	}
	stamp := int32(i + 1)

	// Found: located entries, JCBH in text, unique address.
	var found []Finding
	consider := func(ei int, kind MatchKind, dist float64) {
		e := &p.in.Entries[ei]
		found = append(found, Finding{EntryID: e.ID, Ref: e.Ref, Date: e.Start, Match: kind, DistanceM: roundDist(dist)})
	}
	reach := max(p.cfg.sightDist, p.cfg.foundDist)
	var passes []Pass
	var passKeys []int
	q := pp.poly.bb.grow(reach)
	p.entryGrid.query(q, func(it int32) {
		ei := int(it)
		if s.entryStamp[ei] == stamp {
			return
		}
		s.entryStamp[ei] = stamp
		e := &p.in.Entries[ei]
		d := pp.poly.pointDist(p.entryXY[ei])
		st := p.entryStart[ei]
		if e.Violation && d <= p.cfg.foundDist && st >= pp.foundFrom && st < pp.foundTo {
			consider(ei, MatchLocation, d)
		}
		if d <= p.cfg.sightDist && st >= pp.passFrom && st < pp.passTo {
			passes = append(passes, Pass{Source: FromEntry, ID: e.ID, Ref: e.Ref, Time: e.Start, DistanceM: roundDist(d), Point: e.Location})
			passKeys = append(passKeys, -1-ei)
		}
	})
	for _, ei := range p.jcbhHits[i] {
		if st := p.entryStart[ei]; st >= pp.foundFrom && st < pp.foundTo {
			d := -1.0
			if p.entryIn[ei] {
				d = pp.poly.pointDist(p.entryXY[ei])
			}
			consider(ei, MatchJCBH, d)
		}
	}
	for _, ei := range p.addrHits[i] {
		consider(ei, MatchAddress, -1)
	}
	if len(found) > 0 {
		slices.SortFunc(found, func(a, b Finding) int {
			return cmp.Or(a.Date.Compare(b.Date), cmp.Compare(a.Match, b.Match), cmp.Compare(a.EntryID, b.EntryID))
		})
		// Count distinct entries.
		ids := make([]string, len(found))
		for k, f := range found {
			ids[k] = f.EntryID
		}
		slices.Sort(ids)
		r.Found = &found[0]
		r.Matches = len(slices.Compact(ids))
		r.Outcome = FoundByPatrol
	}

	// Passes by tracks.
	p.trackGrid.query(pp.poly.bb.grow(p.cfg.sightDist), func(it int32) {
		k := int(it)
		if s.segStamp[k] == stamp {
			return
		}
		s.segStamp[k] = stamp
		if ps, ok := p.trackPass(k, pp); ok {
			passes = append(passes, ps)
			passKeys = append(passKeys, int(p.ptrack[k]))
		}
	})
	if len(passes) > 0 {
		c, l := 0, 0
		for k := 1; k < len(passes); k++ {
			a, b := passes[k], passes[c]
			if a.DistanceM < b.DistanceM || a.DistanceM == b.DistanceM && (a.Time.Before(b.Time) || a.Time.Equal(b.Time) && a.ID < b.ID) {
				c = k
			}
			b = passes[l]
			if a.Time.After(b.Time) || a.Time.Equal(b.Time) && (a.DistanceM < b.DistanceM || a.DistanceM == b.DistanceM && a.ID < b.ID) {
				l = k
			}
		}
		r.Closest, r.Latest = &passes[c], &passes[l]
		slices.Sort(passKeys)
		r.Passes = len(slices.Compact(passKeys))
		if r.Outcome != FoundByPatrol {
			r.Outcome = ShouldHaveFound
		}
	}
	return r
}

// trackPass tests the track item starting at fix k (a joined segment or a
// lone fix) against a patch.
func (p *prepared) trackPass(k int, pp *ppatch) (Pass, bool) {
	a := xy{float64(p.px[k]), float64(p.py[k])}
	t0 := p.pt[k]
	if !p.link[k] {
		if t0 < pp.passFrom || t0 >= pp.passTo {
			return Pass{}, false
		}
		d := pp.poly.pointDist(a)
		if d > p.cfg.sightDist {
			return Pass{}, false
		}
		return p.mkPass(k, a, time.Unix(t0, 0), d), true
	}
	b := xy{float64(p.px[k+1]), float64(p.py[k+1])}
	t1 := p.pt[k+1]
	if t1 < pp.passFrom || t0 >= pp.passTo {
		return Pass{}, false
	}
	// Clip the segment to the time window.
	u0, u1 := 0.0, 1.0
	if dt := float64(t1 - t0); dt > 0 {
		if t0 < pp.passFrom {
			u0 = float64(pp.passFrom-t0) / dt
		}
		if t1 >= pp.passTo {
			u1 = float64(pp.passTo-1-t0) / dt
		}
	}
	ca := xy{a.x + u0*(b.x-a.x), a.y + u0*(b.y-a.y)}
	cb := xy{a.x + u1*(b.x-a.x), a.y + u1*(b.y-a.y)}
	d, u := pp.poly.segDist(ca, cb)
	if d > p.cfg.sightDist {
		return Pass{}, false
	}
	uu := u0 + u*(u1-u0)
	at := xy{a.x + uu*(b.x-a.x), a.y + uu*(b.y-a.y)}
	ts := t0 + int64(math.Round(uu*float64(t1-t0)))
	return p.mkPass(k, at, time.Unix(ts, 0), d), true
}

func (p *prepared) mkPass(k int, at xy, t time.Time, d float64) Pass {
	tr := &p.in.Tracks[p.ptrack[k]]
	return Pass{
		Source: FromTrack, ID: tr.ID, Ref: tr.Ref, Team: tr.Team,
		Time: t.In(p.cfg.loc), DistanceM: roundDist(d),
		Point: orb.Round(p.pl.inv(at.x, at.y), 1e7).(orb.Point),
	}
}

// roundDist rounds a distance to 0.1 m; negative values (no distance) stay.
func roundDist(d float64) float64 {
	if d < 0 {
		return d
	}
	return math.Round(d*10) / 10
}
