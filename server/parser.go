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
	// MsgpackParser speaks socket.io-msgpack-parser, to each client
	// generation in the parser line it pairs with:
	//
	//   - socket.io-client 4.x and 3.x (EIO4), and the socket.io.msgpack
	//     browser bundle: the 3.x line. Each packet is one msgpack map in
	//     one binary message, binary values inside it ([]byte in Go,
	//     Buffer or ArrayBuffer in JavaScript).
	//   - socket.io-client 2.x (EIO3): the 2.x line. CONNECT, DISCONNECT
	//     and ERROR are the JSON text of the packet object in a text
	//     message, {"type":0,"nsp":"/"}; the other packets are msgpack as
	//     above. The server reads any packet from these clients in either
	//     message, so also as the 3.x line writes it. The 2.x line takes
	//     only a string as an ERROR's data: a middleware refusal reaches a
	//     2.x client as the error's data when that is a string, else as
	//     the error's message (with the JSON parser it gets the data,
	//     whatever it is).
	//
	// See payload.ParseMsgpackPacket and payload.ParseEIO3MsgpackText for
	// what the server accepts.
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
// socket.io-msgpack-parser 2.x, whose CONNECT, DISCONNECT and ERROR are
// JSON text messages, and whose events and acks with binary values come as
// BINARY_EVENT and BINARY_ACK.
type eio3Msgpack struct{ eio3 }

func (eio3Msgpack) traits() *traits { return &eio3MsgpackTraits }

func (eio3Msgpack) encodePacket(p *payload.Packet) []payload.Frame {
	b, text, err := payload.AppendEIO3MsgpackPacket(nil, p)
	if err != nil || !text {
		return msgpackFrames(b, err)
	}
	return []payload.Frame{{Type: payload.FrameMessage, Data: b}}
}

func (eio3Msgpack) parsePacket(b []byte) (payload.Packet, int, error) {
	p, err := payload.ParseEIO3MsgpackPacket(b)
	return p, 0, err
}

func (eio3Msgpack) parseTextPacket(text []byte) (payload.Packet, error) {
	return payload.ParseEIO3MsgpackText(text)
}

// textPacketParser is a dialect of binary packets that also reads packets
// in text messages (see eio3Msgpack).
type textPacketParser interface {
	parseTextPacket(text []byte) (payload.Packet, error)
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
