package pollclient

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Poller is one Engine.IO long-polling session: GETs on one connection,
// POSTs on another, so that a POST never waits behind a held poll. It is
// not safe for concurrent use.
type Poller struct {
	proto  int
	get    *Conn
	post   *Conn
	base   []byte // path and query up to, and with, the sid
	target []byte
	out    []byte
	n      int64 // the t parameter: requests so far
}

// Open handshakes with the server at host (host:port) over Engine.IO proto
// (4 or 3) and joins the main namespace; timeout bounds each request.
func Open(host string, proto int, timeout time.Duration) (*Poller, error) {
	p := &Poller{proto: proto, get: NewConn(host, timeout), post: NewConn(host, timeout)}
	p.base = append(p.base, "/socket.io/?EIO="...)
	p.base = strconv.AppendInt(p.base, int64(proto), 10)
	p.base = append(p.base, "&transport=polling"...)
	body, err := p.Get()
	if err != nil {
		p.Close()
		return nil, err
	}
	open, rest, _, err := NextPacket(proto, body)
	if err != nil || !bytes.HasPrefix(open, []byte(`0{"sid":"`)) {
		p.Close()
		return nil, fmt.Errorf("pollclient: no open packet: %.80q", body)
	}
	sid, _, _ := bytes.Cut(open[len(`0{"sid":"`):], []byte(`"`))
	p.base = append(append(p.base, "&sid="...), sid...)
	joined := false
	for x, rest, ok, _ := NextPacket(proto, rest); ok; x, rest, ok, _ = NextPacket(proto, rest) {
		joined = joined || bytes.HasPrefix(x, []byte("40"))
	}
	if proto == 4 {
		if err := p.Post([]byte("40")); err != nil {
			p.Close()
			return nil, err
		}
	}
	for !joined {
		body, err := p.Get()
		if err != nil {
			p.Close()
			return nil, err
		}
		if joined, err = p.each(body, func(x []byte) bool { return bytes.HasPrefix(x, []byte("40")) }); err != nil {
			p.Close()
			return nil, err
		}
	}
	return p, nil
}

// Close closes both connections.
func (p *Poller) Close() {
	p.get.Close()
	p.post.Close()
}

// url returns the target of the next request.
func (p *Poller) url() []byte {
	p.n++
	p.target = append(append(p.target[:0], p.base...), "&t="...)
	p.target = strconv.AppendInt(p.target, p.n, 36)
	return p.target
}

// Get polls once and returns the body, valid until the next Get.
func (p *Poller) Get() ([]byte, error) {
	status, body, err := p.get.Do(p.url(), nil, "")
	if err != nil {
		return nil, err
	}
	if status != 200 {
		return nil, fmt.Errorf("pollclient: GET %d: %.80s", status, body)
	}
	return body, nil
}

// Post sends packets as one payload.
func (p *Poller) Post(packets ...[]byte) error {
	p.out = AppendPayload(p.out[:0], p.proto, packets...)
	status, body, err := p.post.Do(p.url(), p.out, "text/plain;charset=UTF-8")
	if err != nil {
		return err
	}
	if status != 200 {
		return fmt.Errorf("pollclient: POST %d: %.80s", status, body)
	}
	return nil
}

// each calls fn for every packet of body and reports whether fn was true
// for any. Engine.IO 4 pings are answered on the way.
func (p *Poller) each(body []byte, fn func(packet []byte) bool) (bool, error) {
	found, pinged := false, false
	for {
		x, rest, ok, err := NextPacket(p.proto, body)
		if err != nil {
			return found, err
		}
		if !ok {
			break
		}
		body = rest
		if len(x) == 1 && x[0] == '2' && p.proto == 4 {
			pinged = true
		}
		if fn(x) {
			found = true
		}
	}
	if pinged {
		return found, p.Post([]byte("3"))
	}
	return found, nil
}

// Echo posts frame, an event with an ack, and polls until the ack (a
// packet "43…") arrives. A poll answered without it after by ends the wait
// with ErrNoAck (each poll is bounded by the request timeout).
func (p *Poller) Echo(frame []byte, by time.Time) error {
	if err := p.Post(frame); err != nil {
		return err
	}
	for {
		body, err := p.Get()
		if err != nil {
			return err
		}
		acked, err := p.each(body, isAck)
		if err != nil || acked {
			return err
		}
		if time.Now().After(by) {
			return ErrNoAck
		}
	}
}

// ErrNoAck is Echo's error for an ack that did not come in time.
var ErrNoAck = errors.New("pollclient: no ack in time")

func isAck(x []byte) bool { return len(x) >= 2 && x[0] == '4' && x[1] == '3' }
