package gateway

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Gateway opcodes (OC "Gateway Opcodes").
const (
	opDispatch                = 0
	opHeartbeat               = 1
	opIdentify                = 2
	opPresenceUpdate          = 3
	opVoiceStateUpdate        = 4
	opResume                  = 6
	opReconnect               = 7
	opRequestGuildMembers     = 8
	opInvalidSession          = 9
	opHello                   = 10
	opHeartbeatACK            = 11
	opRequestSoundboardSounds = 31
	opRequestChannelInfo      = 43
)

// Gateway close codes (OC "Gateway Close Event Codes", contract A.41).
const (
	CloseUnknownError         = 4000
	CloseUnknownOpcode        = 4001
	CloseDecodeError          = 4002
	CloseNotAuthenticated     = 4003
	CloseAuthenticationFailed = 4004
	CloseAlreadyAuthenticated = 4005
	CloseInvalidSeq           = 4007
	CloseRateLimited          = 4008
	CloseSessionTimedOut      = 4009
	CloseInvalidShard         = 4010
	CloseShardingRequired     = 4011
	CloseInvalidAPIVersion    = 4012
	CloseInvalidIntents       = 4013
	CloseDisallowedIntents    = 4014
)

// Gateway intents (GW "List of Intents").
const (
	IntentGuilds                      uint64 = 1 << 0
	IntentGuildMembers                uint64 = 1 << 1
	IntentGuildModeration             uint64 = 1 << 2
	IntentGuildExpressions            uint64 = 1 << 3
	IntentGuildIntegrations           uint64 = 1 << 4
	IntentGuildWebhooks               uint64 = 1 << 5
	IntentGuildInvites                uint64 = 1 << 6
	IntentGuildVoiceStates            uint64 = 1 << 7
	IntentGuildPresences              uint64 = 1 << 8
	IntentGuildMessages               uint64 = 1 << 9
	IntentGuildMessageReactions       uint64 = 1 << 10
	IntentGuildMessageTyping          uint64 = 1 << 11
	IntentDirectMessages              uint64 = 1 << 12
	IntentDirectMessageReactions      uint64 = 1 << 13
	IntentDirectMessageTyping         uint64 = 1 << 14
	IntentMessageContent              uint64 = 1 << 15
	IntentGuildScheduledEvents        uint64 = 1 << 16
	IntentAutoModerationConfiguration uint64 = 1 << 20
	IntentAutoModerationExecution     uint64 = 1 << 21
	IntentGuildMessagePolls           uint64 = 1 << 24
	IntentDirectMessagePolls          uint64 = 1 << 25

	// IntentsDefined is every intent bit Discord defines; any other bit gets 4013.
	IntentsDefined = 1<<17 - 1 | IntentAutoModerationConfiguration | IntentAutoModerationExecution |
		IntentGuildMessagePolls | IntentDirectMessagePolls
	// IntentsPrivileged are the intents that need approval; unapproved ones get 4014.
	IntentsPrivileged = IntentGuildMembers | IntentGuildPresences | IntentMessageContent
)

var privilegedNames = []struct {
	bit  uint64
	name string
}{
	{IntentGuildMembers, "GUILD_MEMBERS (1<<1)"},
	{IntentGuildPresences, "GUILD_PRESENCES (1<<8)"},
	{IntentMessageContent, "MESSAGE_CONTENT (1<<15)"},
}

// shardOf is the documented sharding formula (contract A.44); guild 0 (no guild) is shard 0.
func shardOf(guildID uint64, n int) int {
	if guildID == 0 || n <= 0 {
		return 0
	}
	return int((guildID >> 22) % uint64(n))
}

// controlPayload encodes a non-dispatch payload; s and t are null as Discord sends them.
func controlPayload(op int, d string) []byte {
	return []byte(`{"op":` + strconv.Itoa(op) + `,"d":` + d + `,"s":null,"t":null}`)
}

func dispatchPayload(typ string, seq int, d json.RawMessage) []byte {
	t, _ := json.Marshal(typ)
	b := make([]byte, 0, len(d)+len(t)+40)
	b = append(b, `{"op":0,"d":`...)
	b = append(b, d...)
	b = append(b, `,"s":`...)
	b = strconv.AppendInt(b, int64(seq), 10)
	b = append(b, `,"t":`...)
	b = append(b, t...)
	b = append(b, '}')
	return b
}

// closeFailure is a protocol violation: the connection is closed with code and reason.
type closeFailure struct {
	code   int
	reason string
}

func failf(code int, format string, args ...any) *closeFailure {
	return &closeFailure{code: code, reason: fmt.Sprintf(format, args...)}
}

// envelope is a payload sent by the client.
type envelope struct {
	Op *int            `json:"op"`
	D  json.RawMessage `json:"d"`
}

func decodeEnvelope(data []byte) (int, json.RawMessage, *closeFailure) {
	var e envelope
	if err := json.Unmarshal(data, &e); err != nil {
		return 0, nil, failf(CloseDecodeError, "Decode error")
	}
	if e.Op == nil {
		return 0, nil, failf(CloseDecodeError, "Decode error: missing op")
	}
	return *e.Op, e.D, nil
}

func isNull(d json.RawMessage) bool {
	return len(d) == 0 || string(d) == "null"
}

// checkHeartbeat validates op 1's d: the last sequence number or null.
func checkHeartbeat(d json.RawMessage) *closeFailure {
	if isNull(d) {
		return nil
	}
	if _, err := strconv.ParseInt(string(d), 10, 64); err != nil {
		return failf(CloseUnknownOpcode, "Invalid payload for heartbeat: d must be an integer or null")
	}
	return nil
}

