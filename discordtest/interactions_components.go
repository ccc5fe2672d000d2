package discordtest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Component types.
const (
	componentActionRow   = 1
	componentButton      = 2
	componentStringSel   = 3
	componentTextInput   = 4
	componentUserSel     = 5
	componentRoleSel     = 6
	componentMentionSel  = 7
	componentChannelSel  = 8
	componentSection     = 9
	componentTextDisplay = 10
	componentContainer   = 17
	componentLabel       = 18
)

// Button styles that send no interaction.
const (
	buttonLink    = 5
	buttonPremium = 6
)

// component is the part of a message or modal component the emulator
// reads.
type component struct {
	Type         int            `json:"type"`
	ID           int            `json:"id"`
	CustomID     string         `json:"custom_id"`
	Style        int            `json:"style"`
	Label        *string        `json:"label"`
	Description  *string        `json:"description"`
	Disabled     bool           `json:"disabled"`
	Options      []selectOption `json:"options"`
	MinValues    *int           `json:"min_values"`
	MaxValues    *int           `json:"max_values"`
	ChannelTypes []int          `json:"channel_types"`
	Required     *bool          `json:"required"`
	MinLength    *int           `json:"min_length"`
	MaxLength    *int           `json:"max_length"`
	Value        *string        `json:"value"`
	Placeholder  *string        `json:"placeholder"`
	Content      *string        `json:"content"`
	Components   []*component   `json:"components"`
	Accessory    *component     `json:"accessory"`
	Component    *component     `json:"component"`
}

type selectOption struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// children returns the components nested in c.
func (c *component) children() []*component {
	out := slices.Clone(c.Components)
	if c.Accessory != nil {
		out = append(out, c.Accessory)
	}
	if c.Component != nil {
		out = append(out, c.Component)
	}
	return out
}

// parseComponents reads top-level components and gives every component
// without an id the next free one in depth-first order, as Discord does.
func parseComponents(raw []json.RawMessage) ([]*component, error) {
	var top []*component
	for _, r := range raw {
		var c component
		if err := json.Unmarshal(r, &c); err != nil {
			return nil, err
		}
		top = append(top, &c)
	}
	used := map[int]bool{}
	var walk func([]*component, func(*component))
	walk = func(cs []*component, f func(*component)) {
		for _, c := range cs {
			f(c)
			walk(c.children(), f)
		}
	}
	walk(top, func(c *component) { used[c.ID] = true })
	next := 1
	walk(top, func(c *component) {
		if c.ID != 0 {
			return
		}
		for used[next] {
			next++
		}
		c.ID = next
		used[next] = true
	})
	return top, nil
}

// findComponent finds the interactive component with customID anywhere in
// a component tree.
func findComponent(cs []*component, customID string) *component {
	for _, c := range cs {
		if c.CustomID == customID && c.Type != componentActionRow && c.Type != componentLabel {
			return c
		}
		if f := findComponent(c.children(), customID); f != nil {
			return f
		}
	}
	return nil
}

// personMessage finds a message a member sees in a channel: a stored
// one, or an ephemeral one addressed to the member. Callers hold s.mu.
func (s *Server) personMessage(ch *Channel, m *Member, id Snowflake) *Message {
	if msg := s.world.messages[id]; msg != nil && msg.ChannelID == ch.ID {
		return msg
	}
	for _, p := range s.interactions {
		if p.userID != m.User.ID || p.channelID != ch.ID {
			continue
		}
		for _, msg := range append([]*Message{p.original}, p.followups...) {
			if msg != nil && msg.ID == id && msg.Flags&flagEphemeral != 0 && !msg.Deleted {
				return msg
			}
		}
	}
	return nil
}

