package detect

import (
	"context"
	"image"

	"github.com/weipian/weipian/raster"
	"github.com/weipian/weipian/raster/change"
)

// pairReaders hold one open dataset per date for all the tiles of a scene
// in this process (the embedded mode): GDAL's block cache then serves the
// blocks that neighbouring tiles share (their halos) instead of decoding
// them again for each tile. Readers are safe for concurrent use: reads of
// one date take turns.
type pairReaders struct {
	rb, ra *raster.Reader
}

func openPairReaders(s *Scene) (*pairReaders, error) {
	rb, err := raster.OpenReader(s.Before)
	if err != nil {
		return nil, err
	}
	ra, err := raster.OpenReader(s.After)
	if err != nil {
		rb.Close()
		return nil, err
	}
	return &pairReaders{rb: rb, ra: ra}, nil
}

func (p *pairReaders) close() {
	p.rb.Close()
	p.ra.Close()
}

// readTile reads the window win of both dates: through the scene's shared
// readers when it has them, else through readers of its own (a worker of
// the distributed mode runs each tile on its own).
func (s *Scene) readTile(ctx context.Context, win image.Rectangle) (*change.Window, error) {
	p := s.shared
	if p == nil {
		var err error
		if p, err = openPairReaders(s); err != nil {
			return nil, err
		}
		defer p.close()
	}
	return readWindow(ctx, p.rb, p.ra, win, len(s.BandNames))
}
