package server

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/sockio/sockio/payload"
)

// eio3Dialect is Engine.IO 3 with Socket.IO 4: socket.io-client 1.x–2.x.
var eio3Dialect dialect = eio3{}

// eio3 differs from eio4 on the wire (length-prefixed and XHR2 binary
// polling payloads, b4 base64, a 0x04 type byte on websocket binary
// messages, pings sent by the client) and in Socket.IO 4 (the server joins
// "/" unasked, CONNECT carries no payload, CONNECT_ERROR carries a string
// or the error's data, socket ids derive from the session id).
type eio3 struct{}

func (eio3) slot() int             { return slotSIO4 }
func (eio3) protocol() int         { return 4 }
func (eio3) serverPings() bool     { return false }
func (eio3) implicitConnect() bool { return true }

func (eio3) socketID(sid, nsp string) string {
	if nsp == "/" {
		return sid
	}
	return nsp + "#" + sid
}

// AppendPayload writes the XHR2 binary form when the client takes binary
// and the batch holds a binary frame, else the text form.
func (eio3) AppendPayload(dst []byte, frames []payload.Frame, b64 bool) ([]byte, string) {
	if !b64 {
		for _, f := range frames {
			if f.Binary {
				return payload.AppendBinaryPayloadV3(dst, frames), "application/octet-stream"
			}
		}
	}
	return payload.AppendPayloadV3(dst, frames), "text/plain; charset=UTF-8"
}

func (eio3) DecodePayload(body []byte, contentType string) ([]payload.Frame, error) {
	if strings.HasPrefix(contentType, "application/octet-stream") {
		return payload.DecodeBinaryPayloadV3(body)
	}
	return payload.DecodePayloadV3(body)
}

func (eio3) AppendMessage(dst []byte, f payload.Frame, b64 bool) ([]byte, bool) {
	if f.Binary && !b64 {
		return payload.AppendBinaryMessageV3(dst, f), true
	}
	return payload.AppendFrameV3(dst, f), false
}

func (eio3) ParseMessage(data []byte, binary bool) (payload.Frame, error) {
	if binary {
		return payload.ParseBinaryMessageV3(data)
	}
	return payload.ParseFrameV3(data)
}

func (eio3) AppendJSONP(dst []byte, j string, body []byte) []byte {
	return appendJSONP(dst, "___eio[", j, body)
}

func (eio3) DecodeJSONP(d string) []byte { return decodeJSONPField(d) }

func (eio3) Close() payload.Frame { return payload.Frame{Type: payload.FrameClose} }
func (eio3) Noop() payload.Frame  { return payload.Frame{Type: payload.FrameNoop} }

// encodePacket writes Socket.IO 4: CONNECT without payload, CONNECT_ERROR
// as the error's data if it has any, else its message as a JSON string.
func (eio3) encodePacket(p *payload.Packet) []payload.Frame {
	switch p.Type {
	case payload.Connect:
		q := *p
		q.Data = nil
		return encodeSIO(&q)
	case payload.ConnectError:
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
		return encodeSIO(&q)
	}
	return encodeSIO(p)
}

// parsePacket reads Socket.IO 4, where a CONNECT's namespace may carry a
// query (/admin?token=x): it becomes the auth object.
func (eio3) parsePacket(text []byte) (payload.Packet, int, error) {
	p, n, err := payload.ParsePacket(text)
	if err != nil {
		return p, n, err
	}
	if i := strings.IndexByte(p.Namespace, '?'); i >= 0 {
		query := p.Namespace[i+1:]
		p.Namespace = p.Namespace[:i]
		if p.Type == payload.Connect && p.Data == nil {
			vals, _ := url.ParseQuery(query)
			auth := make(map[string]string, len(vals))
			for k, v := range vals {
				auth[k] = v[0]
			}
			p.Data, _ = json.Marshal(auth)
		}
	}
	return p, n, nil
}