// useComponent checks that a member can use the component with customID
// on a message of the application, and starts the component interaction.
// Callers hold s.mu.
func (s *Server) useComponent(guild, channel, member, message Snowflake, customID string) (*pendingInteraction, *component, *Guild, *Channel, *Member, error) {
	g, ch, m, err := s.personPlace(guild, channel, member, 0)
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	msg := s.personMessage(ch, m, message)
	if msg == nil {
		return nil, nil, nil, nil, nil, fmt.Errorf("discordtest: %s sees no message %s in #%s", m.User.Username, message, ch.Name)
	}
	if msg.Author.ID != s.world.bot.ID {
		return nil, nil, nil, nil, nil, fmt.Errorf("%w: message %s is not the application's", ErrUnknownComponent, message)
	}
	comps, err := parseComponents(msg.Components)
	if err != nil {
		return nil, nil, nil, nil, nil, fmt.Errorf("%w: message %s has unreadable components: %v", ErrUnknownComponent, message, err)
	}
	c := findComponent(comps, customID)
	if c == nil {
		return nil, nil, nil, nil, nil, fmt.Errorf("%w %q on message %s", ErrUnknownComponent, customID, message)
	}
	if c.Disabled {
		return nil, nil, nil, nil, nil, fmt.Errorf("%w: %q on message %s", ErrComponentDisabled, customID, message)
	}
	p := s.newPending(interactionComponent, g, ch, m)
	p.message, p.msgType = msg, messageTypeReply
	p.meta.InteractedMessageID = msg.ID
	return p, c, g, ch, m, nil
}

// ClickButton clicks the button with customID on a message, as a member
// in a guild channel. The message must be the application's and carry an
// enabled button with that custom_id (link and premium buttons send
// nothing, so they do not count). The Reply is waited for as in
// RunCommand.
func (s *Server) ClickButton(guild, channel, member, message Snowflake, customID string) (Reply, error) {
	s.mu.Lock()
	p, c, g, ch, m, err := s.useComponent(guild, channel, member, message, customID)
	if err == nil && (c.Type != componentButton || c.Style == buttonLink || c.Style == buttonPremium) {
		err = fmt.Errorf("%w: %q on message %s is not a button that sends interactions", ErrUnknownComponent, customID, message)
	}
	if err != nil {
		s.mu.Unlock()
		return Reply{}, err
	}
	payload := s.interactionBase(p, g, ch, m)
	payload["data"] = map[string]any{"custom_id": c.CustomID, "component_type": componentButton, "id": c.ID}
	payload["message"] = s.interactionMessage(p.message)
	s.dispatch(p, payload)
	s.mu.Unlock()
	return s.await(p.id), nil
}

// SelectMenu picks values in the select menu with customID on a message.
// For a string select the values are option values; for user, role,
// mentionable and channel selects they are written as in RunCommand
// (@name, <@id>, #name, an ID). Their count must lie within the menu's
// min_values and max_values (default 1), without repeats.
func (s *Server) SelectMenu(guild, channel, member, message Snowflake, customID string, values []string) (Reply, error) {
	s.mu.Lock()
	p, c, g, ch, m, err := s.useComponent(guild, channel, member, message, customID)
	if err != nil {
		s.mu.Unlock()
		return Reply{}, err
	}
	data, err := s.selection(c, g, ch, m, values)
	if err != nil {
		s.mu.Unlock()
		return Reply{}, err
	}
	payload := s.interactionBase(p, g, ch, m)
	payload["data"] = data
	payload["message"] = s.interactionMessage(p.message)
	s.dispatch(p, payload)
	s.mu.Unlock()
	return s.await(p.id), nil
}

