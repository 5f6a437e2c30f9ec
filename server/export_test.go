package server

import "github.com/sockio/sockio/transports"

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
