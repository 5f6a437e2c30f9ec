package payload

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

var eioFrameSeeds = []string{
	"0{\"sid\":\"x\"}", "1", "2", "2probe", "3probe", "4hello", "4", "5", "6",
	"bAQID", "bAQIDBA==", "b", "b4AQIDBA==", "4😀",
	"", "abc", "7", "b!!!!", "bAQIDBA", "bAQ\nID", "bAR==",
}

func FuzzParseEIO4Frame(f *testing.F) {
	for _, s := range eioFrameSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		fr, err := ParseEIO4Frame(text)
		if err != nil {
			if !errors.Is(err, ErrParse) {
				t.Fatalf("ParseEIO4Frame(%q): error %v is not ErrParse", text, err)
			}
			return
		}
		if fr.Type > FrameNoop {
			t.Fatalf("ParseEIO4Frame(%q): type %d", text, fr.Type)
		}
		if fr.Binary && fr.Type != FrameMessage {
			t.Fatalf("ParseEIO4Frame(%q): binary %v frame", text, fr.Type)
		}
		enc := AppendEIO4Frame(nil, fr)
		if !fr.Binary && !bytes.Equal(enc, text) {
			// The text form is reproduced byte for byte.
			t.Fatalf("AppendEIO4Frame(ParseEIO4Frame(%q)) = %q", text, enc)
		}
		back, err := ParseEIO4Frame(enc)
		if err != nil || !frameEqual(back, fr) {
			t.Fatalf("ParseEIO4Frame(%q) = %+v, %v; want %+v (from %q)", enc, back, err, fr, text)
		}
		if fr.Binary {
			// The canonical encoding is a fixed point.
			if again := AppendEIO4Frame(nil, back); !bytes.Equal(again, enc) {
				t.Fatalf("AppendEIO4Frame not stable: %q then %q", enc, again)
			}
		}
	})
}

func FuzzDecodeEIO4Payload(f *testing.F) {
	for _, s := range []string{
		"4hello\x1e2\x1e4world", "4hello\x1ebAQIDBA==", "6\x1e1",
		"abc", "", "4a\x1e", "4a\x1ebAQIDBA", "\x1e", "bAQID", "40\x1e42[\"a\"]",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		frames, err := DecodeEIO4Payload(body)
		if err != nil {
			if !errors.Is(err, ErrParse) || frames != nil {
				t.Fatalf("DecodeEIO4Payload(%q) = %+v, %v; want nil, ErrParse", body, frames, err)
			}
			// Some record does not parse.
			for rec := range bytes.SplitSeq(body, []byte{RecordSeparator}) {
				if _, err := ParseEIO4Frame(rec); err != nil {
					return
				}
			}
			t.Fatalf("DecodeEIO4Payload(%q) failed but every record parses", body)
		}
		recs := bytes.Split(body, []byte{RecordSeparator})
		if len(frames) != len(recs) {
			t.Fatalf("DecodeEIO4Payload(%q): %d frames for %d records", body, len(frames), len(recs))
		}
		binary := false
		for i, rec := range recs {
			want, err := ParseEIO4Frame(rec)
			if err != nil || !frameEqual(frames[i], want) {
				t.Fatalf("DecodeEIO4Payload(%q)[%d] = %+v, ParseEIO4Frame(%q) = %+v, %v", body, i, frames[i], rec, want, err)
			}
			binary = binary || want.Binary
		}
		enc := AppendEIO4Payload(nil, frames)
		if !binary && !bytes.Equal(enc, body) {
			t.Fatalf("AppendEIO4Payload(DecodeEIO4Payload(%q)) = %q", body, enc)
		}
		back, err := DecodeEIO4Payload(enc)
		if err != nil || !framesEqual(back, frames) {
			t.Fatalf("DecodeEIO4Payload(%q) = %+v, %v; want %+v", enc, back, err, frames)
		}
	})
}

