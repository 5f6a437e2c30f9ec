package payload

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// The msgpack packet form of socket.io-msgpack-parser 3.x, which EIO4 and
// EIO3 clients may use in place of the default text form. A packet is one
// msgpack map with the string keys "type", "nsp", "data" and "id", in any
// order, carried whole by one binary Engine.IO message: binary values stay
// inside it (bin, or ext type 0 for a Node ArrayBuffer), and there are no
// attachments on the wire.
//
// Inside sockio a decoded packet takes the same shape as a text one: Data is
// JSON, and binary values are placeholders indexing Attachments (the packet
// type is then BINARY_EVENT or BINARY_ACK). Encoding turns that shape back
// into one map, binary values as bin. So the namespaces never see which
// parser a client uses.

// ErrMsgpack reports a msgpack packet that does not decode or breaks
// socket.io-msgpack-parser's rules; the connection that sent it is closed.
var ErrMsgpack = errors.New("payload: invalid msgpack socket.io packet")

// ParseMsgpackPacket decodes one msgpack packet of a socket.io 3.x–4.x
// client, checking what socket.io-msgpack-parser's decoder checks: the
// packet is a map with string keys; "type" is an integer from 0 to 4;
// "nsp" is a string and required; "id" is absent or a non-negative
// integer; CONNECT's data is absent or a map, DISCONNECT has none,
// CONNECT_ERROR's is a string or a map, EVENT's and ACK's an array (an
// EVENT's first item its name, a string that is not reserved, or a
// number). Each of these keys may appear once; other keys are skipped, but
// must be well formed.
//
// Within data, map keys must be strings; bin and ext type 0 become []byte
// attachments (at most [MaxAttachments]); the undefined value d4 00 00 is
// dropped from a map and null in an array; a timestamp (fixext 8 of type
// 0, notepack's Date) becomes its ISO 8601 string, as JSON.stringify
// writes it; other extension types are refused. Nesting is bounded as
// encoding/json bounds it, and every declared length is checked against
// the bytes present before anything is read. Attachments alias b.
func ParseMsgpackPacket(b []byte) (Packet, error) {
	return parseMsgpack(b, false)
}

func parseMsgpack(b []byte, legacy bool) (p Packet, err error) {
	r := &mpReader{b: b}
	n, ok := r.mapLen()
	if !ok {
		return p, ErrMsgpack
	}
	var hasType, hasNsp, hasData, hasID bool
	var typ int64
	for range n {
		key, ok := r.str()
		if !ok {
			return p, ErrMsgpack
		}
		switch string(key) {
		case "type":
			if hasType {
				return p, ErrMsgpack
			}
			if typ, ok = r.integer(); !ok {
				return p, ErrMsgpack
			}
			hasType = true
		case "nsp":
			if hasNsp {
				return p, ErrMsgpack
			}
			nsp, ok := r.str()
			if !ok {
				return p, ErrMsgpack
			}
			p.Namespace, hasNsp = string(nsp), true
		case "id":
			if hasID {
				return p, ErrMsgpack
			}
			hasID = true
			if r.undefined() {
				continue
			}
			id, ok := r.unsigned()
			if !ok {
				return p, ErrMsgpack
			}
			p.ID, p.HasID = id, true
		case "data":
			if hasData {
				return p, ErrMsgpack
			}
			hasData = true
			r.out = make([]byte, 0, 2*(len(b)-r.i))
			undef, ok := r.value(0)
			if !ok {
				return p, ErrMsgpack
			}
			if !undef {
				p.Data = r.out
			}
			r.out = nil
		default:
			if !r.skip() {
				return p, ErrMsgpack
			}
		}
	}
	if r.i != len(b) || !hasType || !hasNsp {
		return p, ErrMsgpack
	}
	switch {
	case typ >= int64(Connect) && typ <= int64(ConnectError):
		p.Type = PacketType(typ)
	case legacy && typ == int64(BinaryEvent):
		p.Type = Event
	case legacy && typ == int64(BinaryAck):
		p.Type = Ack
	default:
		return p, ErrMsgpack
	}
	if len(r.atts) > 0 {
		switch p.Type {
		case Event:
			p.Type = BinaryEvent
		case Ack:
			p.Type = BinaryAck
		default:
			return p, ErrMsgpack
		}
		// A map of the client's that reads as a placeholder would take
		// the place of an attachment.
		if checkPlaceholders(p.Data, len(r.atts)) != nil {
			return p, ErrMsgpack
		}
		p.Attachments = r.atts
	}
	if !validData(p.Type, p.Data) {
		return p, ErrMsgpack
	}
	return p, nil
}

