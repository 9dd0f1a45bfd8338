package tiles

import (
	"fmt"
	"image"
)

// Key names one processing tile by its column and row in the grid.
type Key struct{ Col, Row int }

// String returns "col_row", used in object keys and task IDs.
func (k Key) String() string { return fmt.Sprintf("%d_%d", k.Col, k.Row) }

// ParseKey parses the output of Key.String.
func ParseKey(s string) (Key, error) {
	var k Key
	if _, err := fmt.Sscanf(s, "%d_%d", &k.Col, &k.Row); err != nil || k.Col < 0 || k.Row < 0 {
		return Key{}, fmt.Errorf("tiles: bad tile key %q (want col_row)", s)
	}
	return k, nil
}

// Grid cuts a Width×Height scene into square tiles of Size pixels; each
// tile is read with Halo extra pixels on every side (clipped to the scene)
// so that filters see the same neighbourhood as on the whole scene. The zero
// value is not usable: use NewGrid.
type Grid struct {
	Width, Height, Size, Halo int
}

// NewGrid returns the grid, or an error for non-positive sizes.
func NewGrid(width, height, size, halo int) (Grid, error) {
	if width <= 0 || height <= 0 {
		return Grid{}, fmt.Errorf("tiles: empty scene %d×%d", width, height)
	}
	if size <= 0 || halo < 0 {
		return Grid{}, fmt.Errorf("tiles: bad tile size %d or halo %d", size, halo)
	}
	return Grid{Width: width, Height: height, Size: size, Halo: halo}, nil
}

// Cols and Rows return the number of tile columns and rows.
func (g Grid) Cols() int { return (g.Width + g.Size - 1) / g.Size }
func (g Grid) Rows() int { return (g.Height + g.Size - 1) / g.Size }

// Count returns the number of tiles.
func (g Grid) Count() int { return g.Cols() * g.Rows() }

// Keys returns every tile key in row-major order.
func (g Grid) Keys() []Key {
	keys := make([]Key, 0, g.Count())
	for r := 0; r < g.Rows(); r++ {
		for c := 0; c < g.Cols(); c++ {
			keys = append(keys, Key{c, r})
		}
	}
	return keys
}

// Contains reports whether k is a tile of the grid.
func (g Grid) Contains(k Key) bool {
	return k.Col >= 0 && k.Row >= 0 && k.Col < g.Cols() && k.Row < g.Rows()
}

// Core returns the scene pixels a tile is responsible for.
func (g Grid) Core(k Key) image.Rectangle {
	r := image.Rect(k.Col*g.Size, k.Row*g.Size, (k.Col+1)*g.Size, (k.Row+1)*g.Size)
	return r.Intersect(image.Rect(0, 0, g.Width, g.Height))
}

// Window returns the pixels read for a tile: its core grown by the halo and
// clipped to the scene.
func (g Grid) Window(k Key) image.Rectangle {
	return g.Core(k).Inset(-g.Halo).Intersect(image.Rect(0, 0, g.Width, g.Height))
}
