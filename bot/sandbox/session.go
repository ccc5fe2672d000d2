package sandbox

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hearthbot/hearth/discordtest"
)

// messageGrace is how long a message line waits for the bot to post
// something in answer (a module that replies to messages), so its answer
// shows under the line rather than after the next one.
const messageGrace = 250 * time.Millisecond

// session is one conversation with the bot in the demo guild. Only Run's
// goroutine uses it.
type session struct {
	srv    *discordtest.Server
	out    io.Writer
	script bool
	guild  discordtest.GuildView
	home   discordtest.Channel
	you    discordtest.MemberView
	bot    string
	// seen is, per text channel, the newest message already accounted
	// for, so that what the bot posts outside its replies shows once.
	seen map[discordtest.Snowflake]discordtest.Snowflake
}

func newSession(srv *discordtest.Server, out io.Writer, script bool) (*session, error) {
	gs := srv.Guilds()
	if len(gs) == 0 {
		return nil, errors.New("sandbox: the emulator has no guild")
	}
	g := gs[0]
	s := &session{srv: srv, out: out, script: script, guild: g, home: g.Channel(homeChannel), you: g.Member(youName),
		bot: srv.BotUser().Username, seen: map[discordtest.Snowflake]discordtest.Snowflake{}}
	if s.home.ID == 0 || s.you.User.ID == 0 {
		return nil, fmt.Errorf("sandbox: the demo guild has no #%s or no member %s", homeChannel, youName)
	}
	s.newBotMessages(true) // what is there before the session is not news
	return s, nil
}

// runScript runs the script's lines in order; ":quit" or ctx ending stop
// early. It fails only when the bot stops.
func (s *session) runScript(ctx context.Context, lines []string, b *runningBot) error {
	for _, line := range lines {
		select {
		case err := <-b.done:
			return b.exited(err)
		case <-ctx.Done():
			return nil
		default:
		}
		if !s.do(line) {
			return nil
		}
	}
	return nil
}

// runPrompt shows the prompt and runs each line read from in until
// ":quit", the end of in, or ctx ending. It fails when the bot stops or
// in cannot be read.
//
// The lines are read by a goroutine, so that an interrupt ends the
// session without waiting for a line. When runPrompt returns it tells
// that goroutine to stop; a read of in already under way cannot be
// interrupted, so the goroutine ends when that read returns (the next
// line or the end of in), delivering nothing more.
func (s *session) runPrompt(ctx context.Context, in io.Reader, b *runningBot) error {
	lines := make(chan string)
	readErr := make(chan error, 1)
	stop := make(chan struct{})
	defer close(stop)
	go readLines(in, lines, readErr, stop)
	for {
		fmt.Fprint(s.out, "you> ")
		select {
		case line, ok := <-lines:
			if !ok {
				fmt.Fprintln(s.out)
				select {
				case err := <-readErr:
					return fmt.Errorf("sandbox: read the input: %w", err)
				default:
					return nil
				}
			}
			if !s.do(line) {
				return nil
			}
		case err := <-b.done:
			fmt.Fprintln(s.out)
			return b.exited(err)
		case <-ctx.Done():
			fmt.Fprintln(s.out)
			return nil
		}
	}
}

// readLines sends the lines of in until its end, a read error (sent on
// errs) or stop, then closes lines.
func readLines(in io.Reader, lines chan<- string, errs chan<- error, stop <-chan struct{}) {
	defer close(lines)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		select {
		case lines <- sc.Text():
		case <-stop:
			return
		}
	}
	if err := sc.Err(); err != nil {
		errs <- err
	}
}

// asLine is "as NAME: text".
var asLine = regexp.MustCompile(`^as\s+@?([^\s:]+)\s*:\s*(.*)$`)

// do runs one line and prints its output (after the line itself, in a
// script). It reports false when the line asks to leave.
func (s *session) do(line string) bool {
	line = strings.TrimSpace(line)
	if line == "" || strings.HasPrefix(line, "#") {
		return true
	}
	switch {
	case strings.HasPrefix(line, ":"):
		s.echo("you", line)
		return s.meta(line)
	case line == "as" || strings.HasPrefix(line, "as "):
		m := asLine.FindStringSubmatch(line)
		if m == nil {
			s.echo("you", line)
			s.fail(`write "as NAME: text" or "as NAME: /command", for example "as member2: hello"`)
			return true
		}
		who, ok := s.person(m[1])
		switch {
		case !ok && strings.EqualFold(m[1], s.bot):
			s.echo("you", line)
			s.fail(fmt.Sprintf("%s is the bot; the sandbox speaks only as people (:members lists them)", s.bot))
			return true
		case !ok:
			s.echo("you", line)
			s.fail(fmt.Sprintf("no member %q in %s; :members lists them", m[1], s.guild.Name))
			return true
		}
		s.echo(s.viewer(who), m[2])
		if m[2] == "" {
			s.fail(fmt.Sprintf("nothing to say after %q", "as "+m[1]+":"))
			return true
		}
		s.act(who, m[2])
	default:
		s.echo("you", line)
		s.act(s.you, line)
	}
	return true
}

