package payload

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
)

// The Socket.IO packet forms of EIO3 clients (socket.io-client 1.x–2.x,
// Socket.IO protocol 4), where they differ from protocol 5's: CONNECT
// carries no payload, CONNECT_ERROR carries a string or the error's data,
// and a CONNECT's namespace may carry a query (/admin?token=x) that stands
// for the auth object.

// EIO3Packet returns p as an EIO3 client reads it: a CONNECT without its
// payload, a CONNECT_ERROR as the error's data if it has any, else its
// message as a JSON string. Other packets are returned as they are.
func EIO3Packet(p *Packet) *Packet {
	switch p.Type {
	case Connect:
		q := *p
		q.Data = nil
		return &q
	case ConnectError:
		var body struct {
			Message string          `json:"message"`
			Data    json.RawMessage `json:"data"`
		}
		q := *p
		if json.Unmarshal(p.Data, &body) == nil {
			if len(body.Data) > 0 && !bytes.Equal(body.Data, []byte("null")) {
				q.Data = body.Data
			} else {
				q.Data, _ = json.Marshal(body.Message)
			}
		}
		return &q
	}
	return p
}

// ParseEIO3Packet decodes a packet from an EIO3 client, as ParsePacket
// does; a query on the namespace is cut off, and a CONNECT without payload
// gets it as its auth object (see QueryAuth).
func ParseEIO3Packet(text []byte) (Packet, int, error) {
	p, n, err := ParsePacket(text)
	if err != nil {
		return p, n, err
	}
	if i := strings.IndexByte(p.Namespace, '?'); i >= 0 {
		query := p.Namespace[i+1:]
		p.Namespace = p.Namespace[:i]
		if p.Type == Connect && p.Data == nil {
			p.Data = QueryAuth(query)
		}
	}
	return p, n, nil
}

// QueryAuth turns the query of a CONNECT's namespace (token=x&room=y),
// which EIO3 and protocol 1 clients send where protocol 5 sends an auth
// object, into that object: {"token":"x","room":"y"}, the first value of
// each key. A query that does not parse gives what parsed of it.
func QueryAuth(query string) json.RawMessage {
	vals, _ := url.ParseQuery(query)
	auth := make(map[string]string, len(vals))
	for k, v := range vals {
		auth[k] = v[0]
	}
	b, _ := json.Marshal(auth)
	return b
}
