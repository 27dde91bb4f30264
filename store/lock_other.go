//go:build !unix && !windows

package store

import (
	"errors"
	"fmt"
	"os"
)

// lockFile fails: this platform has no file locking that this package
// knows, and a File without its lock could have two writers.
func lockFile(path string) (*os.File, error) {
	return nil, fmt.Errorf("store: lock %s: %w", path, errors.ErrUnsupported)
}

func syncDir(dir string) error { return nil }
