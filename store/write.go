package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Write runs fn in one write transaction: committed when fn returns nil
// (then the write is acknowledged: durable as doc.go says), rolled back
// otherwise. This is the path every module write takes, so that the
// store can serialise writes through one writer connection.
func (s *Store) Write(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := s.writeDB().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin write: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		if rb := tx.Rollback(); rb != nil && !errors.Is(rb, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("store: roll back: %w", rb))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}
