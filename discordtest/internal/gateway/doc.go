// Package gateway is the websocket gateway of discordtest: an emulated Discord gateway (API v10,
// JSON encoding) that real clients such as disgo connect to. It knows nothing about guilds or
// messages: the parent package supplies data through Backend and pushes dispatches in with
// Server.Dispatch. It follows the contract in shared/discord/CONTRACT.md, sections A.3 and D,
// and is strict: where Discord may reject something, the emulator rejects it.
//
// # Lifecycle
//
// New builds a Server; nothing runs until a client connects to Handler(false) (the gateway URL)
// or Handler(true) (Config.ResumeURL). Close closes every connection with 1001, waits for every
// goroutine the server started, and makes the handlers answer 503. A Server cannot be reopened.
//
// # Concurrency
//
// Every exported method is safe for concurrent use. Each connection has two goroutines: the
// reader (the HTTP handler's goroutine) and a writer that drains an unbounded per-connection
// queue, so all writes to a connection are serialised and Dispatch never blocks on a client.
// A write that takes longer than Config.WriteTimeout drops the connection (its session stays
// resumable), so a slow or dead client cannot stall the others. Backend methods, OnPayload and
// OnTokenReset are called without the server's locks held; Backend methods may call Dispatch.
//
// # Sessions
//
// A session outlives its connection. After a drop, a close by the server that keeps it (see
// below) or a client close with any code but 1000/1001, it stays resumable for ResumeWindow and
// keeps collecting dispatches; a client close with 1000 or 1001 ends it (contract A.34). Each
// dispatch gets the session's next sequence number once and is either written live or replayed
// by RESUME, so every event reaches a session exactly once. RESUME replays every kept dispatch
// with s > seq in order, then a RESUMED dispatch (which takes a sequence number but is not itself
// replayed later). A session keeps at least its last 10,000 dispatches.
//
// READY and the GUILD_CREATEs are built from a snapshot: GuildIDs is read when IDENTIFY is
// processed and GuildCreate is called once per guild of the shard after that; dispatches that
// arrive while they are built are delivered after the last GUILD_CREATE.
//
// # Choices where Discord's documentation is silent
//
//   - Query string: v must be 10, else the socket is closed with 4012 right after the upgrade.
//     encoding may be json or absent; etf (not emulated) and other values are refused with
//     HTTP 400 before the upgrade, as are unknown compress values.
//   - Heartbeats: a connection that sends no heartbeat for HeartbeatTimeout (default
//     2×interval + 5s, counted from Hello and then from each heartbeat) is closed with 4000
//     "Heartbeat timeout"; the session stays resumable, as GW says ("forced to Resume").
//     Heartbeat d must be an integer or null (else 4001); its value is not checked.
//   - Decoding: a message that is not a JSON object with an integer op, or is longer than
//     MaxPayload, is 4002; an op the client may not send is 4001 (Unknown opcode); a known op
//     whose d has the wrong shape is 4001 (OC: "an invalid payload for an opcode"). Text and
//     binary frames are both read as JSON.
//   - IDENTIFY checks, in order: shape (4001; large_threshold outside 50..250 is 4001;
//     properties needs os, browser and device, $-prefixed accepted), token (missing, empty or
//     not accepted by the Backend: 4004; a "Bot " prefix is not stripped), intents (missing,
//     non-integer or undefined bits: 4013; unapproved privileged: 4014 naming the intents),
//     shard (not two integers, n<1, id<0, id>=n, n not a multiple of RequiredShards: 4010),
//     guild count (4011), identify concurrency (op 9 d:false, the connection stays open and
//     the rejected IDENTIFY does not count), then the session start limit.
//   - Session start limit: each IDENTIFY that starts a session counts; RESUMEs do not. The one
//     over SessionStartTotal in SessionStartWindow ends every session, closes every connection
//     with 4004, and resets the token: later IDENTIFYs and RESUMEs with it get 4004, and
//     OnTokenReset is called (the parent should make REST answer 401 too).
//   - Send limit: a sliding window per connection counting every payload, heartbeats included.
//   - Op 9: after op 9 (either value, from InvalidateSession, a failed RESUME or identify
//     concurrency) the connection stays open without a session, so the client may IDENTIFY or
//     RESUME on it (discord/discord-api-docs#1805); other send events there get 4003.
//   - RESUME: an unknown, expired or ended session, or another token than the session's, gets
//     op 9 d:false; a token the Backend rejects gets 4004; seq greater than the last one sent,
//     or negative, ends the session with 4007. If another connection still serves the session,
//     that one is closed with 4000 and the new one takes over.
//   - Op 7 (SendReconnect, ReconnectBeforeHello): the session stays attached and keeps
//     receiving until the client closes; after ReconnectGrace the server closes with 4000.
//   - CloseWithCode ends the session for 1000, 1001, 4004, 4007, 4009 and 4010-4014 and keeps
//     it resumable for any other code.
//   - Payload compression (IDENTIFY compress:true without transport compression) compresses
//     every dispatch as its own zlib stream in a binary frame; other payloads stay text.
//   - Send events other than IDENTIFY, RESUME and heartbeats (ops 3, 4, 8, 31, 43) are checked
//     (4003 before a session, d must be an object) and recorded, but otherwise ignored.
//
// # Clocks
//
// Config.Now drives the identify, session start, send limit and resume windows and Record.Time.
// Heartbeat timeouts, the op 7 grace and write deadlines use the real clock.
package gateway
