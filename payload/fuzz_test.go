package payload

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
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

func FuzzParseEIO3Frame(f *testing.F) {
	for _, s := range []string{
		"0{\"sid\":\"x\"}", "1", "2", "2probe", "3probe", "4hello", "4", "5", "6",
		"b4AQID", "b4AQIDBA==", "b4AQI=", "b4", "4😀", "4b4AQI=",
		"", "abc", "7", "b", "bAQID", "b2AQI=", "b4!!!!", "b4AQIDBA", "b4AQ\nID", "b4AR==",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		checkUTF16(t, text)
		fr, err := ParseEIO3Frame(text)
		if err != nil {
			if !errors.Is(err, ErrParse) {
				t.Fatalf("ParseEIO3Frame(%q): error %v is not ErrParse", text, err)
			}
			return
		}
		if fr.Type > FrameNoop {
			t.Fatalf("ParseEIO3Frame(%q): type %d", text, fr.Type)
		}
		if fr.Binary != bytes.HasPrefix(text, []byte("b4")) || fr.Binary && fr.Type != FrameMessage {
			t.Fatalf("ParseEIO3Frame(%q) = %+v", text, fr)
		}
		enc := AppendEIO3Frame(nil, fr)
		if !fr.Binary && !bytes.Equal(enc, text) {
			t.Fatalf("AppendEIO3Frame(ParseEIO3Frame(%q)) = %q", text, enc)
		}
		back, err := ParseEIO3Frame(enc)
		if err != nil || !frameEqual(back, fr) {
			t.Fatalf("ParseEIO3Frame(%q) = %+v, %v; want %+v (from %q)", enc, back, err, fr, text)
		}
		if fr.Binary {
			if again := AppendEIO3Frame(nil, back); !bytes.Equal(again, enc) {
				t.Fatalf("AppendEIO3Frame not stable: %q then %q", enc, again)
			}
			// The websocket binary form carries the same frame.
			msg := AppendEIO3BinaryMessage(nil, fr)
			if ws, err := ParseEIO3BinaryMessage(msg); err != nil || !frameEqual(ws, fr) {
				t.Fatalf("ParseEIO3BinaryMessage(% x) = %+v, %v; want %+v", msg, ws, err, fr)
			}
			// The EIO4 form is the EIO3 one without the type digit.
			if v4 := AppendEIO4Frame(nil, fr); !bytes.Equal(v4[1:], enc[2:]) {
				t.Fatalf("EIO4 form %q, EIO3 form %q", v4, enc)
			}
		}
	})
}

func FuzzDecodeEIO3Payload(f *testing.F) {
	for _, s := range []string{
		"6:4hello", "2:4€", "3:4😀", "5:4é€😀", "6:4hello10:b4AQIDBA==", "6:4hello6:4world",
		"10:b4AQIDBA==", "1:2", "1:3", "1:6", "1:1", "1:61:1", "01:2", "2:4013:42[\"a\",\"😀é\"]",
		"abc", "", "2:4", "x:4a", "0:", "1:", "1:23", "2:4😀", "1:b", "9:bAQIDBA==",
		"4:4\xff\xe2\x82", "18446744073709551617:2",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		frames, err := DecodeEIO3Payload(body)
		canonical := false
		if utf8.Valid(body) {
			var texts []string
			var ok bool
			texts, canonical, ok = jsDecodeEIO3Payload(body)
			for _, s := range texts {
				if _, err := ParseEIO3Frame([]byte(s)); err != nil {
					ok = false
				}
			}
			if ok != (err == nil) {
				t.Fatalf("DecodeEIO3Payload(%q) = %+v, %v; model says %q, %v", body, frames, err, texts, ok)
			}
			for i := range frames {
				if want, _ := ParseEIO3Frame([]byte(texts[i])); ok && !frameEqual(frames[i], want) {
					t.Fatalf("DecodeEIO3Payload(%q)[%d] = %+v; model says %q", body, i, frames[i], texts[i])
				}
			}
		}
		if err != nil {
			if !errors.Is(err, ErrParse) || frames != nil {
				t.Fatalf("DecodeEIO3Payload(%q) = %+v, %v; want nil, ErrParse", body, frames, err)
			}
			return
		}
		if len(frames) == 0 {
			t.Fatalf("DecodeEIO3Payload(%q): no frames and no error", body)
		}
		enc := AppendEIO3Payload(nil, frames)
		back, err := DecodeEIO3Payload(enc)
		if err != nil || !framesEqual(back, frames) {
			t.Fatalf("DecodeEIO3Payload(%q) = %+v, %v; want %+v", enc, back, err, frames)
		}
		if again := AppendEIO3Payload(nil, back); !bytes.Equal(again, enc) {
			t.Fatalf("AppendEIO3Payload not stable: %q then %q", enc, again)
		}
		// Without binary frames or leading zeros, the body comes back
		// byte for byte.
		if canonical && !bytes.Equal(enc, body) {
			t.Fatalf("AppendEIO3Payload(DecodeEIO3Payload(%q)) = %q", body, enc)
		}
		// The same frames survive the XHR2 form.
		bin := AppendEIO3BinaryPayload(nil, frames)
		if back, err := DecodeEIO3BinaryPayload(bin); err != nil || !framesEqual(back, frames) {
			t.Fatalf("DecodeEIO3BinaryPayload(% x) = %+v, %v; want %+v", bin, back, err, frames)
		}
	})
}

