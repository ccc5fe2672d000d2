package bus_test

import (
	"context"
	"fmt"

	"github.com/hearthbot/hearth/bot/bus"
)

// MemberJoined would live with the other gateway event types.
type MemberJoined struct {
	GuildID, UserID uint64
}

var memberJoined = bus.NewTopic[MemberJoined]("discord.member_join")

func Example() {
	b := bus.NewInProc(nil)

	_, err := bus.Subscribe(b, memberJoined, bus.Options{Name: "welcome.greet", Policy: bus.Backpressure},
		func(ctx context.Context, ev MemberJoined) error {
			fmt.Printf("welcome %d to guild %d\n", ev.UserID, ev.GuildID)
			return nil
		})
	if err != nil {
		fmt.Println(err)
		return
	}

	if err := bus.Publish(context.Background(), b, memberJoined, MemberJoined{GuildID: 1, UserID: 42}); err != nil {
		fmt.Println(err)
	}

	// Close drains the queues before returning.
	if err := b.Close(context.Background()); err != nil {
		fmt.Println(err)
	}
	fmt.Println(b.Stats()[0].Delivered, "delivered")
	// Output:
	// welcome 42 to guild 1
	// 1 delivered
}
