package transports

// Meter hears of the traffic a transport carries, for metrics. A Session
// offers one through a Meter() Meter method (optional: a session without
// it, or whose method returns nil, is not metered, at no cost). Its methods
// run on the transports' hot paths, concurrently: they must be quick and
// must not block.
type Meter interface {
	// Read reports frames decoded from bytes the client sent on the named
	// transport (a websocket message, a polling POST body).
	Read(transport string, frames, bytes int)
	// Wrote reports frames about to be written to the client in bytes on
	// the named transport (websocket messages, a poll's answer, an
	// htmlfile chunk): it runs before the write, so that it has run by
	// the time the client can answer.
	Wrote(transport string, frames, bytes int)
}

// meterOf returns sess's meter, nil when it has none.
func meterOf(sess Session) Meter {
	if m, ok := sess.(interface{ Meter() Meter }); ok {
		return m.Meter()
	}
	return nil
}