func FuzzDecodeEIO3BinaryPayload(f *testing.F) {
	for _, s := range []string{
		"00 06 FF 34 68 65 6c 6c 6f 01 05 FF 04 01 02 03 04",
		"00 01 00 FF 34 c3 a9 e2 82 ac f0 9f 98 80",
		"00 02 FF 34 30",
		"00 02 ff 34 30 01 04 ff 04 01 02 03",
		"00 01 FF 36 00 01 FF 31",
		"01 01 FF 04",
		"00 00 00 01 FF 32",
		"", "00", "02 01 FF 34", "00 01 02", "00 FF 34", "00 00 FF", "00 0a FF 34",
		"00" + strings.Repeat(" 00", 20) + " 01 FF 34",
		"00 06 FF 34 68 65 6c 6c", "01 02 FF 02 01", "00 01 FF 37",
	} {
		b, err := hexBytes(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		frames, err := DecodeEIO3BinaryPayload(body)
		// An independent walk of the entries.
		var (
			entries   [][]byte
			markers   []byte
			canonical = true
			ok        = len(body) > 0
		)
		for rest := body; ok && len(rest) > 0; {
			marker, i, n := rest[0], 1, 0
			for ; i < len(rest) && rest[i] != 0xff; i++ {
				if rest[i] > 9 || i > 20 || n > len(body) {
					ok = false
					break
				}
				if i == 1 && rest[i] == 0 {
					canonical = false
				}
				n = n*10 + int(rest[i])
			}
			if !ok || marker > 1 || i == 1 || i == len(rest) || n == 0 || n > len(rest)-i-1 {
				ok = false
				break
			}
			entry := rest[i+1 : i+1+n]
			if marker == 0 && entry[0] == 'b' {
				canonical = false
			}
			entries, markers = append(entries, entry), append(markers, marker)
			rest = rest[i+1+n:]
		}
		var want []Frame
		for i, e := range entries {
			var fr Frame
			var err error
			if markers[i] == 1 {
				if e[0] != 4 {
					ok = false
					break
				}
				fr = Frame{Type: FrameMessage, Binary: true, Data: e[1:]}
			} else if fr, err = ParseEIO3Frame(e); err != nil {
				ok = false
				break
			}
			want = append(want, fr)
		}
		if ok != (err == nil) {
			t.Fatalf("DecodeEIO3BinaryPayload(% x) = %+v, %v; walk says %v", body, frames, err, ok)
		}
		if err != nil {
			if !errors.Is(err, ErrParse) || frames != nil {
				t.Fatalf("DecodeEIO3BinaryPayload(% x) = %+v, %v; want nil, ErrParse", body, frames, err)
			}
			return
		}
		if !framesEqual(frames, want) {
			t.Fatalf("DecodeEIO3BinaryPayload(% x) = %+v, want %+v", body, frames, want)
		}
		enc := AppendEIO3BinaryPayload(nil, frames)
		if canonical && !bytes.Equal(enc, body) {
			t.Fatalf("AppendEIO3BinaryPayload(DecodeEIO3BinaryPayload(% x)) = % x", body, enc)
		}
		back, err := DecodeEIO3BinaryPayload(enc)
		if err != nil || !framesEqual(back, frames) {
			t.Fatalf("DecodeEIO3BinaryPayload(% x) = %+v, %v; want %+v", enc, back, err, frames)
		}
		// The same frames survive the text form.
		txt := AppendEIO3Payload(nil, frames)
		if back, err := DecodeEIO3Payload(txt); err != nil || !framesEqual(back, frames) {
			t.Fatalf("DecodeEIO3Payload(%q) = %+v, %v; want %+v", txt, back, err, frames)
		}
	})
}

