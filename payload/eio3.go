package payload

import (
	"encoding/base64"
	"encoding/binary"
	"math/bits"
	"strconv"
	"unicode/utf8"
)

// Engine.IO 3 (socket.io-client 1.x and 2.x) differs from Engine.IO 4 in how
// frames travel, not in what they are, so it shares [Frame] and [ErrParse]:
//
//   - the base64 form of a binary message is "b4" and base64 (the packet type
//     is kept), where Engine.IO 4 has "b" alone;
//   - a websocket binary message starts with the type byte 0x04;
//   - a text polling payload is "<len>:<frame>" repeated, len counting UTF-16
//     code units (JavaScript's String length), not bytes;
//   - an XHR2 polling payload (binary, used when the session has binary to
//     send and did not ask for b64) is, per frame, a 0x00 (text) or 0x01
//     (binary) marker, the length in bytes as one byte per decimal digit
//     (values 0–9), 0xFF, and the frame.

// XHR2 payload markers and the byte that ends a length.
const (
	xhr2Text      = 0x00
	xhr2Binary    = 0x01
	xhr2LenEnd    = 0xFF
	xhr2MaxDigits = 20
)

// ParseEIO3Frame decodes the text form of one Engine.IO 3 frame: a type digit
// and its data, or "b4" and base64 for a binary message. An empty text, an
// unknown type, a "b" not followed by "4" or bad base64 is [ErrParse]. Data
// aliases text except for binary frames.
func ParseEIO3Frame(text []byte) (Frame, error) {
	if len(text) == 0 {
		return Frame{}, ErrParse
	}
	if text[0] == 'b' {
		if len(text) < 2 || text[1] != '0'+byte(FrameMessage) {
			return Frame{}, ErrParse
		}
		return base64Frame(text[2:])
	}
	return typedFrame(text)
}

// AppendEIO3Frame appends the text form of f: the type digit and the data, or
// "b4" and base64 for a binary message (the form text polling payloads,
// JSONP and base64-only websocket clients use).
func AppendEIO3Frame(dst []byte, f Frame) []byte {
	if f.Binary {
		dst = append(dst, 'b', '0'+byte(FrameMessage))
		return base64.StdEncoding.AppendEncode(dst, f.Data)
	}
	dst = append(dst, '0'+byte(f.Type))
	return append(dst, f.Data...)
}

// ParseEIO3BinaryMessage decodes an Engine.IO 3 websocket binary message: the
// type byte 0x04 and the bytes of a binary message. Anything else, including
// an empty message, is [ErrParse]. Data aliases data.
func ParseEIO3BinaryMessage(data []byte) (Frame, error) {
	if len(data) == 0 || data[0] != byte(FrameMessage) {
		return Frame{}, ErrParse
	}
	return Frame{Type: FrameMessage, Binary: true, Data: data[1:]}, nil
}

// AppendEIO3BinaryMessage appends the Engine.IO 3 websocket binary message that
// carries f, a binary message frame: the type byte 0x04 and f.Data.
func AppendEIO3BinaryMessage(dst []byte, f Frame) []byte {
	dst = append(dst, byte(FrameMessage))
	return append(dst, f.Data...)
}

// UTF16Len returns the length of the UTF-8 text b in UTF-16 code units, which
// is what JavaScript's String length gives: characters outside the Basic
// Multilingual Plane count 2, others 1, and every byte that is not part of a
// valid UTF-8 sequence counts 1 (as the replacement character it would
// become).
func UTF16Len(b []byte) int {
	if utf8.Valid(b) {
		return validUTF16Len(b)
	}
	n := 0
	for i := 0; i < len(b); {
		size, units := utf16Rune(b[i:])
		i += size
		n += units
	}
	return n
}

const highBits = 0x8080808080808080

// units8 is the number of UTF-16 code units of the characters that start in
// w, eight bytes of valid UTF-8: every byte but continuation bytes (10xxxxxx)
// starts one, and those that start four-byte sequences (11110xxx, the only
// bytes of valid UTF-8 at or above 0xF0) count twice.
func units8(w uint64) int {
	cont := w &^ (w << 1) & highBits
	lead4 := w & (w << 1) & (w << 2) & (w << 3) & highBits
	return 8 - bits.OnesCount64(cont) + bits.OnesCount64(lead4)
}

// unitsByte is units8 for a single byte.
func unitsByte(c byte) int {
	switch {
	case c < 0x80:
		return 1
	case c < 0xC0:
		return 0
	case c < 0xF0:
		return 1
	}
	return 2
}

