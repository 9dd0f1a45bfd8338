package workers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/weipian/weipian/pipeline"
)

// Dir is a blob store in a local directory (the embedded mode). Put writes
// through a temporary file and a rename, so readers never see half an
// object. Safe for concurrent use.
type Dir struct{ Root string }

var _ pipeline.BlobStore = Dir{}

func (d Dir) path(key string) (string, error) {
	clean := filepath.Clean("/" + key)
	if key == "" || strings.Contains(key, "..") || clean == "/" {
		return "", fmt.Errorf("workers: bad blob key %q", key)
	}
	return filepath.Join(d.Root, filepath.FromSlash(clean)), nil
}

// Get opens the object; pipeline.ErrNotFound if it does not exist.
func (d Dir) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob %s: %w", key, pipeline.ErrNotFound)
	}
	return f, err
}

// Put stores the object atomically.
func (d Dir) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".part-*")
	if err != nil {
		return err
	}
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("workers: write blob %s: %w", key, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

// Delete removes the object; a missing object is not an error.
func (d Dir) Delete(ctx context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("workers: delete blob %s: %w", key, err)
	}
	return nil
}

// Path returns the file of a key (for the embedded mode's outputs).
func (d Dir) Path(key string) string {
	p, _ := d.path(key)
	return p
}
