package detect

import (
	"bytes"
	"sync"
)

// ReaderCache keeps the scenes of a worker's most recent batches with their
// images open, between the tiles it runs. Without it every tile opens both
// images again: two HEAD requests and a header read per tile, and GDAL's
// block cache, emptied when a dataset closes, never serves the blocks that
// consecutive tiles share. Each tile in progress has a pair of readers of
// its own (so a worker running several tiles at once reads them in
// parallel); a tile takes the pair the last finished tile left, whose
// blocks are cached. A scene is reused only while its stored description is
// byte for byte the one it was opened from. Safe for concurrent use.
type ReaderCache struct {
	mu      sync.Mutex
	max     int
	entries []*cachedScene // most recently used first
}

type cachedScene struct {
	id    string
	data  []byte // the scene description the readers were opened for
	scene *Scene
	idle  []*pairReaders // last released last
	// evicted entries close their readers as tiles release them.
	evicted bool
}

// NewReaderCache keeps up to n scenes open (at least 1).
func NewReaderCache(n int) *ReaderCache { return &ReaderCache{max: max(1, n)} }

// acquire returns the scene of batch id described by data, reading through
// a pair of cached readers, and the function that gives them back. The
// Scene returned is the caller's own copy.
func (c *ReaderCache) acquire(id string, data []byte) (*Scene, func(), error) {
	c.mu.Lock()
	var e *cachedScene
	for i, o := range c.entries {
		if o.id == id && bytes.Equal(o.data, data) {
			e = o
			copy(c.entries[1:i+1], c.entries[:i])
			c.entries[0] = e
			break
		}
	}
	if e != nil {
		var p *pairReaders
		if n := len(e.idle); n > 0 {
			p, e.idle = e.idle[n-1], e.idle[:n-1]
		}
		c.mu.Unlock()
		if p == nil {
			var err error
			if p, err = openPairReaders(e.scene); err != nil {
				c.release(e, nil)
				return nil, nil, err
			}
		}
		return e.view(p), func() { c.release(e, p) }, nil
	}
	c.mu.Unlock()
	s, err := DecodeScene(data)
	if err != nil {
		return nil, nil, err
	}
	p, err := openPairReaders(s)
	if err != nil {
		return nil, nil, err
	}
	e = &cachedScene{id: id, data: bytes.Clone(data), scene: s}
	c.mu.Lock()
	// A stale entry of the same batch goes at once, then the least
	// recently used beyond max; readers in use close when released.
	kept, closeNow := []*cachedScene{e}, []*pairReaders(nil)
	for _, o := range c.entries {
		if o.id != id && len(kept) < c.max {
			kept = append(kept, o)
			continue
		}
		closeNow = append(closeNow, o.evict()...)
	}
	c.entries = kept
	c.mu.Unlock()
	closeAll(closeNow)
	return e.view(p), func() { c.release(e, p) }, nil
}

// evict marks e evicted (readers released later close) and returns its
// idle readers, for the caller to close outside the lock. c.mu is held.
func (e *cachedScene) evict() []*pairReaders {
	e.evicted = true
	idle := e.idle
	e.idle = nil
	return idle
}

func closeAll(ps []*pairReaders) {
	for _, p := range ps {
		p.close()
	}
}

// view returns a copy of the scene that reads through p.
func (e *cachedScene) view(p *pairReaders) *Scene {
	s := *e.scene
	s.shared = p
	return &s
}

// release gives p (nil: none) back to e, or closes it when e was evicted.
func (c *ReaderCache) release(e *cachedScene, p *pairReaders) {
	c.mu.Lock()
	keep := p != nil && !e.evicted
	if keep {
		e.idle = append(e.idle, p)
	}
	c.mu.Unlock()
	if p != nil && !keep {
		p.close()
	}
}

// Close closes the idle readers of every scene (those in use close when
// released).
func (c *ReaderCache) Close() {
	c.mu.Lock()
	var idle []*pairReaders
	for _, e := range c.entries {
		idle = append(idle, e.evict()...)
	}
	c.entries = nil
	c.mu.Unlock()
	closeAll(idle)
}
