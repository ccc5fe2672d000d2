package discordtest

import (
	"time"

	"github.com/hearthbot/hearth/discordtest/internal/gateway"
)

// GatewayRecord is one gateway payload or close, in either direction.
type GatewayRecord = gateway.Record

// GatewaySession describes one gateway session.
type GatewaySession = gateway.SessionInfo

// Directions of a GatewayRecord.
const (
	GatewaySent     = gateway.Sent
	GatewayReceived = gateway.Received
)

// GatewayPayloads returns every gateway payload and close so far.
func (s *Server) GatewayPayloads() []GatewayRecord { return s.gw.Payloads() }

// GatewaySessions returns the live and resumable gateway sessions.
func (s *Server) GatewaySessions() []GatewaySession { return s.gw.Sessions() }

// DropConnection drops the TCP connection of a shard without a close
// frame; the session stays resumable (contract D.2).
func (s *Server) DropConnection(shard int) error { return s.gw.DropConnection(shard) }

// SendReconnect sends op 7 to a shard, then closes its socket a few
// seconds later if the client has not (contract A.3.40, D.4).
func (s *Server) SendReconnect(shard int) error { return s.gw.SendReconnect(shard) }

// InvalidateSession sends op 9 with d resumable (contract D.5, D.6).
func (s *Server) InvalidateSession(shard int, resumable bool) error {
	return s.gw.InvalidateSession(shard, resumable)
}

// CloseGateway closes a shard's connection with any close code
// (contract A.3.41, D.13).
func (s *Server) CloseGateway(shard, code int, reason string) error {
	return s.gw.CloseWithCode(shard, code, reason)
}

// SetHeartbeatACKs stops (false) or resumes acknowledging a shard's
// heartbeats, for zombie-connection tests (contract D.7).
func (s *Server) SetHeartbeatACKs(shard int, on bool) error { return s.gw.SetHeartbeatACKs(shard, on) }

// RequestHeartbeat sends op 1 to a shard (contract A.3.32, D.8).
func (s *Server) RequestHeartbeat(shard int) error { return s.gw.RequestHeartbeat(shard) }

// ReconnectBeforeHello makes the next n connections get op 7 instead of
// HELLO (contract A.3.40).
func (s *Server) ReconnectBeforeHello(n int) { s.gw.ReconnectBeforeHello(n) }

// WaitGatewayReady waits until n sessions are connected (a session
// exists once its IDENTIFY was accepted and READY queued), and reports
// whether they were in time.
func (s *Server) WaitGatewayReady(n int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		ready := 0
		for _, sess := range s.gw.Sessions() {
			if sess.Connected {
				ready++
			}
		}
		if ready >= n {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}
