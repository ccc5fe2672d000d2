package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"
	"go.uber.org/zap"

	"github.com/hearthbot/hearth/bot/bus"
	"github.com/hearthbot/hearth/store"
)

// Host is what a module may use: its own view of the running bot. Each
// module gets its own Host, named for it; modules never reach around it.
type Host struct {
	rt     *Runtime
	module string
	log    *zap.Logger
	// registered during Init
	commands   []Command
	components map[string]ComponentHandler
	subs       []bus.Subscription
}

// ModuleID is the ID of the module this Host serves.
func (h *Host) ModuleID() string { return h.module }

// Log is the module's logger, named for it.
func (h *Host) Log() *zap.Logger { return h.log }

// Bus is the event bus. Subscribe with bus.Subscribe and the Topic
// variables of this package.
func (h *Host) Bus() bus.Bus { return h.rt.bus }

// Store is the database.
func (h *Host) Store() *store.Store { return h.rt.store }

// Cache is the in-memory cache in front of the store (store.cache_mb).
// Keys are shared by every module: prefix them with the module ID.
func (h *Host) Cache() *store.Cache { return h.rt.cache }

// REST is Discord's REST API, in narrow interfaces that take a context.
// Everything sent through it pings nobody unless asked to.
func (h *Host) REST() REST { return h.rt.restAPI }

// Config decodes the module's section of the config file (modules.<id>)
// into v strictly: unknown keys are errors naming their path. v keeps
// its values (the defaults) where the section is silent.
func (h *Host) Config(v any) error { return h.rt.cfg.Module(h.module, v) }

// BotPermissions resolves the bot's own permissions in a guild channel
// from the gateway cache.
func (h *Host) BotPermissions(guildID, channelID snowflake.ID) (discord.Permissions, error) {
	return h.rt.botPermissions(guildID, channelID)
}

// Subscribe registers an event handler on the bus under the module's
// name, with the bus's default queue and timeout; the subscription ends
// when the module stops. Events of a guild where the module is turned
// off are not delivered.
func Subscribe[T any](h *Host, t bus.Topic[T], name string, policy bus.Policy, fn func(context.Context, T) error) error {
	return SubscribeWith(h, t, bus.Options{Name: name, Policy: policy}, fn)
}

// SubscribeWith is Subscribe with every bus option (queue size, the
// backpressure timeout). opts.Name is prefixed with the module ID.
func SubscribeWith[T any](h *Host, t bus.Topic[T], opts bus.Options, fn func(context.Context, T) error) error {
	opts.Name = h.module + "." + opts.Name
	sub, err := bus.Subscribe(h.rt.bus, t, opts, func(ctx context.Context, ev T) error {
		if g, ok := any(ev).(interface{ EventGuild() snowflake.ID }); ok && g.EventGuild() != 0 && h.rt.store != nil {
			on, err := h.rt.store.ModuleEnabled(ctx, uint64(g.EventGuild()), h.module)
			if err != nil {
				return fmt.Errorf("bot: %s: module switch: %w", h.module, err)
			}
			if !on {
				return nil
			}
		}
		return fn(ctx, ev)
	})
	if err != nil {
		return fmt.Errorf("bot: %s: subscribe %s: %w", h.module, t.Name(), err)
	}
	h.subs = append(h.subs, sub)
	return nil
}

var (
	namePattern      = regexp.MustCompile(`^[-_\p{L}\p{N}]{1,32}$`)
	componentPattern = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)
)

// Command registers a slash command. Its name must be unique across
// modules; the module owns it.
func (h *Host) Command(c Command) error {
	if err := checkCommand(c); err != nil {
		return fmt.Errorf("bot: %s: command %q: %w", h.module, c.Name, err)
	}
	h.commands = append(h.commands, c)
	return nil
}

// Component registers a handler for buttons, selects and modals whose
// custom ID is CustomID(name, data...). The namespace is the module's:
// no other module can receive them.
func (h *Host) Component(name string, fn ComponentHandler) error {
	if !componentPattern.MatchString(name) {
		return fmt.Errorf("bot: %s: component name %q: want 1 to 32 of a-z, 0-9, - and _", h.module, name)
	}
	if _, dup := h.components[name]; dup {
		return fmt.Errorf("bot: %s: component %q registered twice", h.module, name)
	}
	if h.components == nil {
		h.components = map[string]ComponentHandler{}
	}
	h.components[name] = fn
	return nil
}

