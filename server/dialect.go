package server

import (
	"bytes"
	"encoding/json"

	"github.com/sockio/sockio/payload"
	"github.com/sockio/sockio/transports"
)

// dialect is one client generation's codecs: its wire framing (for the
// transports) and its Socket.IO packet encoding. Nothing outside this
// package sees which dialect a session speaks.
type dialect interface {
	transports.Framing
	// traits are the generation's fixed facts.
	traits() *traits
	// encodePacket turns a Socket.IO packet into message frames.
	encodePacket(p *payload.Packet) []payload.Frame
	// parsePacket decodes the text of a Socket.IO packet; n is the number
	// of binary attachments that complete it.
	parsePacket(text []byte) (p payload.Packet, n int, err error)
}

// traits are what tells a generation apart above its codecs.
type traits struct {
	// generation is the client generation that speaks the dialect.
	generation Generation
	// slot is the dialect's encoding slot in a payload.Shared.
	slot int
	// protocol is the Socket.IO protocol revision (for the handshake info).
	protocol int
	// serverPings is true when the server sends pings and the client
	// answers (EIO4, V1), false when the client pings (EIO3).
	serverPings bool
	// implicitConnect is true when the server joins the client to "/"
	// without being asked (EIO3 and V1).
	implicitConnect bool
	// recovers is true when the generation's clients take part in
	// connection state recovery (Engine.IO 4: socket.io-client 4.6+ reads
	// the pid and offsets; older 3.x/4.x clients ignore them).
	recovers bool
	// sidSocketIDs is true when socket ids derive from the session id
	// (EIO3 and V1; see sidSocketID), false for fresh random ones.
	sidSocketIDs bool
	// binaryPackets is true when each Socket.IO packet is one binary
	// message (the msgpack parser), false when it is a text message
	// followed by its attachments.
	binaryPackets bool
	// ignored, when set, reports a message frame whose packet the
	// generation's servers ignore. The V1 framing tells frames apart by the
	// header alone and leaves that to parsePacket; a raw Engine, which
	// parses no packet, asks here.
	ignored func(text []byte) bool
}

// The traits of each generation.
var (
	eio4Traits = traits{generation: EIO4, slot: slotEIO4, protocol: 5, serverPings: true, recovers: true}
	eio3Traits = traits{generation: EIO3, slot: slotEIO3, protocol: 4, implicitConnect: true, sidSocketIDs: true}
	v1Traits   = traits{generation: V1, slot: slotV1, protocol: 1, serverPings: true, implicitConnect: true,
		sidSocketIDs: true, ignored: v1Ignored}
)

// socketID is the socket id the client of session sid expects in
// namespace nsp, or "" for a fresh random one.
func (t *traits) socketID(sid, nsp string) string {
	if !t.sidSocketIDs {
		return ""
	}
	return sidSocketID(sid, nsp)
}

// Encoding slots in payload.Shared, one per generation's packet form.
const (
	slotEIO4 = iota
	slotEIO3
	slotV1
	slotEIO4Msgpack
	slotEIO3Msgpack
)

// frames gives a dialect the close and noop frames, which every
// generation's framing lays out from the frame type.
type frames struct{}

func (frames) Close() payload.Frame { return payload.Frame{Type: payload.FrameClose} }
func (frames) Noop() payload.Frame  { return payload.Frame{Type: payload.FrameNoop} }

// eioJSONP is the JSONP form of EIO3 and EIO4 polling: ___eio[j]("…");
// and form fields with escaped newlines.
type eioJSONP struct{}

func (eioJSONP) AppendJSONP(dst []byte, j string, body []byte) []byte {
	return appendJSONP(dst, "___eio[", j, body)
}

func (eioJSONP) DecodeJSONP(d string) []byte { return decodeJSONPField(d) }

// sidSocketID is the socket id of EIO3 and protocol 1 clients, derived
// from the session id: the sid itself in "/", "<nsp>#<sid>" elsewhere, so
// that socket ids stay unique across namespaces.
func sidSocketID(sid, nsp string) string {
	if nsp == "/" {
		return sid
	}
	return nsp + "#" + sid
}

// encodeSIO lays out a Socket.IO packet as one text message frame followed
// by one binary message frame per attachment.
func encodeSIO(p *payload.Packet) []payload.Frame {
	n := 1 + len(p.Namespace) + len(p.Data) + 24
	header := payload.AppendPacket(make([]byte, 0, n), p)
	frames := make([]payload.Frame, 1+len(p.Attachments))
	frames[0] = payload.Frame{Type: payload.FrameMessage, Data: header}
	for i, a := range p.Attachments {
		frames[i+1] = payload.Frame{Type: payload.FrameMessage, Binary: true, Data: a}
	}
	return frames
}

// appendJSONP wraps body as a JavaScript string literal in a callback call:
// prefix + j + `]("…");`. encoding/json's string form is a valid JavaScript
// literal and escapes U+2028 and U+2029.
func appendJSONP(dst []byte, prefix, j string, body []byte) []byte {
	lit, _ := json.Marshal(string(body))
	dst = append(dst, prefix...)
	dst = append(dst, j...)
	dst = append(dst, "]("...)
	dst = append(dst, lit...)
	return append(dst, ");"...)
}

// decodeJSONPField undoes the JSONP form encoding of engine.io clients:
// an escaped newline (backslash n not preceded by a backslash) is a real
// newline, and backslash backslash n is a literal backslash n.
func decodeJSONPField(d string) []byte {
	var out bytes.Buffer
	out.Grow(len(d))
	for i := 0; i < len(d); i++ {
		c := d[i]
		if c == '\\' && i+1 < len(d) {
			switch {
			case d[i+1] == 'n':
				out.WriteByte('\n')
				i++
				continue
			case d[i+1] == '\\' && i+2 < len(d) && d[i+2] == 'n':
				out.WriteString(`\n`)
				i += 2
				continue
			}
		}
		out.WriteByte(c)
	}
	return out.Bytes()
}
