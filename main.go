// Command hearth is Hearth, a self-hosted Discord bot: one binary, one
// process, feature modules behind in-process interfaces.
//
// main holds the wiring: the cobra commands, loading the config, the
// logger, the store, and the one explicit list of modules.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/bot/config"
	"github.com/hearthbot/hearth/bot/logging"
	"github.com/hearthbot/hearth/bot/procs"
	"github.com/hearthbot/hearth/bot/sandbox"
	"github.com/hearthbot/hearth/discordtest"
	"github.com/hearthbot/hearth/modules/audit"
	"github.com/hearthbot/hearth/modules/automod"
	"github.com/hearthbot/hearth/modules/core"
	"github.com/hearthbot/hearth/modules/logs"
	"github.com/hearthbot/hearth/modules/moderation"
	"github.com/hearthbot/hearth/store"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// modules is the one place that lists the bot's modules, in start order.
func modules() []bot.Module {
	return []bot.Module{
		core.New(),
		moderation.New(),
		automod.New(),
		audit.New(),
		logs.New(),
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCommand(os.Getenv).ExecuteContext(ctx); err != nil {
		os.Exit(1)
	}
}

// newRootCommand builds the command tree; getenv is the environment.
func newRootCommand(getenv func(string) string) *cobra.Command {
	root := &cobra.Command{
		Use:           "hearth",
		Short:         "Hearth, a self-hosted Discord bot",
		SilenceUsage:  true,
		SilenceErrors: false,
	}
	var configPath string
	root.PersistentFlags().StringVarP(&configPath, "config", "c", "", "config file (YAML); none: defaults and HEARTH_* variables")
	load := func() (config.Config, error) { return config.Load(configPath, getenv) }
	// loadWithToken loads the config and the token it names.
	loadWithToken := func() (config.Config, string, error) {
		cfg, err := load()
		if err != nil {
			return cfg, "", err
		}
		token, err := cfg.Token(getenv)
		return cfg, token, err
	}
	root.AddCommand(
		newRunCommand(loadWithToken),
		newSandboxCommand(),
		newEmulatorCommand(),
		newMigrateCommand(load),
		newBackupCommand(load),
		newRestoreCommand(load),
		newConfigCommand(getenv),
		newCommandsCommand(loadWithToken),
		newLoadtestCommand(load),
		newDataCommand(loadWithToken),
		&cobra.Command{Use: "version", Short: "Print the version", Args: cobra.NoArgs, Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "hearth", version)
		}},
	)
	return root
}