// mpReader reads msgpack from b and, in value, writes it as JSON to out.
type mpReader struct {
	b    []byte
	i    int
	out  []byte   // JSON of the value being read; nil when skipping
	atts [][]byte // binary values met, in order
}

// peek returns the next byte, or 0xc1 (never used by msgpack) at the end.
func (r *mpReader) peek() byte {
	if r.i >= len(r.b) {
		return 0xc1
	}
	return r.b[r.i]
}

// take returns the next n bytes, false if fewer are left.
func (r *mpReader) take(n uint64) ([]byte, bool) {
	if n > uint64(len(r.b)-r.i) {
		return nil, false
	}
	s := r.b[r.i : r.i+int(n) : r.i+int(n)]
	r.i += int(n)
	return s, true
}

// length reads a big-endian length of size bytes (1, 2 or 4).
func (r *mpReader) length(size uint64) (uint64, bool) {
	s, ok := r.take(size)
	if !ok {
		return 0, false
	}
	switch size {
	case 1:
		return uint64(s[0]), true
	case 2:
		return uint64(binary.BigEndian.Uint16(s)), true
	}
	return uint64(binary.BigEndian.Uint32(s)), true
}

func (r *mpReader) mapLen() (uint64, bool) {
	c := r.peek()
	switch {
	case msgpcode.IsFixedMap(c):
		r.i++
		return uint64(c & msgpcode.FixedMapMask), true
	case c == msgpcode.Map16:
		r.i++
		return r.length(2)
	case c == msgpcode.Map32:
		r.i++
		return r.length(4)
	}
	return 0, false
}

// str reads a string's bytes (which alias b).
func (r *mpReader) str() ([]byte, bool) {
	c := r.peek()
	var n uint64
	ok := true
	switch {
	case msgpcode.IsFixedString(c):
		r.i++
		n = uint64(c & msgpcode.FixedStrMask)
	case c == msgpcode.Str8:
		r.i++
		n, ok = r.length(1)
	case c == msgpcode.Str16:
		r.i++
		n, ok = r.length(2)
	case c == msgpcode.Str32:
		r.i++
		n, ok = r.length(4)
	default:
		return nil, false
	}
	if !ok {
		return nil, false
	}
	return r.take(n)
}

// undefined consumes and reports JavaScript's undefined, d4 00 xx.
func (r *mpReader) undefined() bool {
	if r.peek() == msgpcode.FixExt1 && r.i+2 < len(r.b) && r.b[r.i+1] == 0 {
		r.i += 3
		return true
	}
	return false
}

// integer reads an integer, or a float that holds one (JavaScript has
// only numbers), within the int64 range.
func (r *mpReader) integer() (int64, bool) {
	c := r.peek()
	if msgpcode.IsFixedNum(c) {
		r.i++
		return int64(int8(c)), true
	}
	r.i++
	switch c {
	case msgpcode.Uint8, msgpcode.Uint16, msgpcode.Uint32, msgpcode.Uint64:
		s, ok := r.take(1 << (c - msgpcode.Uint8))
		if !ok {
			return 0, false
		}
		u := beUint(s)
		return int64(u), u <= math.MaxInt64
	case msgpcode.Int8, msgpcode.Int16, msgpcode.Int32, msgpcode.Int64:
		s, ok := r.take(1 << (c - msgpcode.Int8))
		if !ok {
			return 0, false
		}
		return beInt(s), true
	case msgpcode.Float, msgpcode.Double:
		f, ok := r.float(c)
		if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return 0, false
		}
		return int64(f), true
	}
	return 0, false
}

