package discordtest

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Interaction types.
const (
	interactionCommand      = 2
	interactionComponent    = 3
	interactionAutocomplete = 4
	interactionModalSubmit  = 5
)

// Interaction callback types (contract A.2.25).
const (
	callbackPong            = 1
	callbackMessage         = 4
	callbackDeferredMessage = 5
	callbackDeferredUpdate  = 6
	callbackUpdateMessage   = 7
	callbackAutocomplete    = 8
	callbackModal           = 9
)

// Message flags the interaction routes read or set.
const (
	flagSuppressEmbeds        = 1 << 2
	flagLoading               = 1 << 7
	flagSuppressNotifications = 1 << 12
	flagVoiceMessage          = 1 << 13
	flagComponentsV2          = 1 << 15
)

// Message types of interaction responses.
const (
	messageTypeReply     = 19
	messageTypeChatInput = 20
)

// attachmentSizeLimit is attachment_size_limit for a guild without boosts.
const attachmentSizeLimit = 10 << 20

// Reply is what the person who acted sees of the bot's answer to one
// interaction. The message fields (Content, Embeds, Components, Flags,
// Ephemeral, MessageID) show @original as it is now: the response message,
// the loading message of a deferral, or for an UPDATE_MESSAGE or
// DEFERRED_UPDATE_MESSAGE the message whose component was used.
type Reply struct {
	// InteractionID is the interaction the person started.
	InteractionID Snowflake
	// Type is the callback type of the first response (4, 5, 6, 7, 8 or 9);
	// 0 when the bot has not answered.
	Type int
	// Content, Embeds, Components and Flags are those of @original.
	Content    string
	Embeds     []json.RawMessage
	Components []json.RawMessage
	Flags      int
	// Ephemeral is true when only the person sees @original.
	Ephemeral bool
	// MessageID is @original's ID; 0 when there is none (autocomplete, a
	// modal, or once deleted).
	MessageID Snowflake
	// Attachments are @original's files, with their bytes.
	Attachments []Attachment
	// Followups are the followup messages still existing, oldest first;
	// ephemeral ones exist only here.
	Followups []Message
	// Edits counts the edits of @original, the first followup after a
	// deferral included (contract A.2.27).
	Edits int
	// Choices are the suggestions of an autocomplete answer.
	Choices []Choice
	// Modal is the popup the bot opened, for SubmitModal.
	Modal *Modal
	// RespondedAfter is the real time from dispatching the interaction to
	// the bot's first callback.
	RespondedAfter time.Duration
	// Deferred is true when the first response was a deferral (type 5 or 6).
	Deferred bool
	// Loading is true while a type-5 deferral shows "thinking".
	Loading bool
	// Expired is true when no first response came in time: the person
	// sees "This interaction failed".
	Expired bool
}

// Choice is one autocomplete suggestion. Value is a string, an int64 or a
// float64, by the focused option's type.
type Choice struct {
	Name  string
	Value any
}

// Modal is a popup the bot opened with callback type 9.
type Modal struct {
	CustomID   string
	Title      string
	Components []json.RawMessage
}

// InteractionMetadata says which interaction a message answers, as the
// message's interaction_metadata does.
type InteractionMetadata struct {
	ID      Snowflake // the interaction
	Type    int       // 2 command, 3 component, 5 modal submit
	UserID  Snowflake // who acted
	GuildID Snowflake // the guild the application is installed in
	// Name is the command with its subcommands ("admin purge"), for commands.
	Name        string
	CommandType int
	// OriginalResponseMessageID is set on followups.
	OriginalResponseMessageID Snowflake
	// InteractedMessageID is the message whose component was used.
	InteractedMessageID Snowflake
	// Triggering is, for a modal submit, the interaction that opened the modal.
	Triggering *InteractionMetadata
}

