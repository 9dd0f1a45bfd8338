package detect

import (
	"bufio"
	"cmp"
	"container/heap"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync"

	"github.com/paulmach/orb"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/crs"
	"github.com/weipian/weipian/raster"
	"github.com/weipian/weipian/raster/region"
)

// Output layers: patches of concern and changes of no concern.
var layerNames = [2]string{"patches", "nonconcern"}

// WriteOutputs writes patches.geojson, patches.gpkg, nonconcern.geojson,
// nonconcern.gpkg and summary.json into dir. Each file is written under a
// temporary name and renamed, so an interrupted run leaves no half-written
// file.
func WriteOutputs(dir string, r *Result) error {
	if err := raster.EnsureDir(dir); err != nil {
		return err
	}
	for i, patches := range [2][]pipeline.Patch{r.Patches, r.NonConcern} {
		lw, err := createLayer(dir, layerNames[i], r.Scene.OutputEPSG)
		if err != nil {
			return err
		}
		for j := range patches {
			if err := lw.write(&patches[j]); err != nil {
				lw.abort()
				return err
			}
		}
		if err := lw.close(); err != nil {
			return err
		}
	}
	return writeSummary(dir, &r.Summary)
}

func writeSummary(dir string, s *Summary) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, "summary.json"), append(b, '\n'))
}

// layerWriter writes NAME.geojson and NAME.gpkg one patch at a time, in
// the output CRS.
type layerWriter struct {
	dir, name string
	out       crs.CRS // geographic: coordinates as they are
	gjFile    *os.File
	gj        *pipeline.GeoJSONWriter
	gp        *raster.GPKGWriter
}

// patchFields are the GeoPackage columns: PatchFields with the types of
// their values.
func patchFields() []raster.Field {
	fields := make([]raster.Field, len(pipeline.PatchFields))
	for i, f := range pipeline.PatchFields {
		fields[i] = raster.Field{Name: f.Name, Type: raster.String}
	}
	for j, v := range (&pipeline.Patch{}).Values() {
		switch v.(type) {
		case float64:
			fields[j].Type = raster.Real
		case int64, int:
			fields[j].Type = raster.Integer
		}
	}
	return fields
}

// createLayer starts a layer in the CRS of an EPSG code (0: WGS84). The
// GeoJSON names a CRS other than WGS84 in a "crs" member; WGS84 is plain
// RFC 7946.
func createLayer(dir, name string, epsg int) (*layerWriter, error) {
	out, err := crs.FromEPSG(cmp.Or(epsg, crs.EPSGWGS84))
	if err != nil {
		return nil, fmt.Errorf("detect: %s: %w", name, err)
	}
	lw := &layerWriter{dir: dir, name: name, out: out}
	urn := ""
	if !out.IsWGS84() {
		urn = out.URN()
	}
	path := filepath.Join(dir, name+".geojson")
	f, err := os.Create(path + ".part")
	if err != nil {
		return nil, fmt.Errorf("detect: write %s: %w", path, err)
	}
	lw.gjFile = f
	if lw.gj, err = pipeline.NewGeoJSONWriterCRS(f, name, urn, lw.out.Decimals()); err != nil {
		lw.abort()
		return nil, fmt.Errorf("detect: write %s: %w", path, err)
	}
	if lw.gp, err = raster.CreateGPKG(filepath.Join(dir, name+".gpkg"), name, lw.out.EPSG(), patchFields()); err != nil {
		lw.abort()
		return nil, err
	}
	return lw, nil
}

func (lw *layerWriter) write(p *pipeline.Patch) error {
	if !lw.out.Geographic() {
		g, err := lw.out.ProjectPolygon(p.Geometry)
		if err != nil {
			return fmt.Errorf("detect: patch %s: %w", p.ID, err)
		}
		q := *p
		q.Geometry = g
		p = &q
	}
	if err := lw.gj.Write(p); err != nil {
		return err
	}
	return lw.gp.Write(raster.Feature{Geometry: pipeline.RoundPolygonTo(p.Geometry, lw.out.Decimals()), Values: p.Values()})
}