// FuzzCheckPlaceholders: the byte-level fast path never accepts what the
// decoding check refuses.
func FuzzCheckPlaceholders(f *testing.F) {
	for _, s := range hostilePlaceholders {
		f.Add([]byte(s[strings.IndexByte(s, '-')+1:]), uint8(1))
	}
	f.Add([]byte(`["x",{"_placeholder":true,"num":1},{"a":{"_placeholder":true,"num":0}}]`), uint8(2))
	f.Add([]byte(`["x","{\"_placeholder\":true,\"num\":0}",{"_placeholder":true,"num":0}]`), uint8(1))
	f.Add([]byte(`["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]`), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, n uint8) {
		if n > MaxAttachments || !json.Valid(data) {
			return
		}
		if canonicalPlaceholders(data, int(n)) {
			if err := decodePlaceholders(data, int(n)); err != nil {
				t.Fatalf("canonicalPlaceholders(%q, %d) accepts what decoding refuses", data, n)
			}
		}
	})
}

// FuzzRelayPacket plays a server relaying what a client sent: a Socket.IO
// packet and its attachments are parsed, decoded to values, encoded again
// and parsed as the receiving client's parser would. Whatever is accepted
// must relay as a packet that parses, with one attachment per binary
// value, and decodes to the same values.
func FuzzRelayPacket(f *testing.F) {
	for _, s := range []string{
		`51-["x",{"_placeholder":true,"num":0}]`,
		`52-/a,9["x",{"b":[{"_placeholder":true,"num":1}]},{"_placeholder":true,"num":0}]`,
		`61-3[{"_placeholder":true,"num":0},{"_placeholder":false,"num":4}]`,
		`2["x",{"_placeholder":true,"num":0},"\u2028"]`,
		`51-7["echo",{"_placeholder":true,"num":0},{"_placeholder":true,"num":5}]`,
	} {
		f.Add([]byte(s), []byte("abc"))
	}
	f.Fuzz(func(t *testing.T, text, bin []byte) {
		p, n, err := ParsePacket(text)
		if err != nil || (p.Type != Event && p.Type != BinaryEvent && p.Type != Ack && p.Type != BinaryAck) {
			return
		}
		atts := make([][]byte, n)
		for i := range atts {
			atts[i] = append([]byte{byte(i)}, bin...)
		}
		items, err := SplitArgs(p.Data)
		if err != nil {
			t.Fatalf("SplitArgs(%q): %v", p.Data, err)
		}
		vals, err := DecodeArgs(items, atts)
		if err != nil {
			return // a number beyond float64
		}
		data, out, err := EncodeAck(vals)
		if err != nil {
			// Only a plain packet's data may hold placeholder lookalikes
			// that clash with binary values; a binary packet's
			// placeholders have all become binary values.
			if n > 0 {
				t.Fatalf("EncodeAck(DecodeArgs(%q)): %v", text, err)
			}
			return
		}
		if len(out) != n {
			t.Fatalf("relaying %q: %d attachments, want %d", text, len(out), n)
		}
		q := Packet{Type: Ack, Namespace: p.Namespace, ID: p.ID, HasID: true, Data: data, Attachments: out}
		if n > 0 {
			q.Type = BinaryAck
		}
		enc := AppendPacket(nil, &q)
		r, m, err := ParsePacket(enc)
		if err != nil || m != n {
			t.Fatalf("relaying %q: ParsePacket(%q) = %d, %v", text, enc, m, err)
		}
		items2, err := SplitArgs(r.Data)
		if err != nil {
			t.Fatalf("SplitArgs(%q): %v", r.Data, err)
		}
		back, err := DecodeArgs(items2, out)
		if err != nil || !reflect.DeepEqual(back, vals) {
			t.Fatalf("relaying %q as %q: %#v, %v; want %#v", text, enc, back, err, vals)
		}
	})
}

