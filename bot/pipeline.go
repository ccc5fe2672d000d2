package bot

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"
	"go.uber.org/zap"
)

// The command pipeline. Every interaction runs in its own goroutine
// through these steps, in order:
//
//  1. correlation: a correlation ID and a structured log line
//  2. recovery: a panic becomes "Something went wrong (ref <id>)"
//  3. metrics: latency by command and outcome
//  4. enabled: the module must be on in this guild
//  5. validation: options checked against the declaration
//  6. permissions: the member's resolved permissions in the channel
//  7. cooldown: per user, guild or channel
//  8. auto-defer: deferred about 2 s after the interaction was created
//  9. timeout: the handler gets Pipeline.HandlerTimeout
//
// then the handler, then the answer: a reply, or an edit of the deferred
// reply.

// invKind is what an interaction asks for.
type invKind int

const (
	kindCommand invKind = iota
	kindAutocomplete
	kindComponent
	kindModal
)

// step is one stage of the pipeline.
type step func(ctx context.Context, inv *invocation) (Response, error)

// middleware wraps a step.
type middleware func(next step) step

// invocation is one interaction on its way through the pipeline.
type invocation struct {
	rt      *Runtime
	kind    invKind
	i       discord.Interaction
	module  string
	name    string // command path, or component name
	route   *commandRoute
	target  commandTarget // the command or subcommand that runs
	req     *Request
	comp    *ComponentRequest
	created time.Time
	ref     string
	log     *zap.Logger
	outcome string

	mu        sync.Mutex
	answered  bool // the first callback went out
	deferred  bool
	ephemeral bool // fixed when deferring
}

// commandTarget is what runs for a command path.
type commandTarget struct {
	options      []Option
	handler      Handler
	autocomplete AutocompleteHandler
}

// UserError is an error meant for the person who ran the command: the
// pipeline shows Message as an ephemeral reply.
type UserError struct{ Message string }

func (e *UserError) Error() string { return e.Message }

// userErrorf builds a UserError.
func userErrorf(format string, args ...any) error {
	return &UserError{Message: fmt.Sprintf(format, args...)}
}

var (
	errPanic      = errors.New("bot: handler panicked")
	errNoFollowup = errors.New("bot: no followup for this request")
)

// Outcomes recorded in metrics and logs.
const (
	outcomeOK        = "ok"
	outcomeUserError = "user_error"
	outcomeError     = "error"
	outcomePanic     = "panic"
	outcomeTimeout   = "timeout"
)

// chain builds the pipeline around the handler call.
func (rt *Runtime) chain() step {
	mws := []middleware{
		rt.withCorrelation,
		rt.withRecovery,
		rt.withMetrics,
		rt.withModuleEnabled,
		rt.withValidation,
		rt.withPermissions,
		rt.withCooldown,
		rt.withAutoDefer,
		rt.withTimeout,
	}
	s := step(callHandler)
	for i := len(mws) - 1; i >= 0; i-- {
		s = mws[i](s)
	}
	return s
}

func callHandler(ctx context.Context, inv *invocation) (Response, error) {
	switch inv.kind {
	case kindCommand:
		return inv.target.handler(ctx, inv.req)
	case kindAutocomplete:
		choices, err := inv.target.autocomplete(ctx, inv.req)
		return Response{autocomplete: choices, isAutocomplete: true}, err
	default:
		h := inv.rt.components[inv.module][inv.name]
		return h(ctx, inv.comp)
	}
}

// newRef returns a short random reference, for people to quote: it
// needs to tell invocations apart, not to be secret.
func newRef() string {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], rand.Uint32())
	return hex.EncodeToString(b[:])
}