// echo prints the line in a script, where nobody typed it.
func (s *session) echo(who, line string) {
	if s.script {
		fmt.Fprintf(s.out, "%s> %s\n", who, line)
	}
}

func (s *session) fail(msg string) { fmt.Fprintf(s.out, "error: %s\n", msg) }

// person finds a member by username, case-insensitively; the bot is not
// one.
func (s *session) person(name string) (discordtest.MemberView, bool) {
	for _, m := range s.guild.Members {
		if strings.EqualFold(m.User.Username, name) && !m.User.Bot {
			return m, true
		}
	}
	return discordtest.MemberView{}, false
}

// viewer is how the output names the member who acted.
func (s *session) viewer(m discordtest.MemberView) string {
	if m.User.ID == s.you.User.ID {
		return "you"
	}
	return m.User.Username
}

// act runs a command or posts a message as a member in #general.
func (s *session) act(m discordtest.MemberView, text string) {
	if strings.HasPrefix(text, "/") {
		r, err := s.srv.RunCommand(s.guild.ID, s.home.ID, m.User.ID, text)
		if err != nil {
			s.fail(describe(err, text))
			return
		}
		renderReply(s.out, s.bot, s.viewer(m), r)
		s.showBotMessages()
		return
	}
	msg, err := s.srv.SendMessage(s.guild.ID, s.home.ID, m.User.ID, text)
	if err != nil {
		s.fail(describe(err, text))
		return
	}
	if !s.script { // in a script the echo already shows it
		fmt.Fprintf(s.out, "%s: %s\n", m.User.Username, msg.Content)
	}
	s.srv.WaitFor(messageGrace, func() bool { return len(s.newBotMessages(false)) > 0 })
	s.showBotMessages()
}

// describe turns an emulator's refusal into a message for the person.
func describe(err error, line string) string {
	if errors.Is(err, discordtest.ErrUnknownCommand) {
		name, _, _ := strings.Cut(strings.TrimPrefix(line, "/"), " ")
		return fmt.Sprintf("there is no command /%s here; /help lists the commands", name)
	}
	msg := err.Error()
	for _, prefix := range []string{"discordtest: ", "cmdline: "} {
		msg = strings.ReplaceAll(msg, prefix, "")
	}
	return msg
}

// botMessage is a message the bot posted outside its replies.
type botMessage struct {
	channel string
	msg     discordtest.Message
}

// newBotMessages returns what the bot posted in the guild's text
// channels since the last call with mark set, oldest first per channel,
// and with mark, marks everything so far seen. Replies to interactions
// are left out: they show as replies.
func (s *session) newBotMessages(mark bool) []botMessage {
	var out []botMessage
	for _, ch := range s.guild.Channels {
		if ch.Type != discordtest.ChannelText && ch.Type != discordtest.ChannelAnnouncement {
			continue
		}
		for _, m := range s.srv.Messages(ch.ID) {
			if m.ID <= s.seen[ch.ID] {
				continue
			}
			if mark {
				s.seen[ch.ID] = m.ID
			}
			if !m.Deleted && m.Author != nil && m.Author.Bot && m.Interaction == nil {
				out = append(out, botMessage{channel: ch.Name, msg: m})
			}
		}
	}
	return out
}

// showBotMessages prints what the bot posted since the last line.
func (s *session) showBotMessages() {
	for _, bm := range s.newBotMessages(true) {
		renderMessage(s.out, fmt.Sprintf("%s in #%s", bm.msg.Author.Username, bm.channel), bm.msg.Content, bm.msg.Embeds, bm.msg.Components)
	}
}

