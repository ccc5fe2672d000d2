package discordtest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Flags a message sent through an interaction may carry (RR "Interaction
// Callback Data Structure"); others are dropped.
const responseFlags = flagSuppressEmbeds | flagEphemeral | flagSuppressNotifications | flagVoiceMessage | flagComponentsV2

// restInteractions serves the interaction callback and the interaction
// webhook routes (contract A.2.24, A.2.26).
func (s *Server) restInteractions() {
	s.handle("POST /interactions/{interaction_id}/{interaction_token}/callback", authNone, s.interactionCallback)
	s.handle("POST /webhooks/{webhook_id}/{webhook_token}", authNone, s.createFollowup)
	s.handle("GET /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", authNone, s.getWebhookMessage)
	s.handle("PATCH /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", authNone, s.editWebhookMessage)
	s.handle("DELETE /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", authNone, s.deleteWebhookMessage)
}

// callbackBody is an interaction response: {type, data}, as JSON or as
// the payload_json of a multipart body with files.
type callbackBody struct {
	Type  *int            `json:"type"`
	Data  json.RawMessage `json:"data"`
	files []Attachment
}

func readCallback(c *call) (callbackBody, *apiError) {
	var b callbackBody
	invalid := &apiError{Status: 400, Code: 50109, Message: "The request body contains invalid JSON."}
	mt, params, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		if len(c.body) == 0 || json.Unmarshal(c.body, &b) != nil {
			return b, invalid
		}
		return b, nil
	}
	mr := multipart.NewReader(strings.NewReader(string(c.body)), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return b, invalidForm("", "MULTIPART_INVALID", err.Error())
		}
		data, _ := io.ReadAll(p)
		switch name := p.FormName(); {
		case name == "payload_json":
			if json.Unmarshal(data, &b) != nil {
				return b, invalid
			}
		case strings.HasPrefix(name, "files["):
			b.files = append(b.files, Attachment{Filename: p.FileName(), Size: len(data), ContentType: p.Header.Get("Content-Type"), Data: data})
		}
	}
	return b, nil
}

// allowedCallbacks are the callback types an interaction accepts (RR
// "Interaction Callback Type"): 6 and 7 only for components (and modals
// opened from one), 8 only for autocomplete, 9 never for a modal submit.
// PONG answers only HTTP pings, so never a gateway interaction.
func (p *pendingInteraction) allowedCallbacks() []int {
	switch p.kind {
	case interactionCommand:
		return []int{callbackMessage, callbackDeferredMessage, callbackModal}
	case interactionComponent:
		return []int{callbackMessage, callbackDeferredMessage, callbackDeferredUpdate, callbackUpdateMessage, callbackModal}
	case interactionAutocomplete:
		return []int{callbackAutocomplete}
	case interactionModalSubmit:
		if p.message != nil {
			return []int{callbackMessage, callbackDeferredMessage, callbackDeferredUpdate, callbackUpdateMessage}
		}
		return []int{callbackMessage, callbackDeferredMessage}
	}
	return nil
}