// validUTF16Len is UTF16Len for valid UTF-8, eight bytes at a time.
func validUTF16Len(b []byte) int {
	n, i := len(b), 0
	for ; i+8 <= len(b); i += 8 {
		if w := binary.LittleEndian.Uint64(b[i:]); w&highBits != 0 {
			n += units8(w) - 8
		}
	}
	for ; i < len(b); i++ {
		n += unitsByte(b[i]) - 1
	}
	return n
}

// utf16Rune returns the size in bytes of the first character of the
// non-empty b and its length in UTF-16 code units, an invalid byte being a
// character of one unit.
func utf16Rune(b []byte) (size, units int) {
	if b[0] < utf8.RuneSelf {
		return 1, 1
	}
	r, size := utf8.DecodeRune(b)
	if r > 0xFFFF {
		return size, 2
	}
	return size, 1
}

// utf16Span returns the number of bytes at the start of b that hold exactly
// units UTF-16 code units, or false if b is shorter or a character outside
// the Basic Multilingual Plane straddles the end. valid says that b is valid
// UTF-8, which allows counting eight bytes at a time.
func utf16Span(b []byte, units int, valid bool) (int, bool) {
	i := 0
	if !valid {
		for units > 0 {
			if i >= len(b) {
				return 0, false
			}
			size, u := utf16Rune(b[i:])
			i += size
			units -= u
		}
		return i, units == 0
	}
	// Skip whole words while the characters that start in them do not
	// reach the end; a character that runs into the next word leaves
	// continuation bytes there, which count nothing.
	for i+8 <= len(b) {
		w := binary.LittleEndian.Uint64(b[i:])
		u := 8
		if w&highBits != 0 {
			u = units8(w)
		}
		if u >= units {
			break
		}
		units -= u
		i += 8
	}
	for units > 0 {
		if i >= len(b) {
			return 0, false
		}
		units -= unitsByte(b[i])
		i++
	}
	// The rest of the last character.
	for i < len(b) && b[i]&0xC0 == 0x80 {
		i++
	}
	return i, units == 0
}

// frameUTF16Len is UTF16Len(AppendEIO3Frame(nil, f)) without the encoding.
func frameUTF16Len(f Frame) int {
	if f.Binary {
		return 2 + base64.StdEncoding.EncodedLen(len(f.Data))
	}
	return 1 + UTF16Len(f.Data)
}

// AppendEIO3Payload appends frames as one Engine.IO 3 text polling body: for
// each frame, its length in UTF-16 code units, ':' and its text form
// (binary messages as "b4" and base64).
func AppendEIO3Payload(dst []byte, frames []Frame) []byte {
	for _, f := range frames {
		dst = strconv.AppendInt(dst, int64(frameUTF16Len(f)), 10)
		dst = append(dst, ':')
		dst = AppendEIO3Frame(dst, f)
	}
	return dst
}

// nextTextEIO3 splits the first "<len>:<frame>" off the non-empty body of a
// text payload. The length must be decimal digits (leading zeros are
// accepted, as the reference does) and not zero, and the frame must hold
// exactly that many UTF-16 code units. valid says that body is valid UTF-8.
func nextTextEIO3(body []byte, valid bool) (frame, rest []byte, ok bool) {
	n, i := 0, 0
	for ; i < len(body) && body[i] != ':'; i++ {
		d := body[i] - '0'
		if d > 9 {
			return nil, nil, false
		}
		// A code unit takes at least one byte: a length beyond what is
		// left is an overrun, and checking it here keeps n from
		// overflowing.
		if n = n*10 + int(d); n > len(body) {
			return nil, nil, false
		}
	}
	if i == 0 || i == len(body) || n == 0 {
		// No digits, no ':' or an empty frame.
		return nil, nil, false
	}
	body = body[i+1:]
	size, ok := utf16Span(body, n, valid)
	if !ok {
		return nil, nil, false
	}
	return body[:size], body[size:], true
}