// close finishes both files and renames them into place.
func (lw *layerWriter) close() error {
	path := filepath.Join(lw.dir, lw.name+".geojson")
	err := lw.gj.Close()
	if err == nil {
		err = lw.gjFile.Close()
		lw.gjFile = nil
	}
	if err == nil {
		err = os.Rename(path+".part", path)
	}
	if err != nil {
		lw.abort()
		return fmt.Errorf("detect: write %s: %w", path, err)
	}
	lw.gjFile = nil
	if err := lw.gp.Close(); err != nil {
		lw.gp = nil
		return err
	}
	return nil
}

// abort removes what was written.
func (lw *layerWriter) abort() {
	if lw.gjFile != nil {
		lw.gjFile.Close()
		os.Remove(lw.gjFile.Name())
		lw.gjFile = nil
	}
	if lw.gp != nil {
		lw.gp.Abort()
	}
}

// writeAtomic writes data to path through a temporary file and a rename.
func writeAtomic(path string, data []byte) error {
	tmp := path + ".part"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("detect: write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("detect: write %s: %w", path, err)
	}
	return nil
}

// totals accumulates PatchTotals over patches given in output order (the
// sums, in floating point, depend on it).
type totals struct {
	t PatchTotals
}

func (a *totals) add(p *pipeline.Patch) {
	t := &a.t
	if t.ByClass == nil {
		t.ByClass, t.ByConfidence = map[string]ClassTotals{}, map[string]int{}
	}
	t.Count++
	t.AreaM2 += p.AreaM2
	ct := t.ByClass[p.Class]
	ct.Label = p.ClassLabel
	ct.Count++
	ct.AreaM2 += p.AreaM2
	t.ByClass[p.Class] = ct
	t.ByConfidence[p.Confidence]++
}

func (a *totals) result() PatchTotals {
	t := a.t
	if t.ByClass == nil {
		t.ByClass, t.ByConfidence = map[string]ClassTotals{}, map[string]int{}
	}
	t.AreaMu = pipeline.Round(t.AreaM2/(10000.0/15.0), 4)
	t.AreaM2 = pipeline.Round(t.AreaM2, 2)
	for k, ct := range t.ByClass {
		ct.AreaMu = pipeline.Round(ct.AreaM2/(10000.0/15.0), 4)
		ct.AreaM2 = pipeline.Round(ct.AreaM2, 2)
		t.ByClass[k] = ct
	}
	return t
}

// spillCollector writes the outputs of a scene whatever its number of
// patches: each patch is encoded into a scratch file as it comes, and only
// its sort key and position stay in memory (16 bytes). One writer goroutine
// per layer reads the patches back in output order and writes them as soon
// as no patch that sorts before them can come any more (advance), so the
// outputs are written while the tiles are detected; finish writes the rest.
type spillCollector struct {
	dir  string // output directory
	f    *os.File
	epsg int // Scene.OutputEPSG (begin)

	mu      sync.Mutex // guards what follows
	cond    *sync.Cond // signals a new mark, the end or an abort
	w       *bufio.Writer
	off     int64
	pend    [2]entryHeap
	mark    uint64 // patches with a key below it are final
	final   bool   // every patch is in
	aborted bool
	buf     []byte

	started bool
	wg      sync.WaitGroup
	errs    [2]error
	tt      [2]totals
	// each, when set, sees every patch of concern in output order (from
	// the writer of that layer).
	each func(p *pipeline.Patch) error
	// summary is the scene's summary, set by finish.
	summary Summary
}

type spillEntry struct {
	key uint64
	off int64
}

// entryHeap is a min-heap of entries by key (container/heap).
type entryHeap []spillEntry

