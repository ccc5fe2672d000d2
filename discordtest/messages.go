package discordtest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// messageInput is the body of a message create or edit, from a channel,
// a webhook or an interaction response.
type messageInput struct {
	Content          *string            `json:"content"`
	Embeds           *[]json.RawMessage `json:"embeds"`
	Components       *[]json.RawMessage `json:"components"`
	Flags            *int               `json:"flags"`
	TTS              bool               `json:"tts"`
	AllowedMentions  *allowedMentions   `json:"allowed_mentions"`
	MessageReference *struct {
		MessageID Snowflake `json:"message_id"`
	} `json:"message_reference"`
	files []Attachment
}

type allowedMentions struct {
	Parse       []string    `json:"parse"`
	Users       []Snowflake `json:"users"`
	Roles       []Snowflake `json:"roles"`
	RepliedUser bool        `json:"replied_user"`
}

// readMessageInput decodes a message body: JSON, or multipart/form-data
// with payload_json and files[n] parts.
func readMessageInput(c *call) (messageInput, *apiError) {
	var in messageInput
	mt, params, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return in, c.decode(&in)
	}
	mr := multipart.NewReader(strings.NewReader(string(c.body)), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return in, &apiError{Status: 400, Code: 50035, Message: "Invalid Form Body", Errors: map[string]any{"_errors": []map[string]string{{"code": "MULTIPART_INVALID", "message": err.Error()}}}}
		}
		data, _ := io.ReadAll(p)
		switch name := p.FormName(); {
		case name == "payload_json":
			if err := json.Unmarshal(data, &in); err != nil {
				return in, &apiError{Status: 400, Code: 50109, Message: "The request body contains invalid JSON."}
			}
		case strings.HasPrefix(name, "files["):
			ct := p.Header.Get("Content-Type")
			in.files = append(in.files, Attachment{Filename: p.FileName(), Size: len(data), ContentType: ct, Data: data})
		}
	}
	return in, nil
}

