// Command hearth is the Hearth Discord bot. Until the host lands it
// serves one command: `hearth emulator`, the discordtest Discord API
// emulator for any bot in any language.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/hearthbot/hearth/discordtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCommand().ExecuteContext(ctx); err != nil {
		os.Exit(1)
	}
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "hearth",
		Short:         "Hearth, a self-hosted Discord bot",
		SilenceUsage:  true,
		SilenceErrors: false,
	}
	root.AddCommand(newEmulatorCommand())
	return root
}

// emulatorFlags are the flags of `hearth emulator`.
type emulatorFlags struct {
	addr            string
	guilds, members int
	seed            uint64
	shards          int
}

func newEmulatorCommand() *cobra.Command {
	var f emulatorFlags
	cmd := &cobra.Command{
		Use:   "emulator",
		Short: "Serve the Discord API v10 emulator (REST, gateway, rate limits) for any bot",
		Long: `Serve discordtest, Hearth's Discord API v10 emulator, on a loopback address.

The first line printed is the REST base URL (point your library's REST client at it),
the second the bot token. GET /gateway/bot on that base answers the gateway URL.
It serves until interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runEmulator(cmd.Context(), cmd.OutOrStdout(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:0", "listen address (port 0 picks a free port)")
	fl.IntVar(&f.guilds, "guilds", 2, "guilds the bot is in")
	fl.IntVar(&f.members, "members", 10, "people in each guild, at least 3 (owner, admin, mod)")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the generated world")
	fl.IntVar(&f.shards, "shards", 1, "shard count GET /gateway/bot recommends")
	return cmd
}

// runEmulator starts the emulator, prints its REST URL and token, and
// serves until ctx ends.
func runEmulator(ctx context.Context, out io.Writer, f emulatorFlags) error {
	srv, err := discordtest.Start(
		discordtest.WithAddr(f.addr),
		discordtest.WithGuilds(f.guilds),
		discordtest.WithMembers(f.members),
		discordtest.WithSeed(f.seed),
		discordtest.WithShards(f.shards),
	)
	if err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	defer srv.Close()
	fmt.Fprintln(out, srv.RESTURL())
	fmt.Fprintln(out, srv.Token())
	<-ctx.Done()
	return nil
}