// CustomID builds the custom ID of one of the module's components:
// "<module>:<name>[:<data>]". Discord allows 100 characters: keep data
// short (an ID, a page number).
func (h *Host) CustomID(name string, data ...string) string {
	id := h.module + ":" + name
	if len(data) > 0 {
		id += ":" + strings.Join(data, ":")
	}
	return id
}

// checkCommand rejects a declaration Discord would refuse, at start-up
// rather than at sync.
func checkCommand(c Command) error {
	var errs []error
	if !namePattern.MatchString(c.Name) || strings.ToLower(c.Name) != c.Name {
		errs = append(errs, fmt.Errorf("name must be 1 to 32 lower-case letters, digits, - or _"))
	}
	if n := len([]rune(c.Description)); n < 1 || n > 100 {
		errs = append(errs, fmt.Errorf("description must be 1 to 100 characters; got %d", n))
	}
	parent := len(c.Subcommands) > 0 || len(c.Groups) > 0
	switch {
	case parent && (c.Handler != nil || len(c.Options) > 0):
		errs = append(errs, errors.New("a command with subcommands takes no Handler nor Options of its own"))
	case !parent && c.Handler == nil:
		errs = append(errs, errors.New("Handler is nil"))
	}
	errs = append(errs, checkOptions(c.Options, c.Autocomplete != nil)...)
	for _, s := range c.Subcommands {
		errs = append(errs, checkSub(s)...)
	}
	for _, g := range c.Groups {
		if !namePattern.MatchString(g.Name) || len(g.Subcommands) == 0 {
			errs = append(errs, fmt.Errorf("group %q: want a valid name and at least one subcommand", g.Name))
		}
		for _, s := range g.Subcommands {
			errs = append(errs, checkSub(s)...)
		}
	}
	return errors.Join(errs...)
}

func checkSub(s Subcommand) []error {
	var errs []error
	if !namePattern.MatchString(s.Name) || s.Handler == nil {
		errs = append(errs, fmt.Errorf("subcommand %q: want a valid name and a Handler", s.Name))
	}
	return append(errs, checkOptions(s.Options, s.Autocomplete != nil)...)
}

func checkOptions(opts []Option, hasAutocomplete bool) []error {
	var errs []error
	seen := map[string]bool{}
	optional := false
	if len(opts) > 25 {
		errs = append(errs, fmt.Errorf("%d options: at most 25", len(opts)))
	}
	for _, o := range opts {
		switch {
		case !namePattern.MatchString(o.Name) || strings.ToLower(o.Name) != o.Name:
			errs = append(errs, fmt.Errorf("option %q: name must be 1 to 32 lower-case letters, digits, - or _", o.Name))
		case seen[o.Name]:
			errs = append(errs, fmt.Errorf("option %q declared twice", o.Name))
		case o.Required && optional:
			errs = append(errs, fmt.Errorf("option %q: required options come before optional ones", o.Name))
		case o.Autocomplete && !hasAutocomplete:
			errs = append(errs, fmt.Errorf("option %q: Autocomplete set but the command has no Autocomplete handler", o.Name))
		case o.Autocomplete && len(o.Choices) > 0:
			errs = append(errs, fmt.Errorf("option %q: Autocomplete and Choices exclude each other", o.Name))
		case len(o.Choices) > 25:
			errs = append(errs, fmt.Errorf("option %q: %d choices, at most 25", o.Name, len(o.Choices)))
		case o.MinValue != nil && o.MaxValue != nil && *o.MinValue > *o.MaxValue:
			errs = append(errs, fmt.Errorf("option %q: MinValue above MaxValue", o.Name))
		case o.MaxLength != 0 && o.MinLength > o.MaxLength:
			errs = append(errs, fmt.Errorf("option %q: MinLength above MaxLength", o.Name))
		case o.Type == 0:
			errs = append(errs, fmt.Errorf("option %q: Type is not set", o.Name))
		}
		if n := len([]rune(o.Description)); n < 1 || n > 100 {
			errs = append(errs, fmt.Errorf("option %q: description must be 1 to 100 characters; got %d", o.Name, n))
		}
		seen[o.Name] = true
		optional = optional || !o.Required
	}
	return errs
}
