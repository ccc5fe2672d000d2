package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/hearthbot/hearth/discordtest"
)

// renderReply prints what viewer ("you" or a username) sees of the bot's
// answer to a command: the reply, then the followups.
func renderReply(w io.Writer, bot, viewer string, r discordtest.Reply) {
	onlyYou := fmt.Sprintf("only %s can see this", viewer)
	switch {
	case r.Expired:
		fmt.Fprintf(w, "%s did not answer in time: Discord shows \"The application did not respond\".\n", bot)
		return
	case r.Modal != nil:
		fmt.Fprintf(w, "%s opens a form, %q; the sandbox cannot fill in forms.\n", bot, r.Modal.Title)
		return
	}
	if r.Deferred {
		fmt.Fprintf(w, "%s is thinking...\n", bot)
	}
	switch {
	case r.Loading:
		fmt.Fprintf(w, "%s is still thinking: no answer came in time.\n", bot)
	case r.MessageID != 0:
		header := bot
		if r.Ephemeral {
			header += " (" + onlyYou + ")"
		}
		renderMessage(w, header, r.Content, r.Embeds, r.Components)
	}
	for _, f := range r.Followups {
		header := bot + " (followup)"
		if f.Ephemeral() {
			header = bot + " (followup, " + onlyYou + ")"
		}
		renderMessage(w, header, f.Content, f.Embeds, f.Components)
	}
}

// renderMessage prints a message as "header: content", the rest of the
// content, the embeds and the components indented under it.
func renderMessage(w io.Writer, header, content string, embeds, components []json.RawMessage) {
	var body []string
	lines := splitLines(content)
	first := ""
	if len(lines) > 0 {
		first, lines = " "+lines[0], lines[1:]
	}
	body = append(body, lines...)
	for _, e := range embeds {
		body = append(body, embedLines(e)...)
	}
	body = append(body, componentLines(components)...)
	if first == "" && len(body) == 0 {
		first = " (an empty message)"
	}
	fmt.Fprintf(w, "%s:%s\n", header, first)
	for _, l := range body {
		fmt.Fprintln(w, strings.TrimRight("  "+l, " "))
	}
}

// splitLines splits text into lines; none for empty text.
func splitLines(text string) []string {
	text = strings.TrimRight(text, "\n")
	if text == "" {
		return nil
	}
	return strings.Split(text, "\n")
}

// embed is the part of an embed a person reads.
type embed struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	URL         string `json:"url"`
	Author      *struct {
		Name string `json:"name"`
	} `json:"author"`
	Fields []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"fields"`
	Image *struct {
		URL string `json:"url"`
	} `json:"image"`
	Footer *struct {
		Text string `json:"text"`
	} `json:"footer"`
}

// embedLines renders an embed as lines behind a bar: author, title,
// description, fields as "name: value", image, footer.
func embedLines(raw json.RawMessage) []string {
	var e embed
	if err := json.Unmarshal(raw, &e); err != nil {
		return []string{"│ (an embed the sandbox cannot read)"}
	}
	var out []string
	add := func(lines ...string) {
		for _, l := range lines {
			out = append(out, "│ "+l)
		}
	}
	if e.Author != nil && e.Author.Name != "" {
		add(e.Author.Name)
	}
	if e.Title != "" {
		title := e.Title
		if e.URL != "" {
			title += " <" + e.URL + ">"
		}
		add(title)
	}
	add(splitLines(e.Description)...)
	for _, f := range e.Fields {
		v := splitLines(f.Value)
		if len(v) <= 1 {
			add(f.Name + ": " + strings.Join(v, ""))
			continue
		}
		add(f.Name + ":")
		for _, l := range v {
			add("  " + l)
		}
	}
	if e.Image != nil && e.Image.URL != "" {
		add("[image: " + e.Image.URL + "]")
	}
	if e.Footer != nil && e.Footer.Text != "" {
		add("— " + e.Footer.Text)
	}
	if len(out) == 0 {
		add("(an empty embed)")
	}
	return out
}

// component is the part of a message component a person reads.
type component struct {
	Type        int    `json:"type"`
	Label       string `json:"label"`
	Style       int    `json:"style"`
	URL         string `json:"url"`
	Placeholder string `json:"placeholder"`
	Disabled    bool   `json:"disabled"`
	Content     string `json:"content"`
	Emoji       *struct {
		Name string `json:"name"`
	} `json:"emoji"`
	Components []json.RawMessage `json:"components"`
	Accessory  json.RawMessage   `json:"accessory"`
}

// Component types, as Discord numbers them.
const (
	componentActionRow     = 1
	componentButton        = 2
	componentStringSelect  = 3
	componentUserSelect    = 5
	componentRoleSelect    = 6
	componentMention       = 7
	componentChannelSelect = 8
	componentSection       = 9
	componentTextDisplay   = 10
	componentMediaGallery  = 12
	componentFile          = 13
	componentSeparator     = 14
	componentContainer     = 17
	buttonLink             = 5
)

// componentLines renders components: an action row as one line of
// "[button: Label]" and "[select: placeholder]"; layout components
// (containers, sections, text) as the lines they hold.
func componentLines(raws []json.RawMessage) []string {
	var out []string
	for _, raw := range raws {
		var c component
		if err := json.Unmarshal(raw, &c); err != nil {
			out = append(out, "(a component the sandbox cannot read)")
			continue
		}
		switch c.Type {
		case componentActionRow:
			var items []string
			for _, child := range c.Components {
				var cc component
				if json.Unmarshal(child, &cc) == nil {
					items = append(items, interactive(cc))
				}
			}
			out = append(out, strings.Join(items, " "))
		case componentContainer:
			for _, l := range componentLines(c.Components) {
				out = append(out, "┃ "+l)
			}
		case componentSection:
			out = append(out, componentLines(c.Components)...)
			if len(c.Accessory) > 0 {
				out = append(out, componentLines([]json.RawMessage{c.Accessory})...)
			}
		case componentTextDisplay:
			out = append(out, splitLines(c.Content)...)
		case componentSeparator:
			out = append(out, "────────")
		case componentMediaGallery:
			out = append(out, "[media]")
		case componentFile:
			out = append(out, "[file]")
		case componentButton, componentStringSelect, componentUserSelect, componentRoleSelect, componentMention, componentChannelSelect:
			out = append(out, interactive(c))
		}
	}
	return out
}

// interactive renders a button or a select menu.
func interactive(c component) string {
	var s string
	switch c.Type {
	case componentButton:
		label := c.Label
		if c.Emoji != nil && c.Emoji.Name != "" {
			label = strings.TrimSpace(c.Emoji.Name + " " + label)
		}
		s = "button: " + label
		if c.Style == buttonLink {
			s = "link: " + label + " → " + c.URL
		}
	case componentStringSelect, componentUserSelect, componentRoleSelect, componentMention, componentChannelSelect:
		p := c.Placeholder
		if p == "" {
			p = "choose"
		}
		s = "select: " + p
	default:
		s = "a component the sandbox cannot show"
	}
	if c.Disabled {
		s += " (disabled)"
	}
	return "[" + s + "]"
}
