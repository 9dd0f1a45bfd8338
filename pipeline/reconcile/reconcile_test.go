package reconcile

import (
	"context"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

// base is a point in Hubei (GK zone 38, central meridian 114°E).
var testBase = orb.Point{114.30, 30.60}

// at returns the point dx metres east and dy metres north of testBase
// (spherical approximation, good to about 0.5 % here).
func at(dx, dy float64) orb.Point {
	const r = 6371008.8
	lat := testBase[1] + dy/r*180/math.Pi
	lon := testBase[0] + dx/(r*math.Cos(testBase[1]*math.Pi/180))*180/math.Pi
	return orb.Point{lon, lat}
}

// square returns a square patch of side s metres with its south-west corner
// at (dx, dy).
func square(dx, dy, s float64) orb.Polygon {
	return orb.Polygon{{at(dx, dy), at(dx+s, dy), at(dx+s, dy+s), at(dx, dy+s), at(dx, dy)}}
}

func day(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, ChinaTime())
	if err != nil {
		t, err = time.ParseInLocation("2006-01-02", s, ChinaTime())
		if err != nil {
			panic(err)
		}
	}
	return t
}

func testPatch(id string) Patch {
	return Patch{
		ID: id, JCBH: "420102202605" + id, Geometry: square(0, 0, 50),
		QSX: day("2026-04-01"), HSX: day("2026-05-10"), Suspected: true,
	}
}

// line returns track fixes from (x0, y0) to (x1, y1) metres, n fixes, one
// every step starting at t0.
func line(x0, y0, x1, y1 float64, n int, t0 time.Time, step time.Duration) []TrackPoint {
	out := make([]TrackPoint, n)
	for i := range n {
		f := float64(i) / float64(n-1)
		p := at(x0+f*(x1-x0), y0+f*(y1-y0))
		out[i] = TrackPoint{Lon: p[0], Lat: p[1], Time: t0.Add(time.Duration(i) * step)}
	}
	return out
}

