package payload

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
)

func TestEIO3BinaryMessage(t *testing.T) {
	// §9: WS binary 04 01 02 is msg bytes 01 02, as is WS text b4AQI=.
	in := []byte{0x04, 0x01, 0x02}
	f, err := ParseEIO3BinaryMessage(in)
	want := Frame{Type: FrameMessage, Binary: true, Data: []byte{1, 2}}
	if err != nil || !frameEqual(f, want) {
		t.Fatalf("ParseEIO3BinaryMessage(% x) = %+v, %v; want %+v", in, f, err, want)
	}
	if txt, err := ParseEIO3Frame([]byte("b4AQI=")); err != nil || !frameEqual(txt, f) {
		t.Errorf("ParseEIO3Frame(b4AQI=) = %+v, %v; want %+v", txt, err, f)
	}
	if got := AppendEIO3BinaryMessage(nil, f); !bytes.Equal(got, in) {
		t.Errorf("AppendEIO3BinaryMessage(%+v) = % x, want % x", f, got, in)
	}
	if got := AppendEIO3BinaryMessage([]byte{9}, f); !bytes.Equal(got, []byte{9, 4, 1, 2}) {
		t.Errorf("AppendEIO3BinaryMessage(09, %+v) = % x", f, got)
	}
	if got := AppendEIO3BinaryMessage(nil, Frame{Type: FrameMessage, Binary: true}); !bytes.Equal(got, []byte{4}) {
		t.Errorf("AppendEIO3BinaryMessage(empty) = % x, want 04", got)
	}
	if f, err := ParseEIO3BinaryMessage([]byte{4}); err != nil || !frameEqual(f, Frame{Type: FrameMessage, Binary: true}) {
		t.Errorf("ParseEIO3BinaryMessage(04) = %+v, %v", f, err)
	}
	// Data aliases the message.
	in[1] = 7
	if f.Data[0] != 7 {
		t.Errorf("binary message data does not alias input")
	}
	for _, bad := range [][]byte{nil, {}, {0x00}, {0x02, 1}, {0x01, 2, 3}, {'4', 1}, {0x05}} {
		if f, err := ParseEIO3BinaryMessage(bad); !errors.Is(err, ErrParse) {
			t.Errorf("ParseEIO3BinaryMessage(% x) = %+v, %v; want ErrParse", bad, f, err)
		}
	}
}

func TestUTF16Len(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"a", 1},
		{"hello", 5},
		{"é", 1},
		{"€", 1},
		{"😀", 2},
		{"é€😀", 4},
		{"4é€😀", 5},
		{strings.Repeat("a", 17), 17},
		{strings.Repeat("a", 9) + "😀" + strings.Repeat("b", 8), 19},
		{"\uffff", 1},
		{"\U00010000", 2},
		{"\U0010ffff", 2},
		// Invalid bytes count one each.
		{"\xff", 1},
		{"\x80\x80", 2},
		{"\xe2\x82", 2},     // truncated €
		{"\xf0\x9f\x98", 3}, // truncated 😀
		{"\xed\xa0\x80", 3}, // encoded surrogate
		{"\xc0\x80", 2},     // overlong NUL
		{"a\xffb😀\xfe", 6},
	}
	for _, tt := range tests {
		if got := UTF16Len([]byte(tt.in)); got != tt.want {
			t.Errorf("UTF16Len(%q) = %d, want %d", tt.in, got, tt.want)
		}
		// The same as encoding the replaced string to UTF-16.
		if got := len(utf16.Encode(bytes.Runes([]byte(tt.in)))); got != tt.want {
			t.Errorf("len(utf16(%q)) = %d, test wants %d", tt.in, got, tt.want)
		}
	}
}

func TestUTF16Prefix(t *testing.T) {
	for _, s := range []string{
		"", "a", strings.Repeat("a", 40), "é€😀", strings.Repeat("é€😀a", 12),
		strings.Repeat("😀", 20), strings.Repeat("日本", 20) + "x", "1234567😀89abcdef😀",
		"\xff\xfe" + strings.Repeat("😀a", 9), "abcdefg\xe2\x82abcdefgh\xf0\x9f\x98",
	} {
		checkUTF16(t, []byte(s))
	}
}

