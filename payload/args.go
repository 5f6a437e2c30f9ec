package payload

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"maps"
	"slices"
	"sync"
)

type placeholder struct {
	Placeholder bool `json:"_placeholder"`
	Num         int  `json:"num"`
}

type jsonBuf struct {
	buf bytes.Buffer
	enc *json.Encoder
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
		if hasBinary(a) {
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
		if err := b.enc.Encode(*name); err != nil {
			return nil, nil, err
		}
		b.buf.Truncate(b.buf.Len() - 1)
	}
	for i, a := range args {
		if i > 0 || name != nil {
			b.buf.WriteByte(',')
		}
		if err := b.enc.Encode(a); err != nil {
			return nil, nil, err
		}
		b.buf.Truncate(b.buf.Len() - 1) // Encode's newline
	}
	b.buf.WriteByte(']')
	return bytes.Clone(b.buf.Bytes()), atts, nil
}

func hasBinary(v any) bool {
	switch v := v.(type) {
	case []byte:
		return true
	case []any:
		for _, x := range v {
			if hasBinary(x) {
				return true
			}
		}
	case map[string]any:
		for _, x := range v {
			if hasBinary(x) {
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
