package region

import (
	"reflect"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// ring builds a closed ring from x, y pairs (the closing point is added).
func ring(xy ...float64) orb.Ring {
	r := make(orb.Ring, 0, len(xy)/2+1)
	for i := 0; i+1 < len(xy); i += 2 {
		r = append(r, orb.Point{xy[i], xy[i+1]})
	}
	return append(r, r[0])
}

func TestTrace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		rows   []string
		ox, oy int32
		want   orb.Polygon
	}{
		{"single pixel", []string{"#"}, 3, 5, orb.Polygon{ring(3, 5, 3, 6, 4, 6, 4, 5)}},
		{"2x2 block", []string{"##", "##"}, 0, 0, orb.Polygon{ring(0, 0, 0, 2, 2, 2, 2, 0)}},
		{"horizontal bar", []string{"####"}, -2, 0, orb.Polygon{ring(-2, 0, -2, 1, 2, 1, 2, 0)}},
		{"L shape", []string{"#.", "##"}, 0, 0, orb.Polygon{ring(0, 0, 0, 2, 2, 2, 2, 1, 1, 1, 1, 0)}},
		{"mirrored L", []string{".#", "##"}, 0, 0, orb.Polygon{ring(1, 0, 1, 1, 0, 1, 0, 2, 2, 2, 2, 0)}},
		{"U shape", []string{"#.#", "#.#", "###"}, 0, 0,
			orb.Polygon{ring(0, 0, 0, 3, 3, 3, 3, 0, 2, 0, 2, 2, 1, 2, 1, 0)}},
		{"ring of 8 around a hole", []string{"###", "#.#", "###"}, 0, 0, orb.Polygon{
			ring(0, 0, 0, 3, 3, 3, 3, 0),
			ring(1, 1, 2, 1, 2, 2, 1, 2),
		}},
		{"two holes", []string{"#####", "#.#.#", "#####"}, 10, 20, orb.Polygon{
			ring(10, 20, 10, 23, 15, 23, 15, 20),
			ring(11, 21, 12, 21, 12, 22, 11, 22),
			ring(13, 21, 14, 21, 14, 22, 13, 22),
		}},
		{"large hole", []string{"####", "#..#", "#..#", "####"}, 0, 0, orb.Polygon{
			ring(0, 0, 0, 4, 4, 4, 4, 0),
			ring(1, 1, 3, 1, 3, 3, 1, 3),
		}},
		// The hole (1,1) touches the outside at the corner (2,2), where the
		// pixels (2,1) and (1,2) meet diagonally: the exterior passes through
		// (2,2) once, and the hole is a separate ring touching it there.
		{"hole touches the exterior at a corner", []string{"###", "#.#", "##."}, 0, 0, orb.Polygon{
			ring(0, 0, 0, 3, 2, 3, 2, 2, 3, 2, 3, 0),
			ring(1, 1, 2, 1, 2, 2, 1, 2),
		}},
		// Same with the notch at the top right: (1,0)… the exterior enters
		// the corner (2,1) from above.
		{"hole touches the exterior at a top corner", []string{"##.", "#.#", "###"}, 0, 0, orb.Polygon{
			ring(0, 0, 0, 3, 3, 3, 3, 1, 2, 1, 2, 0),
			ring(1, 1, 2, 1, 2, 2, 1, 2),
		}},
		// Two holes meet at the corner (2,2) where (2,1) and (1,2) touch.
		{"diagonal contact between two holes", []string{"####", "#.##", "##.#", "####"}, 0, 0, orb.Polygon{
			ring(0, 0, 0, 4, 4, 4, 4, 0),
			ring(1, 1, 2, 1, 2, 2, 1, 2),
			ring(2, 2, 3, 2, 3, 3, 2, 3),
		}},
		// A 3x3 checkerboard inside a frame: five single-pixel holes, the
		// middle one touching the four others at its corners.
		{"checkerboard", []string{"#####", "#.#.#", "##.##", "#.#.#", "#####"}, 0, 0, orb.Polygon{
			ring(0, 0, 0, 5, 5, 5, 5, 0),
			ring(1, 1, 2, 1, 2, 2, 1, 2),
			ring(3, 1, 4, 1, 4, 2, 3, 2),
			ring(2, 2, 3, 2, 3, 3, 2, 3),
			ring(1, 3, 2, 3, 2, 4, 1, 4),
			ring(3, 3, 4, 3, 4, 4, 3, 4),
		}},
		// The opposite checkerboard without its middle pixel (which would be
		// a separate region): the four holes join into one plus-shaped hole.
		{"inverse checkerboard", []string{"#####", "##.##", "#...#", "##.##", "#####"}, 0, 0, orb.Polygon{
			ring(0, 0, 0, 5, 5, 5, 5, 0),
			ring(2, 1, 3, 1, 3, 2, 4, 2, 4, 3, 3, 3, 3, 4, 2, 4, 2, 3, 1, 3, 1, 2, 2, 2),
		}},
		// A 3x3 frame missing the middle of its right side: a C shape with
		// no hole; the pixel (1,1) is a bay open to the right.
		{"frame missing one side pixel", []string{"###", "#..", "###"}, 0, 0, orb.Polygon{
			ring(0, 0, 0, 3, 3, 3, 3, 2, 1, 2, 1, 1, 3, 1, 3, 0),
		}},
		// The same frame missing its right middle pixel, with a pixel (3,1)
		// attached below that touches (2,0) diagonally: the hole {(1,1),
		// (2,1)} meets the outside at the corner (3,1).
		{"frame missing a side pixel with a diagonal contact", []string{"###.", "#..#", "####"}, 0, 0, orb.Polygon{
			ring(0, 0, 0, 3, 4, 3, 4, 1, 3, 1, 3, 0),
			ring(1, 1, 3, 1, 3, 2, 1, 2),
		}},
		// A hole whose bottom-right corner touches the exterior while its
		// top-left corner touches a second hole.
		{"hole touching exterior and another hole", []string{
			"#####",
			"#.###",
			"##.##",
			"###.#",
			"####.",
		}, 0, 0, orb.Polygon{
			ring(0, 0, 0, 5, 4, 5, 4, 4, 5, 4, 5, 0),
			ring(1, 1, 2, 1, 2, 2, 1, 2),
			ring(2, 2, 3, 2, 3, 3, 2, 3),
			ring(3, 3, 4, 3, 4, 4, 3, 4),
		}},
		// A staircase: cells meeting only at corners are not part of it, so
		// this is just a 4-connected staircase without diagonal contacts.
		{"staircase", []string{"#..", "##.", ".##"}, 0, 0, orb.Polygon{
			ring(0, 0, 0, 2, 1, 2, 1, 3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, w, h := parseMask(t, tt.rows...)
			regions := Label(m, w, h, tt.ox, tt.oy)
			if len(regions) != 1 {
				t.Fatalf("test mask has %d regions, want 1", len(regions))
			}
			got, err := Trace(regions[0])
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Trace =\n%v\nwant\n%v", got, tt.want)
			}
			checkPolygon(t, regions[0], got)

			// Non-canonical input: reversed and split runs.
			var messy []Run
			for i := len(regions[0]) - 1; i >= 0; i-- {
				r := regions[0][i]
				for x := r.X0; x < r.X1; x++ {
					messy = append(messy, Run{r.Y, x, x + 1}, Run{r.Y, x, x})
				}
			}
			if got2, err := Trace(messy); err != nil || !reflect.DeepEqual(got2, got) {
				t.Errorf("Trace(non-canonical) = %v, %v; want %v", got2, err, got)
			}
		})
	}
}