// §3.2 and §9, EIO3 rows.
var eio3PayloadVectors = []struct {
	name   string
	body   string
	hex    string // the body's bytes, when the doc gives them
	frames []Frame
}{
	{"hello", "6:4hello", "", []Frame{{Type: FrameMessage, Data: []byte("hello")}}},
	{"euro", "2:4€", "323a34e282ac", []Frame{{Type: FrameMessage, Data: []byte("€")}}},
	{"astral", "3:4😀", "333a34f09f9880", []Frame{{Type: FrameMessage, Data: []byte("😀")}}},
	{"mixed", "5:4é€😀", "353a34c3a9e282acf09f9880", []Frame{{Type: FrameMessage, Data: []byte("é€😀")}}},
	{"text+binary", "6:4hello10:b4AQIDBA==", "", []Frame{
		{Type: FrameMessage, Data: []byte("hello")},
		{Type: FrameMessage, Binary: true, Data: []byte{1, 2, 3, 4}},
	}},
	{"binary", "10:b4AQIDBA==", "", []Frame{{Type: FrameMessage, Binary: true, Data: []byte{1, 2, 3, 4}}}},
	{"two", "6:4hello6:4world", "", []Frame{
		{Type: FrameMessage, Data: []byte("hello")},
		{Type: FrameMessage, Data: []byte("world")},
	}},
	{"ping", "1:2", "", []Frame{{Type: FramePing}}},
	{"pong", "1:3", "", []Frame{{Type: FramePong}}},
	{"noop", "1:6", "", []Frame{{Type: FrameNoop}}},
	{"close", "1:1", "", []Frame{{Type: FrameClose}}},
	{"noop+close", "1:61:1", "", []Frame{{Type: FrameNoop}, {Type: FrameClose}}},
	{"probe", "6:3probe", "", []Frame{{Type: FramePong, Data: []byte("probe")}}},
	{"connect+event", "2:4013:42[\"a\",\"😀é\"]", "", []Frame{
		{Type: FrameMessage, Data: []byte("0")},
		{Type: FrameMessage, Data: []byte(`2["a","😀é"]`)},
	}},
	{"colon in data", "7:4a:b:c:", "", []Frame{{Type: FrameMessage, Data: []byte("a:b:c:")}}},
	{"digits in data", "3:4121:1", "", []Frame{{Type: FrameMessage, Data: []byte("12")}, {Type: FrameClose}}},
	{"long", "101:4" + strings.Repeat("x", 100), "", []Frame{{Type: FrameMessage, Data: []byte(strings.Repeat("x", 100))}}},
	{"event64", "64:" + event64Frame, "", []Frame{{Type: FrameMessage, Data: []byte(event64Frame[1:])}}},
}

func TestDecodeEIO3Payload(t *testing.T) {
	for _, tt := range eio3PayloadVectors {
		if tt.hex != "" {
			if got := hex.EncodeToString([]byte(tt.body)); got != tt.hex {
				t.Errorf("%s: body %q is %s, doc says %s", tt.name, tt.body, got, tt.hex)
			}
		}
		got, err := DecodeEIO3Payload([]byte(tt.body))
		if err != nil {
			t.Errorf("%s: DecodeEIO3Payload(%q): %v", tt.name, tt.body, err)
			continue
		}
		if !framesEqual(got, tt.frames) {
			t.Errorf("%s: DecodeEIO3Payload(%q) = %+v, want %+v", tt.name, tt.body, got, tt.frames)
		}
		if cap(got) != len(got) {
			t.Errorf("%s: DecodeEIO3Payload(%q): cap %d for %d frames", tt.name, tt.body, cap(got), len(got))
		}
	}
}

