package payload

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Errors of the argument encoders.
var (
	// ErrPlaceholder reports arguments that hold an object socket.io's
	// clients would read as a binary placeholder ({"_placeholder":true,…},
	// for example in a json.RawMessage) next to binary values: in a binary
	// packet the clients would take it for one of the attachments, or fail
	// on it ("illegal attachments").
	ErrPlaceholder = errors.New("payload: arguments hold an object that reads as a binary placeholder")
	// ErrAttachments reports arguments with more binary values than
	// [MaxAttachments], which socket.io's clients refuse ("too many
	// attachments").
	ErrAttachments = errors.New("payload: more binary values than MaxAttachments")
)

type placeholder struct {
	Placeholder bool `json:"_placeholder"`
	Num         int  `json:"num"`
}

type jsonBuf struct {
	buf bytes.Buffer
	enc *json.Encoder
}

// encode appends v as encoding/json would (HTML characters unescaped),
// writing the common argument types directly and the others through the
// encoder's reflection.
func (b *jsonBuf) encode(v any) error {
	switch v := v.(type) {
	case nil:
		b.buf.WriteString("null")
		return nil
	case string:
		return b.encodeString(v)
	case bool:
		b.buf.WriteString(strconv.FormatBool(v))
		return nil
	case int:
		b.buf.Write(strconv.AppendInt(b.buf.AvailableBuffer(), int64(v), 10))
		return nil
	case int64:
		b.buf.Write(strconv.AppendInt(b.buf.AvailableBuffer(), v, 10))
		return nil
	case float64:
		// encoding/json's 'f' range; NaN, infinities and exponents go the
		// long way.
		if a := math.Abs(v); a == 0 || a >= 1e-6 && a < 1e21 {
			b.buf.Write(strconv.AppendFloat(b.buf.AvailableBuffer(), v, 'f', -1, 64))
			return nil
		}
	case json.RawMessage:
		if v != nil {
			if validJSON(v) && compactJSON(v) { // compacting would change nothing
				b.buf.Write(v)
				return nil
			}
			return json.Compact(&b.buf, v) // what the encoder does with it
		}
	}
	return b.reflect(v)
}

// encodeString appends s as a JSON string.
func (b *jsonBuf) encodeString(s string) error {
	if !plainString(s) {
		return b.reflect(s)
	}
	b.buf.WriteByte('"')
	b.buf.WriteString(s)
	b.buf.WriteByte('"')
	return nil
}

// reflect appends v through encoding/json.
func (b *jsonBuf) reflect(v any) error {
	if err := b.enc.Encode(v); err != nil {
		return err
	}
	b.buf.Truncate(b.buf.Len() - 1) // Encode's newline
	return nil
}

// plainString reports whether s is its own JSON string body: valid UTF-8
// with no character encoding/json escapes (quote, backslash, control
// characters, U+2028, U+2029).
func plainString(s string) bool {
	ascii := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' {
			return false
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
	}
	return ascii || utf8.ValidString(s) && !strings.Contains(s, "\u2028") && !strings.Contains(s, "\u2029")
}

var jsonBufs = sync.Pool{New: func() any {
	b := new(jsonBuf)
	b.enc = json.NewEncoder(&b.buf)
	b.enc.SetEscapeHTML(false)
	return b
}}

// EncodeEvent encodes an event's name and arguments as the JSON array of an
// EVENT packet. Every []byte found in args (at any depth of []any,
// map[string]any and []byte-holding slices of any) becomes a placeholder and
// is returned in attachments, in depth-first order. Other values are
// marshalled with encoding/json, HTML characters unescaped.
//
// More than [MaxAttachments] binary values is [ErrAttachments]; an object
// with "_placeholder": true among arguments that hold binary values is
// [ErrPlaceholder]. Without binary values such an object is plain data.
func EncodeEvent(name string, args []any) (data []byte, attachments [][]byte, err error) {
	return encodeArray(&name, args)
}

// EncodeAck encodes ack arguments as the JSON array of an ACK packet, with
// binary values split out as in [EncodeEvent].
func EncodeAck(args []any) (data []byte, attachments [][]byte, err error) {
	return encodeArray(nil, args)
}

