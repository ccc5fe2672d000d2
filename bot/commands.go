package bot

import (
	"context"
	"time"

	"github.com/disgoorg/disgo/discord"
)

// OptionType is the type of a command option, as Discord numbers it.
type OptionType int

// Option types a command may declare.
const (
	OptionString     OptionType = 3
	OptionInteger    OptionType = 4
	OptionBoolean    OptionType = 5
	OptionUser       OptionType = 6
	OptionChannel    OptionType = 7
	OptionRole       OptionType = 8
	OptionNumber     OptionType = 10
	OptionAttachment OptionType = 11
)

// String names the type as error messages show it.
func (t OptionType) String() string {
	switch t {
	case OptionString:
		return "text"
	case OptionInteger:
		return "whole number"
	case OptionBoolean:
		return "true or false"
	case OptionUser:
		return "user"
	case OptionChannel:
		return "channel"
	case OptionRole:
		return "role"
	case OptionNumber:
		return "number"
	case OptionAttachment:
		return "attachment"
	}
	return "unknown"
}

// Command is a slash command, declared as data. The host registers it
// with Discord, validates options, checks permissions, applies the
// cooldown, defers when the handler is slow and recovers panics, so the
// handler only does the work.
type Command struct {
	Name        string
	Description string
	Options     []Option
	// Subcommands and Groups make Name a parent; then Handler is unused.
	Subcommands []Subcommand
	Groups      []SubcommandGroup
	// Permissions the member needs (all of them). Sent to Discord as
	// default_member_permissions and checked again by the host.
	Permissions discord.Permissions
	// AllowDMs lets the command run in DMs, where there is no member.
	// Commands are guild-only by default.
	AllowDMs bool
	Cooldown Cooldown
	// Ephemeral makes every reply visible only to the person who ran it.
	Ephemeral    bool
	Handler      Handler
	Autocomplete AutocompleteHandler
}

// Subcommand is one subcommand of a Command.
type Subcommand struct {
	Name         string
	Description  string
	Options      []Option
	Handler      Handler
	Autocomplete AutocompleteHandler
}

// SubcommandGroup groups subcommands under a Command.
type SubcommandGroup struct {
	Name        string
	Description string
	Subcommands []Subcommand
}

// Option is one option of a command. Zero MinLength, MaxLength and nil
// MinValue, MaxValue mean no bound.
type Option struct {
	Name         string
	Description  string
	Type         OptionType
	Required     bool
	MinLength    int
	MaxLength    int
	MinValue     *float64
	MaxValue     *float64
	Choices      []Choice
	Autocomplete bool
	ChannelTypes []discord.ChannelType
}

// Choice is a fixed or suggested value of an option: Value is a string,
// an int or a float64, as the option's type says.
type Choice struct {
	Name  string
	Value any
}

// CooldownScope says whose uses a cooldown counts.
type CooldownScope int

// Cooldown scopes.
const (
	PerUser CooldownScope = iota
	PerGuild
	PerChannel
)

// Cooldown allows one use per Every in its scope. Zero Every: none.
type Cooldown struct {
	Per   CooldownScope
	Every time.Duration
}

// Handler answers a command.
type Handler func(ctx context.Context, r *Request) (Response, error)

// AutocompleteHandler suggests choices for the focused option (at most
// 25 are sent).
type AutocompleteHandler func(ctx context.Context, r *Request) ([]Choice, error)

// ComponentHandler answers a button, a select menu or a modal submit
// whose custom ID is in the module's namespace.
type ComponentHandler func(ctx context.Context, r *ComponentRequest) (Response, error)

// Float returns a pointer to v, for Option.MinValue and MaxValue.
func Float(v float64) *float64 { return &v }

// Response is what a handler answers. The host sends it as the
// interaction's reply, or as an edit of the deferred reply.
type Response struct {
	Content    string
	Embeds     []discord.Embed
	Components []discord.LayoutComponent
	Files      []*discord.File
	// Ephemeral makes the reply visible only to the person; a command
	// declared Ephemeral always is. Ephemerality is fixed when the host
	// defers, so a slow handler cannot change it.
	Ephemeral bool
	// AllowedMentions decides who the reply pings. Nil pings nobody.
	AllowedMentions *discord.AllowedMentions
	// Modal opens a modal instead of replying (not possible once
	// deferred, nor from a modal submit).
	Modal *discord.ModalCreate
	// Update, for components, edits the message the component is on
	// instead of sending a new reply.
	Update bool

	autocomplete   []Choice
	isAutocomplete bool
	failed         bool // the answer reports an error
}