// FuzzSplitValidArgs: never a panic; on valid JSON, SplitArgs' answer.
func FuzzSplitValidArgs(f *testing.F) {
	for _, in := range splitCases {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := SplitValidArgs(in)
		if !json.Valid(in) {
			return
		}
		want, werr := SplitArgs(in)
		if (err == nil) != (werr == nil) || !sameItems(got, want) {
			t.Fatalf("SplitValidArgs(%q) = %q, %v; SplitArgs: %q, %v", in, got, err, want, werr)
		}
	})
}

// FuzzV1LineSafe: for any JSON array of arguments, the packet written for
// a 0.9 client holds no raw U+2028 or U+2029, decodes again, and its
// arguments mean the same values.
func FuzzV1LineSafe(f *testing.F) {
	for _, s := range []string{"[\"\u2028\"]", "[{\"\u2029\":[\"\u2028x\u2029\"]}]", `["\u2028"]`, "[\"€\xe2\x80\xa8\xe2\"]", `[1,"a"]`} {
		f.Add([]byte(s), "ev\u2028")
	}
	f.Fuzz(func(t *testing.T, args []byte, name string) {
		if len(args) == 0 || args[0] != '[' || !json.Valid(args) {
			return
		}
		for _, p := range []V1Packet{
			{Type: V1Event, Name: name, Args: args},
			{Type: V1Ack, AckID: 7, Args: args},
			{Type: V1JSON, Data: args},
		} {
			out := AppendV1Packet(nil, &p)
			if bytes.Contains(out, []byte("\u2028")) || bytes.Contains(out, []byte("\u2029")) {
				t.Fatalf("AppendV1Packet(%+v) = %q holds a raw line terminator", p, out)
			}
			q, err := ParseV1Packet(out)
			if err != nil {
				t.Fatalf("ParseV1Packet(%q): %v", out, err)
			}
			got, want := q.Args, p.Args
			if p.Type == V1JSON {
				got, want = q.Data, p.Data
			}
			if emptyArray(want) {
				continue
			}
			var a, b any
			if json.Unmarshal(got, &a) != nil || json.Unmarshal(want, &b) != nil || !reflect.DeepEqual(a, b) {
				t.Fatalf("AppendV1Packet(%+v) = %q: arguments %s, want %s", p, out, got, want)
			}
		}
	})
}

func FuzzParseV1Packet(f *testing.F) {
	for _, s := range []string{"0::", "1::/test:?test=1", "3:1::hi:there", `4:1+::{"a":"b"}`,
		`5:2+:/chat:{"name":"msg","args":["x",1]}`, `6:::12+["woot","wa"]`, "7:::2+0", "8::", "9:::x", "0"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := ParseV1Packet(in)
		if err != nil {
			return
		}
		out := AppendV1Packet(nil, &p)
		q, err := ParseV1Packet(out)
		if err != nil {
			t.Fatalf("re-encoding %q gave %q which does not decode: %v", in, out, err)
		}
		if q.Type != p.Type || q.Endpoint != p.Endpoint || q.Name != p.Name || q.AckID != p.AckID {
			t.Fatalf("round trip of %q: %+v != %+v", in, q, p)
		}
	})
}

func FuzzDecodeV1Payload(f *testing.F) {
	for _, s := range []string{"3:::a", "\ufffd5\ufffd3:::5\ufffd7\ufffd3:::53d", "\ufffd7\ufffd3:::é😀\ufffd3\ufffd2::", "\ufffd"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		ps, err := DecodeV1Payload(in)
		if err != nil || len(ps) < 2 {
			return
		}
		if !json.Valid([]byte(`""`)) {
			t.Fatal()
		}
		out := AppendV1Payload(nil, ps...)
		again, err := DecodeV1Payload(out)
		if err != nil || len(again) != len(ps) {
			t.Fatalf("re-encoding %q: %q, %v", in, out, err)
		}
	})
}