func TestAppendEIO3Payload(t *testing.T) {
	for _, tt := range eio3PayloadVectors {
		got := AppendEIO3Payload(nil, tt.frames)
		if string(got) != tt.body {
			t.Errorf("%s: AppendEIO3Payload(%+v) = %q, want %q", tt.name, tt.frames, got, tt.body)
		}
		if buf := AppendEIO3Payload([]byte("pre"), tt.frames); string(buf) != "pre"+tt.body {
			t.Errorf("%s: AppendEIO3Payload(pre, …) = %q", tt.name, buf)
		}
	}
	if got := AppendEIO3Payload(nil, nil); len(got) != 0 {
		t.Errorf("AppendEIO3Payload(nil) = %q", got)
	}
}

func TestDecodeEIO3PayloadErrors(t *testing.T) {
	for _, in := range []string{
		"abc",
		"",
		"2:4",                          // length overrun
		"x:4a",                         // non-numeric length
		":4a",                          // empty length
		"1:",                           // nothing after ':'
		"0:",                           // zero-length packet
		"00:1:2",                       // zero-length packet, leading zeros
		"1:2x",                         // trailing bytes without ':'
		"1:23",                         // trailing digit without ':'
		"1:21:",                        // empty last packet
		"1:21",                         // trailing length without ':'
		"6",                            // no ':'
		"6:4hello6",                    // second length without ':'
		"5:4hello",                     // length too short: "o" left over
		"7:4hello",                     // length too long
		"1:4€",                         // € is one unit: "" left over, not a number
		"2:4😀",                         // 😀 is two units: would split a surrogate pair
		"4:4😀",                         // overrun
		"1:7",                          // unknown type
		"1:a",                          // unknown type
		"1:b",                          // "b" alone
		"9:bAQIDBA==",                  // EIO4 base64 form
		"9:b4AQIDBA=",                  // bad base64
		"-1:2",                         // sign
		"+1:2",                         // sign
		" 1:2",                         // space
		"1 :2",                         // space
		"1:21:a",                       // bad type in second packet
		"99999999999999999999999999:2", // huge length
		"18446744073709551617:2",       // overflows uint64
		"6:4hello10:b4AQIDBA=",         // bad last
		"1:\xff",                       // invalid UTF-8 as type
	} {
		if got, err := DecodeEIO3Payload([]byte(in)); !errors.Is(err, ErrParse) || got != nil {
			t.Errorf("DecodeEIO3Payload(%q) = %+v, %v; want nil, ErrParse", in, got, err)
		}
	}
}

func TestDecodeEIO3PayloadLenient(t *testing.T) {
	// Leading zeros in a length are accepted, as the reference's
	// Number(length) == length check does.
	got, err := DecodeEIO3Payload([]byte("01:2006:4hello"))
	want := []Frame{{Type: FramePing}, {Type: FrameMessage, Data: []byte("hello")}}
	if err != nil || !framesEqual(got, want) {
		t.Errorf("DecodeEIO3Payload(01:2006:4hello) = %+v, %v; want %+v", got, err, want)
	}
	// Invalid UTF-8 in data counts one unit per byte and is kept as is.
	got, err = DecodeEIO3Payload([]byte("4:4\xff\xe2\x82"))
	want = []Frame{{Type: FrameMessage, Data: []byte("\xff\xe2\x82")}}
	if err != nil || !framesEqual(got, want) {
		t.Errorf("DecodeEIO3Payload(invalid UTF-8) = %+v, %v; want %+v", got, err, want)
	}
	if enc := AppendEIO3Payload(nil, want); string(enc) != "4:4\xff\xe2\x82" {
		t.Errorf("AppendEIO3Payload(invalid UTF-8) = %q", enc)
	}
}

func TestDecodeEIO3PayloadAliases(t *testing.T) {
	in := []byte("6:4hello")
	f, err := DecodeEIO3Payload(in)
	if err != nil {
		t.Fatal(err)
	}
	in[3] = 'j'
	if string(f[0].Data) != "jello" {
		t.Errorf("text frame data does not alias body: %q", f[0].Data)
	}
}