type interactionMetadataJSON struct {
	ID                            Snowflake                `json:"id"`
	Type                          int                      `json:"type"`
	User                          userJSON                 `json:"user"`
	AuthorizingIntegrationOwners  map[string]Snowflake     `json:"authorizing_integration_owners"`
	Name                          string                   `json:"name,omitempty"`
	CommandType                   int                      `json:"command_type,omitempty"`
	OriginalResponseMessageID     *Snowflake               `json:"original_response_message_id,omitempty"`
	InteractedMessageID           *Snowflake               `json:"interacted_message_id,omitempty"`
	TriggeringInteractionMetadata *interactionMetadataJSON `json:"triggering_interaction_metadata,omitempty"`
}

// messageInteractionJSON is the deprecated interaction field that
// responses to application commands still carry.
type messageInteractionJSON struct {
	ID   Snowflake `json:"id"`
	Type int       `json:"type"`
	Name string    `json:"name"`
	User userJSON  `json:"user"`
}

// json renders the metadata, and for commands the deprecated interaction
// object too.
func (im *InteractionMetadata) json(w *world) (*interactionMetadataJSON, *messageInteractionJSON) {
	j := im.metaJSON(w)
	if im.Type != interactionCommand {
		return j, nil
	}
	return j, &messageInteractionJSON{ID: im.ID, Type: im.Type, Name: im.Name, User: j.User}
}

func (im *InteractionMetadata) metaJSON(w *world) *interactionMetadataJSON {
	j := &interactionMetadataJSON{ID: im.ID, Type: im.Type, Name: im.Name, CommandType: im.CommandType,
		AuthorizingIntegrationOwners: map[string]Snowflake{"0": im.GuildID}}
	if u := w.users[im.UserID]; u != nil {
		j.User = u.json()
	}
	if im.OriginalResponseMessageID != 0 {
		id := im.OriginalResponseMessageID
		j.OriginalResponseMessageID = &id
	}
	if im.InteractedMessageID != 0 {
		id := im.InteractedMessageID
		j.InteractedMessageID = &id
	}
	if im.Triggering != nil {
		j.TriggeringInteractionMetadata = im.Triggering.metaJSON(w)
	}
	return j
}

// pendingInteraction is one interaction and everything the bot did with
// its token. The Server's mutex guards it.
type pendingInteraction struct {
	id        Snowflake
	token     string
	kind      int // interaction type
	guildID   Snowflake
	channelID Snowflake
	userID    Snowflake
	created   time.Time // on s.clock: the deadlines count from here
	sent      time.Time // real time of dispatch
	meta      *InteractionMetadata
	msgType   int // type of the messages that answer it

	message     *Message            // component interactions: the message whose component was used
	source      *pendingInteraction // modal submits: the interaction that opened the modal
	focusedType int                 // autocomplete: the focused option's type

	responded bool
	callback  int
	after     time.Duration
	original  *Message // @original
	loading   bool     // a type-5 deferral not yet edited
	edits     int
	followups []*Message
	choices   []Choice
	modal     *Modal
	modalUsed bool
}

// settled reports whether a person would stop waiting: the bot answered,
// and a deferral has been followed by content.
func (p *pendingInteraction) settled() bool {
	switch {
	case !p.responded:
		return false
	case p.loading:
		return false
	case p.callback == callbackDeferredUpdate:
		return p.edits > 0 || len(p.followups) > 0
	}
	return true
}

func (p *pendingInteraction) reply() Reply {
	r := Reply{InteractionID: p.id, Type: p.callback, Edits: p.edits, RespondedAfter: p.after,
		Deferred: p.callback == callbackDeferredMessage || p.callback == callbackDeferredUpdate, Loading: p.loading,
		Choices: slices.Clone(p.choices)}
	if p.modal != nil {
		m := *p.modal
		m.Components = slices.Clone(p.modal.Components)
		r.Modal = &m
	}
	if o := p.original; o != nil && !o.Deleted {
		r.MessageID, r.Content, r.Flags = o.ID, o.Content, o.Flags
		r.Embeds, r.Components = slices.Clone(o.Embeds), slices.Clone(o.Components)
		r.Ephemeral = o.Flags&flagEphemeral != 0
		for _, a := range o.Attachments {
			a.Data = slices.Clone(a.Data)
			r.Attachments = append(r.Attachments, a)
		}
	}
	for _, f := range p.followups {
		if !f.Deleted {
			r.Followups = append(r.Followups, copyMessage(f))
		}
	}
	return r
}