// unsigned reads a non-negative integer, as integer does, within the
// uint64 range.
func (r *mpReader) unsigned() (uint64, bool) {
	if c := r.peek(); c == msgpcode.Uint64 {
		r.i++
		s, ok := r.take(8)
		return beUint(s), ok
	}
	i, ok := r.integer()
	return uint64(i), ok && i >= 0
}

// float reads the body of a float 32 or 64 whose code c is consumed.
func (r *mpReader) float(c byte) (float64, bool) {
	if c == msgpcode.Float {
		s, ok := r.take(4)
		if !ok {
			return 0, false
		}
		return float64(math.Float32frombits(binary.BigEndian.Uint32(s))), true
	}
	s, ok := r.take(8)
	if !ok {
		return 0, false
	}
	return math.Float64frombits(binary.BigEndian.Uint64(s)), true
}

func beUint(s []byte) uint64 {
	var u uint64
	for _, c := range s {
		u = u<<8 | uint64(c)
	}
	return u
}

func beInt(s []byte) int64 {
	u := beUint(s)
	shift := 64 - 8*uint(len(s))
	return int64(u<<shift) >> shift
}

// skip reads one value without writing it.
func (r *mpReader) skip() bool {
	out, atts := r.out, r.atts
	r.out = nil
	_, ok := r.value(0)
	r.out, r.atts = out, atts
	return ok
}

// value reads one value at nesting depth and appends its JSON to r.out
// (when r.out is not nil). undef reports JavaScript's undefined, of which
// nothing is written.
func (r *mpReader) value(depth int) (undef, ok bool) {
	c := r.peek()
	if c == 0xc1 {
		return false, false
	}
	write := r.out != nil
	switch {
	case msgpcode.IsFixedNum(c):
		r.i++
		if write {
			r.out = strconv.AppendInt(r.out, int64(int8(c)), 10)
		}
		return false, true
	case msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32:
		return false, r.mapValue(depth)
	case msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32:
		return false, r.arrayValue(depth)
	case msgpcode.IsString(c):
		s, ok := r.str()
		if ok && write {
			r.out = appendJSONString(r.out, string(s))
		}
		return false, ok
	}
	r.i++
	switch c {
	case msgpcode.Nil:
		r.appendRaw("null")
	case msgpcode.False:
		r.appendRaw("false")
	case msgpcode.True:
		r.appendRaw("true")
	case msgpcode.Uint8, msgpcode.Uint16, msgpcode.Uint32, msgpcode.Uint64:
		s, ok := r.take(1 << (c - msgpcode.Uint8))
		if !ok {
			return false, false
		}
		if write {
			r.out = strconv.AppendUint(r.out, beUint(s), 10)
		}
	case msgpcode.Int8, msgpcode.Int16, msgpcode.Int32, msgpcode.Int64:
		s, ok := r.take(1 << (c - msgpcode.Int8))
		if !ok {
			return false, false
		}
		if write {
			r.out = strconv.AppendInt(r.out, beInt(s), 10)
		}
	case msgpcode.Float, msgpcode.Double:
		f, ok := r.float(c)
		if !ok {
			return false, false
		}
		if write {
			r.out = appendJSONFloat(r.out, f)
		}
	case msgpcode.Bin8, msgpcode.Bin16, msgpcode.Bin32:
		n, ok := r.length(1 << (c - msgpcode.Bin8))
		if !ok {
			return false, false
		}
		data, ok := r.take(n)
		return false, ok && r.binary(data)
	case msgpcode.Ext8, msgpcode.Ext16, msgpcode.Ext32:
		n, ok := r.length(1 << (c - msgpcode.Ext8))
		if !ok {
			return false, false
		}
		t, ok := r.take(1)
		if !ok || t[0] != 0 { // only type 0, an ArrayBuffer
			return false, false
		}
		data, ok := r.take(n)
		return false, ok && r.binary(data)
	case msgpcode.FixExt1:
		s, ok := r.take(2)
		return ok && s[0] == 0, ok && s[0] == 0 // type 0: undefined
	case msgpcode.FixExt8:
		s, ok := r.take(9)
		if !ok || s[0] != 0 { // type 0: a Date, in milliseconds
			return false, false
		}
		if write {
			r.out = appendJSONDate(r.out, int64(binary.BigEndian.Uint64(s[1:])))
		}
	default: // other extensions, and 0xc1
		return false, false
	}
	return false, true
}