func TestEIO3PayloadRoundTrip(t *testing.T) {
	texts := []string{
		"", "a", "hello", "é", "€", "😀", "é€😀", "😀😀😀", "a\x00b", "\u2028\u2029",
		"10:b4AQI=", "1:2", ":", strings.Repeat("日本", 40), strings.Repeat("😀", 33),
		"\xff\xfe", "\xed\xa0\x80", "\xf0\x9f\x98",
	}
	var frames []Frame
	for _, s := range texts {
		frames = append(frames, Frame{Type: FrameMessage, Data: []byte(s)})
		frames = append(frames, Frame{Type: FrameMessage, Binary: true, Data: []byte(s)})
	}
	for typ := FrameOpen; typ <= FrameNoop; typ++ {
		frames = append(frames, Frame{Type: typ, Data: []byte("x😀")})
	}
	for i := range frames {
		one := frames[i : i+1]
		body := AppendEIO3Payload(nil, one)
		back, err := DecodeEIO3Payload(body)
		if err != nil || !framesEqual(back, one) {
			t.Errorf("DecodeEIO3Payload(%q) = %+v, %v; want %+v", body, back, err, one)
		}
		// The length is the JavaScript length of the frame's text form.
		text := AppendEIO3Frame(nil, one[0])
		wantLen := len(utf16.Encode(bytes.Runes(text)))
		if !bytes.HasPrefix(body, []byte(strconv.Itoa(wantLen)+":")) {
			t.Errorf("AppendEIO3Payload(%+v) = %q, want length %d", one, body, wantLen)
		}
	}
	body := AppendEIO3Payload(nil, frames)
	back, err := DecodeEIO3Payload(body)
	if err != nil || !framesEqual(back, frames) {
		t.Errorf("DecodeEIO3Payload(AppendEIO3Payload(all)) = %+v, %v", back, err)
	}
}

