package bot

import (
	"context"
	"sync"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/gateway"
	"github.com/disgoorg/snowflake/v2"
	"go.uber.org/zap"
)

// Gateway intake. disgo's shard read loops call intake with each
// decoded dispatch before disgo's own handler (which updates its cache
// under one mutex shared by every shard). intake only translates and
// hands off: interactions go to the pipeline, everything else into a
// bounded queue that one worker publishes on the bus. When that queue is
// full, intake waits: backpressure reaches the websocket, nothing is
// dropped. Each dispatch reaches intake once (disgo tracks the sequence;
// a RESUME replays only what was missed), so each is handled once.

// pending is one event waiting to be published.
type pending struct {
	topic string
	event any
}

// guildTracker tells apart the GUILD_CREATEs of start-up, of a new guild
// and of the end of an outage.
type guildTracker struct {
	mu            sync.Mutex
	startup       map[snowflake.ID]bool // listed in READY, not yet created
	readiedShards map[int]bool          // shards whose READY the intake has seen
	down          map[snowflake.ID]bool // in an outage
	known         map[snowflake.ID]bool // every guild the bot is in
}

// loading returns how many guilds of READY have not arrived yet.
func (g *guildTracker) loading() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.startup)
}

// readied reports whether the shard's READY has reached the intake (a
// shard's status turns ready a moment before).
func (g *guildTracker) readied(shard int) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.readiedShards[shard]
}

// count returns how many guilds the bot is in.
func (g *guildTracker) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.known)
}

func newGuildTracker() *guildTracker {
	return &guildTracker{startup: map[snowflake.ID]bool{}, readiedShards: map[int]bool{}, down: map[snowflake.ID]bool{}, known: map[snowflake.ID]bool{}}
}

// intake is the shard manager's event handler.
func (rt *Runtime) intake(shard int, t gateway.EventType, seq int, ev gateway.EventData) {
	rt.metrics.gatewayEvents.WithLabelValues(string(t)).Inc()
	if rt.stopping.Load() {
		return
	}
	switch e := ev.(type) {
	case gateway.EventReady:
		rt.guilds.mu.Lock()
		rt.guilds.readiedShards[shard] = true
		for _, ug := range e.Guilds {
			rt.guilds.startup[ug.ID] = true
		}
		rt.guilds.mu.Unlock()
	case gateway.EventInteractionCreate:
		rt.handleInteraction(e.Interaction)
	case gateway.EventMessageCreate:
		rt.enqueue(TopicMessageCreated.Name(), rt.messageCreated(e.Message))
	case gateway.EventMessageUpdate:
		m := e.Message
		edited := time.Time{}
		if m.EditedTimestamp != nil {
			edited = *m.EditedTimestamp
		}
		rt.enqueue(TopicMessageEdited.Name(), MessageEdited{ID: m.ID, ChannelID: m.ChannelID, GuildID: idOr0(m.GuildID),
			Author: userOf(m.Author), Origin: rt.origin(m), Content: m.Content, EditedAt: edited})
	case gateway.EventMessageDelete:
		rt.enqueue(TopicMessageDeleted.Name(), MessageDeleted{ID: e.ID, ChannelID: e.ChannelID, GuildID: idOr0(e.GuildID)})
	case gateway.EventMessageDeleteBulk:
		rt.enqueue(TopicMessagesBulkDeleted.Name(), MessagesBulkDeleted{IDs: e.IDs, ChannelID: e.ChannelID, GuildID: idOr0(e.GuildID)})
	case gateway.EventGuildMemberAdd:
		rt.enqueue(TopicMemberJoined.Name(), MemberJoined{GuildID: e.GuildID, Member: memberOf(e.Member, e.User)})
	case gateway.EventGuildMemberUpdate:
		rt.enqueue(TopicMemberUpdated.Name(), MemberUpdated{GuildID: e.GuildID, Member: memberOf(e.Member, e.User)})
	case gateway.EventGuildMemberRemove:
		rt.enqueue(TopicMemberLeft.Name(), MemberLeft{GuildID: e.GuildID, User: userOf(e.User)})
	case gateway.EventGuildCreate:
		rt.guildCreated(e.GatewayGuild)
	case gateway.EventGuildDelete:
		rt.guilds.mu.Lock()
		delete(rt.guilds.startup, e.ID)
		if e.Unavailable {
			rt.guilds.down[e.ID] = true
		} else {
			delete(rt.guilds.down, e.ID)
			delete(rt.guilds.known, e.ID)
		}
		rt.guilds.mu.Unlock()
		if e.Unavailable {
			rt.enqueue(TopicGuildOutage.Name(), GuildOutage{GuildID: e.ID, Down: true})
		} else {
			rt.enqueue(TopicGuildLeft.Name(), GuildLeft{GuildID: e.ID})
		}
	case gateway.EventGuildRoleCreate:
		rt.enqueue(TopicRoleChanged.Name(), RoleChanged{GuildID: e.GuildID, RoleID: e.Role.ID, Name: e.Role.Name})
	case gateway.EventGuildRoleUpdate:
		rt.enqueue(TopicRoleChanged.Name(), RoleChanged{GuildID: e.GuildID, RoleID: e.Role.ID, Name: e.Role.Name})
	case gateway.EventGuildRoleDelete:
		rt.enqueue(TopicRoleChanged.Name(), RoleChanged{GuildID: e.GuildID, RoleID: e.RoleID, Deleted: true})
	case gateway.EventChannelCreate:
		rt.enqueue(TopicChannelChanged.Name(), ChannelChanged{GuildID: e.GuildID(), ChannelID: e.ID(), Name: e.Name()})
	case gateway.EventChannelUpdate:
		rt.enqueue(TopicChannelChanged.Name(), ChannelChanged{GuildID: e.GuildID(), ChannelID: e.ID(), Name: e.Name()})
	case gateway.EventChannelDelete:
		rt.enqueue(TopicChannelChanged.Name(), ChannelChanged{GuildID: e.GuildID(), ChannelID: e.ID(), Name: e.Name(), Deleted: true})
	case gateway.EventGuildAuditLogEntryCreate:
		ev := AuditLogEntry{GuildID: e.GuildID, ID: e.ID, ActionType: int(e.ActionType), UserID: e.UserID, TargetID: idOr0(e.TargetID)}
		if e.Reason != nil {
			ev.Reason = *e.Reason
		}
		for _, c := range e.Changes {
			ev.Changes = append(ev.Changes, AuditChange{Key: string(c.Key), Old: c.OldValue, New: c.NewValue})
		}
		rt.enqueue(TopicAuditLogEntry.Name(), ev)
	case gateway.EventMessageReactionAdd:
		rt.enqueue(TopicReactionChanged.Name(), ReactionChanged{GuildID: idOr0(e.GuildID), ChannelID: e.ChannelID,
			MessageID: e.MessageID, UserID: e.UserID, Emoji: emojiName(e.Emoji), Added: true})
	case gateway.EventMessageReactionRemove:
		rt.enqueue(TopicReactionChanged.Name(), ReactionChanged{GuildID: idOr0(e.GuildID), ChannelID: e.ChannelID,
			MessageID: e.MessageID, UserID: e.UserID, Emoji: emojiName(e.Emoji)})
	}
}