// FuzzV1FastEvent checks the fast event reader against encoding/json.
func FuzzV1FastEvent(f *testing.F) {
	for _, s := range []string{`{"name":"a"}`, `{"name":"a","args":[1,"x"]}`, `{"name":"a","args":[]}`,
		`{"name":"a\"b"}`, `{"name":"a","args":[1],"x":2}`, `{"name":"é","args":[{"a":"}"}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, d []byte) {
		name, args, ok := fastEvent(d)
		if !ok {
			return
		}
		var ev struct {
			Name *string         `json:"name"`
			Args json.RawMessage `json:"args"`
		}
		if err := json.Unmarshal(d, &ev); err != nil || ev.Name == nil || *ev.Name != name {
			t.Fatalf("%q: fast %q, json %v %v", d, name, ev.Name, err)
		}
		if !emptyArray(ev.Args) && !bytes.Equal(args, ev.Args) {
			t.Fatalf("%q: fast args %q, json %q", d, args, ev.Args)
		}
	})
}

func FuzzValidJSON(f *testing.F) {
	for _, in := range validCases {
		if len(in) < 1000 {
			f.Add([]byte(in))
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if got, want := validJSON(in), json.Valid(in); got != want {
			t.Fatalf("validJSON(%q) = %v, json.Valid says %v", in, got, want)
		}
		checkCompactJSON(t, in)
	})
}

// checkUTF16 compares UTF16Len and utf16Span, in both modes, with
// JavaScript's String length of the text b decodes to.
func checkUTF16(t *testing.T, b []byte) {
	t.Helper()
	units := utf16.Encode(bytes.Runes(b))
	if got := UTF16Len(b); got != len(units) {
		t.Fatalf("UTF16Len(%q) = %d, want %d", b, got, len(units))
	}
	valid := utf8.Valid(b)
	// ends[n] is where n units end, or -1 inside a surrogate pair.
	ends := make([]int, len(units)+1)
	for i, u := 0, 0; i < len(b); {
		size, w := utf16Rune(b[i:])
		if w == 2 {
			ends[u+1] = -1
		}
		i, u = i+size, u+w
		ends[u] = i
	}
	// Every count for short texts, a sample for long ones (utf16Span
	// is linear, so all counts would be quadratic).
	step := max(1, len(units)/8)
	for n := 1; n <= len(units); n++ {
		if n > 4 && n < len(units)-4 && n%step != 0 {
			continue
		}
		end, ok := ends[n], ends[n] >= 0
		for _, mode := range []bool{false, valid} {
			got, gotOK := utf16Span(b, n, mode)
			if gotOK != ok || ok && got != end {
				t.Fatalf("utf16Span(%q, %d, %v) = %d, %v; want %d, %v", b, n, mode, got, gotOK, end, ok)
			}
		}
	}
	if _, ok := utf16Span(b, len(units)+1, valid); ok {
		t.Fatalf("utf16Span(%q, %d) past the end", b, len(units)+1)
	}
}

// jsDecodeEIO3Payload models the reference decoder (engine.io-parser 2.x,
// decodePayload on a string) on the JavaScript string the body decodes to,
// with sockio's stricter rules: lengths are digits only, zero-length packets
// are errors and a length may not split a surrogate pair. It returns the
// text form of each frame, and whether the body is in the form
// AppendEIO3Payload writes (no leading zeros, no base64).
func jsDecodeEIO3Payload(body []byte) (texts []string, canonical, ok bool) {
	if len(body) == 0 {
		return nil, false, false
	}
	canonical = true
	data := utf16.Encode(bytes.Runes(body))
	length := ""
	for i := 0; i < len(data); i++ {
		if c := data[i]; c != ':' {
			if c < '0' || c > '9' {
				return nil, false, false
			}
			length += string(rune(c))
			continue
		}
		n := 0
		for _, d := range length {
			n = n*10 + int(d-'0')
			if n > len(data) {
				return nil, false, false
			}
		}
		if length == "" || n == 0 || i+1+n > len(data) {
			return nil, false, false
		}
		msg := data[i+1 : i+1+n]
		if utf16.IsSurrogate(rune(msg[n-1])) && msg[n-1] < 0xdc00 {
			return nil, false, false // would split a pair
		}
		canonical = canonical && length[0] != '0' && msg[0] != 'b'
		texts = append(texts, string(utf16.Decode(msg)))
		i += n
		length = ""
	}
	if length != "" {
		return nil, false, false
	}
	return texts, canonical, true
}

func hexBytes(s string) ([]byte, error) {
	var out []byte
	for f := range strings.FieldsSeq(s) {
		var b byte
		for _, c := range []byte(strings.ToLower(f)) {
			switch {
			case c >= '0' && c <= '9':
				b = b<<4 | (c - '0')
			case c >= 'a' && c <= 'f':
				b = b<<4 | (c - 'a' + 10)
			default:
				return nil, errors.New("bad hex " + f)
			}
		}
		out = append(out, b)
	}
	return out, nil
}

// FuzzV1Translate feeds arbitrary protocol 1 text through the translation
// to Socket.IO packets and back: nothing may panic, the one-pass
// translation (V1HeaderFrame, V1MessagePacket) must agree with the
// packet-by-packet one, and a packet that translates must translate back to
// protocol 1.
func FuzzV1Translate(f *testing.F) {
	for _, s := range []string{"3:::hi", `4:2+:/c:{"a":1}`, `5:3+::{"name":"e","args":[1, 2]}`, `6:::1+["x"]`,
		"6:::0", "1::/test:?a=b", "1::/test?a=%zz", "0::/c", "2::", "7:::1+0"} {
		f.Add([]byte(s))
	}
	for _, s := range v1MessageInputs {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		checkV1MessagePacket(t, text)
		checkV1AutoAck(t, text)
		q, err := ParseV1Packet(text)
		if err != nil {
			return
		}
		p, err := V1ToPacket(&q)
		if err != nil {
			return
		}
		if back, ok := PacketToV1(&p); ok {
			_ = AppendV1Packet(nil, &back)
		}
	})
}

// FuzzParseEIO3Packet feeds arbitrary text through the EIO3 packet forms:
// nothing may panic, and what parses re-encodes to a packet that parses.
func FuzzParseEIO3Packet(f *testing.F) {
	for _, s := range []string{"0/admin?token=abc&x=1,", "0", `2/chat?x=1,["a"]`, `4{"message":"x"}`, "0/a?%zz,"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		p, n, err := ParseEIO3Packet(text)
		if err != nil || n > 0 {
			return
		}
		out := AppendPacket(nil, EIO3Packet(&p))
		if _, _, err := ParsePacket(out); err != nil {
			t.Fatalf("%q parsed, but its EIO3 form %q does not: %v", text, out, err)
		}
	})
}

// msgpackSeeds are msgpack packets for the msgpack fuzz targets, in mp's
// notation: the observed packets of msgpack_test.go and hostile ones.
var msgpackSeeds = []string{
	`83 "type" 02 "data" 92 "hello" "world" "nsp" "/"`,
	`83 "type" 02 "data" 92 "bin" c4 03 010203 "nsp" "/"`,
	`85 "type" 02 "data" 93 "echo" "a" 01 "options" 81 "compress" c3 "id" 00 "nsp" "/"`,
	`84 "id" 00 "type" 03 "data" 91 "ok" "nsp" "/"`,
	`83 "type" 00 "data" 81 "token" "abc" "nsp" "/"`,
	`83 "type" 00 "data" d40000 "nsp" "/"`,
	`83 "type" 04 "data" 82 "message" "nope" "data" 81 "code" 2a "nsp" "/err"`,
	`82 "type" 01 "nsp" "/chat"`,
	`83 "type" 02 "data" 92 "bin" c7 02 00 0a0b "nsp" "/"`,
	`83 "type" 02 "data" 96 "v" ff d0 80 cb 3ff8000000000000 c0 92 d40000 cf ffffffffffffffff "nsp" "/"`,
	`83 "type" 02 "data" 92 "d" 82 "u" d40000 "t" d7 00 0000018bcfe56800 "nsp" "/"`,
	`83 "type" 05 "data" 92 "bin" c4 01 07 "nsp" "/"`,
	`83 "type" 00 "query" a3 613d31 "nsp" "/a?a=1"`,
	`83 "type" 02 "data" 93 "x" c4 01 00 82 "_placeholder" c3 "num" 00 "nsp" "/"`,
	`83 "type" 02 "data" 92 "x" db ffffffff 00 "nsp" "/"`,
	`83 "type" 02 "data" dd ffffffff "x" "nsp" "/"`,
	`83 "type" 02 "nsp" "/" "data" 92 "x" 91 91 91 91 91 91 91 91 01`,
	`83 "type" 02 "data" 92 "x" c9 00000001 00 ff "nsp" "/"`,
	`83 "type" 02 "data" 92 "x" ca 7fc00000 "nsp" "/"`,
}

// FuzzParseMsgpackPacket checks that a msgpack packet either fails with
// ErrMsgpack or decodes into a packet that the text form's rules accept
// and that encodes back to the same packet.
func FuzzParseMsgpackPacket(f *testing.F) {
	for _, s := range msgpackSeeds {
		f.Add(mp(f, s), false)
		f.Add(mp(f, s), true)
	}
	f.Fuzz(func(t *testing.T, in []byte, legacy bool) {
		parse := ParseMsgpackPacket
		if legacy {
			parse = ParseEIO3MsgpackPacket
		}
		p, err := parse(in)
		if err != nil {
			if !errors.Is(err, ErrMsgpack) {
				t.Fatalf("parse(% x): error %v is not ErrMsgpack", in, err)
			}
			return
		}
		if p.Type > BinaryAck || !validData(p.Type, p.Data) {
			t.Fatalf("parse(% x): %v with data %q", in, p.Type, p.Data)
		}
		if n := len(p.Attachments); n > MaxAttachments || (n > 0) != (p.Type == BinaryEvent || p.Type == BinaryAck) ||
			n > 0 && checkPlaceholders(p.Data, n) != nil {
			t.Fatalf("parse(% x): %d attachments for %v, data %q", in, n, p.Type, p.Data)
		}
		out, err := AppendMsgpackPacket(nil, &p)
		if err != nil {
			t.Fatalf("AppendMsgpackPacket(%+v): %v", p, err)
		}
		back, err := ParseMsgpackPacket(out)
		same := back.Type == p.Type && back.Nsp() == p.Nsp() && back.HasID == p.HasID && back.ID == p.ID &&
			jsonSame(t, back.Data, p.Data) // invalid UTF-8 comes back as U+FFFD, written otherwise
		if err != nil || !same || !reflect.DeepEqual(back.Attachments, p.Attachments) {
			t.Fatalf("% x decodes to %+v (data %q), encodes to % x, which decodes to %+v (data %q), %v",
				in, p, p.Data, out, back, back.Data, err)
		}
	})
}

// FuzzParseEIO3MsgpackText checks that a text packet of
// socket.io-msgpack-parser 2.x either fails with ErrMsgpack or decodes into
// a packet that the text form's rules accept, without attachments, and that
// goes through the msgpack form and back unchanged.
func FuzzParseEIO3MsgpackText(f *testing.F) {
	for _, s := range []string{`{"type":0,"nsp":"/"}`, `{"type":0,"query":"a=1","nsp":"/a?a=1"}`,
		`{"type":1,"nsp":"/chat"}`, `{"type":4,"data":"x","nsp":"/"}`, `{"type":5,"data":["x",1],"nsp":"/","id":3}`,
		`{"type":2,"data":["x",{"_placeholder":true,"num":0}],"nsp":"/"}`, `{"type":2.0,"nsp":"/","data":[1],"id":9007199254740992}`,
		`{"type":0,"data":{"a":1},"nsp":"/","nsp":"/b"}`, `null`, `{"type":3,"data":[],"nsp":"\ud800"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := ParseEIO3MsgpackText(in)
		if err != nil {
			if !errors.Is(err, ErrMsgpack) {
				t.Fatalf("ParseEIO3MsgpackText(%q): error %v is not ErrMsgpack", in, err)
			}
			return
		}
		if p.Type > ConnectError || !validData(p.Type, p.Data) || p.Attachments != nil {
			t.Fatalf("ParseEIO3MsgpackText(%q): %v with data %q", in, p.Type, p.Data)
		}
		out, err := AppendMsgpackPacket(nil, &p)
		if err != nil {
			t.Fatalf("AppendMsgpackPacket(%+v): %v", p, err)
		}
		back, err := ParseEIO3MsgpackPacket(out)
		same := back.Type == p.Type && back.Nsp() == p.Nsp() && back.HasID == p.HasID && back.ID == p.ID &&
			jsonSame(t, back.Data, p.Data)
		if err != nil || !same {
			t.Fatalf("%q decodes to %+v (data %q), encodes to % x, which decodes to %+v (data %q), %v",
				in, p, p.Data, out, back, back.Data, err)
		}
	})
}

