package server

import (
	"time"

	"github.com/sockio/sockio/transports"
)

// PollPending reports whether session sid of srv has a poll (GET) waiting
// for data, so that tests can order requests against it without sleeping.
func PollPending(srv *Server, sid string) bool {
	e := srv.eng
	e.mu.Lock()
	s := e.sessions[sid]
	e.mu.Unlock()
	if s == nil {
		return false
	}
	tr, _ := s.state()
	p, _ := tr.(*transports.Polling)
	return p != nil && p.Pending()
}

// SetIdleWait sets how long srv's websockets wait for data before they are
// parked; call it before the server serves.
func SetIdleWait(srv *Server, d time.Duration) { srv.eng.wsOpts.IdleWait = d }

// Parked reports srv's parked websockets: how many now, how many parks in
// all, and a channel closed at the next change.
func Parked(srv *Server) (now int, total uint64, changed <-chan struct{}) {
	return srv.eng.parker.Parked()
}