// validate checks a message body as Discord does. creating says the
// message must end up with something to show.
func (in *messageInput) validate(creating bool) *apiError {
	if in.Content != nil && utf8.RuneCountInString(*in.Content) > 2000 {
		return formError("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
	}
	if in.Embeds != nil {
		if len(*in.Embeds) > 10 {
			return formError("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
		}
		total := 0
		for i, raw := range *in.Embeds {
			n, err := validateEmbed(fmt.Sprintf("embeds.%d", i), raw)
			if err != nil {
				return err
			}
			total += n
		}
		if total > 6000 {
			return formError("embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
		}
	}
	if in.Components != nil && len(*in.Components) > 5 {
		return formError("components", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
	}
	if am := in.AllowedMentions; am != nil {
		for _, p := range am.Parse {
			if p != "users" && p != "roles" && p != "everyone" {
				return formError("allowed_mentions.parse", "BASE_TYPE_CHOICES", fmt.Sprintf("Value must be one of {'users', 'roles', 'everyone'}; got %q.", p))
			}
		}
		if slices.Contains(am.Parse, "users") && len(am.Users) > 0 {
			return formError("allowed_mentions", "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE", `parse:["users"] and users: [ids...] are mutually exclusive.`)
		}
		if slices.Contains(am.Parse, "roles") && len(am.Roles) > 0 {
			return formError("allowed_mentions", "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE", `parse:["roles"] and roles: [ids...] are mutually exclusive.`)
		}
	}
	if creating && (in.Content == nil || *in.Content == "") && (in.Embeds == nil || len(*in.Embeds) == 0) &&
		(in.Components == nil || len(*in.Components) == 0) && len(in.files) == 0 {
		return errEmptyMessage
	}
	return nil
}

// embed is the part of an embed whose limits Discord checks.
type embed struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	Fields      []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"fields"`
	Footer *struct {
		Text string `json:"text"`
	} `json:"footer"`
	Author *struct {
		Name string `json:"name"`
	} `json:"author"`
}

// validateEmbed checks one embed's limits and returns its size in
// characters toward the 6000 total.
func validateEmbed(path string, raw json.RawMessage) (int, *apiError) {
	var e embed
	if err := json.Unmarshal(raw, &e); err != nil {
		return 0, formError(path, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
	}
	n := utf8.RuneCountInString
	checks := []struct {
		field string
		value string
		max   int
	}{{"title", e.Title, 256}, {"description", e.Description, 4096}}
	if e.Footer != nil {
		checks = append(checks, struct {
			field string
			value string
			max   int
		}{"footer.text", e.Footer.Text, 2048})
	}
	if e.Author != nil {
		checks = append(checks, struct {
			field string
			value string
			max   int
		}{"author.name", e.Author.Name, 256})
	}
	size := 0
	for _, ch := range checks {
		if n(ch.value) > ch.max {
			return 0, formError(path+"."+ch.field, "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", ch.max))
		}
		size += n(ch.value)
	}
	if len(e.Fields) > 25 {
		return 0, formError(path+".fields", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
	}
	for i, f := range e.Fields {
		fp := fmt.Sprintf("%s.fields.%d", path, i)
		switch {
		case f.Name == "":
			return 0, formError(fp+".name", "BASE_TYPE_REQUIRED", "This field is required")
		case n(f.Name) > 256:
			return 0, formError(fp+".name", "BASE_TYPE_MAX_LENGTH", "Must be 256 or fewer in length.")
		case f.Value == "":
			return 0, formError(fp+".value", "BASE_TYPE_REQUIRED", "This field is required")
		case n(f.Value) > 1024:
			return 0, formError(fp+".value", "BASE_TYPE_MAX_LENGTH", "Must be 1024 or fewer in length.")
		}
		size += n(f.Name) + n(f.Value)
	}
	return size, nil
}

var (
	userMention = regexp.MustCompile(`<@!?(\d+)>`)
	roleMention = regexp.MustCompile(`<@&(\d+)>`)
)

// applyMentions fills a message's mentions from its content, and Pinged
// with who allowed_mentions lets it notify (everyone needs
// MENTION_EVERYONE). Without allowed_mentions every parsed mention pings.
func (w *world) applyMentions(m *Message, am *allowedMentions, canEveryone bool) {
	m.Mentions, m.MentionRoles, m.Pinged, m.MentionEveryone = nil, nil, nil, false
	allow := func(kind string, id Snowflake, list []Snowflake) bool {
		if am == nil {
			return true
		}
		return slices.Contains(am.Parse, kind) || slices.Contains(list, id)
	}
	for _, sm := range userMention.FindAllStringSubmatch(m.Content, -1) {
		id, err := parseSnowflake(sm[1])
		if err != nil || w.users[id] == nil || slices.Contains(m.Mentions, id) {
			continue
		}
		m.Mentions = append(m.Mentions, id)
		if allow("users", id, amUsers(am)) {
			m.Pinged = append(m.Pinged, id)
		}
	}
	if g := w.guild(m.GuildID); g != nil {
		for _, sm := range roleMention.FindAllStringSubmatch(m.Content, -1) {
			id, err := parseSnowflake(sm[1])
			if err != nil || g.role(id) == nil || slices.Contains(m.MentionRoles, id) {
				continue
			}
			m.MentionRoles = append(m.MentionRoles, id)
			if allow("roles", id, amRoles(am)) {
				for _, mem := range g.members() {
					if mem.hasRole(id) && !slices.Contains(m.Pinged, mem.User.ID) {
						m.Pinged = append(m.Pinged, mem.User.ID)
					}
				}
			}
		}
		if (strings.Contains(m.Content, "@everyone") || strings.Contains(m.Content, "@here")) && canEveryone &&
			(am == nil || slices.Contains(am.Parse, "everyone")) {
			m.MentionEveryone = true
			for _, mem := range g.members() {
				if !slices.Contains(m.Pinged, mem.User.ID) && mem.User.ID != m.Author.ID {
					m.Pinged = append(m.Pinged, mem.User.ID)
				}
			}
		}
	}
}

func amUsers(am *allowedMentions) []Snowflake {
	if am == nil {
		return nil
	}
	return am.Users
}

func amRoles(am *allowedMentions) []Snowflake {
	if am == nil {
		return nil
	}
	return am.Roles
}

// apply writes the fields of an input onto a message.
func (w *world) applyInput(m *Message, in *messageInput) {
	if in.Content != nil {
		m.Content = *in.Content
	}
	if in.Embeds != nil {
		m.Embeds = append([]json.RawMessage(nil), (*in.Embeds)...)
	}
	if in.Components != nil {
		m.Components = append([]json.RawMessage(nil), (*in.Components)...)
	}
	for _, f := range in.files {
		f.ID = w.newID()
		m.Attachments = append(m.Attachments, f)
	}
}

// emitMessage dispatches MESSAGE_CREATE or MESSAGE_UPDATE for m. Sessions
// without MESSAGE_CONTENT get it blanked, except in DMs, for messages that
// mention the bot and for the bot's own messages.
func (s *Server) emitMessage(typ string, m *Message) {
	w := s.world
	full := m.json(w, true)
	if m.GuildID == 0 {
		s.emit(0, typ, intentDirectMessages, full)
		return
	}
	var redacted any
	if m.Author.ID != w.bot.ID && !slices.Contains(m.Mentions, w.bot.ID) {
		r := full
		r.Content, r.Embeds, r.Attachments, r.Components = "", []json.RawMessage{}, []attachmentJSON{}, []json.RawMessage{}
		redacted = r
	}
	s.emitRedactable(m.GuildID, typ, intentGuildMessages, full, redacted)
}

// readable renders a message for a REST read: blanked when the app is not
// approved for MESSAGE_CONTENT, with the same exceptions as the gateway.
func (s *Server) readable(m *Message) messageJSON {
	j := m.json(s.world, false)
	if s.opts.approvedIntents&IntentMessageContent == 0 && m.GuildID != 0 &&
		m.Author.ID != s.world.bot.ID && !slices.Contains(m.Mentions, s.world.bot.ID) {
		j.Content, j.Embeds, j.Attachments, j.Components = "", []json.RawMessage{}, []attachmentJSON{}, []json.RawMessage{}
	}
	return j
}