func FuzzParsePacket(f *testing.F) {
	for _, v := range sioVectors {
		f.Add([]byte(v.in))
	}
	for _, s := range []string{
		`2{}`, `2abc["x"]`, `2["disconnect"]`, `2[]`, `0[]`, `1{}`, `7`, `a`,
		`0/admin?token=abc,`, `5+1-["x",{"_placeholder":true,"num":0}]`, `2 ["x"]`, `2[2e400]`,
	} {
		f.Add([]byte(s))
	}
	for _, s := range hostilePlaceholders {
		f.Add([]byte(s[1:]))
	}
	for _, s := range []string{
		`52-["x",{"_placeholder":true,"num":1},{"a":{"_placeholder":true,"num":0}}]`,
		`51-["x",{"num":0,"_placeholder":true},{"_placeholder":false,"num":9}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		p, n, err := ParsePacket(text)
		if err != nil {
			if !errors.Is(err, ErrPacket) {
				t.Fatalf("ParsePacket(%q): error %v is not ErrPacket", text, err)
			}
			return
		}
		if p.Type > BinaryAck {
			t.Fatalf("ParsePacket(%q): type %d", text, p.Type)
		}
		if n < 0 || n > MaxAttachments || (n > 0) != (p.Type == BinaryEvent || p.Type == BinaryAck) {
			t.Fatalf("ParsePacket(%q): %d attachments for %v", text, n, p.Type)
		}
		if !strings.HasPrefix(p.Namespace, "/") || strings.Contains(p.Namespace, ",") {
			t.Fatalf("ParsePacket(%q): namespace %q", text, p.Namespace)
		}
		if p.Data != nil && !json.Valid(p.Data) {
			t.Fatalf("ParsePacket(%q): data %q is not JSON", text, p.Data)
		}
		if p.Attachments != nil {
			t.Fatalf("ParsePacket(%q): attachments filled", text)
		}

		// Re-encoding gives a packet that parses to the same packet, and
		// the re-encoding is canonical (a fixed point).
		p.Attachments = make([][]byte, n)
		enc := AppendPacket(nil, &p)
		q, m, err := ParsePacket(enc)
		if err != nil || m != n || !packetEqual(p, q) {
			t.Fatalf("ParsePacket(%q) = %+v, %d, %v; want %+v, %d (from %q)", enc, q, m, err, p, n, text)
		}
		q.Attachments = make([][]byte, m)
		if again := AppendPacket(nil, &q); !bytes.Equal(again, enc) {
			t.Fatalf("AppendPacket not stable: %q then %q", enc, again)
		}

		// Event and ack data split into arguments and decode.
		switch p.Type {
		case Event, BinaryEvent, Ack, BinaryAck:
			items, err := SplitArgs(p.Data)
			if err != nil {
				t.Fatalf("ParsePacket(%q) accepted data SplitArgs rejects: %v", text, err)
			}
			if (p.Type == Event || p.Type == BinaryEvent) && len(items) == 0 {
				t.Fatalf("ParsePacket(%q): event without a name", text)
			}
			atts := make([][]byte, n)
			for i := range atts {
				atts[i] = []byte{byte(i)}
			}
			vals, err := DecodeArgs(items, atts)
			if err != nil && !isNumberRange(err) {
				t.Fatalf("DecodeArgs(%q): %v", p.Data, err)
			}
			if err == nil && n > 0 {
				// Every attachment takes the place of exactly one
				// placeholder and no object a client would read as a
				// placeholder is left.
				uses := make([]int, n)
				for _, v := range vals {
					if looksLikePlaceholder(v) {
						t.Fatalf("ParsePacket(%q): a placeholder is left after DecodeArgs: %#v", text, vals)
					}
					countAttachments(v, uses)
				}
				for i, u := range uses {
					if u != 1 {
						t.Fatalf("ParsePacket(%q): attachment %d used %d times", text, i, u)
					}
				}
			}
		}

		// Wrapped in an Engine.IO message it survives a polling payload.
		frames, err := DecodeEIO4Payload(AppendEIO4Payload(nil, []Frame{{Type: FrameMessage, Data: enc}}))
		if !bytes.Contains(enc, []byte{RecordSeparator}) {
			if err != nil || len(frames) != 1 || !bytes.Equal(frames[0].Data, enc) {
				t.Fatalf("payload round trip of %q = %+v, %v", enc, frames, err)
			}
		}
	})
}

func FuzzSplitArgs(f *testing.F) {
	for _, v := range sioVectors {
		if len(v.data) > 0 && v.data[0] == '[' {
			f.Add([]byte(v.data))
		}
	}
	for _, s := range []string{
		``, `[]`, `["foo",1,{"a":[1,2]},[3],null]`, ` [ "a" , 2 ] `, `{}`, `"x"`, `[`,
		`[{"_placeholder":true,"num":0},{"k":{"_placeholder":true,"num":1}}]`,
		`[{"_placeholder":true,"num":7},{"_placeholder":true,"num":0.5},{"_placeholder":true,"num":-1}]`,
		`[{"_placeholder":true,"num":0,"x":1},12345678901234567890,"<&>"]`,
		`["x",1e400]`,
		`[{"\u005fplaceholder":true,"num":0}]`,
		`[{"_placeholder":true,"num":3},{"_placeholder":true,"num":0},{"_placeholder":true,"num":0},{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]`,
	} {
		f.Add([]byte(s))
	}
	atts := [][]byte{{1, 2, 3}, {}, {0xff}}
	f.Fuzz(func(t *testing.T, data []byte) {
		items, err := SplitArgs(data)
		if err != nil {
			if !errors.Is(err, ErrPacket) {
				t.Fatalf("SplitArgs(%q): error %v is not ErrPacket", data, err)
			}
			return
		}
		for i, it := range items {
			if !json.Valid(it) {
				t.Fatalf("SplitArgs(%q)[%d] = %q is not JSON", data, i, it)
			}
		}
		// Joining the items gives an array that splits the same way.
		joined := []byte{'['}
		for i, it := range items {
			if i > 0 {
				joined = append(joined, ',')
			}
			joined = append(joined, it...)
		}
		joined = append(joined, ']')
		again, err := SplitArgs(joined)
		if err != nil || len(again) != len(items) {
			t.Fatalf("SplitArgs(%q) = %q, %v; want %q", joined, again, err, items)
		}
		for i := range items {
			if !bytes.Equal(again[i], items[i]) {
				t.Fatalf("SplitArgs(%q)[%d] = %q, want %q", joined, i, again[i], items[i])
			}
		}

		plain, err := DecodeArgs(items, nil)
		if err != nil {
			if !isNumberRange(err) {
				t.Fatalf("DecodeArgs(%q, nil): %v", items, err)
			}
			// A number beyond float64 (valid JSON, 1e400) is an error
			// of DecodeArgs; ResolveJSON keeps it as written.
			for _, it := range items {
				if _, err := ResolveJSON(it, atts); err != nil {
					t.Fatalf("ResolveJSON(%q): %v", it, err)
				}
			}
			return
		}
		withBin, err := DecodeArgs(items, atts)
		if err != nil {
			t.Fatalf("DecodeArgs(%q, atts): %v", items, err)
		}
		for i, it := range items {
			// ResolveJSON agrees with DecodeArgs: a resolved item decodes
			// to DecodeArgs's value with []byte written as base64.
			res, err := ResolveJSON(it, atts)
			if err != nil {
				t.Fatalf("ResolveJSON(%q): %v", it, err)
			}
			var v any
			if err := json.Unmarshal(res, &v); err != nil {
				t.Fatalf("ResolveJSON(%q) = %q: %v", it, res, err)
			}
			if want := bytesToBase64(withBin[i]); !reflect.DeepEqual(v, want) {
				t.Fatalf("ResolveJSON(%q) = %s decodes to %#v; DecodeArgs gives %#v", it, res, v, want)
			}
			// Without attachments ResolveJSON changes nothing.
			if res, err := ResolveJSON(it, nil); err != nil || !bytes.Equal(res, it) {
				t.Fatalf("ResolveJSON(%q, nil) = %q, %v", it, res, err)
			}
			if reflect.DeepEqual(plain[i], withBin[i]) != !containsBytes(withBin[i]) {
				t.Fatalf("DecodeArgs(%q): with attachments %#v, without %#v", it, withBin[i], plain[i])
			}
		}

		// The values re-encode as an ack that decodes back to them, unless
		// one holds an object that looks like a placeholder (its num out of
		// range here, it may be in range among the new attachments: the
		// protocol cannot tell such an object from a placeholder).
		var bin bool
		for _, v := range withBin {
			bin = bin || containsBytes(v)
			if looksLikePlaceholder(v) {
				return
			}
		}
		enc, encAtts, err := EncodeAck(withBin)
		if err != nil {
			t.Fatalf("EncodeAck(%#v): %v", withBin, err)
		}
		if bin != (len(encAtts) > 0) {
			t.Fatalf("EncodeAck(%#v): %d attachments", withBin, len(encAtts))
		}
		items2, err := SplitArgs(enc)
		if err != nil || len(items2) != len(items) {
			t.Fatalf("SplitArgs(EncodeAck) = %q, %v", items2, err)
		}
		back, err := DecodeArgs(items2, encAtts)
		if err != nil || !reflect.DeepEqual(back, withBin) {
			t.Fatalf("DecodeArgs(EncodeAck(%#v)) = %#v, %v", withBin, back, err)
		}
	})
}

// isNumberRange reports the error encoding/json gives for a JSON number
// that does not fit a float64.
func isNumberRange(err error) bool {
	var te *json.UnmarshalTypeError
	return errors.As(err, &te) && strings.HasPrefix(te.Value, "number")
}

func bytesToBase64(v any) any {
	switch x := v.(type) {
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = bytesToBase64(x[i])
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = bytesToBase64(e)
		}
		return out
	}
	return v
}

func looksLikePlaceholder(v any) bool {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if looksLikePlaceholder(e) {
				return true
			}
		}
	case map[string]any:
		if p, ok := x["_placeholder"].(bool); ok && p {
			return true
		}
		for _, e := range x {
			if looksLikePlaceholder(e) {
				return true
			}
		}
	}
	return false
}

// countAttachments counts in uses the []byte values in v, attachment i
// being []byte{i}.
func countAttachments(v any, uses []int) {
	switch x := v.(type) {
	case []byte:
		uses[x[0]]++
	case []any:
		for _, e := range x {
			countAttachments(e, uses)
		}
	case map[string]any:
		for _, e := range x {
			countAttachments(e, uses)
		}
	}
}

func containsBytes(v any) bool {
	switch x := v.(type) {
	case []byte:
		return true
	case []any:
		for _, e := range x {
			if containsBytes(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if containsBytes(e) {
				return true
			}
		}
	}
	return false
}
