package detect

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/weipian/weipian/raster/change"
	"github.com/weipian/weipian/raster/region"
	"github.com/weipian/weipian/tiles"
)

// TileResult is what one tile contributes: its change regions (clipped to
// its core) and its pixel counts.
type TileResult struct {
	Key                          tiles.Key
	Parts                        []change.Part
	Valid, NoData, Cloud, Shadow int64
}

// Tile classifies one tile of the scene. It opens its own readers (GDAL
// datasets are per goroutine), reads the tile window with its halo from both
// dates, runs the detector and labels the regions of its core.
func Tile(ctx context.Context, s *Scene, key tiles.Key) (*TileResult, error) {
	return tile(ctx, s, key, nil)
}

// tile is Tile, calling read (unless nil) once the tile's windows are read.
func tile(ctx context.Context, s *Scene, key tiles.Key, read func()) (*TileResult, error) {
	g := s.Tiles()
	if !g.Contains(key) {
		return nil, fmt.Errorf("detect: tile %v is outside the %d×%d grid", key, g.Cols(), g.Rows())
	}
	win := g.Window(key)
	w, err := s.readTile(ctx, win)
	if read != nil {
		read()
	}
	if err != nil {
		return nil, err
	}
	core := g.Core(key).Sub(win.Min)
	res, err := change.DetectCore(w, core, s.Stats, s.Params)
	if err != nil {
		return nil, fmt.Errorf("detect: tile %v: %w", key, err)
	}
	tr := &TileResult{Key: key, Parts: res.Parts(core, win.Min.X, win.Min.Y)}
	tr.NoData, tr.Cloud, tr.Shadow = res.MaskCounts(core)
	tr.Valid = int64(core.Dx()*core.Dy()) - tr.NoData
	return tr, nil
}

const tileMagic = "WPT4"

// Encode serialises a tile result in a compact binary form (varints).
func (t *TileResult) Encode() []byte {
	var b bytes.Buffer
	b.WriteString(tileMagic)
	put := func(v int64) {
		var tmp [binary.MaxVarintLen64]byte
		b.Write(tmp[:binary.PutVarint(tmp[:], v)])
	}
	put(int64(t.Key.Col))
	put(int64(t.Key.Row))
	put(t.Valid)
	put(t.NoData)
	put(t.Cloud)
	put(t.Shadow)
	put(int64(len(t.Parts)))
	for _, p := range t.Parts {
		put(int64(p.Class))
		put(p.Pixels)
		put(p.StrengthSum)
		put(p.Chi2Sum)
		for _, v := range []int64{p.Strong, p.BrightA, p.BrightB, p.BrightA2, p.BrightB2, p.SatB, p.VegA, p.VegB, p.WatA, p.WatB, p.NeutralA, p.NeutralB} {
			put(v)
		}
		put(int64(len(p.Runs)))
		var py int32
		for _, r := range p.Runs {
			put(int64(r.Y - py))
			put(int64(r.X0))
			put(int64(r.X1 - r.X0))
			py = r.Y
		}
	}
	return b.Bytes()
}

// ErrCorruptTile is returned for an undecodable tile result.
var ErrCorruptTile = errors.New("detect: corrupt tile result")

// DecodeTileResult parses the output of Encode.
func DecodeTileResult(data []byte) (*TileResult, error) {
	if !bytes.HasPrefix(data, []byte(tileMagic)) {
		return nil, fmt.Errorf("%w: bad header", ErrCorruptTile)
	}
	r := bytes.NewReader(data[len(tileMagic):])
	var err error
	get := func() int64 {
		if err != nil {
			return 0
		}
		var v int64
		v, err = binary.ReadVarint(r)
		return v
	}
	t := &TileResult{}
	t.Key = tiles.Key{Col: int(get()), Row: int(get())}
	t.Valid, t.NoData, t.Cloud, t.Shadow = get(), get(), get(), get()
	n := get()
	if err != nil || n < 0 || n > int64(len(data)) {
		return nil, fmt.Errorf("%w: header", ErrCorruptTile)
	}
	for i := int64(0); i < n; i++ {
		p := change.Part{Class: change.Class(get()), Pixels: get(), StrengthSum: get(), Chi2Sum: get()}
		for _, v := range []*int64{&p.Strong, &p.BrightA, &p.BrightB, &p.BrightA2, &p.BrightB2, &p.SatB, &p.VegA, &p.VegB, &p.WatA, &p.WatB, &p.NeutralA, &p.NeutralB} {
			*v = get()
		}
		nr := get()
		if err != nil || nr <= 0 || nr > int64(len(data)) {
			return nil, fmt.Errorf("%w: part %d", ErrCorruptTile, i)
		}
		p.Runs = make([]region.Run, nr)
		var y int64
		for j := range p.Runs {
			y += get()
			x0 := get()
			p.Runs[j] = region.Run{Y: int32(y), X0: int32(x0), X1: int32(x0 + get())}
		}
		if err != nil {
			return nil, fmt.Errorf("%w: part %d runs", ErrCorruptTile, i)
		}
		t.Parts = append(t.Parts, p)
	}
	if _, e := r.ReadByte(); e != io.EOF {
		return nil, fmt.Errorf("%w: trailing bytes", ErrCorruptTile)
	}
	return t, nil
}