func (r *mpReader) appendRaw(s string) {
	if r.out != nil {
		r.out = append(r.out, s...)
	}
}

// binary records data as the next attachment and writes its placeholder.
func (r *mpReader) binary(data []byte) bool {
	if r.out == nil {
		return true
	}
	if len(r.atts) == MaxAttachments {
		return false
	}
	r.out = append(r.out, `{"_placeholder":true,"num":`...)
	r.out = strconv.AppendInt(r.out, int64(len(r.atts)), 10)
	r.out = append(r.out, '}')
	r.atts = append(r.atts, data)
	return true
}

func (r *mpReader) mapValue(depth int) bool {
	n, ok := r.mapLen()
	if !ok || depth+1 > maxDepth {
		return false
	}
	r.appendRaw("{")
	first := true
	for range n {
		key, ok := r.str()
		if !ok {
			return false
		}
		mark := len(r.out)
		if r.out != nil {
			if !first {
				r.out = append(r.out, ',')
			}
			r.out = appendJSONString(r.out, string(key))
			r.out = append(r.out, ':')
		}
		undef, ok := r.value(depth + 1)
		if !ok {
			return false
		}
		if undef { // JSON.stringify leaves such keys out
			if r.out != nil {
				r.out = r.out[:mark]
			}
			continue
		}
		first = false
	}
	r.appendRaw("}")
	return true
}

func (r *mpReader) arrayValue(depth int) bool {
	c := r.peek()
	r.i++
	var n uint64
	ok := true
	switch {
	case msgpcode.IsFixedArray(c):
		n = uint64(c & msgpcode.FixedArrayMask)
	case c == msgpcode.Array16:
		n, ok = r.length(2)
	default:
		n, ok = r.length(4)
	}
	if !ok || depth+1 > maxDepth {
		return false
	}
	r.appendRaw("[")
	for i := range n {
		if i > 0 {
			r.appendRaw(",")
		}
		undef, ok := r.value(depth + 1)
		if !ok {
			return false
		}
		if undef { // JSON.stringify writes null
			r.appendRaw("null")
		}
	}
	r.appendRaw("]")
	return true
}

// appendJSONFloat writes f as JSON.stringify does: NaN and infinities are
// null.
func appendJSONFloat(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

// appendJSONDate writes a Date of ms milliseconds since the epoch as
// Date.prototype.toJSON does, null when out of its four-digit years.
func appendJSONDate(dst []byte, ms int64) []byte {
	t := time.UnixMilli(ms).UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return append(dst, "null"...)
	}
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, "2006-01-02T15:04:05.000Z")
	return append(dst, '"')
}

// mpEncoder is a msgpack encoder with its buffer, pooled.
type mpEncoder struct {
	buf bytes.Buffer
	enc *msgpack.Encoder
}

var mpEncoders = sync.Pool{New: func() any {
	e := new(mpEncoder)
	e.enc = msgpack.NewEncoder(&e.buf)
	return e
}}

// AppendMsgpackPacket appends p as socket.io-msgpack-parser writes a
// packet: one map of "type", "nsp", "data" (when p has data) and "id"
// (when p has one). BINARY_EVENT and BINARY_ACK are written as EVENT and
// ACK, their placeholders replaced by the attachments as bin values.
// Integers in the JSON data are written in their smallest form, other
// numbers as float 64. It fails only when p.Data is not valid JSON.
func AppendMsgpackPacket(dst []byte, p *Packet) ([]byte, error) {
	return appendMsgpack(dst, p, false)
}