func (h entryHeap) Len() int           { return len(h) }
func (h entryHeap) Less(i, j int) bool { return h[i].key < h[j].key }
func (h entryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *entryHeap) Push(x any)        { *h = append(*h, x.(spillEntry)) }
func (h *entryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

func newSpillCollector(dir, scratch string) (*spillCollector, error) {
	if err := raster.EnsureDir(dir); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(scratch, "weipian-patches-*.bin")
	if err != nil {
		return nil, err
	}
	c := &spillCollector{dir: dir, f: f, w: bufio.NewWriterSize(f, 1<<20)}
	c.cond = sync.NewCond(&c.mu)
	return c, nil
}

func (c *spillCollector) begin(s *Scene) {
	c.mu.Lock()
	c.epsg = s.OutputEPSG
	c.mu.Unlock()
}

func (c *spillCollector) add(p *pipeline.Patch, runs []region.Run) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf = encodePatch(c.buf[:0], p)
	l := 0
	if !p.Concern {
		l = 1
	}
	heap.Push(&c.pend[l], spillEntry{key: firstKey(runs), off: c.off})
	var hdr [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(hdr[:], uint64(len(c.buf)))
	if _, err := c.w.Write(hdr[:n]); err != nil {
		return err
	}
	if _, err := c.w.Write(c.buf); err != nil {
		return err
	}
	c.off += int64(n + len(c.buf))
	return nil
}

// advance says that no patch with a key below mark will be added: the
// writers may write the patches before it.
func (c *spillCollector) advance(mark uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.w.Flush(); err != nil {
		return err
	}
	c.mark = max(c.mark, mark)
	c.start()
	c.cond.Broadcast()
	return nil
}

// start starts the writers (c.mu held).
func (c *spillCollector) start() {
	if c.started {
		return
	}
	c.started = true
	for l := range c.pend {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.errs[l] = c.writeLayer(l)
		}()
	}
}

// writeLayer writes layer l's patches in their order as they become final.
// The two layers are written at the same time (two GeoPackages, two GDAL
// datasets).
func (c *spillCollector) writeLayer(l int) error {
	c.mu.Lock()
	epsg := c.epsg
	c.mu.Unlock()
	lw, err := createLayer(c.dir, layerNames[l], epsg)
	if err != nil {
		return err
	}
	r := &spillReader{f: c.f}
	c.mu.Lock()
	for {
		for !c.aborted && c.pend[l].Len() > 0 && (c.final || c.pend[l][0].key < c.mark) {
			e := heap.Pop(&c.pend[l]).(spillEntry)
			c.mu.Unlock()
			err := c.writeOne(lw, r, l, e.off)
			c.mu.Lock()
			if err != nil {
				c.mu.Unlock()
				lw.abort()
				return err
			}
		}
		if c.aborted {
			c.mu.Unlock()
			lw.abort()
			return errors.New("detect: outputs abandoned")
		}
		if c.final && c.pend[l].Len() == 0 {
			break
		}
		c.cond.Wait()
	}
	c.mu.Unlock()
	return lw.close()
}

func (c *spillCollector) writeOne(lw *layerWriter, r *spillReader, l int, off int64) error {
	p, err := r.read(off)
	if err != nil {
		return err
	}
	c.tt[l].add(p)
	if err := lw.write(p); err != nil {
		return err
	}
	if l == 0 && c.each != nil {
		return c.each(p)
	}
	return nil
}

// close stops the writers if they still run (their unfinished files are
// removed) and removes the scratch file.
func (c *spillCollector) close() {
	c.mu.Lock()
	if !c.final {
		c.aborted = true
	}
	c.cond.Broadcast()
	c.mu.Unlock()
	c.wg.Wait()
	if c.f != nil {
		c.f.Close()
		os.Remove(c.f.Name())
		c.f = nil
	}
}

func (c *spillCollector) finish(s *Scene, counts tileCounts) error {
	c.mu.Lock()
	if err := c.w.Flush(); err != nil {
		c.mu.Unlock()
		return err
	}
	c.final = true
	c.start()
	c.cond.Broadcast()
	c.mu.Unlock()
	c.wg.Wait()
	if err := errors.Join(c.errs[0], c.errs[1]); err != nil {
		return err
	}
	c.summary = s.summary(c.tt[0].result(), c.tt[1].result(), counts)
	return writeSummary(c.dir, &c.summary)
}