// interactionCallback answers POST /interactions/{id}/{token}/callback
// (contract A.2.23, A.2.24): an unknown interaction, a wrong token or a
// first response later than the initial deadline is 10062; a second
// response is 40060.
func (s *Server) interactionCallback(c *call) (int, any) {
	body, aerr := readCallback(c)
	if aerr != nil {
		return 0, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := c.id("interaction_id")
	p := s.interactions[id]
	if !ok || p == nil || p.token != c.r.PathValue("interaction_token") {
		return 0, errUnknownInteraction
	}
	if p.responded {
		return 0, errAlreadyAcked
	}
	if c.now.Sub(p.created) > s.opts.initialResponse {
		return 0, errUnknownInteraction
	}
	if body.Type == nil {
		return 0, invalidForm("type", "BASE_TYPE_REQUIRED", "This field is required")
	}
	t := *body.Type
	if !slices.Contains([]int{1, 4, 5, 6, 7, 8, 9, 10, 12}, t) {
		return 0, invalidForm("type", "BASE_TYPE_CHOICES", "Value must be one of {1, 4, 5, 6, 7, 8, 9, 10, 12}.")
	}
	if allowed := p.allowedCallbacks(); !slices.Contains(allowed, t) {
		return 0, invalidForm("type", "INTERACTION_RESPONSE_TYPE_INVALID",
			fmt.Sprintf("Callback type %d is not valid for interaction type %d; want one of %s.", t, p.kind, intList(allowed)))
	}
	if aerr := s.respond(c, p, t, body); aerr != nil {
		return 0, aerr
	}
	p.responded, p.callback, p.after = true, t, time.Since(p.sent)
	if s.opts.answered != nil {
		s.opts.answered(Answer{InteractionID: p.id, Type: t, After: p.after})
	}
	s.notify()
	if c.r.URL.Query().Get("with_response") != "true" {
		return 204, nil
	}
	return 200, s.callbackResponse(p)
}

// respond applies a first response. Callers hold s.mu.
func (s *Server) respond(c *call, p *pendingInteraction, t int, body callbackBody) *apiError {
	switch t {
	case callbackMessage:
		in, aerr := callbackMessageInput(body)
		if aerr != nil {
			return aerr
		}
		if aerr := in.validate(true); aerr != nil {
			return aerr
		}
		p.original = s.interactionResponse(p, &in, flagsOf(&in)&responseFlags, false)
	case callbackDeferredMessage:
		var d struct {
			Flags *int `json:"flags"`
		}
		if len(body.Data) > 0 && !isNull(body.Data) && json.Unmarshal(body.Data, &d) != nil {
			return invalidForm("data", "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
		}
		flags := 0
		if d.Flags != nil {
			flags = *d.Flags
		}
		if flags&^flagEphemeral != 0 { // contract A.2.27
			return invalidForm("data.flags", "INTERACTION_RESPONSE_FLAGS_INVALID", "Only the EPHEMERAL flag (64) may be set on a deferred response.")
		}
		p.original = s.interactionResponse(p, &messageInput{}, flags|flagLoading, false)
		p.loading = true
	case callbackDeferredUpdate:
		if p.message.Deleted {
			return errUnknownMessage
		}
		p.original = p.message
	case callbackUpdateMessage:
		if p.message.Deleted {
			return errUnknownMessage
		}
		in, aerr := callbackMessageInput(body)
		if aerr != nil {
			return aerr
		}
		if aerr := in.validate(false); aerr != nil {
			return aerr
		}
		s.editMessage(p.message, &in, c.now, false)
		p.original = p.message
	case callbackAutocomplete:
		choices, aerr := autocompleteChoices(body.Data, p.focusedType)
		if aerr != nil {
			return aerr
		}
		p.choices = choices
	case callbackModal:
		m, aerr := validateModal(body.Data)
		if aerr != nil {
			return aerr
		}
		p.modal = m
	}
	return nil
}

// callbackMessageInput decodes the message of a type 4 or 7 response.
func callbackMessageInput(body callbackBody) (messageInput, *apiError) {
	var in messageInput
	if len(body.Data) > 0 && !isNull(body.Data) {
		if err := json.Unmarshal(body.Data, &in); err != nil {
			return in, invalidForm("data", "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
		}
	}
	in.files = body.files
	return in, nil
}

func flagsOf(in *messageInput) int {
	if in.Flags == nil {
		return 0
	}
	return *in.Flags
}

// interactionResponse creates a message answering p: the first response,
// a followup (followup true), or a deferral's loading message. An
// ephemeral one lives only in the interaction; any other is stored in the
// channel and dispatched, authored by the bot through the application's
// webhook. Callers hold s.mu.
func (s *Server) interactionResponse(p *pendingInteraction, in *messageInput, flags int, followup bool) *Message {
	w := s.world
	meta := *p.meta
	if followup && p.original != nil && p.callback != callbackDeferredUpdate && p.callback != callbackUpdateMessage {
		meta.OriginalResponseMessageID = p.original.ID
	}
	m := &Message{ID: w.newID(), ChannelID: p.channelID, GuildID: p.guildID, Author: w.bot, Type: p.msgType,
		Flags: flags, WebhookID: w.appID, ApplicationID: w.appID, InteractionID: p.id, Interaction: &meta}
	if p.msgType == messageTypeReply && p.message != nil {
		m.ReferenceID = p.message.ID
	}
	w.applyInput(m, in)
	w.applyMentions(m, in.AllowedMentions, s.botMayMentionEveryone(p))
	if flags&flagEphemeral == 0 {
		w.addMessage(m)
		s.emitMessage("MESSAGE_CREATE", m)
	}
	return m
}

func (s *Server) botMayMentionEveryone(p *pendingInteraction) bool {
	g := s.world.guild(p.guildID)
	ch := s.world.channels[p.channelID]
	if g == nil || ch == nil || s.world.botMember(g) == nil {
		return false
	}
	return g.permissions(s.world.botMember(g), ch, s.world.now)&PermMentionEveryone != 0
}

// editMessage applies an edit to a message answering an interaction, or
// to the message of a used component. A deferral's loading message stops
// loading. Stored messages dispatch MESSAGE_UPDATE. Callers hold s.mu.
func (s *Server) editMessage(m *Message, in *messageInput, now time.Time, first bool) {
	w := s.world
	w.applyInput(m, in)
	if in.Flags != nil {
		m.Flags = m.Flags&^(flagSuppressEmbeds) | *in.Flags&flagSuppressEmbeds
	}
	if m.Flags&flagLoading != 0 {
		m.Flags &^= flagLoading
	} else if !first {
		m.EditedAt = now
	}
	var g *Guild
	var ch *Channel
	if m.GuildID != 0 {
		g, ch = w.guild(m.GuildID), w.channels[m.ChannelID]
	}
	canEveryone := g != nil && ch != nil && w.botMember(g) != nil && g.permissions(w.botMember(g), ch, w.now)&PermMentionEveryone != 0
	if in.Content != nil || in.AllowedMentions != nil {
		w.applyMentions(m, in.AllowedMentions, canEveryone)
	}
	if m.Flags&flagEphemeral == 0 && w.messages[m.ID] == m {
		s.emitMessage("MESSAGE_UPDATE", m)
	}
	s.notify()
}

// autocompleteChoices checks a type-8 answer: at most 25 choices, each
// with a 1-100 character name and a value of the focused option's type.
func autocompleteChoices(raw json.RawMessage, typ int) ([]Choice, *apiError) {
	var d struct {
		Choices *[]json.RawMessage `json:"choices"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &d) != nil {
		return nil, invalidForm("data", "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
	}
	if d.Choices == nil {
		return nil, invalidForm("data.choices", "BASE_TYPE_REQUIRED", "This field is required")
	}
	if len(*d.Choices) > 25 {
		return nil, invalidForm("data.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
	}
	out := []Choice{}
	for i, r := range *d.Choices {
		path := fmt.Sprintf("data.choices.%d", i)
		f, aerr := decodeFields(r, path)
		if aerr != nil {
			return nil, aerr
		}
		name, aerr := f.str(path, "name")
		if aerr != nil {
			return nil, aerr
		}
		if name == nil || utf8.RuneCountInString(*name) < 1 || utf8.RuneCountInString(*name) > 100 {
			return nil, invalidForm(path+".name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
		}
		v, aerr := choiceValue(f, path, typ)
		if aerr != nil {
			return nil, aerr
		}
		out = append(out, Choice{Name: *name, Value: v})
	}
	return out, nil
}

// callbackResponse is the body of ?with_response=true (RR "Interaction
// Callback Response Object").
func (s *Server) callbackResponse(p *pendingInteraction) map[string]any {
	inter := map[string]any{"id": p.id, "type": p.kind}
	res := map[string]any{"type": p.callback}
	switch p.callback {
	case callbackMessage, callbackDeferredMessage, callbackUpdateMessage:
		o := p.original
		inter["response_message_id"] = o.ID
		inter["response_message_loading"] = p.loading
		inter["response_message_ephemeral"] = o.Flags&flagEphemeral != 0
		if p.callback != callbackDeferredMessage {
			res["message"] = s.interactionMessage(o)
		}
	}
	return map[string]any{"interaction": inter, "resource": res}
}

// webhookInteraction resolves the interaction behind an interaction
// webhook route: the webhook must be the application (else 10015), the
// token an interaction's and not older than the followup window (else
// 50027, contract A.2.23). Callers hold s.mu.
func (s *Server) webhookInteraction(c *call) (*pendingInteraction, *apiError) {
	raw := c.r.PathValue("webhook_id")
	id, err := parseSnowflake(raw)
	if err != nil {
		return nil, snowflakeError("webhook_id", raw)
	}
	if id != s.world.appID {
		return nil, errUnknownWebhook
	}
	p := s.interactionByToken(c.r.PathValue("webhook_token"))
	if p == nil || c.now.Sub(p.created) > s.opts.followupWindow {
		return nil, errInvalidWebhookTok
	}
	if !p.responded || p.callback == callbackAutocomplete || p.callback == callbackModal {
		// The token's webhook exists once the interaction is answered with
		// something that can have messages.
		return nil, errUnknownWebhook
	}
	return p, nil
}

// webhookTarget resolves {message_id}: @original, or a message sent with
// this token.
func (p *pendingInteraction) webhookTarget(raw string) (*Message, *apiError) {
	if raw == "@original" {
		if p.original == nil || p.original.Deleted {
			return nil, errUnknownMessage
		}
		return p.original, nil
	}
	id, err := parseSnowflake(raw)
	if err != nil {
		return nil, snowflakeError("message_id", raw)
	}
	own := p.callback == callbackMessage || p.callback == callbackDeferredMessage
	if own && p.original != nil && p.original.ID == id && !p.original.Deleted {
		return p.original, nil
	}
	for _, f := range p.followups {
		if f.ID == id && !f.Deleted {
			return f, nil
		}
	}
	return nil, errUnknownMessage
}

// createFollowup answers POST /webhooks/{application}/{token}, where wait
// is always true (contract A.2.26). Right after a type-5 deferral it edits
// the loading message instead, keeping the deferral's ephemeral state
// (contract A.2.27).
func (s *Server) createFollowup(c *call) (int, any) {
	in, aerr := readMessageInput(c)
	if aerr != nil {
		return 0, aerr
	}
	if aerr := in.validate(true); aerr != nil {
		return 0, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, aerr := s.webhookInteraction(c)
	if aerr != nil {
		return 0, aerr
	}
	if p.loading {
		in.Flags = nil
		s.editMessage(p.original, &in, c.now, true)
		p.loading = false
		p.edits++
		return 200, s.interactionMessage(p.original)
	}
	m := s.interactionResponse(p, &in, flagsOf(&in)&responseFlags, true)
	p.followups = append(p.followups, m)
	s.notify()
	return 200, s.interactionMessage(m)
}

func (s *Server) getWebhookMessage(c *call) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, aerr := s.webhookInteraction(c)
	if aerr != nil {
		return 0, aerr
	}
	m, aerr := p.webhookTarget(c.r.PathValue("message_id"))
	if aerr != nil {
		return 0, aerr
	}
	return 200, s.interactionMessage(m)
}

// editWebhookMessage answers PATCH on @original or a followup. Editing a
// loading message gives it its first content, which may not be empty.
func (s *Server) editWebhookMessage(c *call) (int, any) {
	in, aerr := readMessageInput(c)
	if aerr != nil {
		return 0, aerr
	}
	if aerr := in.validate(false); aerr != nil {
		return 0, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, aerr := s.webhookInteraction(c)
	if aerr != nil {
		return 0, aerr
	}
	m, aerr := p.webhookTarget(c.r.PathValue("message_id"))
	if aerr != nil {
		return 0, aerr
	}
	first := m.Flags&flagLoading != 0
	if first && emptyAfter(m, &in) {
		return 0, errEmptyMessage
	}
	s.editMessage(m, &in, c.now, first)
	if m == p.original {
		p.edits++
		p.loading = false
	}
	return 200, s.interactionMessage(m)
}

// emptyAfter reports whether an edit would leave a message with nothing
// to show.
func emptyAfter(m *Message, in *messageInput) bool {
	content, embeds, comps := m.Content, len(m.Embeds), len(m.Components)
	if in.Content != nil {
		content = *in.Content
	}
	if in.Embeds != nil {
		embeds = len(*in.Embeds)
	}
	if in.Components != nil {
		comps = len(*in.Components)
	}
	return content == "" && embeds == 0 && comps == 0 && len(m.Attachments)+len(in.files) == 0
}

func (s *Server) deleteWebhookMessage(c *call) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, aerr := s.webhookInteraction(c)
	if aerr != nil {
		return 0, aerr
	}
	m, aerr := p.webhookTarget(c.r.PathValue("message_id"))
	if aerr != nil {
		return 0, aerr
	}
	if m == p.original {
		p.loading = false
	}
	if s.world.messages[m.ID] == m {
		s.world.deleteMessage(m)
		g := s.world.guild(m.GuildID)
		s.emit(m.GuildID, "MESSAGE_DELETE", messageIntent(g), map[string]any{"id": m.ID, "channel_id": m.ChannelID, "guild_id": optionalID(m.GuildID)})
	} else {
		m.Deleted = true
	}
	s.notify()
	return 204, nil
}