// DecodeEIO3Payload splits an Engine.IO 3 text polling body into frames. An
// empty body, a length that is not decimal digits or is zero, a frame shorter
// or longer than its length (counted in UTF-16 code units), bytes left over
// without a ':' or a frame that does not parse is [ErrParse], and the whole
// body is rejected. Data aliases body except for binary frames.
func DecodeEIO3Payload(body []byte) ([]Frame, error) {
	if len(body) == 0 {
		return nil, ErrParse
	}
	// Check the framing and count the frames first, so that the result
	// is allocated once and at its size.
	valid := utf8.Valid(body)
	n := 0
	for rest := body; len(rest) > 0; n++ {
		var ok bool
		if _, rest, ok = nextTextEIO3(rest, valid); !ok {
			return nil, ErrParse
		}
	}
	frames := make([]Frame, 0, n)
	for rest := body; len(rest) > 0; {
		var text []byte
		text, rest, _ = nextTextEIO3(rest, valid)
		f, err := ParseEIO3Frame(text)
		if err != nil {
			return nil, err
		}
		frames = append(frames, f)
	}
	return frames, nil
}

// appendDigitBytes appends n in decimal, one byte per digit with the digit's
// value (0–9) rather than its ASCII code.
func appendDigitBytes(dst []byte, n int) []byte {
	start := len(dst)
	dst = strconv.AppendInt(dst, int64(n), 10)
	for i := start; i < len(dst); i++ {
		dst[i] -= '0'
	}
	return dst
}

// AppendEIO3BinaryPayload appends frames as one Engine.IO 3 XHR2 (binary)
// polling body. A text frame is 0x00, its length in bytes, 0xFF and its text
// form; a binary frame is 0x01, its length, 0xFF, the type byte 0x04 and the
// data (the length counts the type byte). Lengths are written one byte per
// decimal digit, with values 0–9.
func AppendEIO3BinaryPayload(dst []byte, frames []Frame) []byte {
	for _, f := range frames {
		marker, typ := byte(xhr2Text), '0'+byte(f.Type)
		if f.Binary {
			marker, typ = xhr2Binary, byte(FrameMessage)
		}
		dst = append(dst, marker)
		dst = appendDigitBytes(dst, 1+len(f.Data))
		dst = append(dst, xhr2LenEnd, typ)
		dst = append(dst, f.Data...)
	}
	return dst
}

// nextBinaryEIO3 splits the first entry off the non-empty body of an XHR2
// payload: its marker and the bytes its length covers.
func nextBinaryEIO3(body []byte) (marker byte, frame, rest []byte, ok bool) {
	marker = body[0]
	if marker != xhr2Text && marker != xhr2Binary {
		return 0, nil, nil, false
	}
	n, i := 0, 1
	for ; ; i++ {
		if i >= len(body) || i > xhr2MaxDigits+1 {
			// Truncated, or more digits than any length needs.
			return 0, nil, nil, false
		}
		d := body[i]
		if d == xhr2LenEnd {
			break
		}
		if d > 9 {
			return 0, nil, nil, false
		}
		// Checked per digit so that n cannot overflow.
		if n = n*10 + int(d); n > len(body) {
			return 0, nil, nil, false
		}
	}
	if i == 1 || n == 0 || n > len(body)-i-1 {
		// No digits, an empty entry, or fewer bytes than announced.
		return 0, nil, nil, false
	}
	body = body[i+1:]
	return marker, body[:n], body[n:], true
}

// DecodeEIO3BinaryPayload splits an Engine.IO 3 XHR2 (binary) polling body into
// frames. A text entry holds the text form of a frame; a binary entry holds
// the packet type, which must be 4 (message), and the data. An empty body, an
// unknown marker, a length digit above 9, more than 20 digits, a missing
// 0xFF, a zero length, an entry shorter than its length or a frame that does
// not parse is [ErrParse], and the whole body is rejected. Data aliases body
// except for text entries in base64 form.
func DecodeEIO3BinaryPayload(body []byte) ([]Frame, error) {
	if len(body) == 0 {
		return nil, ErrParse
	}
	n := 0
	for rest := body; len(rest) > 0; n++ {
		var ok bool
		if _, _, rest, ok = nextBinaryEIO3(rest); !ok {
			return nil, ErrParse
		}
	}
	frames := make([]Frame, 0, n)
	for rest := body; len(rest) > 0; {
		var (
			marker byte
			data   []byte
			f      Frame
			err    error
		)
		marker, data, rest, _ = nextBinaryEIO3(rest)
		if marker == xhr2Binary {
			f, err = ParseEIO3BinaryMessage(data)
		} else {
			f, err = ParseEIO3Frame(data)
		}
		if err != nil {
			return nil, err
		}
		frames = append(frames, f)
	}
	return frames, nil
}
