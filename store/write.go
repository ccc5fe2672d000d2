package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Write runs fn in one write transaction on the writer connection:
// committed when fn returns nil (then the write is acknowledged: durable
// as the package documentation says), rolled back otherwise. Writes take
// turns for the one writer connection, in the order database/sql hands it
// out; a Write waiting for it gives up when ctx ends. fn must not call
// Write (nor anything that writes through the store): it would wait for
// the connection it holds. Reads inside fn may use tx (they see fn's own
// changes) or [Store.DB] (which does not).
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

// WriteInvalidate is Write for data cached under keys in the store's
// cache ([WithCache]): from before the transaction begins until after it
// has committed or rolled back, reads of those keys through [ReadThrough]
// go to the database, and every value cached before the write is ignored
// afterwards. See [Cache.Invalidate]. Without a cache it is Write.
func (s *Store) WriteInvalidate(ctx context.Context, keys []string, fn func(tx *sql.Tx) error) error {
	return s.cache.Invalidate(keys, func() error { return s.Write(ctx, fn) })
}