func newRunCommand(load func() (config.Config, string, error)) *cobra.Command {
	return &cobra.Command{
		Use:   "run",
		Short: "Run the bot (connects to Discord, or to discord.rest_url)",
		Long: `Run the bot. The token comes from the environment variable discord.token_env names
(HEARTH_TOKEN by default). With discord.rest_url set, Hearth talks to that server instead of
Discord: a REST proxy, or an emulator started with "hearth emulator".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, token, err := load()
			if err != nil {
				return err
			}
			if cfg.Log.Format == "auto" {
				cfg.Log.Format = "json"
			}
			log, err := logging.New(cfg.Log.Level, cfg.Log.Format, cmd.ErrOrStderr(), token)
			if err != nil {
				return err
			}
			defer func() { _ = log.Sync() }()
			return runBot(cmd.Context(), cfg, token, log, nil)
		},
	}
}

// runBot runs the bot until ctx ends: the store, the admin listener and
// the runtime. gateway is nil in production.
func runBot(ctx context.Context, cfg config.Config, token string, log *zap.Logger, gateway bot.Gateway) error {
	cache, err := store.NewCache(int64(cfg.Store.CacheMB) << 20)
	if err != nil {
		return err
	}
	defer cache.Close()
	st, err := store.Open(ctx, cfg.Store.Path, store.WithCache(cache),
		store.WithSynchronous(store.Synchronous(strings.ToUpper(cfg.Store.Synchronous))))
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error("close the store", zap.Error(err))
		}
	}()
	rt, err := bot.New(bot.Options{Token: token, Config: cfg, Log: log, Store: st, Modules: modules(),
		Version: version, Gateway: gateway})
	if err != nil {
		return err
	}
	if cfg.Admin.Enabled() {
		ln, err := net.Listen("tcp", cfg.Admin.Addr)
		if err != nil {
			return fmt.Errorf("admin: listen on %s (choose another address with admin.addr, or off; in the sandbox, --admin): %w", cfg.Admin.Addr, err)
		}
		srv := &http.Server{Handler: rt.AdminHandler(), ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("admin listener stopped", zap.Error(err))
			}
		}()
		log.Info("admin listening", zap.String("addr", ln.Addr().String()))
		defer func() {
			c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(c)
		}()
	}
	defer sizeCores(ctx, cfg.Pipeline.Cores, log, rt.Registerer())()
	if info, ok := debug.ReadBuildInfo(); ok && !builtWithJSONv2(info) {
		log.Info("built without GOEXPERIMENT=jsonv2 (make build sets it): start-up and gateway decoding take more CPU")
	}
	return rt.Run(ctx)
}

// builtWithJSONv2 reports whether the binary was built with
// GOEXPERIMENT=jsonv2, as the Makefile builds it: encoding/json, which
// disgo reads every gateway frame with, then runs on json v2's faster
// decoder.
func builtWithJSONv2(info *debug.BuildInfo) bool {
	for _, s := range info.Settings {
		if s.Key == "GOEXPERIMENT" {
			return slices.Contains(strings.Split(s.Value, ","), "jsonv2")
		}
	}
	return false
}

// sizeCores applies pipeline.cores: a count sets GOMAXPROCS; auto runs a
// procs.Governor until the returned function is called, unless the
// GOMAXPROCS variable has already set the count. The governor's moves
// are counted in reg as hearth_cores_changes_total.
func sizeCores(ctx context.Context, cores int, log *zap.Logger, reg prometheus.Registerer) (stop func()) {
	if cores >= 1 {
		runtime.GOMAXPROCS(cores)
		return func() {}
	}
	if os.Getenv("GOMAXPROCS") != "" {
		log.Info("pipeline.cores is auto, but GOMAXPROCS is set: keeping it", zap.Int("cores", runtime.GOMAXPROCS(0)))
		return func() {}
	}
	// Every P is the runtime's default (the CPUs, or the container's quota),
	// which Go keeps up to date unless GOMAXPROCS is called: giving every P
	// back restores the default, and with it those updates.
	all := runtime.GOMAXPROCS(0)
	moves := prometheus.NewCounter(prometheus.CounterOpts{Name: "hearth_cores_changes_total",
		Help: "How many times pipeline.cores: auto moved the bot between one core and every core."})
	if err := reg.Register(moves); err != nil {
		log.Warn("cores changes are not counted", zap.Error(err))
	}
	set := func(n int) {
		moves.Inc()
		if n == all {
			runtime.SetDefaultGOMAXPROCS()
			return
		}
		runtime.GOMAXPROCS(n)
	}
	gov := procs.New(all, 250*time.Millisecond, procs.ReadSelf, set, log.Named("procs"))
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); gov.Run(ctx) }()
	return func() { cancel(); <-done }
}

func newSandboxCommand() *cobra.Command {
	var o sandbox.Options
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Talk to a working bot in the terminal, with no Discord account",
		Long: `Start the Discord emulator with a demo guild, connect the real bot to it over HTTP and
websockets, and give a prompt: type /ping or /help as the guild's admin, "as member2: hello"
to speak as another member, ":members" to list them, ":quit" to leave. With --script FILE the
lines of FILE run without a prompt and the transcript is printed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.In, o.Out = cmd.InOrStdin(), cmd.OutOrStdout()
			o.RunBot = func(ctx context.Context, cfg config.Config, token string, log *zap.Logger) error {
				return runBot(ctx, cfg, token, log, nil)
			}
			return sandbox.Run(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Script, "script", "", "run the lines of this file instead of a prompt, and print the transcript")
	fl.StringVar(&o.DataDir, "data", "", "keep the bot's data in this folder (default: a temporary folder)")
	fl.StringVar(&o.AdminAddr, "admin", config.Default().Admin.Addr, "admin listener (metrics, health), or off")
	return cmd
}

func newMigrateCommand(load func() (config.Config, error)) *cobra.Command {
	var status bool
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply the modules' database migrations (or show them with --status)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := load()
			if err != nil {
				return err
			}
			st, err := store.Open(cmd.Context(), cfg.Store.Path)
			if err != nil {
				return err
			}
			defer st.Close()
			sets := bot.MigrationSets(modules())
			if !status {
				if err := st.Migrate(cmd.Context(), sets...); err != nil {
					return err
				}
			}
			states, err := st.MigrationStatus(cmd.Context(), sets...)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, s := range states {
				state := "pending"
				switch {
				case s.Missing:
					state = "applied, file missing"
				case s.Applied:
					state = "applied " + s.AppliedAt.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(out, "%-12s %04d %-32s %s\n", s.Module, s.Version, s.Name, state)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&status, "status", false, "only show which migrations are applied")
	return cmd
}

func newBackupCommand(load func() (config.Config, error)) *cobra.Command {
	var to string
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Take a consistent copy of the database, even while the bot runs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := load()
			if err != nil {
				return err
			}
			if to == "" {
				to = filepath.Join(bot.BackupDir(cfg.Store.Path, cfg.Store.BackupDir), store.BackupName(cfg.Store.Path, time.Now()))
			}
			if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
				return fmt.Errorf("backup: %w", err)
			}
			if err := store.BackupFile(cmd.Context(), cfg.Store.Path, to); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "backed up to", to)
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the backup file (default: a new file in store.backup_dir)")
	return cmd
}

