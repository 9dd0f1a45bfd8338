package raster

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/airbusgeo/godal"
)

// ObjectReader reads byte ranges of objects in an object store. Keys are
// "bucket/key". Size must fail for a missing object. Implementations must be
// safe for concurrent use (GDAL reads from many goroutines).
type ObjectReader interface {
	ReadAt(key string, p []byte, off int64) (int, error)
	Size(key string) (int64, error)
}

// ObjectPrefix is the GDAL file-name prefix under which objects are read
// with range requests through the registered ObjectReader.
const ObjectPrefix = "/vsiweipian/"

// ObjectName returns the GDAL dataset name of an object.
func ObjectName(bucket, key string) string { return ObjectPrefix + bucket + "/" + key }

// objects dispatches GDAL's reads to the current ObjectReader. GDAL keeps
// one handler per prefix for the whole process, so the reader behind it is
// swappable (tests start several object stores in one process).
type objects struct {
	mu sync.RWMutex
	r  ObjectReader
}

func (o *objects) get() (ObjectReader, error) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	if o.r == nil {
		return nil, errors.New("raster: no object store configured")
	}
	return o.r, nil
}

func (o *objects) ReadAt(key string, p []byte, off int64) (int, error) {
	r, err := o.get()
	if err != nil {
		return 0, err
	}
	return r.ReadAt(key, p, off)
}

// MultiReader is what an ObjectReader may also do: read several ranges of
// one object at once (GDAL's GTiff driver asks for all the blocks of a
// window together), so that nearby ranges can share a request.
type MultiReader interface {
	ReadAtMulti(key string, bufs [][]byte, offs []int64) ([]int, error)
}

// ReadAtMulti passes GDAL's multi-range reads on to a MultiReader, or reads
// the ranges one by one, concurrently.
func (o *objects) ReadAtMulti(key string, bufs [][]byte, offs []int64) ([]int, error) {
	r, err := o.get()
	if err != nil {
		return nil, err
	}
	if m, ok := r.(MultiReader); ok {
		return m.ReadAtMulti(key, bufs, offs)
	}
	lens := make([]int, len(bufs))
	errs := make([]error, len(bufs))
	var wg sync.WaitGroup
	for i := range bufs {
		wg.Go(func() {
			n, err := r.ReadAt(key, bufs[i], offs[i])
			switch {
			case n == len(bufs[i]):
				err = nil // io.EOF at the object's end is no error
			case err == nil:
				err = io.ErrUnexpectedEOF
			}
			lens[i], errs[i] = n, err
		})
	}
	wg.Wait()
	return lens, errors.Join(errs...)
}

func (o *objects) Size(key string) (int64, error) {
	r, err := o.get()
	if err != nil {
		return 0, err
	}
	return r.Size(key)
}

var (
	objectsOnce sync.Once
	objectsErr  error
	vsiObjects  = &objects{}
)

// UseObjectReader makes GDAL read ObjectPrefix names through r. The first
// call registers the handler with GDAL (process-wide); later calls replace
// the reader.
func UseObjectReader(r ObjectReader) error {
	register()
	objectsOnce.Do(func() {
		objectsErr = godal.RegisterVSIHandler(ObjectPrefix, vsiObjects,
			godal.VSIHandlerStripPrefix(true), godal.VSIHandlerBufferSize(1<<20), godal.VSIHandlerCacheSize(16<<20))
	})
	if objectsErr != nil {
		return fmt.Errorf("raster: register object reader: %w", objectsErr)
	}
	vsiObjects.mu.Lock()
	vsiObjects.r = r
	vsiObjects.mu.Unlock()
	return nil
}