// appendMsgpack is AppendMsgpackPacket; tree forces the slower way
// through a tree of the data (for tests).
func appendMsgpack(dst []byte, p *Packet, tree bool) ([]byte, error) {
	var atts [][]byte
	t := p.Type
	switch t {
	case BinaryEvent:
		t, atts = Event, p.Attachments
	case BinaryAck:
		t, atts = Ack, p.Attachments
	}
	// The JSON is transcoded in one pass once its containers are counted,
	// placeholders being recognised in the form this package writes them;
	// data with placeholders written otherwise goes through a tree.
	var data jsonNode
	var counts []int
	fast := !tree && (len(atts) == 0 || canonicalPlaceholders(p.Data, len(atts)))
	if p.Data != nil && fast {
		var ok bool
		if !validJSON(p.Data) {
			return dst, ErrPacket
		}
		if counts, ok = countJSON(p.Data); !ok {
			return dst, ErrPacket
		}
	} else if p.Data != nil {
		dec := json.NewDecoder(bytes.NewReader(p.Data))
		dec.UseNumber()
		if err := data.read(dec); err != nil {
			return dst, err
		}
		if _, err := dec.Token(); err != io.EOF {
			return dst, ErrPacket
		}
	}
	e := mpEncoders.Get().(*mpEncoder)
	defer mpEncoders.Put(e)
	e.buf.Reset()
	n := 2
	if p.Data != nil {
		n++
	}
	if p.HasID {
		n++
	}
	_ = e.enc.EncodeMapLen(n) // writes to a bytes.Buffer do not fail
	_ = e.enc.EncodeString("type")
	_ = e.enc.EncodeInt(int64(t))
	if p.Data != nil {
		_ = e.enc.EncodeString("data")
		if fast {
			t := jsonTranscoder{e: e, d: p.Data, counts: counts, atts: atts}
			if !t.value() || skipSpace(t.d, t.i) != len(t.d) {
				return dst, ErrPacket
			}
		} else if err := data.encode(e, atts); err != nil {
			return dst, err
		}
	}
	_ = e.enc.EncodeString("nsp")
	_ = e.enc.EncodeString(p.Nsp())
	if p.HasID {
		_ = e.enc.EncodeString("id")
		_ = e.enc.EncodeUint(p.ID)
	}
	return append(dst, e.buf.Bytes()...), nil
}

// jsonNode is a JSON value read in order, to be written as msgpack (whose
// maps and arrays are preceded by their lengths).
type jsonNode struct {
	kind byte   // '{', '[', '"', 'n' (number), 't', 'f', '0' (null)
	text string // a string's value, a number's literal
	keys []string
	kids []jsonNode
}

func (v *jsonNode) read(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t != '{' && t != '[' {
			return ErrPacket
		}
		v.kind = byte(t)
		for dec.More() {
			if t == '{' {
				k, err := dec.Token()
				key, ok := k.(string)
				if err != nil || !ok {
					return ErrPacket
				}
				v.keys = append(v.keys, key)
			}
			v.kids = append(v.kids, jsonNode{})
			if err := v.kids[len(v.kids)-1].read(dec); err != nil {
				return err
			}
		}
		_, err = dec.Token() // the closing delimiter
		return err
	case string:
		v.kind, v.text = '"', t
	case json.Number:
		v.kind, v.text = 'n', string(t)
	case bool:
		v.kind = 'f'
		if t {
			v.kind = 't'
		}
	default:
		v.kind = '0'
	}
	return nil
}

// placeholder returns the attachment index of a placeholder object.
func (v *jsonNode) placeholder(n int) (int, bool) {
	if v.kind != '{' || len(v.keys) != 2 {
		return 0, false
	}
	flag, num := -1, -1
	for i, k := range v.keys {
		switch k {
		case "_placeholder":
			flag = i
		case "num":
			num = i
		}
	}
	if flag < 0 || num < 0 || v.kids[flag].kind != 't' || v.kids[num].kind != 'n' {
		return 0, false
	}
	k, err := strconv.Atoi(v.kids[num].text)
	return k, err == nil && k >= 0 && k < n
}