// Interaction returns the latest state of an interaction's reply, for a
// test that waits for more followups or edits; ok is false for an unknown
// ID. Expired is true once the first-response deadline passed unanswered.
func (s *Server) Interaction(id Snowflake) (Reply, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.interactions[id]
	if p == nil {
		return Reply{}, false
	}
	r := p.reply()
	r.Expired = !p.responded && s.clock.Now().Sub(p.created) > s.opts.initialResponse
	return r, true
}

// newPending starts an interaction of a kind by member in a channel.
// Callers hold s.mu.
func (s *Server) newPending(kind int, g *Guild, ch *Channel, m *Member) *pendingInteraction {
	p := &pendingInteraction{id: s.world.newID(), kind: kind, guildID: g.ID, channelID: ch.ID, userID: m.User.ID,
		created: s.clock.Now(), msgType: messageTypeChatInput}
	p.token = s.interactionToken(p.id)
	p.meta = &InteractionMetadata{ID: p.id, Type: kind, UserID: m.User.ID, GuildID: g.ID}
	return p
}

// interactionToken makes a token shaped as Discord's: base64 of
// "interaction:<id>:<random>", so the ID can be read back from it.
func (s *Server) interactionToken(id Snowflake) string {
	s.randMu.Lock()
	b := make([]byte, 96)
	for i := range b {
		b[i] = byte(s.rand.Uint32())
	}
	s.randMu.Unlock()
	raw := "interaction:" + id.String() + ":" + base64.RawURLEncoding.EncodeToString(b)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// interactionByToken finds the interaction a token belongs to.
func (s *Server) interactionByToken(token string) *pendingInteraction {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return nil
	}
	rest, ok := strings.CutPrefix(string(raw), "interaction:")
	if !ok {
		return nil
	}
	idText, _, _ := strings.Cut(rest, ":")
	id, err := parseSnowflake(idText)
	if err != nil {
		return nil
	}
	p := s.interactions[id]
	if p == nil || p.token != token {
		return nil
	}
	return p
}

// dispatch stores the interaction and sends INTERACTION_CREATE to the
// guild's shard; no intent gates it. Callers hold s.mu.
func (s *Server) dispatch(p *pendingInteraction, payload map[string]any) {
	s.forgetExpiredInteractions()
	s.interactions[p.id] = p
	s.interactionOrder = append(s.interactionOrder, p.id)
	p.sent = time.Now()
	s.emit(p.guildID, "INTERACTION_CREATE", 0, payload)
}

// forgetExpiredInteractions drops the interactions whose token has
// expired (nothing can answer them any more), oldest first, so a long
// load test does not keep every interaction. Callers hold s.mu.
func (s *Server) forgetExpiredInteractions() {
	now := s.clock.Now()
	n := 0
	for _, id := range s.interactionOrder {
		p := s.interactions[id]
		if p != nil && now.Before(p.created.Add(s.opts.followupWindow)) {
			break
		}
		delete(s.interactions, id)
		n++
	}
	s.interactionOrder = s.interactionOrder[n:]
}

