package store_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hearthbot/hearth/store"
)

func TestReadsDoNotWaitForAWriteInProgress(t *testing.T) {
	s := openTest(t)
	createItems(t, s)
	inTx, release := make(chan struct{}), make(chan struct{})
	writeDone := make(chan error, 1)
	go func() {
		writeDone <- s.Write(context.Background(), func(tx *sql.Tx) error {
			if _, err := tx.Exec(`INSERT INTO demo_items (id, note) VALUES (1, 'held')`); err != nil {
				return err
			}
			close(inTx)
			<-release // the transaction stays open, holding the write lock
			return nil
		})
	}()
	<-inTx

	// A second writer queues for the writer connection instead of failing.
	secondDone := make(chan error, 1)
	go func() { secondDone <- insertItem(context.Background(), s, 2) }()

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	for range 100 {
		var n int
		if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM demo_items`).Scan(&n); err != nil {
			t.Fatalf("read during a write: %v", err)
		}
		if n != 0 {
			t.Fatalf("read during a write: got %d rows; want 0 (the write is not committed)", n)
		}
		if _, err := s.ModuleEnabled(ctx, 1, "core"); err != nil {
			t.Fatalf("ModuleEnabled during a write: %v", err)
		}
	}
	select {
	case err := <-secondDone:
		t.Fatalf("second write finished while the first held the writer: %v", err)
	default:
	}

	close(release)
	if err := <-writeDone; err != nil {
		t.Fatalf("held write: %v", err)
	}
	if err := <-secondDone; err != nil {
		t.Fatalf("queued write: got %v; want nil", err)
	}
	if got := itemIDs(t, s.DB()); len(got) != 2 {
		t.Errorf("rows after both writes: got %v; want [1 2]", got)
	}
}

func TestDBIsReadOnly(t *testing.T) {
	s := openTest(t)
	_, err := s.DB().ExecContext(t.Context(), `CREATE TABLE demo_x (x INTEGER)`)
	if err == nil || !strings.Contains(err.Error(), "readonly") {
		t.Errorf("write through DB: got %v; want attempt to write a readonly database", err)
	}
}

// demoSettings is a settings section for tests.
type demoSettings struct {
	Prefix string `json:"prefix"`
	Limit  int    `json:"limit"`
}

func newDemoSettings(s *store.Store) *store.Settings[demoSettings] {
	return store.NewSettings(s, "demo",
		func() demoSettings { return demoSettings{Prefix: "!", Limit: 10} },
		func(v *demoSettings) error {
			if v.Limit < 1 || v.Limit > 1000 {
				return fmt.Errorf("limit %d: want 1 to 1000", v.Limit)
			}
			return nil
		})
}

func TestSixtyFourGoroutinesMixingReadsAndWrites(t *testing.T) {
	c := newCache(t)
	s := openTest(t, store.WithCache(c))
	createItems(t, s)
	settings := newDemoSettings(s)
	const (
		goroutines = 64
		ops        = 120
	)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			ctx := context.Background()
			for i := range ops {
				guild := uint64(i%8) + 1<<62
				var err error
				switch (g + i) % 8 {
				case 0:
					err = insertItem(ctx, s, int64(g*ops+i+1))
				case 1:
					err = s.SetModuleEnabled(ctx, guild, "demo", i%3 == 0)
				case 2:
					_, err = settings.Put(ctx, guild, demoSettings{Prefix: "?", Limit: i + 1}, store.Actor{UserID: uint64(g)})
				case 3:
					var n int
					err = s.DB().QueryRowContext(ctx, `SELECT count(*) FROM demo_items`).Scan(&n)
				case 4, 5:
					_, err = s.ModuleEnabled(ctx, guild, "demo")
				default:
					_, err = settings.Get(ctx, guild)
				}
				if err != nil {
					reportConcurrent(t, fmt.Sprintf("goroutine %d op %d", g, i), err)
					return
				}
			}
		})
	}
	wg.Wait()
	var n int
	if err := s.DB().QueryRowContext(t.Context(), `SELECT count(*) FROM demo_items`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want := goroutines * ops / 8; n != want {
		t.Errorf("rows written: got %d; want %d", n, want)
	}
}

// crashChildEnv names the database a crash-test child writes to.
const crashChildEnv = "HEARTH_STORE_CRASH_CHILD"

// crashBatch is how many rows one acknowledged write holds.
const crashBatch = 10

// crashChild writes batches of rows for ever, printing "ack N" once the
// batch ending at row N is committed.
func crashChild(path string) {
	ctx := context.Background()
	s, err := store.Open(ctx, path)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	err = s.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`CREATE TABLE IF NOT EXISTS demo_items (id INTEGER PRIMARY KEY, note TEXT NOT NULL)`)
		return err
	})
	if err != nil {
		fmt.Println("create:", err)
		os.Exit(2)
	}
	pad := strings.Repeat("p", 2000) // a few pages per write, so the kill lands mid-write
	for next := int64(1); ; next += crashBatch {
		err := s.Write(ctx, func(tx *sql.Tx) error {
			for id := next; id < next+crashBatch; id++ {
				if _, err := tx.Exec(`INSERT INTO demo_items (id, note) VALUES (?, ?)`, id, pad); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			fmt.Println("write:", err)
			os.Exit(2)
		}
		fmt.Printf("ack %d\n", next+crashBatch-1)
	}
}

func TestAcknowledgedWritesSurviveSIGKILL(t *testing.T) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(path)
		return
	}
	path := filepath.Join(t.TempDir(), "hearth.db")
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestAcknowledgedWritesSurviveSIGKILL$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(out)
		var acked int64
		killAt := int64(200 + 150*round)
		killed := false
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				break // EOF once the child is dead; a line cut short is not an ack
			}
			n, ok := strings.CutPrefix(strings.TrimSpace(line), "ack ")
			if !ok {
				t.Fatalf("child: %s", line)
			}
			if acked, err = strconv.ParseInt(n, 10, 64); err != nil {
				t.Fatalf("child: %s", line)
			}
			if !killed && acked >= killAt {
				// The child is writing its next batch, or about to.
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				killed = true
			}
		}
		_ = cmd.Wait()
		if !killed {
			t.Fatalf("round %d: the child stopped by itself after ack %d", round, acked)
		}

		s, err := store.Open(t.Context(), path)
		if err != nil {
			t.Fatalf("round %d: reopen after SIGKILL: %v", round, err)
		}
		if err := s.IntegrityCheck(t.Context()); err != nil {
			t.Errorf("round %d: %v", round, err)
		}
		ids := itemIDs(t, s.DB())
		if int64(len(ids)) < acked {
			t.Errorf("round %d: rows after SIGKILL: got %d; want at least the %d acknowledged", round, len(ids), acked)
		}
		if len(ids)%crashBatch != 0 {
			t.Errorf("round %d: rows after SIGKILL: got %d; want whole batches of %d", round, len(ids), crashBatch)
		}
		for i, id := range ids {
			if id != int64(i+1) {
				t.Fatalf("round %d: row %d: got id %d; want %d", round, i, id, i+1)
			}
		}
		// The next round's child appends after the rows kept.
		if err := s.Write(t.Context(), func(tx *sql.Tx) error {
			_, err := tx.Exec(`DELETE FROM demo_items`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
