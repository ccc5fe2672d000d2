package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/disgoorg/snowflake/v2"
	"github.com/spf13/cobra"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/bot/config"
)

// newDataCommand builds `hearth data`: export or erase what the running
// bot holds about a person, through its admin listener (some modules keep
// personal data only in memory, so the bot itself must answer).
func newDataCommand(load func() (config.Config, string, error)) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "data",
		Short: "Export or erase what the running bot holds about a person (access and erasure requests)",
		Long: `Export or erase everything the modules hold about one person, for an access or an
erasure request. The bot must be running: the command asks it through the admin listener
(admin.addr), with a key derived from the bot token, so it needs the same config and
HEARTH_TOKEN as "hearth run".`,
	}
	var out string
	export := &cobra.Command{
		Use:   "export USER_ID",
		Short: "Print, as JSON, what every module holds about the person with this Discord ID",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			w := cmd.OutOrStdout()
			if out != "" {
				// Personal data: readable by its owner only.
				f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
				if err != nil {
					return fmt.Errorf("--out: %w", err)
				}
				defer f.Close()
				w = f
			}
			return askBot(cmd.Context(), load, http.MethodGet, args[0], w)
		},
	}
	export.Flags().StringVar(&out, "out", "", "write the JSON to this file (created readable by you only) instead of printing it")
	var yes bool
	erase := &cobra.Command{
		Use:   "erase USER_ID",
		Short: "Erase what every module holds about the person with this Discord ID",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !yes {
				return errors.New("erase cannot be undone: run it again with --yes (export first if the person asked for a copy)")
			}
			return askBot(cmd.Context(), load, http.MethodDelete, args[0], cmd.OutOrStdout())
		},
	}
	erase.Flags().BoolVar(&yes, "yes", false, "confirm the erasure")
	cmd.AddCommand(export, erase)
	return cmd
}

// askBot sends one personal-data request for user to the running bot and
// copies its JSON answer to w.
func askBot(ctx context.Context, load func() (config.Config, string, error), method, user string, w io.Writer) error {
	id, err := snowflake.Parse(user)
	if err != nil || id == 0 {
		return fmt.Errorf("USER_ID %q is not a Discord ID (a number such as 80351110224678912; in Discord, Copy User ID)", user)
	}
	cfg, token, err := load()
	if err != nil {
		return err
	}
	if !cfg.Admin.Enabled() {
		return errors.New("admin.addr is off: hearth data asks the running bot through its admin listener; set admin.addr (default 127.0.0.1:9090)")
	}
	base := adminURL(cfg.Admin.Addr)
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, base+"/users/"+id.String()+"/data", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+bot.AdminKey(token))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the bot at %s (is `hearth run` running with this config?): %w", base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		_, err := io.Copy(w, resp.Body)
		return err
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusInternalServerError {
		// Some modules failed; the answer says which, and what the others did.
		_, _ = w.Write(body)
		return errors.New("some modules failed: see \"failed\" above, and the bot's log")
	}
	return fmt.Errorf("the bot answered %s: %s", resp.Status, strings.TrimSpace(string(body)))
}

// adminURL is the base URL of the admin listener at addr; a listener on
// every interface is reached on loopback.
func adminURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
