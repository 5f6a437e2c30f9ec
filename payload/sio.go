package payload

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
)

// PacketType is a Socket.IO packet type.
type PacketType byte

// Socket.IO packet types, numbered as on the wire. ConnectError is called
// ERROR in Socket.IO protocol 4.
const (
	Connect PacketType = iota
	Disconnect
	Event
	Ack
	ConnectError
	BinaryEvent
	BinaryAck
)

var packetNames = [...]string{"CONNECT", "DISCONNECT", "EVENT", "ACK", "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK"}

func (t PacketType) String() string {
	if int(t) < len(packetNames) {
		return packetNames[t]
	}
	return "UNKNOWN"
}

// MaxAttachments bounds the attachments one binary packet may announce, as
// socket.io's own parser does (its maxAttachments default). The bound keeps
// what a header can make the receiver hold to MaxAttachments binary
// messages of at most the server's MaxPayload each, and the slots for them
// are allocated only once the header's data has shown that many
// placeholders.
const MaxAttachments = 10

// Packet is one Socket.IO packet. Data is the raw JSON that follows the
// namespace and ack id (nil when there is none); binary values inside it are
// placeholders {"_placeholder":true,"num":n} that index Attachments.
type Packet struct {
	Type        PacketType
	Namespace   string // "/" (or "") is the main namespace
	ID          uint64 // ack id, meaningful when HasID
	HasID       bool
	Data        []byte
	Attachments [][]byte
}

// Nsp returns the packet's namespace, "/" when empty.
func (p *Packet) Nsp() string {
	if p.Namespace == "" {
		return "/"
	}
	return p.Namespace
}

// ErrPacket reports a Socket.IO packet that does not decode or breaks the
// type's rule; the connection that sent it is closed.
var ErrPacket = errors.New("payload: invalid socket.io packet")

// reserved event names a client may not emit.
var reserved = map[string]bool{
	"connect": true, "connect_error": true, "disconnect": true,
	"disconnecting": true, "newListener": true, "removeListener": true,
}

// ParsePacket decodes the text of one Socket.IO packet (the data of an
// Engine.IO message). For BINARY_EVENT and BINARY_ACK, attachments is the
// number of binary messages that complete the packet; [Packet.Attachments]
// is left for the caller to fill. Data aliases text.
//
// A binary packet announces 1 to [MaxAttachments] attachments and its data
// holds exactly that many placeholders, {"_placeholder":true,"num":n} with
// n an integer, each of 0 to attachments-1 once, and no other object whose
// "_placeholder" is true: socket.io's clients fail on a placeholder out of
// range ("illegal attachments"), so such a packet is refused before it can
// reach a handler or be relayed. In EVENT and ACK packets such objects are
// plain data.
func ParsePacket(text []byte) (p Packet, attachments int, err error) {
	if len(text) == 0 || text[0] < '0' || text[0] > '6' {
		return p, 0, ErrPacket
	}
	p.Type = PacketType(text[0] - '0')
	s := text[1:]
	if p.Type == BinaryEvent || p.Type == BinaryAck {
		i := bytes.IndexByte(s, '-')
		if i <= 0 {
			return p, 0, ErrPacket
		}
		n, err := strconv.Atoi(string(s[:i]))
		if err != nil || n < 1 || n > MaxAttachments {
			return p, 0, ErrPacket
		}
		attachments, s = n, s[i+1:]
	}
	p.Namespace = "/"
	if len(s) > 0 && s[0] == '/' {
		i := bytes.IndexByte(s, ',')
		if i < 0 {
			p.Namespace, s = string(s), nil
		} else {
			p.Namespace, s = string(s[:i]), s[i+1:]
		}
	}
	id, n, ok := leadingID(s)
	if !ok {
		return p, 0, ErrPacket
	}
	if n > 0 {
		p.ID, p.HasID, s = id, true, s[n:]
	}
	if len(s) > 0 {
		p.Data = s
	}
	if !validData(p.Type, p.Data) {
		return p, 0, ErrPacket
	}
	if attachments > 0 && checkPlaceholders(p.Data, attachments) != nil {
		return p, 0, ErrPacket
	}
	return p, attachments, nil
}

func validData(t PacketType, data []byte) bool {
	if data == nil {
		return t == Connect || t == Disconnect
	}
	if !validJSON(data) {
		return false
	}
	first := firstNonSpace(data)
	switch t {
	case Connect:
		return first == '{'
	case Disconnect:
		return false
	case ConnectError:
		return first == '{' || first == '"'
	case Ack, BinaryAck:
		return first == '['
	case Event, BinaryEvent:
		if first != '[' {
			return false
		}
		// data is valid JSON: look at the first item without decoding
		// the rest.
		item := data[bytes.IndexByte(data, '[')+1:]
		switch c := firstNonSpace(item); c {
		case '"':
			item = item[bytes.IndexByte(item, '"'):]
			end := stringEnd(item)
			if raw := item[1 : end-1]; bytes.IndexByte(raw, '\\') < 0 {
				return !reserved[string(raw)] // valid JSON without escapes: the name as it is
			}
			var name string
			return json.Unmarshal(item[:end], &name) == nil && !reserved[name]
		case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			return true
		}
	}
	return false
}