// spillReader reads encoded patches back by offset.
type spillReader struct {
	f   *os.File
	buf []byte
}

func (r *spillReader) read(off int64) (*pipeline.Patch, error) {
	var hdr [binary.MaxVarintLen64]byte
	n, err := r.f.ReadAt(hdr[:], off)
	if err != nil && !(errors.Is(err, io.EOF) && n > 0) {
		return nil, fmt.Errorf("detect: read back patch: %w", err)
	}
	size, k := binary.Uvarint(hdr[:n])
	if k <= 0 {
		return nil, fmt.Errorf("detect: read back patch at %d: bad length", off)
	}
	if cap(r.buf) < int(size) {
		r.buf = make([]byte, size)
	}
	b := r.buf[:size]
	if _, err := r.f.ReadAt(b, off+int64(k)); err != nil {
		return nil, fmt.Errorf("detect: read back patch: %w", err)
	}
	return decodePatch(b)
}

// encodePatch appends a binary form of p (every field but Issued) to b;
// floats keep their exact bits.
func encodePatch(b []byte, p *pipeline.Patch) []byte {
	for _, s := range []string{p.ID, p.Class, p.ClassLabel, p.Confidence, p.AreaCRS, p.BeforeDate, p.AfterDate,
		p.BeforeState, p.AfterState, p.Reason} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	for _, v := range []float64{p.Score, p.MADChi2, p.AreaM2, p.AreaMu, p.CentroidLon, p.CentroidLat,
		p.BrightRatio, p.SatAfter, p.LengthM, p.WidthM, p.Elongation, p.Fill, p.CVAfter} {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	b = binary.AppendVarint(b, p.Pixels)
	if p.Concern {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(p.Geometry)))
	for _, ring := range p.Geometry {
		b = binary.AppendUvarint(b, uint64(len(ring)))
		for _, pt := range ring {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(pt[0]))
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(pt[1]))
		}
	}
	return b
}

var errBadSpill = errors.New("detect: corrupt patch record")

// decodePatch is the inverse of encodePatch.
func decodePatch(b []byte) (*pipeline.Patch, error) {
	p := &pipeline.Patch{}
	bad := false
	uv := func() uint64 {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			bad = true
			return 0
		}
		b = b[n:]
		return v
	}
	f64 := func() float64 {
		if len(b) < 8 {
			bad = true
			return 0
		}
		v := math.Float64frombits(binary.LittleEndian.Uint64(b))
		b = b[8:]
		return v
	}
	for _, s := range []*string{&p.ID, &p.Class, &p.ClassLabel, &p.Confidence, &p.AreaCRS, &p.BeforeDate, &p.AfterDate,
		&p.BeforeState, &p.AfterState, &p.Reason} {
		n := uv()
		if bad || uint64(len(b)) < n {
			return nil, errBadSpill
		}
		*s = string(b[:n])
		b = b[n:]
	}
	for _, v := range []*float64{&p.Score, &p.MADChi2, &p.AreaM2, &p.AreaMu, &p.CentroidLon, &p.CentroidLat,
		&p.BrightRatio, &p.SatAfter, &p.LengthM, &p.WidthM, &p.Elongation, &p.Fill, &p.CVAfter} {
		*v = f64()
	}
	px, n := binary.Varint(b)
	if n <= 0 || len(b) < n+1 {
		return nil, errBadSpill
	}
	p.Pixels = px
	p.Concern = b[n] == 1
	b = b[n+1:]
	rings := uv()
	if bad || rings > uint64(len(b)) {
		return nil, errBadSpill
	}
	p.Geometry = make(orb.Polygon, rings)
	for i := range p.Geometry {
		np := uv()
		if bad || np > uint64(len(b))/16 {
			return nil, errBadSpill
		}
		ring := make(orb.Ring, np)
		for j := range ring {
			ring[j] = orb.Point{f64(), f64()}
		}
		p.Geometry[i] = ring
	}
	if bad || len(b) != 0 {
		return nil, errBadSpill
	}
	return p, nil
}
