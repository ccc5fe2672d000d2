package gateway

import (
	"encoding/json"
	"time"
)

// Config tunes a Server. The zero value of every field selects Discord's documented value.
type Config struct {
	// HeartbeatInterval is sent in Hello as heartbeat_interval (default 41250ms).
	HeartbeatInterval time.Duration
	// HeartbeatTimeout is how long a connection may go without sending a heartbeat, counted
	// from Hello and then from each heartbeat, before the server closes it with 4000 and keeps
	// the session resumable (default 2×HeartbeatInterval + 5s). It runs on the real clock.
	HeartbeatTimeout time.Duration
	// ResumeWindow is how long a disconnected session stays resumable (default 3m, contract A.34).
	ResumeWindow time.Duration
	// ResumeURL is put in READY.resume_gateway_url; the parent serves Handler(true) there.
	ResumeURL string
	// ReconnectGrace is how long after an op 7 the server waits for the client to close before
	// closing the connection itself with 4000 (default 5s, contract A.40). Real clock.
	ReconnectGrace time.Duration

	// MaxConcurrency is the identify max_concurrency (default 1, contract A.43).
	MaxConcurrency int
	// IdentifyWindow is the per-key identify window (default 5s): one IDENTIFY per
	// shard_id % MaxConcurrency per window, else op 9 d:false (contract A.43, D.9).
	IdentifyWindow time.Duration
	// SessionStartTotal is the number of IDENTIFYs allowed per SessionStartWindow (default 1000,
	// contract A.35, D.10). Going over terminates every session and resets the token.
	SessionStartTotal int
	// SessionStartWindow is the session start limit window (default 24h).
	SessionStartWindow time.Duration

	// SendLimit is how many payloads a client may send on one connection per SendWindow
	// (default 120); the next one closes the connection with 4008 (contract A.42, D.11).
	SendLimit int
	// SendWindow is the sliding window of SendLimit (default 60s).
	SendWindow time.Duration
	// MaxPayload is the largest payload a client may send, in bytes (default 4096); a larger
	// one closes the connection with 4002 (contract A.35, D.12).
	MaxPayload int
	// MaxGuildsPerShard closes an IDENTIFY with 4011 when its shard would hold more guilds
	// (default 2500, contract A.44).
	MaxGuildsPerShard int
	// RequiredShards, when not 0, is the shard count the bot was assigned: an IDENTIFY whose
	// shard count is not a multiple of it is closed with 4010 (contract A.45).
	RequiredShards int
	// ApprovedIntents lists the privileged intents (IntentGuildMembers, IntentGuildPresences,
	// IntentMessageContent) the application may use; any other privileged intent gets 4014.
	ApprovedIntents uint64

	// WriteTimeout bounds one websocket write; a client that does not read for that long is
	// dropped and its session stays resumable (default 10s).
	WriteTimeout time.Duration
	// Now is the clock of the identify, session start, send limit and resume windows and of
	// Record.Time (default time.Now).
	Now func() time.Time
	// OnPayload, if set, is called for every payload and close sent or received, from the
	// connection's goroutines and without the server's locks held. It must not block.
	OnPayload func(Record)
	// OnTokenReset, if set, is called once when the session start limit is exceeded and the
	// token is reset (contract A.35), without the server's locks held.
	OnTokenReset func(token string)
}

func (c Config) withDefaults() Config {
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = 41250 * time.Millisecond
	}
	if c.HeartbeatTimeout <= 0 {
		c.HeartbeatTimeout = 2*c.HeartbeatInterval + 5*time.Second
	}
	if c.ResumeWindow <= 0 {
		c.ResumeWindow = 3 * time.Minute
	}
	if c.ReconnectGrace <= 0 {
		c.ReconnectGrace = 5 * time.Second
	}
	if c.MaxConcurrency <= 0 {
		c.MaxConcurrency = 1
	}
	if c.IdentifyWindow <= 0 {
		c.IdentifyWindow = 5 * time.Second
	}
	if c.SessionStartTotal <= 0 {
		c.SessionStartTotal = 1000
	}
	if c.SessionStartWindow <= 0 {
		c.SessionStartWindow = 24 * time.Hour
	}
	if c.SendLimit <= 0 {
		c.SendLimit = 120
	}
	if c.SendWindow <= 0 {
		c.SendWindow = 60 * time.Second
	}
	if c.MaxPayload <= 0 {
		c.MaxPayload = 4096
	}
	if c.MaxGuildsPerShard <= 0 {
		c.MaxGuildsPerShard = 2500
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Backend supplies the data the gateway serves. The parent package implements it. Its methods
// are called without the gateway's locks held, so they may call Server.Dispatch.
type Backend interface {
	// Authenticate reports the bot identity behind a token (the raw token, no "Bot " prefix).
	Authenticate(token string) (Identity, bool)
	// GuildIDs lists every guild the bot is in (the gateway computes which belong to a shard).
	GuildIDs() []uint64
	// GuildCreate returns the GUILD_CREATE d for a guild as seen by a session with these
	// intents and large_threshold, and false if the guild no longer exists.
	GuildCreate(guildID uint64, intents uint64, largeThreshold int) (json.RawMessage, bool)
}

// Identity is the bot behind a token, as READY shows it.
type Identity struct {
	// User is READY.user, a user object.
	User json.RawMessage
	// ApplicationID is READY.application.id.
	ApplicationID string
	// ApplicationFlags is READY.application.flags.
	ApplicationFlags int
}

// Event is one dispatch the parent pushes in with Server.Dispatch.
type Event struct {
	// Type is the dispatch name, e.g. "MESSAGE_CREATE".
	Type string
	// GuildID routes the event to the shard (guild_id >> 22) % n; 0 means not guild-scoped,
	// which goes to shard 0 only (contract A.44).
	GuildID uint64
	// Intents: the session must have at least one of these bits; 0 means always delivered.
	Intents uint64
	// Data is the dispatch's d.
	Data json.RawMessage
	// Redacted, if set, is sent instead of Data to sessions without IntentMessageContent.
	Redacted json.RawMessage
}