func TestRunOutcomes(t *testing.T) {
	t.Parallel()
	violation := func(id string, start time.Time, loc *orb.Point) Entry {
		e := Entry{ID: id, Ref: "row " + id, Start: start, People: 2, Subject: "张三", Status: "挖土", Violation: true}
		if loc != nil {
			e.Location, e.HasLocation = *loc, true
		}
		return e
	}
	pt := func(dx, dy float64) *orb.Point { p := at(dx, dy); return &p }
	tests := []struct {
		name      string
		patch     func(p *Patch)
		entries   []Entry
		tracks    []Track
		opts      []Option
		want      Outcome
		match     MatchKind
		foundID   string
		closestM  [2]float64 // range of the closest distance
		closestAt time.Time
	}{
		{name: "nothing", want: NotCovered},
		{
			name:    "found by coordinates 50 m away",
			entries: []Entry{violation("e1", day("2026-04-20 09:00"), pt(100, 25))},
			want:    FoundByPatrol, match: MatchLocation, foundID: "e1",
		},
		{
			name:    "found on the flag day itself",
			entries: []Entry{violation("e1", day("2026-05-10 16:00"), pt(25, 25))},
			want:    FoundByPatrol, match: MatchLocation, foundID: "e1",
		},
		{
			name:    "earliest of two finders wins",
			entries: []Entry{violation("late", day("2026-05-02"), pt(25, 25)), violation("early", day("2026-04-12"), pt(30, 30))},
			want:    FoundByPatrol, match: MatchLocation, foundID: "early",
		},
		{
			name:    "found long before QSX (site already known) within lookback",
			entries: []Entry{violation("e1", day("2026-01-15"), pt(25, 25))},
			want:    FoundByPatrol, match: MatchLocation, foundID: "e1",
		},
		{
			name:    "too long before QSX with no lookback",
			entries: []Entry{violation("e1", day("2026-01-15"), pt(25, 25))},
			opts:    []Option{WithFoundWindow(0, 0)},
			want:    NotCovered,
		},
		{
			name:    "entry after the satellite flagged it does not count",
			entries: []Entry{violation("e1", day("2026-05-11 08:00"), pt(25, 25))},
			want:    NotCovered,
		},
		{
			name:    "grace admits an entry a day after the flag",
			entries: []Entry{violation("e1", day("2026-05-11 08:00"), pt(25, 25))},
			opts:    []Option{WithFoundWindow(0, 24*time.Hour)},
			want:    FoundByPatrol, match: MatchLocation, foundID: "e1",
		},
		{
			name: "FlaggedAt later than HSX widens the window",
			patch: func(p *Patch) {
				p.FlaggedAt = day("2026-05-20")
			},
			entries: []Entry{violation("e1", day("2026-05-15"), pt(25, 25))},
			want:    FoundByPatrol, match: MatchLocation, foundID: "e1",
		},
		{
			name:     "violation 150 m away is a pass, not a finding",
			entries:  []Entry{violation("e1", day("2026-04-20"), pt(200, 25))},
			want:     ShouldHaveFound,
			closestM: [2]float64{145, 155},
		},
		{
			name: "found by JCBH in text",
			entries: []Entry{{
				ID: "e1", Start: day("2026-05-03"), People: 2, Subject: "李四", Violation: true,
				FollowUp: "已核查卫片图斑４２０１０２２０２６０５Ａ，上报大队",
			}},
			patch: func(p *Patch) { p.JCBH = "420102202605A" },
			want:  FoundByPatrol, match: MatchJCBH, foundID: "e1",
		},
		{
			name: "found by unique address",
			patch: func(p *Patch) {
				p.Place = "东关村"
			},
			entries: []Entry{{ID: "e1", Start: day("2026-05-03"), People: 2, Subject: "王五", Address: "城关镇东关村 北侧", Violation: true}},
			want:    FoundByPatrol, match: MatchAddress, foundID: "e1",
		},
		{
			name: "JCBH in a non-violation row does not count",
			entries: []Entry{{
				ID: "e1", Start: day("2026-05-03"), People: 2, Subject: "无", Status: "正常",
				Items: "核查 420102202605p1",
			}},
			want: NotCovered,
		},
		{
			name: "track passes 150 m away inside the window",
			tracks: []Track{{ID: "t1", Team: "一中队", Segments: [][]TrackPoint{
				line(-1000, 200, 1000, 200, 3, day("2026-04-20 09:00"), 4*time.Minute),
			}}},
			want:      ShouldHaveFound,
			closestM:  [2]float64{148, 152},
			closestAt: day("2026-04-20 09:04").Add(0), // fix 2 is at x=0; closest at x∈[0,50] → 09:04..09:04:12
		},
		{
			name: "sparse track: the line between fixes passes by",
			tracks: []Track{{ID: "t1", Segments: [][]TrackPoint{
				line(-900, 100, 900, 100, 2, day("2026-04-20 09:00"), 6*time.Minute),
			}}},
			want:     ShouldHaveFound,
			closestM: [2]float64{48, 52},
		},
		{
			name: "sparse fixes further apart than the gap are not joined",
			tracks: []Track{{ID: "t1", Segments: [][]TrackPoint{
				line(-900, 100, 900, 100, 2, day("2026-04-20 09:00"), 20*time.Minute),
			}}},
			want: NotCovered,
		},
		{
			name: "track through the patch",
			tracks: []Track{{ID: "t1", Segments: [][]TrackPoint{
				line(-500, 25, 500, 25, 11, day("2026-04-20 09:00"), time.Minute),
			}}},
			want:     ShouldHaveFound,
			closestM: [2]float64{0, 0},
		},
		{
			name: "track before QSX does not count",
			tracks: []Track{{ID: "t1", Segments: [][]TrackPoint{
				line(-500, 25, 500, 25, 11, day("2026-03-20 09:00"), time.Minute),
			}}},
			want: NotCovered,
		},
		{
			name: "track after the flag does not count",
			tracks: []Track{{ID: "t1", Segments: [][]TrackPoint{
				line(-500, 25, 500, 25, 11, day("2026-05-11 09:00"), time.Minute),
			}}},
			want: NotCovered,
		},
		{
			name: "track 300 m away is out of sight",
			tracks: []Track{{ID: "t1", Segments: [][]TrackPoint{
				line(-500, 350, 500, 350, 11, day("2026-04-20 09:00"), time.Minute),
			}}},
			want: NotCovered,
		},
		{
			name: "wider sight distance sees it",
			tracks: []Track{{ID: "t1", Segments: [][]TrackPoint{
				line(-500, 350, 500, 350, 11, day("2026-04-20 09:00"), time.Minute),
			}}},
			opts:     []Option{WithSightDistance(400)},
			want:     ShouldHaveFound,
			closestM: [2]float64{297, 303},
		},
		{
			name: "segment straddling the window start is clipped",
			tracks: []Track{{ID: "t1", Segments: [][]TrackPoint{
				// 2026-03-31 23:55 at x=-900 to 2026-04-01 00:05 at x=+900;
				// the patch is passed at 00:00:00–00:00:09.
				line(-900, 25, 900, 25, 2, day("2026-03-31 23:55"), 10*time.Minute),
			}}},
			want:      ShouldHaveFound,
			closestM:  [2]float64{0, 0},
			closestAt: day("2026-04-01 00:00"),
		},
		{
			name: "located non-violation entry is a pass",
			entries: []Entry{{ID: "e1", Start: day("2026-04-25 10:00"), People: 2, Subject: "无", Status: "未发现违法行为",
				Location: at(25, 150), HasLocation: true}},
			want:     ShouldHaveFound,
			closestM: [2]float64{95, 105},
		},
		{
			name:    "found beats should-have-found",
			entries: []Entry{violation("e1", day("2026-04-20 09:00"), pt(25, 25))},
			tracks: []Track{{ID: "t1", Segments: [][]TrackPoint{
				line(-500, 25, 500, 25, 11, day("2026-04-18 09:00"), time.Minute),
			}}},
			want: FoundByPatrol, match: MatchLocation, foundID: "e1",
			closestM: [2]float64{0, 0},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := testPatch("p1")
			if tc.patch != nil {
				tc.patch(&p)
			}
			in := Input{Patches: []Patch{p}, Entries: tc.entries, Tracks: tc.tracks}
			res, err := Run(context.Background(), in, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != 1 {
				t.Fatalf("got %d results", len(res))
			}
			r := res[0]
			if r.Outcome != tc.want {
				t.Fatalf("outcome %v, want %v (found %+v, closest %+v)", r.Outcome, tc.want, r.Found, r.Closest)
			}
			if tc.want == FoundByPatrol {
				if r.Found == nil || r.Found.Match != tc.match || r.Found.EntryID != tc.foundID {
					t.Errorf("found %+v, want match %v by %s", r.Found, tc.match, tc.foundID)
				}
			}
			if tc.closestM != [2]float64{} || tc.want == ShouldHaveFound {
				if r.Closest == nil {
					t.Fatalf("no closest pass")
				}
				if d := r.Closest.DistanceM; d < tc.closestM[0] || d > tc.closestM[1] {
					t.Errorf("closest distance %.1f m, want in %v", d, tc.closestM)
				}
				if !tc.closestAt.IsZero() {
					if dt := r.Closest.Time.Sub(tc.closestAt); dt < 0 || dt > 15*time.Second {
						t.Errorf("closest at %v, want %v (+15 s)", r.Closest.Time, tc.closestAt)
					}
				}
			}
			if tc.want == NotCovered && (r.Closest != nil || r.Passes != 0) {
				t.Errorf("not covered but a pass: %+v", r.Closest)
			}
		})
	}
}