func TestEIO3PayloadReuseNoAlloc(t *testing.T) {
	frames := []Frame{
		{Type: FrameMessage, Data: []byte("hello é€😀")},
		{Type: FrameMessage, Binary: true, Data: []byte{1, 2, 3, 4}},
		{Type: FramePing},
	}
	buf := make([]byte, 0, 256)
	if allocs := testing.AllocsPerRun(100, func() {
		buf = AppendEIO3Payload(buf[:0], frames)
	}); allocs != 0 {
		t.Errorf("AppendEIO3Payload into a reused buffer: %v allocs, want 0", allocs)
	}
	if allocs := testing.AllocsPerRun(100, func() {
		buf = AppendEIO3BinaryPayload(buf[:0], frames)
	}); allocs != 0 {
		t.Errorf("AppendEIO3BinaryPayload into a reused buffer: %v allocs, want 0", allocs)
	}
	if allocs := testing.AllocsPerRun(100, func() {
		buf = AppendEIO3Frame(buf[:0], frames[1])
		buf = AppendEIO3BinaryMessage(buf[:0], frames[1])
	}); allocs != 0 {
		t.Errorf("AppendEIO3Frame/AppendEIO3BinaryMessage into a reused buffer: %v allocs, want 0", allocs)
	}
	// Decoding text frames allocates the frame slice only.
	body := AppendEIO3Payload(nil, []Frame{frames[0], frames[2], frames[0]})
	if allocs := testing.AllocsPerRun(100, func() {
		if _, err := DecodeEIO3Payload(body); err != nil {
			t.Fatal(err)
		}
	}); allocs != 1 {
		t.Errorf("DecodeEIO3Payload: %v allocs, want 1", allocs)
	}
	bin := AppendEIO3BinaryPayload(nil, frames)
	if allocs := testing.AllocsPerRun(100, func() {
		if _, err := DecodeEIO3BinaryPayload(bin); err != nil {
			t.Fatal(err)
		}
	}); allocs != 1 {
		t.Errorf("DecodeEIO3BinaryPayload: %v allocs, want 1", allocs)
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// binEvent56 is the 56-byte binary event header of the §9 XHR2 vector.
const binEvent56 = `451-["binary-event",{"_placeholder":true,"num":0},12345]`

func TestEIO3BinaryPayload(t *testing.T) {
	if len(binEvent56) != 56 {
		t.Fatalf("binEvent56 is %d bytes", len(binEvent56))
	}
	tests := []struct {
		name   string
		hex    string
		frames []Frame
	}{
		// §3.3, reference output.
		{"hello+binary", "00 06 FF 34 68 65 6c 6c 6f 01 05 FF 04 01 02 03 04", []Frame{
			{Type: FrameMessage, Data: []byte("hello")},
			{Type: FrameMessage, Binary: true, Data: []byte{1, 2, 3, 4}},
		}},
		{"10 bytes", "00 01 00 FF 34 c3 a9 e2 82 ac f0 9f 98 80", []Frame{
			{Type: FrameMessage, Data: []byte("é€😀")},
		}},
		{"connect", "00 02 FF 34 30", []Frame{{Type: FrameMessage, Data: []byte("0")}}},
		// §9: "40", binary-event header, attachment 01 02 03.
		{"binary event", "00 02 ff 34 30 00 05 06 ff " + hex.EncodeToString([]byte(binEvent56)) + " 01 04 ff 04 01 02 03", []Frame{
			{Type: FrameMessage, Data: []byte("0")},
			{Type: FrameMessage, Data: []byte(binEvent56[1:])},
			{Type: FrameMessage, Binary: true, Data: []byte{1, 2, 3}},
		}},
		{"ping", "00 01 FF 32", []Frame{{Type: FramePing}}},
		{"noop+close", "00 01 FF 36 00 01 FF 31", []Frame{{Type: FrameNoop}, {Type: FrameClose}}},
		{"empty binary", "01 01 FF 04", []Frame{{Type: FrameMessage, Binary: true, Data: []byte{}}}},
		{"0xff in data", "01 03 FF 04 FF FF 00 01 FF 31", []Frame{
			{Type: FrameMessage, Binary: true, Data: []byte{0xff, 0xff}},
			{Type: FrameClose},
		}},
		{"256 bytes", "01 02 05 06 FF 04 " + strings.Repeat("ab", 255), []Frame{
			{Type: FrameMessage, Binary: true, Data: bytes.Repeat([]byte{0xab}, 255)},
		}},
	}
	for _, tt := range tests {
		body := mustHex(t, tt.hex)
		got, err := DecodeEIO3BinaryPayload(body)
		if err != nil {
			t.Errorf("%s: DecodeEIO3BinaryPayload(% x): %v", tt.name, body, err)
		} else if !framesEqual(got, tt.frames) {
			t.Errorf("%s: DecodeEIO3BinaryPayload(% x) = %+v, want %+v", tt.name, body, got, tt.frames)
		} else if cap(got) != len(got) {
			t.Errorf("%s: cap %d for %d frames", tt.name, cap(got), len(got))
		}
		if enc := AppendEIO3BinaryPayload(nil, tt.frames); !bytes.Equal(enc, body) {
			t.Errorf("%s: AppendEIO3BinaryPayload(%+v) = % x, want % x", tt.name, tt.frames, enc, body)
		}
		if enc := AppendEIO3BinaryPayload([]byte{0xaa}, tt.frames); !bytes.Equal(enc, append([]byte{0xaa}, body...)) {
			t.Errorf("%s: AppendEIO3BinaryPayload(aa, …) = % x", tt.name, enc)
		}
	}
	if got := AppendEIO3BinaryPayload(nil, nil); len(got) != 0 {
		t.Errorf("AppendEIO3BinaryPayload(nil) = % x", got)
	}
}

func TestDecodeEIO3BinaryPayloadLenient(t *testing.T) {
	// A text entry may hold the base64 form; leading zero digits are
	// accepted (up to 20 digits in all).
	body := mustHex(t, "00 06 FF"+hex.EncodeToString([]byte("b4AQI="))+" 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 FF 32")
	got, err := DecodeEIO3BinaryPayload(body)
	want := []Frame{{Type: FrameMessage, Binary: true, Data: []byte{1, 2}}, {Type: FramePing}}
	if err != nil || !framesEqual(got, want) {
		t.Errorf("DecodeEIO3BinaryPayload(% x) = %+v, %v; want %+v", body, got, err, want)
	}
}

func TestDecodeEIO3BinaryPayloadAliases(t *testing.T) {
	body := []byte{0x01, 0x03, 0xff, 0x04, 0x01, 0x02, 0x00, 0x02, 0xff, '4', 'a'}
	got, err := DecodeEIO3BinaryPayload(body)
	if err != nil {
		t.Fatal(err)
	}
	body[4], body[10] = 9, 'b'
	if got[0].Data[0] != 9 || string(got[1].Data) != "b" {
		t.Errorf("frame data does not alias body: %+v", got)
	}
}

func TestDecodeEIO3BinaryPayloadErrors(t *testing.T) {
	for _, tt := range []struct{ name, hex string }{
		{"empty", ""},
		{"marker only", "00"},
		{"unknown marker", "02 01 FF 34"},
		{"ascii marker", "30 01 FF 34"},
		{"0xff marker", "FF 01 FF 34"},
		{"missing 0xff", "00 01 02"},
		{"missing 0xff, data", "00 01 34"},
		{"no digits", "00 FF 34"},
		{"zero length", "00 00 FF"},
		{"zero length, more", "00 00 FF 00 01 FF 32"},
		{"ascii digit", "00 31 FF 34"},
		{"digit 10", "00 0a FF 34"},
		{"digit 0xfe", "00 FE FF 34"},
		{"21 digits", "00" + strings.Repeat(" 00", 20) + " 01 FF 34"},
		{"truncated text", "00 06 FF 34 68 65 6c 6c"},
		{"truncated binary", "01 05 FF 04 01 02 03"},
		{"truncated after first", "00 02 FF 34 30 00 02 FF 34"},
		{"trailing marker", "00 02 FF 34 30 00"},
		{"trailing byte", "00 02 FF 34 30 02"},
		{"huge length", "00 09 09 09 09 09 09 09 09 09 09 09 09 09 09 09 09 09 09 09 09 FF 34"},
		{"binary ping", "01 02 FF 02 01"},
		{"binary ascii type", "01 02 FF 34 01"},
		{"binary type 0", "01 01 FF 00"},
		{"text bad type", "00 01 FF 37"},
		{"text binary type", "00 02 FF 04 01"},
		{"text eio4 base64", "00 05 FF" + hex.EncodeToString([]byte("bAQI="))},
		{"text bad base64", "00 05 FF" + hex.EncodeToString([]byte("b4AQI"))},
		{"second bad", "00 02 FF 34 30 00 01 FF 39"},
	} {
		body := mustHex(t, tt.hex)
		if got, err := DecodeEIO3BinaryPayload(body); !errors.Is(err, ErrParse) || got != nil {
			t.Errorf("%s: DecodeEIO3BinaryPayload(% x) = %+v, %v; want nil, ErrParse", tt.name, body, got, err)
		}
	}
}

func TestEIO3BinaryPayloadRoundTrip(t *testing.T) {
	var frames []Frame
	for _, n := range []int{0, 1, 9, 10, 99, 100, 1000, 12345} {
		data := bytes.Repeat([]byte{0xff, 0x00, 0x04}, n)[:n]
		frames = append(frames, Frame{Type: FrameMessage, Binary: true, Data: data})
		frames = append(frames, Frame{Type: FrameMessage, Data: []byte(strings.Repeat("é", n))})
	}
	for typ := FrameOpen; typ <= FrameNoop; typ++ {
		frames = append(frames, Frame{Type: typ, Data: []byte("x😀")})
	}
	body := AppendEIO3BinaryPayload(nil, frames)
	back, err := DecodeEIO3BinaryPayload(body)
	if err != nil || !framesEqual(back, frames) {
		t.Errorf("DecodeEIO3BinaryPayload(AppendEIO3BinaryPayload(…)) = %+v, %v", back, err)
	}
	// Every length is the byte count of what follows 0xFF.
	i := 0
	for _, f := range frames {
		n := 0
		for i++; body[i] != 0xff; i++ {
			n = n*10 + int(body[i])
		}
		if n != 1+len(f.Data) {
			t.Errorf("length %d for %+v", n, f)
		}
		i += 1 + n
	}
	if i != len(body) {
		t.Errorf("walked %d of %d bytes", i, len(body))
	}
}