// stringEnd returns the length of the JSON string token that s starts
// with (s[0] is its opening quote; the token is known to be well formed).
func stringEnd(s []byte) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(s)
}

func firstNonSpace(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}

// AppendPacket appends the text of p: type, attachment count for binary
// types, namespace unless main, ack id and data. Attachments themselves are
// sent as separate binary messages after it.
func AppendPacket(dst []byte, p *Packet) []byte {
	dst = append(dst, '0'+byte(p.Type))
	if p.Type == BinaryEvent || p.Type == BinaryAck {
		dst = strconv.AppendInt(dst, int64(len(p.Attachments)), 10)
		dst = append(dst, '-')
	}
	if p.Namespace != "" && p.Namespace != "/" {
		dst = append(dst, p.Namespace...)
		dst = append(dst, ',')
	}
	if p.HasID {
		dst = strconv.AppendUint(dst, p.ID, 10)
	}
	return append(dst, p.Data...)
}

// Shared is an outbound packet that many sessions may send. Each dialect
// encodes it once, on first use, and every later session of that dialect
// reuses the same frames; the frames must not be modified.
type Shared struct {
	Packet
	Volatile bool // may be dropped when the receiver's queue is busy
	// Offset, when set, is the packet's connection state recovery offset:
	// a connection whose client can recover sessions sends it as the
	// event's last argument (see [WithOffset]); others send the packet as
	// it is. It must be set before the first call of Frames.
	Offset string

	mu     sync.Mutex            // held while a dialect's frames are encoded
	done   atomic.Uint32         // bit d: dialect d's frames are encoded
	first  uint8                 // the dialect encoded first, whose frames are frames
	frames []Frame               // most packets (acks, emits) go to one dialect only
	others *[MaxDialects][]Frame // the other dialects' frames, made for the second
}

// MaxDialects is the number of encoding slots a [Shared] packet keeps: one
// per generation's packet form, and one per generation that may use the
// msgpack form instead.
const MaxDialects = 5

// Frames returns the packet's frames for dialect d (0 ≤ d < MaxDialects),
// calling encode the first time the dialect asks. It is safe for
// concurrent use.
func (s *Shared) Frames(d int, encode func(*Packet) []Frame) []Frame {
	if s.done.Load()&(1<<d) == 0 {
		s.encode(d, encode)
	}
	if int(s.first) == d {
		return s.frames
	}
	return s.others[d]
}

// encode sets the frames of dialect d once. One mutex and a bit per
// dialect rather than a sync.Once each, and one dialect's frames inline,
// keep a Shared (one per packet sent) at 160 bytes rather than 320.
func (s *Shared) encode(d int, encode func(*Packet) []Frame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	done := s.done.Load()
	if done&(1<<d) != 0 {
		return
	}
	f := encode(&s.Packet)
	if done == 0 {
		s.first, s.frames = uint8(d), f
	} else {
		if s.others == nil {
			s.others = new([MaxDialects][]Frame)
		}
		s.others[d] = f
	}
	s.done.Or(1 << d)
}

// WithOffset returns a copy of p whose data, a JSON array, ends with
// offset as one more string argument: the form in which a client that
// recovers sessions receives an event's offset. Data that is not a JSON
// array is left as it is.
func WithOffset(p *Packet, offset string) Packet {
	q := *p
	data := trimRightSpace(p.Data)
	if len(data) < 2 || data[0] != '[' || data[len(data)-1] != ']' {
		return q
	}
	quoted, _ := json.Marshal(offset)
	out := make([]byte, 0, len(data)+len(quoted)+1)
	out = append(out, data[:len(data)-1]...)
	if !emptyArray(data) {
		out = append(out, ',')
	}
	out = append(out, quoted...)
	q.Data = append(out, ']')
	return q
}

// leadingID reads the decimal packet id at the start of s (Socket.IO and
// protocol 1 write ids alike): n is the number of digits (0 when there is
// no id), ok is false when they overflow a uint64.
func leadingID(s []byte) (id uint64, n int, ok bool) {
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	if n == 0 {
		return 0, 0, true
	}
	if n < 20 { // 19 digits never overflow a uint64
		for _, c := range s[:n] {
			id = id*10 + uint64(c-'0')
		}
		return id, n, true
	}
	id, err := strconv.ParseUint(string(s[:n]), 10, 64)
	return id, n, err == nil
}
