package server

import (
	"github.com/sockio/sockio/payload"
)

// Parser is the Socket.IO packet form a server speaks with its Engine.IO 3
// and 4 clients (socket.io's parser option). As in socket.io, one server
// uses one parser for all of them: a client of the other parser fails to
// connect, its first packet being refused with a parse error that closes
// its connection (and no other). The parser does not apply to 0.9 clients
// (Socket.IO protocol 1), whose form is their own, nor to a raw [Engine].
type Parser uint8

const (
	// JSONParser is socket.io's default parser: text packets with JSON
	// data, binary values sent as attachments in binary messages after
	// their packet.
	JSONParser Parser = iota
	// MsgpackParser speaks the form of socket.io-msgpack-parser 3.x (used
	// with socket.io-client 4.x and 2.x, and in the socket.io.msgpack
	// browser bundle): each packet one msgpack map in one binary message,
	// binary values inside it ([]byte in Go, Buffer or ArrayBuffer in
	// JavaScript). See payload.ParseMsgpackPacket for what it accepts.
	MsgpackParser
)

// String names the parser: "json" or "msgpack".
func (p Parser) String() string {
	if p == MsgpackParser {
		return "msgpack"
	}
	return "json"
}

// eio4 returns the EIO4 dialect of the parser.
func (p Parser) eio4() dialect {
	if p == MsgpackParser {
		return eio4Msgpack{}
	}
	return eio4{}
}

// eio3 returns the EIO3 dialect of the parser.
func (p Parser) eio3() dialect {
	if p == MsgpackParser {
		return eio3Msgpack{}
	}
	return eio3Dialect
}

// The msgpack dialects share their generation's traits but for their own
// encoding slot and their binary packets.
var (
	eio4MsgpackTraits = withMsgpack(eio4Traits, slotEIO4Msgpack)
	eio3MsgpackTraits = withMsgpack(eio3Traits, slotEIO3Msgpack)
)

func withMsgpack(t traits, slot int) traits {
	t.slot, t.binaryPackets = slot, true
	return t
}

// eio4Msgpack is EIO4 with the msgpack parser: socket.io-client 3.x–4.x
// with socket.io-msgpack-parser.
type eio4Msgpack struct{ eio4 }

func (eio4Msgpack) traits() *traits { return &eio4MsgpackTraits }

func (eio4Msgpack) encodePacket(p *payload.Packet) []payload.Frame {
	return msgpackFrames(payload.AppendMsgpackPacket(nil, p))
}

func (eio4Msgpack) parsePacket(b []byte) (payload.Packet, int, error) {
	p, err := payload.ParseMsgpackPacket(b)
	return p, 0, err
}

// eio3Msgpack is EIO3 with the msgpack parser: socket.io-client 2.x with
// socket.io-msgpack-parser, whose events and acks with binary values come
// as BINARY_EVENT and BINARY_ACK.
type eio3Msgpack struct{ eio3 }

func (eio3Msgpack) traits() *traits { return &eio3MsgpackTraits }

func (eio3Msgpack) encodePacket(p *payload.Packet) []payload.Frame {
	return msgpackFrames(payload.AppendEIO3MsgpackPacket(nil, p))
}

func (eio3Msgpack) parsePacket(b []byte) (payload.Packet, int, error) {
	p, err := payload.ParseEIO3MsgpackPacket(b)
	return p, 0, err
}

// msgpackFrames is the one binary message of a msgpack packet. The encoder
// fails only on data that is not JSON, which the namespaces never make;
// such a packet is not sent.
func msgpackFrames(b []byte, err error) []payload.Frame {
	if err != nil {
		return nil
	}
	return []payload.Frame{{Type: payload.FrameMessage, Binary: true, Data: b}}
}
