package store_test

import (
	"context"
	"slices"
	"testing"
	"time"
)

func TestABotAddedBackIsNoLongerADeparture(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	now := time.Now()
	_ = st.MarkGuildLeft(ctx, 1, now.Add(-48*time.Hour))
	_ = st.MarkGuildLeft(ctx, 1, now) // a repeated event keeps the first time
	_ = st.MarkGuildLeft(ctx, 2, now.Add(-48*time.Hour))
	if left, _ := st.GuildsLeftBefore(ctx, now.Add(-time.Hour)); !slices.Equal(left, []uint64{1, 2}) {
		t.Fatalf("got %v; want 1 and 2", left)
	}
	_ = st.MarkGuildPresent(ctx, 1)
	if left, _ := st.GuildsLeftBefore(ctx, now.Add(-time.Hour)); !slices.Equal(left, []uint64{2}) {
		t.Fatalf("after guild 1 added the bot back: got %v; want 2", left)
	}
}
