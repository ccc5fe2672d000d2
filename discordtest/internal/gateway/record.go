package gateway

import "time"

// Direction says who sent a recorded payload.
type Direction int

const (
	// Sent is a payload or close the server sent to the client.
	Sent Direction = iota
	// Received is a payload or close the client sent to the server.
	Received
)

// String returns "sent" or "received".
func (d Direction) String() string {
	if d == Received {
		return "received"
	}
	return "sent"
}

// OpNone is Record.Op for a close, a dropped connection or a payload that could not be decoded.
const OpNone = -1

// CloseAbnormal is Record.CloseCode for a connection that ended without a close frame
// (DropConnection, a client that vanished, a failed write).
const CloseAbnormal = 1006

// maxRecords bounds the inspection log; the oldest records are dropped first.
const maxRecords = 100_000

// Record is one entry of the inspection log: a payload or a close, in either direction.
type Record struct {
	// Time is Config.Now at the moment of the write or read.
	Time time.Time
	// Conn numbers connections from 1 in the order they were accepted.
	Conn uint64
	// SessionID is the session the connection served at that moment, or "".
	SessionID string
	// Shard is the session's [shard_id, num_shards], or [0, 0] without a session.
	Shard [2]int
	// ViaResumeURL is true for a connection accepted by Handler(true).
	ViaResumeURL bool
	// Dir says who sent it.
	Dir Direction
	// Op is the opcode, or OpNone for a close or an undecodable payload.
	Op int
	// Type is t of a dispatch.
	Type string
	// Seq is s of a dispatch, else 0.
	Seq int
	// Size is the length of the JSON payload in bytes (for a received payload over MaxPayload,
	// MaxPayload+1: the rest is not read).
	Size int
	// WireSize is the length of the websocket message after compression.
	WireSize int
	// CloseCode is the close code of a close record (CloseAbnormal when there was no frame).
	CloseCode int
	// CloseReason is the close frame's reason.
	CloseReason string
}

func (s *Server) record(r Record) {
	r.Time = s.cfg.Now()
	s.logMu.Lock()
	if len(s.log) >= maxRecords {
		n := copy(s.log, s.log[len(s.log)-maxRecords/2:])
		s.log = s.log[:n]
	}
	s.log = append(s.log, r)
	s.logMu.Unlock()
	if s.cfg.OnPayload != nil {
		s.cfg.OnPayload(r)
	}
}

// Payloads returns a copy of the inspection log, oldest first.
func (s *Server) Payloads() []Record {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	out := make([]Record, len(s.log))
	copy(out, s.log)
	return out
}
