//go:build unix

package store

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// ErrLocked is wrapped by the error Open and Restore return when another
// Store, in this process or another (a running bot), holds the database's
// lock file.
var ErrLocked = errors.New("store: database in use")

// lockPath is the lock file of the database at path.
func lockPath(path string) string { return path + ".lock" }

// lockFile takes an exclusive advisory lock (flock) on <path>.lock,
// creating it if needed, without waiting. The lock belongs to the open
// file: closing it, or the process ending however it ends, releases it.
// The file itself stays: removing it would let two processes lock two
// different files of the same name.
func lockFile(path string) (*os.File, error) {
	name := lockPath(path)
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &lockedError{name: name}
		}
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	return f, nil
}

// unlockFile releases a lock taken by lockFile.
func unlockFile(f *os.File) error {
	return f.Close() // closing the descriptor releases the flock
}

// lockedError is an ErrLocked naming the lock file, worded to follow the
// prefix of the error that wraps it.
type lockedError struct{ name string }

func (e *lockedError) Error() string {
	return "database in use: " + e.name + " is held: the database is open elsewhere (is the bot running?)"
}

func (e *lockedError) Is(target error) bool { return target == ErrLocked }