// meta runs a sandbox command (":members"); false means ":quit".
func (s *session) meta(line string) bool {
	fields := strings.Fields(line)
	name := fields[0]
	if len(fields) > 1 {
		s.fail(fmt.Sprintf("%s takes nothing after it", name))
		return true
	}
	switch name {
	case ":quit", ":q", ":exit":
		return false
	case ":help":
		fmt.Fprint(s.out, sandboxHelp)
	case ":members":
		s.members()
	case ":channels":
		s.channels()
	default:
		s.fail(fmt.Sprintf("the sandbox has no command %s; :help lists what it understands", name))
	}
	return true
}

const sandboxHelp = `The sandbox understands:
  /command options...      run a slash command as you (admin) in #general, e.g. /help
  text                     say something in #general as you
  as NAME: text            say something as another member, e.g. as member2: hello
  as NAME: /command ...    run a command as another member
  :members                 the guild's members and their roles
  :channels                the guild's channels
  :help                    this list
  :quit                    leave (so does Ctrl-D)
Options are written name:value, with quotes around spaces: /cmd reason:"spam links".
Users are @name, roles @Name, channels #name. Lines starting with # are skipped.
`

// members prints the members with their roles, highest role first.
func (s *session) members() {
	g, ok := s.srv.Guild(s.guild.ID)
	if !ok {
		s.fail("the demo guild is gone")
		return
	}
	roles := map[discordtest.Snowflake]discordtest.Role{}
	for _, r := range g.Roles {
		roles[r.ID] = r
	}
	width := 0
	for _, m := range g.Members {
		width = max(width, len(m.User.Username))
	}
	fmt.Fprintf(s.out, "Members of %s:\n", g.Name)
	for _, m := range g.Members {
		var rs []discordtest.Role
		for _, id := range m.Roles {
			if r, ok := roles[id]; ok {
				rs = append(rs, r)
			}
		}
		slices.SortFunc(rs, func(a, b discordtest.Role) int { return b.Position - a.Position })
		var parts []string
		for _, r := range rs {
			parts = append(parts, r.Name)
		}
		desc := strings.Join(parts, ", ")
		if desc == "" {
			desc = "no roles"
		}
		var notes []string
		switch {
		case m.User.ID == g.OwnerID:
			notes = append(notes, "owner of the guild")
		case m.User.Bot:
			notes = append(notes, "the bot")
		}
		if m.User.ID == s.you.User.ID {
			notes = append(notes, "you")
		}
		if len(notes) > 0 {
			desc += " (" + strings.Join(notes, ", ") + ")"
		}
		fmt.Fprintf(s.out, "  %-*s  %s\n", width, m.User.Username, desc)
	}
}

// channels prints the channels under their categories.
func (s *session) channels() {
	g, ok := s.srv.Guild(s.guild.ID)
	if !ok {
		s.fail("the demo guild is gone")
		return
	}
	everyone := func(c discordtest.Channel) discordtest.Overwrite {
		for _, o := range c.Overwrites {
			if o.ID == g.ID {
				return o
			}
		}
		return discordtest.Overwrite{}
	}
	describeChannel := func(c discordtest.Channel) string {
		name := "#" + c.Name
		var notes []string
		switch c.Type {
		case discordtest.ChannelVoice:
			name = c.Name
			notes = append(notes, "voice")
		case discordtest.ChannelAnnouncement:
			notes = append(notes, "announcements")
		}
		ow := everyone(c)
		if ow.Deny&discordtest.PermViewChannel != 0 {
			notes = append(notes, "hidden from @everyone")
		} else if ow.Deny&discordtest.PermSendMessages != 0 {
			notes = append(notes, "read-only for @everyone")
		}
		if c.Topic != "" {
			notes = append(notes, "topic: "+c.Topic)
		}
		if c.ID == s.home.ID {
			notes = append(notes, "you type here")
		}
		if len(notes) == 0 {
			return name
		}
		return fmt.Sprintf("%-15s %s", name, strings.Join(notes, "; "))
	}
	chans := slices.Clone(g.Channels)
	slices.SortStableFunc(chans, func(a, b discordtest.Channel) int { return a.Position - b.Position })
	fmt.Fprintf(s.out, "Channels of %s:\n", g.Name)
	for _, c := range chans {
		if c.ParentID == 0 && c.Type != discordtest.ChannelCategory {
			fmt.Fprintf(s.out, "  %s\n", describeChannel(c))
		}
	}
	for _, cat := range chans {
		if cat.Type != discordtest.ChannelCategory {
			continue
		}
		fmt.Fprintf(s.out, "  %s\n", cat.Name)
		for _, c := range chans {
			if c.ParentID == cat.ID {
				fmt.Fprintf(s.out, "    %s\n", describeChannel(c))
			}
		}
	}
}