func (rt *Runtime) withCorrelation(next step) step {
	return func(ctx context.Context, inv *invocation) (Response, error) {
		inv.ref = newRef()
		// WithLazy: the fields are encoded only if something is logged,
		// which for most interactions is nothing.
		inv.log = rt.moduleLog(inv.module).WithLazy(zap.String("correlation_id", inv.ref),
			zap.String("command", inv.name), zap.Uint64("guild_id", uint64(guildOf(inv.i))),
			zap.Uint64("user_id", uint64(inv.i.User().ID)), zap.Uint64("interaction_id", uint64(inv.i.ID())))
		if inv.req != nil {
			inv.req.CorrelationID, inv.req.Log = inv.ref, inv.log
		}
		if inv.comp != nil {
			inv.comp.CorrelationID, inv.comp.Log = inv.ref, inv.log
		}
		start := time.Now()
		resp, err := next(WithCorrelation(ctx, inv.ref), inv)
		fields := []zap.Field{zap.String("outcome", inv.outcome), zap.Duration("took", time.Since(start))}
		switch inv.outcome {
		case outcomeOK, outcomeUserError:
			inv.log.Debug("interaction handled", fields...)
		default:
			inv.log.Warn("interaction failed", append(fields, zap.Error(err))...)
		}
		return resp, err
	}
}