func (rt *Runtime) guildCreated(g discord.GatewayGuild) {
	rt.guilds.mu.Lock()
	startup, wasDown := rt.guilds.startup[g.ID], rt.guilds.down[g.ID]
	delete(rt.guilds.startup, g.ID)
	delete(rt.guilds.down, g.ID)
	rt.guilds.known[g.ID] = true
	rt.guilds.mu.Unlock()
	if wasDown {
		rt.enqueue(TopicGuildOutage.Name(), GuildOutage{GuildID: g.ID, Down: false})
		return
	}
	rt.enqueue(TopicGuildJoined.Name(), GuildJoined{GuildID: g.ID, Name: g.Name, MemberCount: g.MemberCount, Startup: startup})
}

func (rt *Runtime) messageCreated(m discord.Message) MessageCreated {
	ev := MessageCreated{ID: m.ID, ChannelID: m.ChannelID, GuildID: idOr0(m.GuildID), Author: userOf(m.Author),
		Origin: rt.origin(m), Content: m.Content, MentionRoles: m.MentionRoles, MentionEveryone: m.MentionEveryone,
		Attachments: len(m.Attachments), Embeds: len(m.Embeds), At: m.CreatedAt}
	for _, u := range m.Mentions {
		ev.Mentions = append(ev.Mentions, u.ID)
	}
	if m.Member != nil {
		ev.AuthorRoles = m.Member.RoleIDs
	}
	return ev
}

// origin marks messages from the bot itself, other bots and webhooks.
func (rt *Runtime) origin(m discord.Message) Origin {
	return Origin{FromSelf: m.Author.ID == rt.selfID, FromBot: m.Author.Bot && m.Author.ID != rt.selfID,
		FromWebhook: m.WebhookID != nil}
}

// enqueue hands an event to the publishing worker, waiting while its
// queue is full (backpressure to the gateway).
func (rt *Runtime) enqueue(topic string, ev any) {
	rt.intakeMu.RLock()
	defer rt.intakeMu.RUnlock()
	if rt.intakeClosed {
		return
	}
	rt.events <- pending{topic, ev}
}

// closeIntake stops intake: later events are ignored, queued ones are
// still published. The publisher ends once the queue is empty.
func (rt *Runtime) closeIntake() {
	rt.stopping.Store(true)
	rt.intakeMu.Lock()
	defer rt.intakeMu.Unlock()
	if !rt.intakeClosed {
		rt.intakeClosed = true
		close(rt.events)
	}
}

// publish is the worker that moves queued events onto the bus until the
// queue is closed.
func (rt *Runtime) publish() {
	defer close(rt.publisherDone)
	for p := range rt.events {
		if err := rt.bus.Publish(context.Background(), p.topic, p.event); err != nil {
			rt.log.Error("event not delivered to every subscriber", zap.String("topic", p.topic), zap.Error(err))
		}
	}
}

func idOr0(id *snowflake.ID) snowflake.ID {
	if id == nil {
		return 0
	}
	return *id
}

func emojiName(e discord.PartialEmoji) string {
	name := ""
	if e.Name != nil {
		name = *e.Name
	}
	if e.ID != nil {
		return name + ":" + e.ID.String()
	}
	return name
}
