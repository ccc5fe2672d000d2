package store_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearthbot/hearth/store"
)

// openTest opens a store in a fresh temporary directory and closes it
// when the test ends.
func openTest(t testing.TB, opts ...store.Option) *store.Store {
	t.Helper()
	s, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "hearth.db"), opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// newCache returns a cache closed when the test ends (after the stores
// opened later, which close first).
func newCache(t testing.TB) *store.Cache {
	t.Helper()
	c, err := store.NewCache(16 << 20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// pragma reads one pragma's value as text.
func pragma(t *testing.T, s *store.Store, name string) string {
	t.Helper()
	var v string
	if err := s.DB().QueryRowContext(t.Context(), "PRAGMA "+name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

func TestOpenCreatesFileInWALMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hearth.db")
	s, err := store.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()

	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("stat database file: %v", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("database file mode: got %v; want no group or other access", perm)
	}
	if got, want := s.Path(), path; got != want {
		t.Errorf("Path: got %q; want %q", got, want)
	}
	if got, want := pragma(t, s, "journal_mode"), "wal"; got != want {
		t.Errorf("journal_mode: got %q; want %q", got, want)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping: got %v; want nil", err)
	}
}

func TestOpenSetsPragmas(t *testing.T) {
	tests := []struct {
		name string
		opts []store.Option
		want map[string]string
	}{
		{
			name: "defaults",
			want: map[string]string{"busy_timeout": "5000", "foreign_keys": "1", "synchronous": "1"},
		},
		{
			name: "options",
			opts: []store.Option{store.WithBusyTimeout(250 * time.Millisecond), store.WithSynchronous(store.SynchronousFull)},
			want: map[string]string{"busy_timeout": "250", "foreign_keys": "1", "synchronous": "2"},
		},
		{
			name: "synchronous off",
			opts: []store.Option{store.WithSynchronous(store.SynchronousOff)},
			want: map[string]string{"synchronous": "0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t, tt.opts...)
			for name, want := range tt.want {
				if got := pragma(t, s, name); got != want {
					t.Errorf("PRAGMA %s: got %s; want %s", name, got, want)
				}
			}
		})
	}
}

func TestOpenCreatesMissingDirectories(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "c", "hearth.db")
	s, err := store.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: got %v; want nil", err)
	}
	defer s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("stat database file: %v", err)
	}
}

func TestOpenAcceptsPathWithURIMetacharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "odd ?name#1%20.db")
	s, err := store.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if err := s.SetModuleEnabled(t.Context(), 1, "core", false); err != nil {
		t.Fatalf("SetModuleEnabled: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("stat database file: %v", err)
	}
}

func TestOpenFailsNamingThePath(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		opts []store.Option
	}{
		{name: "directory", path: dir},
		{name: "parent is a file", path: filepath.Join(notDir, "hearth.db")},
		{name: "empty path", path: ""},
		{name: "unknown synchronous mode", path: filepath.Join(dir, "x.db"), opts: []store.Option{store.WithSynchronous("SOMETIMES")}},
		{name: "negative busy timeout", path: filepath.Join(dir, "y.db"), opts: []store.Option{store.WithBusyTimeout(-time.Second)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := store.Open(t.Context(), tt.path, tt.opts...)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q): got nil error; want an error", tt.path)
			}
			if want := `store: open "` + tt.path + `"`; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("Open(%q): got error %q; want it to start with %q", tt.path, err, want)
			}
		})
	}
}

func TestReopenKeepsDataAndAppliesNothingAgain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hearth.db")
	s, err := store.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.SetModuleEnabled(t.Context(), 42, "core", false); err != nil {
		t.Fatalf("SetModuleEnabled: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s, err = store.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	defer s.Close()
	got, err := s.ModuleEnabled(t.Context(), 42, "core")
	if err != nil {
		t.Fatalf("ModuleEnabled: %v", err)
	}
	if got {
		t.Errorf("ModuleEnabled after reopen: got true; want false")
	}
}

func TestCloseTwiceAndUseAfterClose(t *testing.T) {
	s, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "hearth.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: got %v; want nil", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: got %v; want nil", err)
	}
	if err := s.Ping(t.Context()); err == nil {
		t.Errorf("Ping after Close: got nil; want an error")
	}
	if err := s.SetModuleEnabled(t.Context(), 1, "core", true); err == nil {
		t.Errorf("SetModuleEnabled after Close: got nil; want an error")
	}
}