func (rt *Runtime) withRecovery(next step) step {
	return func(ctx context.Context, inv *invocation) (resp Response, err error) {
		defer func() {
			if p := recover(); p != nil {
				inv.log.Error("handler panicked", zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
				resp, err = Response{}, fmt.Errorf("%w: %v", errPanic, p)
			}
		}()
		return next(ctx, inv)
	}
}

func (rt *Runtime) withMetrics(next step) step {
	return func(ctx context.Context, inv *invocation) (Response, error) {
		start := time.Now()
		resp, err := next(ctx, inv)
		var ue *UserError
		switch {
		case err == nil:
			inv.outcome = outcomeOK
		case errors.As(err, &ue):
			inv.outcome = outcomeUserError
		case errors.Is(err, errPanic):
			inv.outcome = outcomePanic
		case errors.Is(err, context.DeadlineExceeded):
			inv.outcome = outcomeTimeout
		default:
			inv.outcome = outcomeError
		}
		rt.metrics.commandDuration.WithLabelValues(inv.metricName(), inv.outcome).Observe(time.Since(start).Seconds())
		return resp, err
	}
}

func (inv *invocation) metricName() string {
	if inv.kind == kindCommand || inv.kind == kindAutocomplete {
		return inv.name
	}
	return inv.module + ":" + inv.name
}

func (rt *Runtime) withModuleEnabled(next step) step {
	return func(ctx context.Context, inv *invocation) (Response, error) {
		g := guildOf(inv.i)
		if g == 0 || rt.store == nil {
			return next(ctx, inv)
		}
		on, err := rt.store.ModuleEnabled(ctx, uint64(g), inv.module)
		if err != nil {
			return Response{}, fmt.Errorf("bot: module switch: %w", err)
		}
		if !on {
			// Global commands stay visible in Discord even where the
			// module is off: refuse them here.
			return Response{}, userErrorf("The %s module is turned off in this server.", inv.module)
		}
		return next(ctx, inv)
	}
}

func (rt *Runtime) withValidation(next step) step {
	return func(ctx context.Context, inv *invocation) (Response, error) {
		if inv.kind == kindCommand {
			if err := validateOptions(inv.target.options, inv.req.options); err != nil {
				return Response{}, err
			}
		}
		return next(ctx, inv)
	}
}

func (rt *Runtime) withPermissions(next step) step {
	return func(ctx context.Context, inv *invocation) (Response, error) {
		if inv.kind != kindCommand && inv.kind != kindAutocomplete {
			return next(ctx, inv)
		}
		cmd := inv.route.cmd
		if guildOf(inv.i) == 0 {
			if !cmd.AllowDMs {
				return Response{}, userErrorf("/%s works only in a server.", cmd.Name)
			}
			return next(ctx, inv)
		}
		have := inv.req.MemberPermissions
		if !have.Has(discord.PermissionAdministrator) && !have.Has(cmd.Permissions) {
			missing := cmd.Permissions &^ have
			return Response{}, userErrorf("You need the %s permission to use /%s here.", permissionNames(missing), cmd.Name)
		}
		return next(ctx, inv)
	}
}

func (rt *Runtime) withCooldown(next step) step {
	return func(ctx context.Context, inv *invocation) (Response, error) {
		if inv.kind != kindCommand || inv.route.cmd.Cooldown.Every <= 0 {
			return next(ctx, inv)
		}
		cd := inv.route.cmd.Cooldown
		scope := inv.req.User.ID
		switch cd.Per {
		case PerGuild:
			scope = inv.req.GuildID
		case PerChannel:
			scope = inv.req.ChannelID
		}
		key := fmt.Sprintf("%s|%d|%d", inv.name, cd.Per, scope)
		if ok, wait := rt.cooldowns.Allow(key, cd.Every, time.Now()); !ok {
			secs := int(math.Ceil(wait.Seconds()))
			return Response{}, userErrorf("Slow down: try /%s again in %d s.", inv.name, secs)
		}
		return next(ctx, inv)
	}
}

// withAutoDefer defers the reply when the handler has not answered by
// Pipeline.AutoDeferAfter past the interaction's creation time (its
// snowflake time: an interaction replayed after a RESUME may already be
// old), so Discord's 3 s limit is always met. Autocomplete cannot be
// deferred; components defer with type 6 (the message stays as it is).
func (rt *Runtime) withAutoDefer(next step) step {
	return func(ctx context.Context, inv *invocation) (Response, error) {
		if inv.kind == kindAutocomplete {
			return next(ctx, inv)
		}
		wait := time.Until(inv.created.Add(rt.cfg.Pipeline.AutoDeferAfter))
		timer := time.AfterFunc(max(wait, 0), func() { inv.deferReply(ctx) })
		defer timer.Stop()
		return next(ctx, inv)
	}
}

func (rt *Runtime) withTimeout(next step) step {
	return func(ctx context.Context, inv *invocation) (Response, error) {
		ctx, cancel := context.WithTimeout(ctx, rt.cfg.Pipeline.HandlerTimeout)
		defer cancel()
		type result struct {
			resp Response
			err  error
		}
		done := make(chan result, 1)
		go func() {
			// A panic here must reach withRecovery's goroutine: carry it.
			defer func() {
				if p := recover(); p != nil {
					inv.log.Error("handler panicked", zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
					done <- result{err: fmt.Errorf("%w: %v", errPanic, p)}
				}
			}()
			resp, err := next(ctx, inv)
			done <- result{resp, err}
		}()
		select {
		case r := <-done:
			return r.resp, r.err
		case <-ctx.Done():
			return Response{}, fmt.Errorf("bot: handler of %s: %w", inv.name, ctx.Err())
		}
	}
}

// deferReply sends the deferral if nothing has answered yet.
func (inv *invocation) deferReply(ctx context.Context) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if inv.answered {
		return
	}
	resp := discord.InteractionResponse{Type: discord.InteractionResponseTypeDeferredCreateMessage}
	if inv.kind == kindComponent || inv.kind == kindModal {
		resp.Type = discord.InteractionResponseTypeDeferredUpdateMessage
	} else if inv.ephemeral {
		resp.Data = discord.MessageCreate{Flags: discord.MessageFlagEphemeral}
	}
	err := inv.rt.rest.CreateInteractionResponse(inv.i.ID(), inv.i.Token(), resp, rest.WithCtx(context.WithoutCancel(ctx)))
	inv.answered = true
	inv.deferred = err == nil
	if err != nil {
		inv.log.Warn("auto-defer failed", zap.Error(err))
		return
	}
	inv.rt.metrics.deferred.Inc()
}

// answer sends the handler's response, or the error's message, as the
// reply or as the edit of the deferred reply.
func (inv *invocation) answer(ctx context.Context, resp Response, err error) {
	if err != nil {
		resp = inv.errorResponse(err)
		resp.failed = true
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	ctx = context.WithoutCancel(ctx)
	opt := rest.WithCtx(ctx)
	r := inv.rt.rest
	var sendErr error
	switch {
	case resp.isAutocomplete:
		choices := make([]discord.AutocompleteChoice, 0, min(len(resp.autocomplete), 25))
		for _, c := range resp.autocomplete[:min(len(resp.autocomplete), 25)] {
			choices = append(choices, autocompleteChoice(c))
		}
		sendErr = r.CreateInteractionResponse(inv.i.ID(), inv.i.Token(), discord.InteractionResponse{
			Type: discord.InteractionResponseTypeAutocompleteResult, Data: discord.AutocompleteResult{Choices: choices}}, opt)
	case inv.deferred && resp.failed && !inv.ephemeral && inv.kind == kindCommand:
		// A public deferral would make the error public: remove the
		// "thinking…" message and tell only the person.
		_ = r.DeleteInteractionResponse(inv.i.ApplicationID(), inv.i.Token(), opt)
		_, sendErr = r.CreateFollowupMessage(inv.i.ApplicationID(), inv.i.Token(), resp.messageCreate(true), opt)
	case inv.deferred:
		if resp.Modal != nil {
			resp = inv.errorResponse(userErrorf("That took too long to open a form; please try again."))
		}
		if inv.kind == kindComponent && !resp.Update {
			_, sendErr = r.CreateFollowupMessage(inv.i.ApplicationID(), inv.i.Token(), resp.messageCreate(inv.ephemeral || resp.Ephemeral), opt)
		} else {
			_, sendErr = r.UpdateInteractionResponse(inv.i.ApplicationID(), inv.i.Token(), resp.messageUpdate(), opt)
		}
	case inv.answered: // the deferral failed: nothing more can be sent
		return
	case resp.Modal != nil && inv.kind != kindModal:
		sendErr = r.CreateInteractionResponse(inv.i.ID(), inv.i.Token(), discord.InteractionResponse{
			Type: discord.InteractionResponseTypeModal, Data: *resp.Modal}, opt)
	case resp.Update && (inv.kind == kindComponent || inv.kind == kindModal):
		sendErr = r.CreateInteractionResponse(inv.i.ID(), inv.i.Token(), discord.InteractionResponse{
			Type: discord.InteractionResponseTypeUpdateMessage, Data: resp.messageUpdate()}, opt)
	default:
		sendErr = r.CreateInteractionResponse(inv.i.ID(), inv.i.Token(), discord.InteractionResponse{
			Type: discord.InteractionResponseTypeCreateMessage, Data: resp.messageCreate(inv.ephemeral || resp.Ephemeral)}, opt)
	}
	inv.answered = true
	if sendErr != nil {
		inv.log.Warn("reply failed", zap.Error(sendErr))
	}
}

// errorResponse turns an error into what the person sees.
func (inv *invocation) errorResponse(err error) Response {
	if inv.kind == kindAutocomplete { // autocomplete can only answer choices
		return Response{isAutocomplete: true}
	}
	var ue *UserError
	switch {
	case errors.As(err, &ue):
		return Response{Content: ue.Message, Ephemeral: true}
	case errors.Is(err, context.DeadlineExceeded):
		return Response{Content: fmt.Sprintf("That took too long and was stopped (ref %s).", inv.ref), Ephemeral: true}
	}
	return Response{Content: fmt.Sprintf("Something went wrong (ref %s).", inv.ref), Ephemeral: true}
}

func (r Response) messageCreate(ephemeral bool) discord.MessageCreate {
	m := discord.MessageCreate{Content: r.Content, Embeds: r.Embeds, Components: r.Components, Files: r.Files,
		AllowedMentions: pingNobody(r.AllowedMentions)}
	if ephemeral {
		m.Flags = discord.MessageFlagEphemeral
	}
	return m
}

func (r Response) messageUpdate() discord.MessageUpdate {
	content := r.Content
	embeds := r.Embeds
	if embeds == nil {
		embeds = []discord.Embed{}
	}
	comps := r.Components
	if comps == nil {
		comps = []discord.LayoutComponent{}
	}
	return discord.MessageUpdate{Content: &content, Embeds: &embeds, Components: &comps, Files: r.Files,
		AllowedMentions: pingNobody(r.AllowedMentions)}
}

func autocompleteChoice(c Choice) discord.AutocompleteChoice {
	switch v := c.Value.(type) {
	case int:
		return discord.AutocompleteChoiceInt{Name: c.Name, Value: v}
	case int64:
		return discord.AutocompleteChoiceInt{Name: c.Name, Value: int(v)}
	case float64:
		return discord.AutocompleteChoiceFloat{Name: c.Name, Value: v}
	default:
		return discord.AutocompleteChoiceString{Name: c.Name, Value: fmt.Sprint(v)}
	}
}

func guildOf(i discord.Interaction) snowflake.ID {
	if g := i.GuildID(); g != nil {
		return *g
	}
	return 0
}

// permissionNames lists permission bits by Discord's names, sorted.
func permissionNames(p discord.Permissions) string {
	var names []string
	for bit := discord.Permissions(1); bit != 0 && bit <= p; bit <<= 1 {
		if p.Has(bit) {
			name := strings.ToUpper(strings.ReplaceAll(bit.String(), " ", "_"))
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// validateOptions checks the given options against their declaration,
// with messages that name the option, the rule and what is allowed.
func validateOptions(decl []Option, given map[string]json.RawMessage) error {
	for name := range given {
		if !slices.ContainsFunc(decl, func(o Option) bool { return o.Name == name }) {
			return userErrorf("Option %q is not an option of this command.", name)
		}
	}
	for _, o := range decl {
		raw, ok := given[o.Name]
		if !ok {
			if o.Required {
				return userErrorf("Option %q is required.", o.Name)
			}
			continue
		}
		if err := validateOption(o, raw); err != nil {
			return err
		}
	}
	return nil
}

func validateOption(o Option, raw json.RawMessage) error {
	switch o.Type {
	case OptionString:
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return userErrorf("Option %q must be %s.", o.Name, o.Type)
		}
		n := len([]rune(s))
		if n < o.MinLength || (o.MaxLength > 0 && n > o.MaxLength) {
			return userErrorf("Option %q must be %s characters; got %d.", o.Name, lengthRange(o), n)
		}
		return checkChoice(o, s)
	case OptionInteger, OptionNumber:
		var f float64
		if json.Unmarshal(raw, &f) != nil || (o.Type == OptionInteger && f != math.Trunc(f)) {
			return userErrorf("Option %q must be a %s.", o.Name, o.Type)
		}
		if (o.MinValue != nil && f < *o.MinValue) || (o.MaxValue != nil && f > *o.MaxValue) {
			return userErrorf("Option %q must be %s; got %v.", o.Name, valueRange(o), f)
		}
		return checkChoice(o, f)
	case OptionBoolean:
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			return userErrorf("Option %q must be true or false.", o.Name)
		}
	default:
		var id snowflake.ID
		if json.Unmarshal(raw, &id) != nil {
			return userErrorf("Option %q must be a %s.", o.Name, o.Type)
		}
	}
	return nil
}

func checkChoice(o Option, v any) error {
	if len(o.Choices) == 0 {
		return nil
	}
	var names []string
	for _, c := range o.Choices {
		if fmt.Sprint(c.Value) == fmt.Sprint(v) {
			return nil
		}
		names = append(names, c.Name)
	}
	return userErrorf("Option %q must be one of %s; got %v.", o.Name, strings.Join(names, ", "), v)
}

func lengthRange(o Option) string {
	switch {
	case o.MaxLength > 0 && o.MinLength > 0:
		return fmt.Sprintf("%d to %d", o.MinLength, o.MaxLength)
	case o.MaxLength > 0:
		return fmt.Sprintf("at most %d", o.MaxLength)
	}
	return fmt.Sprintf("at least %d", o.MinLength)
}

func valueRange(o Option) string {
	switch {
	case o.MinValue != nil && o.MaxValue != nil:
		return fmt.Sprintf("between %v and %v", *o.MinValue, *o.MaxValue)
	case o.MinValue != nil:
		return fmt.Sprintf("at least %v", *o.MinValue)
	}
	return fmt.Sprintf("at most %v", *o.MaxValue)
}