// checkObject validates the d of a send event the emulator accepts but does not act on.
func checkObject(d json.RawMessage) *closeFailure {
	var m map[string]json.RawMessage
	if isNull(d) || json.Unmarshal(d, &m) != nil {
		return failf(CloseUnknownOpcode, "Invalid payload for opcode: d must be an object")
	}
	return nil
}

// identify is a validated IDENTIFY.
type identify struct {
	token          string
	intents        uint64
	shard          [2]int
	largeThreshold int
	compress       bool
	rawIntents     json.RawMessage
	rawShard       []int
}

type identifyWire struct {
	Token          json.RawMessage            `json:"token"`
	Properties     map[string]json.RawMessage `json:"properties"`
	Compress       *bool                      `json:"compress"`
	LargeThreshold *int                       `json:"large_threshold"`
	Shard          []int                      `json:"shard"`
	Presence       json.RawMessage            `json:"presence"`
	Intents        json.RawMessage            `json:"intents"`
}

// parseIdentify validates the shape of an IDENTIFY. The server then authenticates the token and
// calls check, so a bad token (4004) is reported before bad intents (4013, 4014) or shard (4010).
func parseIdentify(d json.RawMessage) (identify, *closeFailure) {
	var w identifyWire
	if isNull(d) || json.Unmarshal(d, &w) != nil {
		return identify{}, failf(CloseUnknownOpcode, "Invalid payload for identify")
	}
	var out identify
	if isNull(w.Token) {
		return out, failf(CloseAuthenticationFailed, "Authentication failed: no token")
	}
	if json.Unmarshal(w.Token, &out.token) != nil {
		return out, failf(CloseUnknownOpcode, "Invalid payload for identify: token must be a string")
	}
	if out.token == "" {
		return out, failf(CloseAuthenticationFailed, "Authentication failed: empty token")
	}
	if w.Properties == nil {
		return out, failf(CloseUnknownOpcode, "Invalid payload for identify: properties is required")
	}
	for _, key := range []string{"os", "browser", "device"} {
		v, ok := w.Properties[key]
		if !ok {
			v, ok = w.Properties["$"+key]
		}
		var s string
		if !ok || json.Unmarshal(v, &s) != nil {
			return out, failf(CloseUnknownOpcode, "Invalid payload for identify: properties.%s must be a string", key)
		}
	}
	if !isNull(w.Presence) {
		if checkObject(w.Presence) != nil {
			return out, failf(CloseUnknownOpcode, "Invalid payload for identify: presence must be an object")
		}
	}
	out.largeThreshold = 50
	if w.LargeThreshold != nil {
		if *w.LargeThreshold < 50 || *w.LargeThreshold > 250 {
			return out, failf(CloseUnknownOpcode, "Invalid payload for identify: large_threshold must be between 50 and 250")
		}
		out.largeThreshold = *w.LargeThreshold
	}
	if w.Compress != nil {
		out.compress = *w.Compress
	}
	out.rawShard = w.Shard
	out.rawIntents = w.Intents
	return out, nil
}

// check validates the intents and the shard of an authenticated IDENTIFY.
func (out *identify) check(cfg Config) *closeFailure {
	if isNull(out.rawIntents) {
		return failf(CloseInvalidIntents, "Invalid intent(s): intents is required")
	}
	intents, err := strconv.ParseUint(string(out.rawIntents), 10, 64)
	if err != nil {
		return failf(CloseInvalidIntents, "Invalid intent(s): %s is not an intents bitfield", truncate(string(out.rawIntents), 40))
	}
	if bad := intents &^ IntentsDefined; bad != 0 {
		return failf(CloseInvalidIntents, "Invalid intent(s): undefined bits %#x", bad)
	}
	if denied := intents & IntentsPrivileged &^ cfg.ApprovedIntents; denied != 0 {
		var names []string
		for _, p := range privilegedNames {
			if denied&p.bit != 0 {
				names = append(names, p.name)
			}
		}
		return failf(CloseDisallowedIntents, "Disallowed intent(s): %s", strings.Join(names, ", "))
	}
	out.intents = intents
	out.shard = [2]int{0, 1}
	if out.rawShard != nil {
		if len(out.rawShard) != 2 {
			return failf(CloseInvalidShard, "Invalid shard: shard must be [shard_id, num_shards]")
		}
		out.shard = [2]int{out.rawShard[0], out.rawShard[1]}
	}
	id, n := out.shard[0], out.shard[1]
	if n < 1 || id < 0 || id >= n {
		return failf(CloseInvalidShard, "Invalid shard: [%d, %d]", id, n)
	}
	if cfg.RequiredShards > 0 && n%cfg.RequiredShards != 0 {
		return failf(CloseInvalidShard, "Invalid shard: shard count %d is not a multiple of %d", n, cfg.RequiredShards)
	}
	return nil
}

type resumeWire struct {
	Token     *string `json:"token"`
	SessionID *string `json:"session_id"`
	Seq       *int    `json:"seq"`
}

func parseResume(d json.RawMessage) (resumeWire, *closeFailure) {
	var w resumeWire
	if isNull(d) || json.Unmarshal(d, &w) != nil || w.Token == nil || w.SessionID == nil || w.Seq == nil {
		return w, failf(CloseUnknownOpcode, "Invalid payload for resume: token, session_id and seq are required")
	}
	return w, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