// selection checks picked values against a select menu and returns the
// interaction data.
func (s *Server) selection(c *component, g *Guild, ch *Channel, m *Member, values []string) (map[string]any, error) {
	lo, hi := 1, 1
	if c.MinValues != nil {
		lo = *c.MinValues
	}
	if c.MaxValues != nil {
		hi = *c.MaxValues
	}
	if len(values) < lo || len(values) > hi {
		return nil, fmt.Errorf("%w: %d values for %q, want %d to %d", ErrBadSelection, len(values), c.CustomID, lo, hi)
	}
	for i, v := range values {
		if slices.Contains(values[:i], v) {
			return nil, fmt.Errorf("%w: %q picked twice", ErrBadSelection, v)
		}
	}
	data := map[string]any{"custom_id": c.CustomID, "component_type": c.Type, "id": c.ID}
	var res resolved
	ids := []string{}
	inv := &invocation{g: g, ch: ch, m: m}
	switch c.Type {
	case componentStringSel:
		for _, v := range values {
			if !slices.ContainsFunc(c.Options, func(o selectOption) bool { return o.Value == v }) {
				return nil, fmt.Errorf("%w: %q is not an option of %q", ErrBadSelection, v, c.CustomID)
			}
		}
		data["values"] = slices.Clone(values)
		return data, nil
	case componentUserSel, componentRoleSel, componentMentionSel, componentChannelSel:
		kind := map[int]int{componentUserSel: optUser, componentRoleSel: optRole, componentMentionSel: optMentionable, componentChannelSel: optChannel}[c.Type]
		o := &cmdOption{Type: kind, ChannelTypes: c.ChannelTypes}
		for _, v := range values {
			id, err := s.optionValue(inv, o, v)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrBadSelection, err)
			}
			ids = append(ids, id.(Snowflake).String())
		}
		res = inv.resolved
	default:
		return nil, fmt.Errorf("%w: %q is not a select menu", ErrUnknownComponent, c.CustomID)
	}
	data["values"] = ids
	if r := res.json(); r != nil {
		data["resolved"] = r
	}
	return data, nil
}

