package pollclient

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/sockio/sockio/payload"
)

// ErrPayload is returned for a polling body that is not a well-formed
// payload.
var ErrPayload = errors.New("pollclient: bad payload")

// AppendPayload frames packets as one polling body of Engine.IO proto
// (4 or 3): separated by 0x1e in 4, each prefixed with its length in UTF-16
// code units and ':' in 3.
func AppendPayload(dst []byte, proto int, packets ...[]byte) []byte {
	for i, p := range packets {
		if proto == 4 {
			if i > 0 {
				dst = append(dst, 0x1e)
			}
		} else {
			dst = strconv.AppendInt(dst, int64(payload.UTF16Len(p)), 10)
			dst = append(dst, ':')
		}
		dst = append(dst, p...)
	}
	return dst
}

// NextPacket splits the first packet off a polling body of Engine.IO proto:
// it returns the packet and the rest of the body, both slices of body. An
// empty body has no packet (ok false).
func NextPacket(proto int, body []byte) (packet, rest []byte, ok bool, err error) {
	if len(body) == 0 {
		return nil, nil, false, nil
	}
	if proto == 4 {
		for i, c := range body {
			if c == 0x1e {
				return body[:i], body[i+1:], true, nil
			}
		}
		return body, nil, true, nil
	}
	n, i := 0, 0
	for ; i < len(body) && body[i] != ':'; i++ {
		c := body[i]
		if c < '0' || c > '9' || i >= 9 {
			return nil, nil, false, fmt.Errorf("%w: %.40q", ErrPayload, body)
		}
		n = n*10 + int(c-'0')
	}
	if i == 0 || i == len(body) {
		return nil, nil, false, fmt.Errorf("%w: %.40q", ErrPayload, body)
	}
	body = body[i+1:]
	end := 0 // bytes of the packet's n UTF-16 units
	for ; n > 0; n-- {
		if end >= len(body) {
			return nil, nil, false, fmt.Errorf("%w: short Engine.IO 3 packet", ErrPayload)
		}
		r, size := rune(body[end]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(body[end:])
		}
		if r > 0xffff { // a surrogate pair
			n--
		}
		end += size
	}
	return body[:end], body[end:], true, nil
}
