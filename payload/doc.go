// Package payload holds the pure codecs of every socket.io generation: no I/O,
// no state beyond what one decode needs, errors as values.
//
// Two layers live here, as they do on the wire:
//
//   - Engine.IO frames ([Frame]) and the polling payloads that carry many of
//     them in one HTTP body: Engine.IO 4 joins frames with 0x1E.
//   - Socket.IO packets ([Packet]): CONNECT, DISCONNECT, EVENT, ACK,
//     CONNECT_ERROR and their binary forms, with attachments split out of the
//     JSON and replaced by placeholders.
//
// Each generation has one name, which all that is its own carries: EIO4
// (socket.io-client 3.x–4.x: [ParseEIO4Frame], [DecodeEIO4Payload]), EIO3
// (1.x–2.x: [DecodeEIO3Payload], the XHR2 [DecodeEIO3BinaryPayload], and
// its Socket.IO 4 packet forms, [EIO3Packet] and [ParseEIO3Packet]) and V1
// (0.9, Socket.IO protocol 1: [ParseV1Packet], [DecodeV1Payload], and the
// translation to and from Socket.IO packets, [V1ToPacket] and
// [PacketToV1], or in one pass from the client's text, [V1HeaderFrame] and
// [V1MessagePacket]). Codecs without a prefix serve every generation.
//
// The msgpack packet form of socket.io-msgpack-parser, which EIO4 and EIO3
// clients may use instead of the text form, decodes into the same [Packet]
// shape ([ParseMsgpackPacket], [ParseEIO3MsgpackPacket], and the JSON text
// packets of the parser's 2.x line, [ParseEIO3MsgpackText]) and back
// ([AppendMsgpackPacket], [AppendEIO3MsgpackPacket]).
//
// [EncodeEvent], [EncodeAck] and [DecodeArgs] convert between Go values and the JSON array
// of an event, moving []byte values into attachments and back.
//
// [Shared] is an outbound packet that many sessions send: it remembers one
// encoding per dialect so that a broadcast is encoded once per generation,
// never once per receiver.
//
// Every decoder takes hostile input: a length or count is checked against
// the bytes actually present before anything is allocated for it, a binary
// packet announces 1 to [MaxAttachments] attachments and uses each exactly
// once (see [ParsePacket]), and failures are errors ([ErrParse],
// [ErrPacket], [ErrMsgpack], [ErrV1Packet], [ErrV1Payload]), never panics. The fuzz
// targets of this package, all in fuzz_test.go, run for a time budget with
// scripts/fuzz.sh.
//
// This package imports nothing else of sockio's.
package payload