// validateModal checks the data of a type-9 callback: custom_id 1-100
// characters, title 1-45, 1 to 5 components, each a text display, an
// action row holding one text input (deprecated but accepted), or a label
// around an input; custom ids unique.
func validateModal(raw json.RawMessage) (*Modal, *apiError) {
	var d struct {
		CustomID   *string           `json:"custom_id"`
		Title      *string           `json:"title"`
		Components []json.RawMessage `json:"components"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &d) != nil {
		return nil, invalidForm("data", "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
	}
	switch {
	case d.CustomID == nil:
		return nil, invalidForm("data.custom_id", "BASE_TYPE_REQUIRED", "This field is required")
	case utf8.RuneCountInString(*d.CustomID) < 1 || utf8.RuneCountInString(*d.CustomID) > 100:
		return nil, invalidForm("data.custom_id", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
	case d.Title == nil:
		return nil, invalidForm("data.title", "BASE_TYPE_REQUIRED", "This field is required")
	case utf8.RuneCountInString(*d.Title) < 1 || utf8.RuneCountInString(*d.Title) > 45:
		return nil, invalidForm("data.title", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 45 in length.")
	case len(d.Components) < 1 || len(d.Components) > 5:
		return nil, invalidForm("data.components", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
	}
	comps, err := parseComponents(d.Components)
	if err != nil {
		return nil, invalidForm("data.components", "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
	}
	seen := map[string]bool{}
	for i, c := range comps {
		path := fmt.Sprintf("data.components.%d", i)
		var input *component
		switch c.Type {
		case componentTextDisplay:
			if c.Content == nil || *c.Content == "" {
				return nil, invalidForm(path+".content", "BASE_TYPE_REQUIRED", "This field is required")
			}
			continue
		case componentActionRow:
			if len(c.Components) != 1 || c.Components[0].Type != componentTextInput {
				return nil, invalidForm(path+".components", "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "An action row in a modal holds exactly one text input")
			}
			input, path = c.Components[0], path+".components.0"
			if input.Label == nil || *input.Label == "" || utf8.RuneCountInString(*input.Label) > 45 {
				return nil, invalidForm(path+".label", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 45 in length.")
			}
		case componentLabel:
			if c.Label == nil || *c.Label == "" || utf8.RuneCountInString(*c.Label) > 45 {
				return nil, invalidForm(path+".label", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 45 in length.")
			}
			if c.Description != nil && utf8.RuneCountInString(*c.Description) > 100 {
				return nil, invalidForm(path+".description", "BASE_TYPE_BAD_LENGTH", "Must be between 0 and 100 in length.")
			}
			if c.Component == nil {
				return nil, invalidForm(path+".component", "BASE_TYPE_REQUIRED", "This field is required")
			}
			input, path = c.Component, path+".component"
			switch input.Type {
			case componentTextInput, componentStringSel, componentUserSel, componentRoleSel, componentMentionSel, componentChannelSel, 19, 21, 22, 23:
			default:
				return nil, invalidForm(path+".type", "UNION_TYPE_CHOICES", "Value of field \"type\" must be one of the label's child component types.")
			}
			if input.Disabled {
				return nil, invalidForm(path+".disabled", "COMPONENT_DISABLED_IN_MODAL", "Components in a modal cannot be disabled")
			}
		default:
			return nil, invalidForm(path+".type", "UNION_TYPE_CHOICES", "Value of field \"type\" must be one of (1, 10, 18).")
		}
		if n := utf8.RuneCountInString(input.CustomID); n < 1 || n > 100 {
			return nil, invalidForm(path+".custom_id", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
		}
		if seen[input.CustomID] {
			return nil, invalidForm(path+".custom_id", "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated")
		}
		seen[input.CustomID] = true
		if input.Type == componentTextInput {
			if err := validateTextInput(input, path); err != nil {
				return nil, err
			}
		}
	}
	return &Modal{CustomID: *d.CustomID, Title: *d.Title, Components: slices.Clone(d.Components)}, nil
}

func validateTextInput(c *component, path string) *apiError {
	if c.Style != 1 && c.Style != 2 {
		return invalidForm(path+".style", "BASE_TYPE_CHOICES", "Value must be one of {1, 2}.")
	}
	if c.MinLength != nil && (*c.MinLength < 0 || *c.MinLength > 4000) {
		return invalidForm(path+".min_length", "NUMBER_TYPE_MAX", "int value should be between 0 and 4000.")
	}
	if c.MaxLength != nil && (*c.MaxLength < 1 || *c.MaxLength > 4000) {
		return invalidForm(path+".max_length", "NUMBER_TYPE_MAX", "int value should be between 1 and 4000.")
	}
	if c.MinLength != nil && c.MaxLength != nil && *c.MinLength > *c.MaxLength {
		return invalidForm(path+".min_length", "BASE_TYPE_BAD_LENGTH", "min_length must be less than or equal to max_length")
	}
	if c.Value != nil && utf8.RuneCountInString(*c.Value) > 4000 {
		return invalidForm(path+".value", "BASE_TYPE_BAD_LENGTH", "Must be between 0 and 4000 in length.")
	}
	if c.Placeholder != nil && utf8.RuneCountInString(*c.Placeholder) > 100 {
		return invalidForm(path+".placeholder", "BASE_TYPE_BAD_LENGTH", "Must be between 0 and 100 in length.")
	}
	return nil
}

// SubmitModal fills in and submits a modal the bot opened for this member
// (modal is the Reply that carried it). values maps each input's
// custom_id to what the member typed; a string select inside a label
// takes its picked option values separated by commas. Inputs left out
// are submitted empty. Required inputs, min_length and max_length are
// enforced as the client does; a modal is submitted at most once.
func (s *Server) SubmitModal(guild, channel, member Snowflake, modal Reply, values map[string]string) (Reply, error) {
	if modal.Modal == nil {
		return Reply{}, fmt.Errorf("%w: the reply carries no modal", ErrBadModalInput)
	}
	s.mu.Lock()
	src := s.interactions[modal.InteractionID]
	if src == nil || src.callback != callbackModal || src.modal == nil || src.modal.CustomID != modal.Modal.CustomID {
		s.mu.Unlock()
		return Reply{}, fmt.Errorf("%w: interaction %s opened no such modal", ErrBadModalInput, modal.InteractionID)
	}
	if src.userID != member || src.guildID != guild || src.channelID != channel {
		s.mu.Unlock()
		return Reply{}, fmt.Errorf("%w: the modal was shown to %s in channel %s", ErrBadModalInput, src.userID, src.channelID)
	}
	if src.modalUsed {
		s.mu.Unlock()
		return Reply{}, fmt.Errorf("%w: the modal was already submitted", ErrBadModalInput)
	}
	g, ch, m, err := s.personPlace(guild, channel, member, 0)
	if err != nil {
		s.mu.Unlock()
		return Reply{}, err
	}
	comps, err := parseComponents(src.modal.Components)
	if err != nil {
		s.mu.Unlock()
		return Reply{}, fmt.Errorf("%w: %v", ErrBadModalInput, err)
	}
	submitted, err := modalAnswers(comps, values)
	if err != nil {
		s.mu.Unlock()
		return Reply{}, err
	}
	src.modalUsed = true
	p := s.newPending(interactionModalSubmit, g, ch, m)
	p.source, p.message = src, src.message
	p.meta.Triggering = src.meta
	if p.message != nil {
		p.msgType = messageTypeReply
	}
	payload := s.interactionBase(p, g, ch, m)
	payload["data"] = map[string]any{"custom_id": src.modal.CustomID, "components": submitted}
	if p.message != nil {
		payload["message"] = s.interactionMessage(p.message)
	}
	s.dispatch(p, payload)
	s.mu.Unlock()
	return s.await(p.id), nil
}

// modalAnswers checks what a person typed into a modal and renders the
// submitted components as Discord sends them.
func modalAnswers(comps []*component, values map[string]string) ([]map[string]any, error) {
	known := map[string]bool{}
	var out []map[string]any
	for _, c := range comps {
		switch c.Type {
		case componentTextDisplay:
			out = append(out, map[string]any{"type": c.Type, "id": c.ID})
			continue
		case componentActionRow:
			in := c.Components[0]
			known[in.CustomID] = true
			v, err := textAnswer(in, values[in.CustomID])
			if err != nil {
				return nil, err
			}
			out = append(out, map[string]any{"type": c.Type, "id": c.ID, "components": []any{v}})
		case componentLabel:
			in := c.Component
			known[in.CustomID] = true
			var v map[string]any
			var err error
			switch in.Type {
			case componentTextInput:
				v, err = textAnswer(in, values[in.CustomID])
			case componentStringSel:
				v, err = selectAnswer(in, values[in.CustomID])
			default:
				err = fmt.Errorf("%w: SubmitModal fills text inputs and string selects; %q has type %d", ErrBadModalInput, in.CustomID, in.Type)
			}
			if err != nil {
				return nil, err
			}
			out = append(out, map[string]any{"type": c.Type, "id": c.ID, "component": v})
		}
	}
	for k := range values {
		if !known[k] {
			return nil, fmt.Errorf("%w: the modal has no input %q", ErrBadModalInput, k)
		}
	}
	return out, nil
}

func textAnswer(c *component, v string) (map[string]any, error) {
	n := utf8.RuneCountInString(v)
	required := c.Required == nil || *c.Required
	switch {
	case n == 0 && required:
		return nil, fmt.Errorf("%w: %q is required", ErrBadModalInput, c.CustomID)
	case n > 0 && c.MinLength != nil && n < *c.MinLength:
		return nil, fmt.Errorf("%w: %q needs at least %d characters; got %d", ErrBadModalInput, c.CustomID, *c.MinLength, n)
	case c.MaxLength != nil && n > *c.MaxLength, n > 4000:
		return nil, fmt.Errorf("%w: %q takes at most %d characters; got %d", ErrBadModalInput, c.CustomID, maxLen(c), n)
	}
	return map[string]any{"type": componentTextInput, "id": c.ID, "custom_id": c.CustomID, "value": v}, nil
}

func maxLen(c *component) int {
	if c.MaxLength != nil {
		return *c.MaxLength
	}
	return 4000
}

func selectAnswer(c *component, v string) (map[string]any, error) {
	picked := []string{}
	if v != "" {
		picked = strings.Split(v, ",")
	}
	required := c.Required == nil || *c.Required
	lo, hi := 1, 1
	if c.MinValues != nil {
		lo = *c.MinValues
	}
	if c.MaxValues != nil {
		hi = *c.MaxValues
	}
	if !required && len(picked) == 0 {
		lo = 0
	}
	if len(picked) < lo || len(picked) > hi {
		return nil, fmt.Errorf("%w: %d values for %q, want %d to %d", ErrBadModalInput, len(picked), c.CustomID, lo, hi)
	}
	for i, p := range picked {
		if !slices.ContainsFunc(c.Options, func(o selectOption) bool { return o.Value == p }) || slices.Contains(picked[:i], p) {
			return nil, fmt.Errorf("%w: %q is not a free option of %q", ErrBadModalInput, p, c.CustomID)
		}
	}
	return map[string]any{"type": componentStringSel, "id": c.ID, "custom_id": c.CustomID, "values": picked}, nil
}
