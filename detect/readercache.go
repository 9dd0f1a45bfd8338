package detect

import (
	"bytes"
	"sync"
)

// ReaderCache keeps the scenes of a worker's most recent batches with one
// open dataset per date, between the tiles it runs. Without it every tile
// opens both images again: two HEAD requests and a header read per tile,
// and GDAL's block cache, emptied when a dataset closes, never serves the
// blocks that neighbouring tiles share. Tiles of one scene share its
// readers (reads of one date take turns, as in the embedded mode). A scene
// is reused only while its stored description is byte for byte the one it
// was opened from. Safe for concurrent use.
type ReaderCache struct {
	mu      sync.Mutex
	max     int
	entries []*cachedScene // most recently used first
}

type cachedScene struct {
	id      string
	data    []byte // the scene description the readers were opened for
	scene   *Scene
	readers *pairReaders
	users   int
	evicted bool
}

// NewReaderCache keeps up to n scenes open (at least 1).
func NewReaderCache(n int) *ReaderCache { return &ReaderCache{max: max(1, n)} }

// acquire returns the scene of batch id described by data, reading through
// cached readers, and the function that releases it. The Scene returned is
// the caller's own copy.
func (c *ReaderCache) acquire(id string, data []byte) (*Scene, func(), error) {
	c.mu.Lock()
	for i, e := range c.entries {
		if e.id == id && bytes.Equal(e.data, data) {
			e.users++
			copy(c.entries[1:i+1], c.entries[:i])
			c.entries[0] = e
			c.mu.Unlock()
			return e.view(), func() { c.release(e) }, nil
		}
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
	e := &cachedScene{id: id, data: bytes.Clone(data), scene: s, readers: p, users: 1}
	c.mu.Lock()
	// A stale entry of the same batch goes at once, then the least
	// recently used beyond max; an entry in use closes when released.
	kept, closeNow := []*cachedScene{e}, []*cachedScene(nil)
	for _, o := range c.entries {
		if o.id != id && len(kept) < c.max {
			kept = append(kept, o)
			continue
		}
		o.evicted = true
		if o.users == 0 {
			closeNow = append(closeNow, o)
		}
	}
	c.entries = kept
	c.mu.Unlock()
	for _, o := range closeNow {
		o.readers.close()
	}
	return e.view(), func() { c.release(e) }, nil
}

// view returns a copy of the scene that reads through the entry's readers.
func (e *cachedScene) view() *Scene {
	s := *e.scene
	s.shared = e.readers
	return &s
}

func (c *ReaderCache) release(e *cachedScene) {
	c.mu.Lock()
	e.users--
	closeNow := e.evicted && e.users == 0
	c.mu.Unlock()
	if closeNow {
		e.readers.close()
	}
}

// Close closes the readers of every scene not in use (those in use close
// when released).
func (c *ReaderCache) Close() {
	c.mu.Lock()
	entries := c.entries
	c.entries = nil
	var idle []*cachedScene
	for _, e := range entries {
		e.evicted = true
		if e.users == 0 {
			idle = append(idle, e)
		}
	}
	c.mu.Unlock()
	for _, e := range idle {
		e.readers.close()
	}
}