func TestRunAmbiguousAddress(t *testing.T) {
	t.Parallel()
	a, b := testPatch("a"), testPatch("b")
	b.Geometry = square(3000, 0, 50)
	a.Place, b.Place = "西关村", "西关村"
	e := Entry{ID: "e1", Start: day("2026-05-03"), People: 2, Subject: "赵六", Address: "西关村", Violation: true}
	res, err := Run(context.Background(), Input{Patches: []Patch{a, b}, Entries: []Entry{e}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Outcome != NotCovered {
			t.Errorf("%s: %v, want not covered (address names two patches)", r.Patch.ID, r.Outcome)
		}
	}
	// With zones the address becomes unique.
	a.PatrolZoneID, b.PatrolZoneID = "1", "2"
	e.Zones = []string{"一号片区"}
	zones := []Zone{{ID: 1, Name: "一号片区", Grade: 1}, {ID: 2, Name: "二号片区", Grade: 2}}
	res, err = Run(context.Background(), Input{Patches: []Patch{a, b}, Entries: []Entry{e}, Zones: zones})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Outcome != FoundByPatrol || res[1].Outcome != NotCovered {
		t.Errorf("outcomes %v, %v; want found, not covered", res[0].Outcome, res[1].Outcome)
	}
}

func TestRunZoneEntries(t *testing.T) {
	t.Parallel()
	p := testPatch("p1")
	z := Zone{ID: 1, Name: "东关片区", Geometry: orb.MultiPolygon{square(-1000, -1000, 2000)}}
	entries := []Entry{
		{ID: "in", Start: day("2026-04-10"), Zones: []string{"东关片区"}, People: 2},
		{ID: "before", Start: day("2026-03-10"), Zones: []string{"1"}, People: 2},
		{ID: "elsewhere", Start: day("2026-04-10"), Zones: []string{"西关"}, People: 2},
	}
	res, err := Run(context.Background(), Input{Patches: []Patch{p}, Zones: []Zone{z}, Entries: entries})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].ZoneID != "1" || res[0].ZoneEntries != 1 {
		t.Errorf("zone %q entries %d, want z1 and 1", res[0].ZoneID, res[0].ZoneEntries)
	}
}

