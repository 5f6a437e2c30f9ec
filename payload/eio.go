package payload

import (
	"bytes"
	"encoding/base64"
	"errors"
)

// FrameType is an Engine.IO packet type.
type FrameType byte

// Engine.IO packet types, numbered as on the wire.
const (
	FrameOpen FrameType = iota
	FrameClose
	FramePing
	FramePong
	FrameMessage
	FrameUpgrade
	FrameNoop
)

var frameNames = [...]string{"open", "close", "ping", "pong", "message", "upgrade", "noop"}

func (t FrameType) String() string {
	if int(t) < len(frameNames) {
		return frameNames[t]
	}
	return "unknown"
}

// Frame is one Engine.IO packet. Only message frames can be Binary. For a
// text frame Data is what follows the type digit (for example "probe" in
// "2probe", or a Socket.IO packet in a message).
type Frame struct {
	Type   FrameType
	Binary bool
	Data   []byte
}

// RecordSeparator joins the frames of an Engine.IO 4 polling payload.
const RecordSeparator = 0x1e

// ErrParse reports an Engine.IO frame or payload that does not decode; the
// session that sent it is closed with the reason "parse error".
var ErrParse = errors.New("payload: parse error")

// ParseEIO4Frame decodes the text form of one Engine.IO 4 frame: a type digit
// and its data, or "b" and base64 for a binary message. Data aliases text
// except for binary frames.
func ParseEIO4Frame(text []byte) (Frame, error) {
	if len(text) == 0 {
		return Frame{}, ErrParse
	}
	if text[0] == 'b' {
		return base64Frame(text[1:])
	}
	return typedFrame(text)
}

// base64Frame decodes the base64 form of a binary message.
func base64Frame(src []byte) (Frame, error) {
	data, err := decodeBase64(src)
	if err != nil {
		return Frame{}, ErrParse
	}
	return Frame{Type: FrameMessage, Binary: true, Data: data}, nil
}

// typedFrame decodes a type digit and its data; text is not empty.
func typedFrame(text []byte) (Frame, error) {
	t := text[0] - '0'
	if t > byte(FrameNoop) {
		return Frame{}, ErrParse
	}
	return Frame{Type: FrameType(t), Data: text[1:]}, nil
}

func decodeBase64(src []byte) ([]byte, error) {
	dst := make([]byte, base64.StdEncoding.DecodedLen(len(src)))
	n, err := base64.StdEncoding.Decode(dst, src)
	return dst[:n], err
}

// AppendEIO4Frame appends the text form of f: the type digit and the data, or
// "b" and base64 for a binary message (the form polling payloads and
// base64-only websocket clients use).
func AppendEIO4Frame(dst []byte, f Frame) []byte {
	if f.Binary {
		dst = append(dst, 'b')
		return base64.StdEncoding.AppendEncode(dst, f.Data)
	}
	dst = append(dst, '0'+byte(f.Type))
	return append(dst, f.Data...)
}

// DecodeEIO4Payload splits an Engine.IO 4 polling body into frames. An empty
// body, an empty record or a record that does not parse is ErrParse.
func DecodeEIO4Payload(body []byte) ([]Frame, error) {
	if len(body) == 0 {
		return nil, ErrParse
	}
	// Check every record's type first, so that a body of empty or
	// untyped records is refused before the frames are allocated.
	n := 0
	for rec := range bytes.SplitSeq(body, []byte{RecordSeparator}) {
		if len(rec) == 0 || rec[0] != 'b' && (rec[0] < '0' || rec[0] > '0'+byte(FrameNoop)) {
			return nil, ErrParse
		}
		n++
	}
	frames := make([]Frame, 0, n)
	for len(body) > 0 || n > len(frames) {
		i := bytes.IndexByte(body, RecordSeparator)
		rec := body
		if i >= 0 {
			rec, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		f, err := ParseEIO4Frame(rec)
		if err != nil {
			return nil, err
		}
		frames = append(frames, f)
	}
	return frames, nil
}

// AppendEIO4Payload appends frames as one Engine.IO 4 polling body.
func AppendEIO4Payload(dst []byte, frames []Frame) []byte {
	for i, f := range frames {
		if i > 0 {
			dst = append(dst, RecordSeparator)
		}
		dst = AppendEIO4Frame(dst, f)
	}
	return dst
}
