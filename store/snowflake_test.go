package store_test

import (
	"database/sql"
	"testing"

	"github.com/hearthbot/hearth/store"
)

func TestSnowflakeRoundTrips(t *testing.T) {
	tests := []struct {
		name   string
		id     uint64
		stored int64
	}{
		{"zero", 0, 0},
		{"discord epoch era", 81384788765712384, 81384788765712384},
		{"max int64", 1<<63 - 1, 1<<63 - 1},
		{"2^63", 1 << 63, -1 << 63},
		{"above 2^63", 1<<63 + 5, -1<<63 + 5},
		{"max uint64", ^uint64(0), -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := store.Snowflake(tt.id).Value()
			if err != nil {
				t.Fatalf("Value: %v", err)
			}
			if v != tt.stored {
				t.Errorf("Value(%d): got %v (%T); want %d", tt.id, v, v, tt.stored)
			}
			var back store.Snowflake
			if err := back.Scan(v); err != nil {
				t.Fatalf("Scan(%v): %v", v, err)
			}
			if uint64(back) != tt.id {
				t.Errorf("Scan(Value(%d)): got %d; want %d", tt.id, uint64(back), tt.id)
			}
		})
	}
}

func TestSnowflakeScanRejectsNonIntegers(t *testing.T) {
	for _, src := range []any{nil, "123", []byte("123"), 1.5} {
		var s store.Snowflake
		if err := s.Scan(src); err == nil {
			t.Errorf("Scan(%#v): got nil; want an error", src)
		}
	}
}

func TestSnowflakeNullableColumn(t *testing.T) {
	s := openTest(t)
	var got sql.Null[store.Snowflake]
	if err := s.DB().QueryRowContext(t.Context(), `SELECT NULL`).Scan(&got); err != nil {
		t.Fatalf("scan NULL: %v", err)
	}
	if got.Valid {
		t.Errorf("Valid: got true; want false")
	}
	if err := s.DB().QueryRowContext(t.Context(), `SELECT ?`, store.Snowflake(1<<63+9)).Scan(&got); err != nil {
		t.Fatalf("scan snowflake: %v", err)
	}
	if !got.Valid || uint64(got.V) != 1<<63+9 {
		t.Errorf("got %+v; want valid %d", got, uint64(1<<63+9))
	}
}
