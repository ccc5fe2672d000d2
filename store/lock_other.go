//go:build !unix

package store

import (
	"errors"
	"os"
)

// ErrLocked is wrapped by the error Open and Restore return when another
// Store holds the database's lock file. Hearth targets Linux: on other
// systems the lock is not taken and ErrLocked is never returned.
var ErrLocked = errors.New("store: database in use")

// lockPath is the lock file of the database at path.
func lockPath(path string) string { return path + ".lock" }

// lockFile takes no lock on systems without flock; it returns nil.
func lockFile(string) (*os.File, error) { return nil, nil }

// unlockFile does nothing.
func unlockFile(*os.File) error { return nil }
