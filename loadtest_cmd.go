package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hearthbot/hearth/bench/loadtest"
	"github.com/hearthbot/hearth/bot/config"
)

// newLoadtestCommand builds `hearth loadtest`: the real bot as a child
// process against the emulator served here, under a simulated
// population.
func newLoadtestCommand(load func() (config.Config, error)) *cobra.Command {
	var (
		opts       loadtest.Options
		asJSON     bool
		plotFile   string
		moderation bool
		botEnv     []string
	)
	cmd := &cobra.Command{
		Use:   "loadtest",
		Short: "Measure the bot under load against the Discord emulator, with a verdict against the SLOs",
		Long: `Serve the Discord emulator here, run this binary's bot ("hearth run", every module, a real
SQLite file in a temporary folder) as a child process against it over loopback, and drive a
simulated population: interactions (/ping) at --rate per second and messages at --messages per
second, a --spam share of them spam. The report gives interactions sent, answered, late (over
3 s) and failed; latency from dispatch to callback; messages processed; bus drops; REST calls and
429s; the bot's CPU time and peak memory; the database size; and a verdict against the objectives
of the config's loadtest section (default: p95 under 1s, errors under 1%).

The emulator and the load generator share the machine with the bot: on a small VPS they take a
good part of its CPU, so the figures are what the bot sustains next to them.`,
		Example: `  hearth loadtest --guilds 100 --members 500 --rate 500 --duration 30s
  hearth loadtest --rate 2000 --messages 5000 --spam 0.1 --json > report.json
  hearth loadtest --rate 1000 --profile profiles/ --plot run.png
  hearth loadtest --rate 3000 --bot-env GOGC=200`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := load()
			if err != nil {
				return err
			}
			if moderation {
				opts.Setup = append(loadtest.ModerationSetup(), opts.Setup...)
			}
			for _, kv := range botEnv {
				if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
					return fmt.Errorf("--bot-env %q: want NAME=VALUE, such as GOGC=200", kv)
				}
			}
			opts.SLO = loadtest.SLO{P95: cfg.Loadtest.SLOP95, MaxErrorRate: cfg.Loadtest.SLOErrorPercent / 100}
			self, err := os.Executable()
			if err != nil {
				return fmt.Errorf("loadtest: find this binary: %w", err)
			}
			if !asJSON {
				opts.Progress = cmd.ErrOrStderr()
			}
			rep, err := loadtest.Run(cmd.Context(), opts, loadtest.Hearth{Binary: self, Pprof: opts.ProfileDir != "", Env: botEnv})
			if err != nil {
				return err
			}
			if plotFile != "" {
				if err := rep.Plot(plotFile); err != nil {
					return err
				}
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else if err := rep.WriteText(cmd.OutOrStdout()); err != nil {
				return err
			}
			if !rep.Pass {
				cmd.SilenceErrors = true
				return errVerdictFail
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.Guilds, "guilds", 10, "guilds in the simulated population")
	f.IntVar(&opts.Members, "members", 200, "members per guild (the same people in every guild)")
	f.Float64Var(&opts.Rate, "rate", 100, "interactions (/ping) per second")
	f.Float64Var(&opts.Messages, "messages", 0, "messages per second")
	f.Float64Var(&opts.SpamShare, "spam", 0.05, "share of the messages that are spam, 0 to 1")
	f.DurationVar(&opts.Duration, "duration", 30*time.Second, "how long the load runs once the bot is ready")
	f.DurationVar(&opts.Warmup, "warmup", 2*time.Second, "how long the load runs, unmeasured, before --duration")
	f.IntVar(&opts.Shards, "shards", 1, "shards the emulator recommends")
	f.BoolVar(&moderation, "moderation", false, "turn on automod's message rules and the logs module in every guild first")
	f.StringArrayVar(&opts.Setup, "setup", nil, "a command line every guild's owner runs before the load, such as \"/settings set module:logs key:channel value:{#mod-log}\" (repeatable)")
	f.StringArrayVar(&botEnv, "bot-env", nil, "NAME=VALUE added to the bot's environment only, such as GOGC=200 or GOMAXPROCS=2 (repeatable)")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON (no progress bar)")
	f.StringVar(&opts.ProfileDir, "profile", "", "write the bot's cpu.pprof and heap.pprof to this folder")
	f.StringVar(&plotFile, "plot", "", "draw latency and throughput over time to this PNG file")
	return cmd
}

// errVerdictFail makes `hearth loadtest` exit 1 when the run missed its
// objectives; the report has said why.
var errVerdictFail = fmt.Errorf("loadtest: the run missed its objectives")