func newRestoreCommand(load func() (config.Config, error)) *cobra.Command {
	return &cobra.Command{
		Use:   "restore FILE",
		Short: "Put a backup back in place of the database (checks it first; the bot must be stopped)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := load()
			if err != nil {
				return err
			}
			previous, err := store.Restore(cmd.Context(), args[0], cfg.Store.Path)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "restored %s to %s", args[0], cfg.Store.Path)
			if previous != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "; the previous database is kept as %s", previous)
			}
			fmt.Fprintln(cmd.OutOrStdout())
			return nil
		},
	}
}

func newConfigCommand(getenv func(string) string) *cobra.Command {
	cfgCmd := &cobra.Command{Use: "config", Short: "Work with the configuration"}
	cfgCmd.AddCommand(&cobra.Command{
		Use:   "validate [file]",
		Short: "Check a config file (and the HEARTH_* variables); print every problem",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, _ := cmd.Flags().GetString("config")
			if len(args) == 1 {
				path = args[0]
			}
			cfg, err := config.Load(path, getenv)
			if err == nil {
				err = checkModuleSections(cmd.Context(), cfg)
			}
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "config is valid")
			return nil
		},
	})
	return cfgCmd
}

// checkModuleSections decodes and checks each module's section the way
// the module will: the runtime rejects sections of unknown modules, and
// each module's Init and Validate run without connecting.
func checkModuleSections(ctx context.Context, cfg config.Config) error {
	rt, err := bot.New(bot.Options{Token: "MTIz.config.validate", Config: cfg, Modules: modules(), Log: zap.NewNop()})
	if err != nil {
		return err
	}
	return rt.CheckModules(ctx)
}

func newCommandsCommand(load func() (config.Config, string, error)) *cobra.Command {
	cmds := &cobra.Command{Use: "commands", Short: "Work with the bot's application commands"}
	var guild uint64
	sync := &cobra.Command{
		Use:   "sync",
		Short: "Register the modules' commands with Discord now (globally, or in one guild)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, token, err := load()
			if err != nil {
				return err
			}
			if guild != 0 {
				cfg.Commands.Sync = config.Sync{Mode: config.SyncGuilds, Guilds: []uint64{guild}}
			} else if cfg.Commands.Sync.Mode == config.SyncOff {
				cfg.Commands.Sync = config.Sync{Mode: config.SyncGlobal}
			}
			log, err := logging.New(cfg.Log.Level, "console", cmd.ErrOrStderr(), token)
			if err != nil {
				return err
			}
			rt, err := bot.New(bot.Options{Token: token, Config: cfg, Log: log, Modules: modules(), Version: version})
			if err != nil {
				return err
			}
			return rt.SyncCommands(cmd.Context())
		},
	}
	sync.Flags().Uint64Var(&guild, "guild", 0, "register in this guild only (changes show at once)")
	cmds.AddCommand(sync)
	return cmds
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
