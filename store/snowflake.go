package store

import (
	"database/sql"
	"database/sql/driver"
	"fmt"
)

// Snowflake is a Discord ID as the store writes it to and reads it from
// an INTEGER column: its 64 bits reinterpreted as a signed int64, so IDs
// from 2^63 on are stored as negative numbers and every uint64 round-trips
// exactly (see the package documentation). Pass Snowflake(id) as a query
// argument and scan into a *Snowflake.
type Snowflake uint64

// Value returns the ID's bits as an int64.
func (s Snowflake) Value() (driver.Value, error) { return int64(s), nil }

// Scan reads an ID stored by Value. A NULL is an error: scan a nullable
// column into sql.Null[Snowflake].
func (s *Snowflake) Scan(src any) error {
	v, ok := src.(int64)
	if !ok {
		return fmt.Errorf("store: scan snowflake: got %T, want int64", src)
	}
	*s = Snowflake(uint64(v))
	return nil
}

// Interface guards
var (
	_ driver.Valuer = Snowflake(0)
	_ sql.Scanner   = (*Snowflake)(nil)
)