func TestTraceSingleOrientation(t *testing.T) {
	t.Parallel()
	p, err := Trace([]Run{{0, 0, 1}})
	if err != nil {
		t.Fatal(err)
	}
	// (0,0) (0,1) (1,1) (1,0): sum x_i*y_{i+1} - x_{i+1}*y_i = 0 - 1 - 1 + 0.
	if got := shoelace2(p[0]) / 2; got != -1 {
		t.Errorf("single pixel shoelace area = %v, want -1", got)
	}
}

func TestTraceErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		runs []Run
		msg  string
	}{
		{"nil", nil, "empty"},
		{"empty runs only", []Run{{0, 1, 1}}, "empty"},
		{"diagonal pair", []Run{{0, 0, 1}, {1, 1, 2}}, "2 4-connected regions"},
		{"gap on a row", []Run{{0, 0, 1}, {0, 2, 3}}, "2 4-connected regions"},
		{"rows apart", []Run{{0, 0, 1}, {2, 0, 1}, {4, 0, 1}}, "3 4-connected regions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := Trace(tt.runs)
			if err == nil {
				t.Fatalf("Trace(%v) = %v, want an error", tt.runs, p)
			}
			if !strings.HasPrefix(err.Error(), "region: ") || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q, want prefix \"region: \" and %q", err, tt.msg)
			}
		})
	}
}