func (v *jsonNode) encode(e *mpEncoder, atts [][]byte) error {
	switch v.kind {
	case '{':
		if k, ok := v.placeholder(len(atts)); ok {
			_ = e.enc.EncodeBytesLen(len(atts[k]))
			e.buf.Write(atts[k])
			return nil
		}
		_ = e.enc.EncodeMapLen(len(v.keys))
		for i, k := range v.keys {
			_ = e.enc.EncodeString(k)
			if err := v.kids[i].encode(e, atts); err != nil {
				return err
			}
		}
	case '[':
		_ = e.enc.EncodeArrayLen(len(v.kids))
		for i := range v.kids {
			if err := v.kids[i].encode(e, atts); err != nil {
				return err
			}
		}
	case '"':
		_ = e.enc.EncodeString(v.text)
	case 'n':
		return encodeNumber(e.enc, v.text)
	case 't', 'f':
		_ = e.enc.EncodeBool(v.kind == 't')
	default:
		_ = e.enc.EncodeNil()
	}
	return nil
}

// encodeNumber writes a JSON number literal: an integer in its smallest
// form when it has neither fraction nor exponent and fits 64 bits, else a
// float 64.
func encodeNumber(enc *msgpack.Encoder, lit string) error {
	if i, err := strconv.ParseInt(lit, 10, 64); err == nil {
		return enc.EncodeInt(i)
	}
	if u, err := strconv.ParseUint(lit, 10, 64); err == nil {
		return enc.EncodeUint(u)
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return ErrPacket
	}
	return enc.EncodeFloat64(f)
}

// countJSON returns the number of items of each array and object of the
// JSON text d, in the order they open, false when d's brackets do not
// match.
func countJSON(d []byte) ([]int, bool) {
	type open struct {
		ordinal int
		commas  int
		any     bool
	}
	var counts []int
	var stack []open
	item := func() { // a value starts
		if len(stack) > 0 {
			stack[len(stack)-1].any = true
		}
	}
	for i := 0; i < len(d); i++ {
		switch c := d[i]; c {
		case '"':
			item()
			for i++; i < len(d) && d[i] != '"'; i++ {
				if d[i] == '\\' {
					i++
				}
			}
			if i >= len(d) {
				return nil, false
			}
		case '[', '{':
			item()
			stack = append(stack, open{ordinal: len(counts)})
			counts = append(counts, 0)
		case ']', '}':
			if len(stack) == 0 {
				return nil, false
			}
			top := stack[len(stack)-1]
			if top.any {
				counts[top.ordinal] = top.commas + 1
			}
			stack = stack[:len(stack)-1]
		case ',':
			if len(stack) == 0 {
				return nil, false
			}
			stack[len(stack)-1].commas++
		case ' ', '\t', '\r', '\n', ':':
		default:
			item()
		}
	}
	return counts, len(stack) == 0
}

// jsonTranscoder writes JSON text as msgpack, given the item counts of
// its containers (countJSON). Placeholders, in the form this package
// writes them, become their attachments as bin values.
type jsonTranscoder struct {
	e      *mpEncoder
	d      []byte
	i      int
	counts []int
	next   int // the ordinal of the next container
	atts   [][]byte
}

// value writes the value at t.i, false on text that is not JSON.
func (t *jsonTranscoder) value() bool {
	t.i = skipSpace(t.d, t.i)
	if t.i >= len(t.d) {
		return false
	}
	switch c := t.d[t.i]; {
	case c == '{':
		return t.object()
	case c == '[':
		if t.next >= len(t.counts) {
			return false
		}
		n := t.counts[t.next]
		t.next++
		_ = t.e.enc.EncodeArrayLen(n)
		t.i++
		for k := range n {
			if k > 0 && !t.expect(',') || !t.value() {
				return false
			}
		}
		return t.expect(']')
	case c == '"':
		return t.str()
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range [...]string{"true", "false", "null"} {
			if bytes.HasPrefix(t.d[t.i:], []byte(lit)) {
				t.i += len(lit)
				if lit == "null" {
					_ = t.e.enc.EncodeNil()
				} else {
					_ = t.e.enc.EncodeBool(lit == "true")
				}
				return true
			}
		}
		return false
	}
	return t.number()
}

// expect skips spaces and the byte c.
func (t *jsonTranscoder) expect(c byte) bool {
	t.i = skipSpace(t.d, t.i)
	if t.i < len(t.d) && t.d[t.i] == c {
		t.i++
		return true
	}
	return false
}