// await waits in real time for the bot's answer to settle, at most
// replyWait, and returns the reply; Expired when no first response came.
func (s *Server) await(id Snowflake) Reply {
	s.WaitFor(s.opts.replyWait, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		p := s.interactions[id]
		return p == nil || p.settled()
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.interactions[id]
	if p == nil { // its token expired while we waited
		return Reply{InteractionID: id, Expired: true}
	}
	r := p.reply()
	r.Expired = !p.responded
	return r
}

// interactionBase is what every interaction carries about where it came
// from and who started it. Callers hold s.mu.
func (s *Server) interactionBase(p *pendingInteraction, g *Guild, ch *Channel, m *Member) map[string]any {
	w := s.world
	perms := g.permissions(m, ch, w.now)
	app := g.permissions(w.botMember(g), ch, w.now)
	member := m.json(true)
	member.Permissions = uitoa(perms)
	return map[string]any{
		"id": p.id, "application_id": w.appID, "type": p.kind, "token": p.token, "version": 1,
		"guild":    map[string]any{"id": g.ID, "locale": "en-US", "features": []string{}},
		"guild_id": g.ID, "channel": s.partialChannel(ch, perms), "channel_id": ch.ID,
		"member": member, "app_permissions": uitoa(app), "locale": "en-US", "guild_locale": "en-US",
		"entitlements": []any{}, "authorizing_integration_owners": map[string]any{"0": g.ID},
		"context": 0, "attachment_size_limit": attachmentSizeLimit,
	}
}

// partialChannel is a channel as interactions carry it, with the
// permissions of the person who acted.
func (s *Server) partialChannel(ch *Channel, perms uint64) map[string]any {
	j := map[string]any{"id": ch.ID, "type": ch.Type, "name": ch.Name, "guild_id": ch.GuildID,
		"position": ch.Position, "nsfw": ch.NSFW, "flags": 0, "permissions": uitoa(perms),
		"rate_limit_per_user": ch.RateLimitPerUser, "parent_id": nil, "last_message_id": nil}
	if ch.ParentID != 0 {
		j["parent_id"] = ch.ParentID
	}
	if ids := s.world.channelMsgs[ch.ID]; len(ids) > 0 {
		j["last_message_id"] = ids[len(ids)-1]
	}
	if ch.Type == ChannelText || ch.Type == ChannelAnnouncement {
		j["topic"] = nil
		if ch.Topic != "" {
			j["topic"] = ch.Topic
		}
	}
	return j
}

// resolved collects the users, members, roles and channels an
// interaction's values refer to.
type resolved struct {
	users    map[string]userJSON
	members  map[string]map[string]any
	roles    map[string]roleJSON
	channels map[string]map[string]any
}

func (r *resolved) addUser(s *Server, g *Guild, ch *Channel, u *User) {
	if r.users == nil {
		r.users = map[string]userJSON{}
	}
	r.users[u.ID.String()] = u.json()
	mem := g.Members[u.ID]
	if mem == nil {
		return
	}
	// A resolved member is partial: no user, deaf or mute, and it carries
	// its permissions in the channel.
	b, _ := json.Marshal(mem.json(false))
	var j map[string]any
	_ = json.Unmarshal(b, &j)
	delete(j, "deaf")
	delete(j, "mute")
	j["permissions"] = uitoa(g.permissions(mem, ch, s.world.now))
	if r.members == nil {
		r.members = map[string]map[string]any{}
	}
	r.members[u.ID.String()] = j
}

func (r *resolved) addRole(role *Role) {
	if r.roles == nil {
		r.roles = map[string]roleJSON{}
	}
	r.roles[role.ID.String()] = role.json()
}

func (r *resolved) addChannel(s *Server, g *Guild, m *Member, c *Channel) {
	if r.channels == nil {
		r.channels = map[string]map[string]any{}
	}
	r.channels[c.ID.String()] = s.partialChannel(c, g.permissions(m, c, s.world.now))
}

// json renders the resolved data; nil when empty.
func (r *resolved) json() map[string]any {
	j := map[string]any{}
	if len(r.users) > 0 {
		j["users"] = r.users
	}
	if len(r.members) > 0 {
		j["members"] = r.members
	}
	if len(r.roles) > 0 {
		j["roles"] = r.roles
	}
	if len(r.channels) > 0 {
		j["channels"] = r.channels
	}
	if len(j) == 0 {
		return nil
	}
	return j
}

// interactionMessage renders a message as interactions and webhook
// routes return it.
func (s *Server) interactionMessage(m *Message) messageJSON { return m.json(s.world, false) }