func encodeArray(name *string, args []any) ([]byte, [][]byte, error) {
	var atts [][]byte
	for i, a := range args {
		if HasBinary(a) {
			if atts == nil {
				args = append([]any(nil), args...)
			}
			args[i] = replaceBinary(a, &atts)
		}
	}
	b := jsonBufs.Get().(*jsonBuf)
	defer jsonBufs.Put(b)
	b.buf.Reset()
	b.buf.WriteByte('[')
	if name != nil {
		if err := b.encodeString(*name); err != nil {
			return nil, nil, err
		}
	}
	for i, a := range args {
		if i > 0 || name != nil {
			b.buf.WriteByte(',')
		}
		if err := b.encode(a); err != nil {
			return nil, nil, err
		}
	}
	b.buf.WriteByte(']')
	out := b.buf.Bytes()
	if len(atts) > 0 {
		if len(atts) > MaxAttachments {
			return nil, nil, ErrAttachments
		}
		if checkPlaceholders(out, len(atts)) != nil {
			return nil, nil, ErrPlaceholder
		}
	}
	return bytes.Clone(out), atts, nil
}

// placeholderKey is the key of a placeholder as encoding/json writes it.
var placeholderKey = []byte(`"_placeholder"`)

// canonicalPlaceholders reports, without decoding, that the valid JSON data
// holds exactly n placeholders, each written {"_placeholder":true,"num":k}
// as socket.io's clients and this package write them, numbered 0 to n-1
// once each, and no other "_placeholder" key. False means "decode to know":
// other spellings (spaces, key order, \u escapes, which could also spell
// the key) are left to the decoding check. In valid JSON a raw quote
// cannot stand inside a string, so every match is an object of its own.
func canonicalPlaceholders(data []byte, n int) bool {
	const mid = `:true,"num":`
	if n > MaxAttachments || bytes.Contains(data, []byte(`\u`)) {
		return false
	}
	var seen uint64
	count := 0
	for rest := data; ; {
		i := bytes.Index(rest, placeholderKey)
		if i < 0 {
			break
		}
		if count++; count > n || i == 0 || rest[i-1] != '{' {
			return false
		}
		tail := rest[i+len(placeholderKey):]
		if !bytes.HasPrefix(tail, []byte(mid)) {
			return false
		}
		tail = tail[len(mid):]
		k, j := 0, 0
		for ; j < len(tail) && j < 3 && tail[j] >= '0' && tail[j] <= '9'; j++ {
			k = k*10 + int(tail[j]-'0')
		}
		if j == 0 || j >= len(tail) || tail[j] != '}' || k >= n || seen&(1<<k) != 0 {
			return false
		}
		seen |= 1 << k
		rest = tail[j+1:]
	}
	return count == n && seen == 1<<n-1
}

// minPlaceholder is the shortest text of a placeholder.
const minPlaceholder = len(`{"_placeholder":true,"num":0}`)

// checkPlaceholders checks the JSON data of a binary packet with n
// attachments (0 ≤ n ≤ MaxAttachments): every object whose "_placeholder"
// is true is exactly {"_placeholder":true,"num":k} with k an integer,
// 0 ≤ k < n, and every k appears once. socket.io's clients fail on a num
// out of range and ignore extra keys; a second use of one attachment would
// be sent twice when relayed. The result is nil or [ErrPlaceholder].
func checkPlaceholders(data []byte, n int) error {
	if n < 0 || n > MaxAttachments || len(data) < n*minPlaceholder {
		return ErrPlaceholder
	}
	if canonicalPlaceholders(data, n) {
		return nil
	}
	return decodePlaceholders(data, n)
}

// decodePlaceholders is checkPlaceholders by decoding data.
func decodePlaceholders(data []byte, n int) error {
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return ErrPlaceholder
	}
	var seen uint64
	if !walkPlaceholders(v, n, &seen) || seen != 1<<n-1 {
		return ErrPlaceholder
	}
	return nil
}