func (t *jsonTranscoder) object() bool {
	if t.next >= len(t.counts) {
		return false
	}
	n := t.counts[t.next]
	t.next++
	if len(t.atts) > 0 {
		if k, size, ok := placeholderAt(t.d[t.i:], len(t.atts)); ok {
			_ = t.e.enc.EncodeBytesLen(len(t.atts[k]))
			t.e.buf.Write(t.atts[k])
			t.i += size
			return true
		}
	}
	_ = t.e.enc.EncodeMapLen(n)
	t.i++
	for k := range n {
		if k > 0 && !t.expect(',') {
			return false
		}
		t.i = skipSpace(t.d, t.i)
		if t.i >= len(t.d) || t.d[t.i] != '"' || !t.str() || !t.expect(':') || !t.value() {
			return false
		}
	}
	return t.expect('}')
}

// placeholderAt reads the placeholder {"_placeholder":true,"num":k} that
// d starts with, as this package writes it: its attachment index and
// length.
func placeholderAt(d []byte, n int) (k, size int, ok bool) {
	const head = `{"_placeholder":true,"num":`
	if !bytes.HasPrefix(d, []byte(head)) {
		return 0, 0, false
	}
	i := len(head)
	for ; i < len(d) && d[i] >= '0' && d[i] <= '9' && i < len(head)+3; i++ {
		k = k*10 + int(d[i]-'0')
	}
	if i == len(head) || i >= len(d) || d[i] != '}' || k >= n {
		return 0, 0, false
	}
	return k, i + 1, true
}

// str writes the JSON string at t.i as a msgpack str.
func (t *jsonTranscoder) str() bool {
	end := quotedEnd(t.d, t.i)
	if end <= t.i+1 {
		return false
	}
	raw := t.d[t.i+1 : end-1]
	t.i = end
	if bytes.IndexByte(raw, '\\') >= 0 || !utf8.Valid(raw) { // as encoding/json reads it
		var s string
		if json.Unmarshal(t.d[end-len(raw)-2:end], &s) != nil {
			return false
		}
		_ = t.e.enc.EncodeString(s)
		return true
	}
	t.e.strHeader(len(raw))
	t.e.buf.Write(raw)
	return true
}

// strHeader writes the header of a str of n bytes.
func (e *mpEncoder) strHeader(n int) {
	var h [5]byte
	switch {
	case n < 32:
		e.buf.WriteByte(msgpcode.FixedStrLow | byte(n))
		return
	case n <= math.MaxUint8:
		h[0], h[1] = msgpcode.Str8, byte(n)
		e.buf.Write(h[:2])
	case n <= math.MaxUint16:
		h[0] = msgpcode.Str16
		binary.BigEndian.PutUint16(h[1:], uint16(n))
		e.buf.Write(h[:3])
	default:
		h[0] = msgpcode.Str32
		binary.BigEndian.PutUint32(h[1:], uint32(n))
		e.buf.Write(h[:5])
	}
}

// number writes the JSON number at t.i: an integer in its smallest form
// when it has neither fraction nor exponent and fits 64 bits, else a
// float 64.
func (t *jsonTranscoder) number() bool {
	start := t.i
	integer := true
	for ; t.i < len(t.d); t.i++ {
		c := t.d[t.i]
		if c == '.' || c == 'e' || c == 'E' {
			integer = false
		} else if (c < '0' || c > '9') && c != '-' && c != '+' {
			break
		}
	}
	lit := t.d[start:t.i]
	if len(lit) == 0 {
		return false
	}
	if integer && len(lit) <= 18 { // fits an int64 without checking
		neg := lit[0] == '-'
		digits := lit
		if neg {
			digits = lit[1:]
		}
		var v int64
		for _, c := range digits {
			if c < '0' || c > '9' {
				return false
			}
			v = v*10 + int64(c-'0')
		}
		if len(digits) == 0 {
			return false
		}
		if neg {
			v = -v
		}
		_ = t.e.enc.EncodeInt(v)
		return true
	}
	return encodeNumber(t.e.enc, string(lit)) == nil
}
