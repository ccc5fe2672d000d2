package store

import (
	"strconv"
	"strings"
	"testing"
)

func TestParseMigrationName(t *testing.T) {
	tests := []struct {
		name    string
		version int64
		ok      bool
	}{
		{"0001_create.sql", 1, true},
		{"0042_add_column_2.sql", 42, true},
		{"12345_five_digits.sql", 12345, true},
		{"00010_leading_zeros.sql", 10, true},
		{"0001_create.SQL", 0, false},
		{"0001__double.sql", 0, false},
		{"0001_trailing_.sql", 0, false},
		{"0001_create.sql.bak", 0, false},
		{"001_three.sql", 0, false},
		{"0000_zero.sql", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := parseMigrationName(tt.name)
			if got := err == nil; got != tt.ok {
				t.Fatalf("parseMigrationName(%q): got error %v; want ok %v", tt.name, err, tt.ok)
			}
			if v != tt.version {
				t.Errorf("parseMigrationName(%q): got version %d; want %d", tt.name, v, tt.version)
			}
		})
	}
}

func FuzzParseMigrationName(f *testing.F) {
	for _, seed := range []string{"0001_create.sql", "2_add.sql", "0000_zero.sql", "99999999999999999999_big.sql", "", "_.sql"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		v, err := parseMigrationName(name)
		if err != nil {
			return
		}
		digits, _, ok := strings.Cut(name, "_")
		if !ok || !strings.HasSuffix(name, ".sql") {
			t.Fatalf("parseMigrationName(%q) accepted a name without _ or .sql", name)
		}
		if want, _ := strconv.ParseInt(digits, 10, 64); v != want || v < 1 {
			t.Fatalf("parseMigrationName(%q): got version %d; want %d, at least 1", name, v, want)
		}
	})
}