// walkPlaceholders marks in seen the placeholders found in v, false on one
// that is malformed, out of range or seen before.
func walkPlaceholders(v any, n int, seen *uint64) bool {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if !walkPlaceholders(e, n, seen) {
				return false
			}
		}
	case map[string]any:
		if x["_placeholder"] == true {
			num, ok := x["num"].(json.Number)
			if !ok || len(x) != 2 {
				return false
			}
			k, err := strconv.Atoi(string(num))
			if err != nil || k < 0 || k >= n || *seen&(1<<k) != 0 {
				return false
			}
			*seen |= 1 << k
			return true
		}
		for _, e := range x {
			if !walkPlaceholders(e, n, seen) {
				return false
			}
		}
	}
	return true
}

// HasBinary reports whether v holds a []byte (or a [][]byte) at any depth
// of []any and map[string]any: whether an argument of that value makes a
// binary packet.
func HasBinary(v any) bool {
	switch v := v.(type) {
	case []byte:
		return true
	case []any:
		for _, x := range v {
			if HasBinary(x) {
				return true
			}
		}
	case map[string]any:
		for _, x := range v {
			if HasBinary(x) {
				return true
			}
		}
	case [][]byte:
		return true
	}
	return false
}

func replaceBinary(v any, atts *[][]byte) any {
	switch v := v.(type) {
	case []byte:
		*atts = append(*atts, v)
		return placeholder{true, len(*atts) - 1}
	case [][]byte:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = replaceBinary(x, atts)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = replaceBinary(x, atts)
		}
		return out
	case map[string]any:
		// Placeholders are numbered in key order, as encoding/json writes them.
		out := make(map[string]any, len(v))
		for _, k := range slices.Sorted(maps.Keys(v)) {
			out[k] = replaceBinary(v[k], atts)
		}
		return out
	}
	return v
}

// SplitArgs splits the JSON array of an EVENT or ACK into its items.
func SplitArgs(data []byte) ([]json.RawMessage, error) {
	if len(data) == 0 {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(data, &items); err != nil {
		return nil, ErrPacket
	}
	return items, nil
}

// DecodeArgs decodes JSON items into Go values (objects as map[string]any,
// arrays as []any, numbers as float64) and puts attachments back where their
// placeholders stand, as []byte.
func DecodeArgs(items []json.RawMessage, attachments [][]byte) ([]any, error) {
	out := make([]any, len(items))
	for i, raw := range items {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		if len(attachments) > 0 {
			v = fillBinary(v, func(n int) any { return attachments[n] }, len(attachments))
		}
		out[i] = v
	}
	return out, nil
}

// ResolveJSON returns raw with every placeholder replaced by its attachment
// as a base64 string, the form encoding/json decodes into a []byte field.
// Without attachments raw is returned unchanged.
func ResolveJSON(raw json.RawMessage, attachments [][]byte) (json.RawMessage, error) {
	// The key may be written with escapes (`"\u005fplaceholder"`), which
	// DecodeArgs resolves too.
	if len(attachments) == 0 || !bytes.Contains(raw, []byte(`"_placeholder"`)) && !bytes.Contains(raw, []byte(`\u`)) {
		return raw, nil
	}
	// UseNumber: numbers go back out as written (a float64 would round
	// integers beyond 2^53 before they reach an int64 field).
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, ErrPacket
	}
	v = fillBinary(v, func(n int) any { return base64.StdEncoding.EncodeToString(attachments[n]) }, len(attachments))
	return json.Marshal(v)
}

func fillBinary(v any, get func(int) any, n int) any {
	switch x := v.(type) {
	case []any:
		for i := range x {
			x[i] = fillBinary(x[i], get, n)
		}
	case map[string]any:
		if p, ok := x["_placeholder"].(bool); ok && p && len(x) == 2 {
			num, ok := x["num"].(float64)
			if jn, isNum := x["num"].(json.Number); isNum {
				f, err := jn.Float64()
				num, ok = f, err == nil
			}
			if ok && num >= 0 && int(num) < n && float64(int(num)) == num {
				return get(int(num))
			}
		}
		for k, e := range x {
			x[k] = fillBinary(e, get, n)
		}
	}
	return v
}
