package server

import (
	"context"
	"log/slog"

	"github.com/sockio/sockio/payload"
	"github.com/sockio/sockio/transports"
)

// Stats are an engine's counters since it was made.
type Stats struct {
	// Closes counts the sessions that have closed, by reason: "ping
	// timeout", "transport close", "transport error", "parse error",
	// "forced close", "server shutting down", or a reason the application
	// gave.
	Closes map[string]uint64
}

// Stats returns a copy of the engine's counters.
func (e *Engine) Stats() Stats {
	e.statsMu.Lock()
	defer e.statsMu.Unlock()
	closes := make(map[string]uint64, len(e.closes))
	for k, v := range e.closes {
		closes[k] = v
	}
	return Stats{Closes: closes}
}

// closedSession counts and logs (at debug level) the close of s.
func (e *Engine) closedSession(s *session, tr transports.Transport, reason payload.DisconnectReason, err error) {
	if e.metrics != nil {
		e.metrics.SessionClosed(s.d.traits().generation, transportName(tr), reason)
	}
	e.statsMu.Lock()
	e.closes[string(reason)]++
	e.statsMu.Unlock()
	e.observeClose(s.id, reason)
	if !e.log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	name := transportName(tr)
	if name == "" {
		name = "none"
	}
	attrs := []any{"sid", s.id, "gen", s.d.traits().generation.String(), "transport", name, "reason", reason}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	e.log.Debug("sockio: session closed", attrs...)
}

// transportName is tr's name, "" for none.
func transportName(tr transports.Transport) string {
	if tr == nil {
		return ""
	}
	return tr.Name()
}