// FuzzMsgpackFromText checks that every packet of the text form (as a
// JSON-parser client or a Go emit makes it) goes through msgpack and back
// unchanged, but for its type's binary flag, which follows its binary
// values.
func FuzzMsgpackFromText(f *testing.F) {
	for _, v := range sioVectors {
		f.Add([]byte(v.in), "")
	}
	f.Add([]byte(`51-["x",{"_placeholder":true,"num":0}]`), "abc")
	f.Add([]byte(`61-1[{"_placeholder":true,"num":0},1e400]`), "")
	f.Add([]byte(`2["x",{"_placeholder":true,"num":0},"\u00e9\ud83d\ude00",-0,1.0e2]`), "")
	f.Fuzz(func(t *testing.T, text []byte, att string) {
		p, n, err := ParsePacket(text)
		if err != nil || n > 1 {
			return
		}
		if n == 1 {
			p.Attachments = [][]byte{[]byte(att)}
		}
		if p.Type == ConnectError || p.Type == Connect && p.Data != nil && bytes.Contains(p.Data, []byte("_placeholder")) {
			return // not sent with attachments; CONNECT_ERROR is checked by its own test
		}
		b, err := AppendMsgpackPacket(nil, &p)
		if err != nil {
			t.Fatalf("AppendMsgpackPacket(%q): %v", text, err)
		}
		back, err := ParseMsgpackPacket(b)
		if err != nil {
			t.Fatalf("ParseMsgpackPacket(AppendMsgpackPacket(%q) = % x): %v", text, b, err)
		}
		if back.Type != p.Type || back.Nsp() != p.Nsp() || back.HasID != p.HasID || back.ID != p.ID ||
			!reflect.DeepEqual(back.Attachments, p.Attachments) && len(back.Attachments)+len(p.Attachments) > 0 {
			t.Fatalf("%q: %+v, back %+v", text, p, back)
		}
		if !jsonSame(t, p.Data, back.Data) {
			t.Fatalf("%q: data %s came back as %s", text, p.Data, back.Data)
		}
	})
}