func TestRunInvalid(t *testing.T) {
	t.Parallel()
	noQSX := testPatch("p")
	noQSX.QSX = time.Time{}
	noGeom := testPatch("p")
	noGeom.Geometry = nil
	tests := []struct {
		name string
		in   Input
	}{
		{"duplicate ID", Input{Patches: []Patch{testPatch("p"), testPatch("p")}}},
		{"no ID", Input{Patches: []Patch{testPatch("")}}},
		{"no QSX", Input{Patches: []Patch{noQSX}}},
		{"no geometry", Input{Patches: []Patch{noGeom}}},
		{"duplicate zone ID", Input{Zones: []Zone{{ID: 1, Name: "x"}, {ID: 1, Name: "y"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Run(context.Background(), tc.in); !errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestRunCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, Input{Patches: []Patch{testPatch("p")}}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestRunDeterministic(t *testing.T) {
	t.Parallel()
	in := synthCounty(7, 300, 2000, 50, 400)
	var first []PatchResult
	for _, w := range []int{1, 2, 5} {
		res, err := Run(context.Background(), in, WithWorkers(w))
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = res
			continue
		}
		if !reflect.DeepEqual(first, res) {
			t.Fatalf("workers=%d gives a different result", w)
		}
	}
	for i := 1; i < len(first); i++ {
		if first[i-1].Patch.JCBH > first[i].Patch.JCBH {
			t.Fatalf("results not sorted at %d", i)
		}
	}
	var n [3]int
	for _, r := range first {
		n[r.Outcome]++
	}
	if n[0] == 0 || n[1] == 0 || n[2] == 0 {
		t.Errorf("synthetic county gives outcomes %v; want all three", n)
	}
}

// TestRunAgainstBruteForce compares the indexed search with a direct scan.
func TestRunAgainstBruteForce(t *testing.T) {
	t.Parallel()
	in := synthCounty(11, 200, 500, 30, 300)
	res, err := Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	cfg := newConfig(nil)
	p, err := prepare(context.Background(), in, cfg)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]PatchResult{}
	for _, r := range res {
		byID[r.Patch.ID] = r
	}
	for i := range in.Patches {
		pp := &p.patches[i]
		best := math.Inf(1)
		for k := range p.pt {
			if k > 0 && p.link[k-1] && !p.link[k] {
				continue
			}
			if ps, ok := p.trackPass(k, pp); ok {
				best = min(best, ps.DistanceM)
			}
		}
		r := byID[in.Patches[i].ID]
		got := math.Inf(1)
		if r.Closest != nil && r.Closest.Source == FromTrack {
			got = r.Closest.DistanceM
		}
		if r.Closest != nil && r.Closest.Source == FromEntry {
			continue // an entry was closer; the scan covers tracks only
		}
		if got != best {
			t.Fatalf("patch %s: indexed closest %v, brute force %v", in.Patches[i].ID, got, best)
		}
	}
}
