package payload

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

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