// jsonSame reports whether two JSON texts hold the same value (numbers
// compared as float64, as JavaScript sees them).
func jsonSame(t *testing.T, a, b []byte) bool {
	t.Helper()
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var va, vb any
	if json.Unmarshal(a, &va) != nil {
		return true // a number out of float64's range: Infinity in JavaScript, null once sent
	}
	if json.Unmarshal(b, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// FuzzAppendMsgpackData checks the one-pass JSON to msgpack transcoding
// against the tree it replaces: on valid JSON both write the same bytes,
// and nothing else panics or passes for JSON.
func FuzzAppendMsgpackData(f *testing.F) {
	for _, s := range []string{
		`["a",1,-2,1.5,1e400,true,false,null,{},[],{"k":[{"x":"\u00e9\"\\"}]}]`, `[`, `]`, `"x`, `["\"]`,
		`{"a":1,}`, `[1 2]`, `[-]`, `[--1]`, `[1.2.3]`, `[123456789012345678901234567890]`, `[-9223372036854775808]`,
		`[18446744073709551615]`, `["x",{"_placeholder":true,"num":0}]`, ` [ 1 , { "a" : [ ] } ] `, `[tru]`, `{"a"}`,
		`[1]]`, `[[[]]]`, `{"_placeholder":true,"num":0}`, `["\ud83d\ude00"]`, "[\"\xff\"]",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, binary bool) {
		p := Packet{Type: Event, Namespace: "/", Data: data}
		if binary {
			p.Type, p.Attachments = BinaryEvent, [][]byte{{1, 2}}
		}
		fast, errFast := appendMsgpack(nil, &p, false)
		if !json.Valid(data) {
			if errFast == nil {
				t.Fatalf("%q is not JSON but encoded to % x", data, fast)
			}
			return
		}
		tree, errTree := appendMsgpack(nil, &p, true)
		if errFast != nil || errTree != nil || !bytes.Equal(fast, tree) {
			t.Fatalf("%q: one pass % x (%v), tree % x (%v)", data, fast, errFast, tree, errTree)
		}
	})
}
