package payload

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// v1Sep is U+FFFD, the protocol 1 payload frame delimiter.
const v1Sep = "\ufffd"

// utf16Units returns the length of UTF-8 text in UTF-16 code units, the
// JavaScript String.length that protocol 1 frame lengths count: a rune at
// or above U+10000 counts 2. An invalid byte counts 1, as the U+FFFD a
// decoder makes of it.
func utf16Units(text []byte) int {
	n := 0
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			n++
			i++
			continue
		}
		r, size := utf8.DecodeRune(text[i:])
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
		i += size
	}
	return n
}

// AppendV1Payload appends packets as one protocol 1 polling body: a lone
// packet bare, several as \ufffd<len>\ufffd<packet> with lengths in UTF-16
// units.
func AppendV1Payload(dst []byte, packets ...[]byte) []byte {
	if len(packets) == 1 {
		return append(dst, packets[0]...)
	}
	for _, p := range packets {
		dst = AppendV1Frame(dst, p)
	}
	return dst
}

// AppendV1Frame appends one packet with its \ufffd<len>\ufffd prefix.
func AppendV1Frame(dst, packet []byte) []byte {
	dst = append(dst, v1Sep...)
	dst = strconv.AppendInt(dst, int64(utf16Units(packet)), 10)
	dst = append(dst, v1Sep...)
	return append(dst, packet...)
}

// DecodeV1Payload splits a protocol 1 polling body into packets. A body
// that does not start with \ufffd is one packet. The packets alias body.
func DecodeV1Payload(body []byte) ([][]byte, error) {
	if len(body) == 0 {
		return nil, ErrV1Payload
	}
	if !bytes.HasPrefix(body, []byte(v1Sep)) {
		return [][]byte{body}, nil
	}
	var out [][]byte
	for len(body) > 0 {
		if !bytes.HasPrefix(body, []byte(v1Sep)) {
			return nil, ErrV1Payload
		}
		body = body[len(v1Sep):]
		k := bytes.Index(body, []byte(v1Sep))
		if k <= 0 || k > 10 {
			return nil, ErrV1Payload
		}
		n, err := strconv.Atoi(string(body[:k]))
		if err != nil || n < 0 {
			return nil, ErrV1Payload
		}
		body = body[k+len(v1Sep):]
		size, ok := utf16Prefix(body, n)
		if !ok {
			return nil, ErrV1Payload
		}
		out = append(out, body[:size])
		body = body[size:]
	}
	return out, nil
}

// utf16Prefix returns how many bytes of text hold its first n UTF-16 units;
// false if text is shorter or n splits a surrogate pair.
func utf16Prefix(text []byte, n int) (int, bool) {
	i := 0
	for n > 0 {
		if i >= len(text) {
			return 0, false
		}
		c := text[i]
		if c < utf8.RuneSelf {
			i++
			n--
			continue
		}
		r, size := utf8.DecodeRune(text[i:])
		units := 1
		if r >= 0x10000 {
			units = 2
		}
		if units > n {
			return 0, false
		}
		n -= units
		i += size
	}
	return i, true
}
