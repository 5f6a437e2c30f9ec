package payload

import (
	"bytes"
	"errors"
	"testing"
)

func TestFrameTypeString(t *testing.T) {
	want := []string{"open", "close", "ping", "pong", "message", "upgrade", "noop"}
	for i, w := range want {
		if got := FrameType(i).String(); got != w {
			t.Errorf("FrameType(%d) = %q, want %q", i, got, w)
		}
	}
	if got := FrameType(7).String(); got != "unknown" {
		t.Errorf("FrameType(7) = %q, want unknown", got)
	}
}

func TestParseEIO4Frame(t *testing.T) {
	tests := []struct {
		in   string
		want Frame
	}{
		{"0{\"sid\":\"x\"}", Frame{Type: FrameOpen, Data: []byte(`{"sid":"x"}`)}},
		{"1", Frame{Type: FrameClose, Data: []byte{}}},
		{"2", Frame{Type: FramePing, Data: []byte{}}},
		{"2probe", Frame{Type: FramePing, Data: []byte("probe")}},
		{"3probe", Frame{Type: FramePong, Data: []byte("probe")}},
		{"4hello", Frame{Type: FrameMessage, Data: []byte("hello")}},
		{"4", Frame{Type: FrameMessage, Data: []byte{}}},
		{"5", Frame{Type: FrameUpgrade, Data: []byte{}}},
		{"6", Frame{Type: FrameNoop, Data: []byte{}}},
		{"42[\"foo\",1]", Frame{Type: FrameMessage, Data: []byte(`2["foo",1]`)}},
		// §9: WS text "bAQID" is msg bytes 01 02 03.
		{"bAQID", Frame{Type: FrameMessage, Binary: true, Data: []byte{1, 2, 3}}},
		{"bAQIDBA==", Frame{Type: FrameMessage, Binary: true, Data: []byte{1, 2, 3, 4}}},
		{"b", Frame{Type: FrameMessage, Binary: true, Data: []byte{}}},
		{"4😀", Frame{Type: FrameMessage, Data: []byte("😀")}},
	}
	for _, tt := range tests {
		got, err := ParseEIO4Frame([]byte(tt.in))
		if err != nil {
			t.Errorf("ParseEIO4Frame(%q): %v", tt.in, err)
			continue
		}
		if !frameEqual(got, tt.want) {
			t.Errorf("ParseEIO4Frame(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseEIO4FrameErrors(t *testing.T) {
	for _, in := range []string{
		"", "abc", "7", "9", "/", "x", "\x00", "\xff",
		"b!!!!", "bAQIDBA", "bAQIDBA=", "bA", "bAQ=D", // bad base64
	} {
		if f, err := ParseEIO4Frame([]byte(in)); !errors.Is(err, ErrParse) {
			t.Errorf("ParseEIO4Frame(%q) = %+v, %v; want ErrParse", in, f, err)
		}
	}
}

func TestParseEIO4FrameAliases(t *testing.T) {
	in := []byte("4hello")
	f, err := ParseEIO4Frame(in)
	if err != nil {
		t.Fatal(err)
	}
	in[1] = 'j'
	if string(f.Data) != "jello" {
		t.Errorf("text frame data does not alias input: %q", f.Data)
	}
}

func TestAppendEIO4Frame(t *testing.T) {
	tests := []struct {
		f    Frame
		want string
	}{
		{Frame{Type: FrameOpen, Data: []byte(`{"sid":"x"}`)}, `0{"sid":"x"}`},
		{Frame{Type: FrameClose}, "1"},
		{Frame{Type: FramePing}, "2"},
		{Frame{Type: FramePing, Data: []byte("probe")}, "2probe"},
		{Frame{Type: FramePong, Data: []byte("probe")}, "3probe"},
		{Frame{Type: FrameMessage, Data: []byte("hello")}, "4hello"},
		{Frame{Type: FrameUpgrade}, "5"},
		{Frame{Type: FrameNoop}, "6"},
		{Frame{Type: FrameMessage, Binary: true, Data: []byte{1, 2, 3, 4}}, "bAQIDBA=="},
		{Frame{Type: FrameMessage, Binary: true, Data: []byte{1, 2, 3}}, "bAQID"},
		{Frame{Type: FrameMessage, Binary: true}, "b"},
	}
	for _, tt := range tests {
		if got := AppendEIO4Frame(nil, tt.f); string(got) != tt.want {
			t.Errorf("AppendEIO4Frame(%+v) = %q, want %q", tt.f, got, tt.want)
		}
		// Appends, does not overwrite.
		if got := AppendEIO4Frame([]byte("xy"), tt.f); string(got) != "xy"+tt.want {
			t.Errorf("AppendEIO4Frame(xy, %+v) = %q, want %q", tt.f, got, "xy"+tt.want)
		}
		back, err := ParseEIO4Frame([]byte(tt.want))
		if err != nil || !frameEqual(back, tt.f) {
			t.Errorf("ParseEIO4Frame(%q) = %+v, %v; want %+v", tt.want, back, err, tt.f)
		}
	}
}

func TestDecodeEIO4Payload(t *testing.T) {
	tests := []struct {
		in   string
		want []Frame
	}{
		{"4hello\x1e2\x1e4world", []Frame{
			{Type: FrameMessage, Data: []byte("hello")},
			{Type: FramePing},
			{Type: FrameMessage, Data: []byte("world")},
		}},
		{"4hello\x1ebAQIDBA==", []Frame{
			{Type: FrameMessage, Data: []byte("hello")},
			{Type: FrameMessage, Binary: true, Data: []byte{1, 2, 3, 4}},
		}},
		{"6\x1e1", []Frame{{Type: FrameNoop}, {Type: FrameClose}}},
		{"1", []Frame{{Type: FrameClose}}},
		{"4hello", []Frame{{Type: FrameMessage, Data: []byte("hello")}}},
		{"bAQID", []Frame{{Type: FrameMessage, Binary: true, Data: []byte{1, 2, 3}}}},
		{"40\x1e42[\"a\"]\x1e42/admin,1[\"b\"]", []Frame{
			{Type: FrameMessage, Data: []byte("0")},
			{Type: FrameMessage, Data: []byte(`2["a"]`)},
			{Type: FrameMessage, Data: []byte(`2/admin,1["b"]`)},
		}},
	}
	for _, tt := range tests {
		got, err := DecodeEIO4Payload([]byte(tt.in))
		if err != nil {
			t.Errorf("DecodeEIO4Payload(%q): %v", tt.in, err)
			continue
		}
		if !framesEqual(got, tt.want) {
			t.Errorf("DecodeEIO4Payload(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		// AppendEIO4Payload gives back the exact body.
		if enc := AppendEIO4Payload(nil, got); string(enc) != tt.in {
			t.Errorf("AppendEIO4Payload(DecodeEIO4Payload(%q)) = %q", tt.in, enc)
		}
	}
}

func TestDecodeEIO4PayloadErrors(t *testing.T) {
	for _, in := range []string{
		"abc",
		"",
		"4a\x1e",           // trailing separator: empty record
		"\x1e",             // two empty records
		"\x1e4a",           // leading empty record
		"4a\x1e\x1e4b",     // empty record in the middle
		"4a\x1eb!!!",       // bad base64
		"4a\x1ebAQIDBA",    // truncated base64
		"bAQIDBA=\x1e4a",   // bad base64 first
		"4hello\x1e2\x1ex", // unknown type last
		"4a\x1e7",
	} {
		if got, err := DecodeEIO4Payload([]byte(in)); !errors.Is(err, ErrParse) || got != nil {
			t.Errorf("DecodeEIO4Payload(%q) = %+v, %v; want nil, ErrParse", in, got, err)
		}
	}
}

func TestAppendEIO4Payload(t *testing.T) {
	tests := []struct {
		frames []Frame
		want   string
	}{
		{nil, ""},
		{[]Frame{{Type: FrameMessage, Data: []byte("hello")}}, "4hello"},
		{[]Frame{
			{Type: FrameMessage, Data: []byte("hello")},
			{Type: FramePing},
			{Type: FrameMessage, Data: []byte("world")},
		}, "4hello\x1e2\x1e4world"},
		{[]Frame{
			{Type: FrameMessage, Data: []byte("hello")},
			{Type: FrameMessage, Binary: true, Data: []byte{1, 2, 3, 4}},
		}, "4hello\x1ebAQIDBA=="},
		{[]Frame{{Type: FrameNoop}, {Type: FrameClose}}, "6\x1e1"},
		{[]Frame{
			{Type: FrameMessage, Data: []byte(`51-["baz",{"_placeholder":true,"num":0}]`)},
			{Type: FrameMessage, Binary: true, Data: []byte{1, 2, 3, 4}},
		}, "451-[\"baz\",{\"_placeholder\":true,\"num\":0}]\x1ebAQIDBA=="},
	}
	for _, tt := range tests {
		got := AppendEIO4Payload(nil, tt.frames)
		if string(got) != tt.want {
			t.Errorf("AppendEIO4Payload(%+v) = %q, want %q", tt.frames, got, tt.want)
		}
		// Reusing a buffer appends after what is there.
		buf := AppendEIO4Payload([]byte("pre"), tt.frames)
		if string(buf) != "pre"+tt.want {
			t.Errorf("AppendEIO4Payload(pre, …) = %q", buf)
		}
		if len(tt.frames) == 0 {
			continue
		}
		back, err := DecodeEIO4Payload(got)
		if err != nil {
			t.Errorf("DecodeEIO4Payload(%q): %v", got, err)
			continue
		}
		if !framesEqual(back, tt.frames) {
			t.Errorf("round trip of %+v = %+v", tt.frames, back)
		}
	}
}

// TestAppendEIO4PayloadReuseNoAlloc checks that appending into a buffer with
// enough room does not allocate.
func TestAppendEIO4PayloadReuseNoAlloc(t *testing.T) {
	frames := []Frame{
		{Type: FrameMessage, Data: []byte("hello")},
		{Type: FrameMessage, Binary: true, Data: []byte{1, 2, 3, 4}},
		{Type: FramePing},
	}
	buf := make([]byte, 0, 256)
	allocs := testing.AllocsPerRun(100, func() {
		buf = AppendEIO4Payload(buf[:0], frames)
	})
	if allocs != 0 {
		t.Errorf("AppendEIO4Payload into a reused buffer: %v allocs, want 0", allocs)
	}
}

func frameEqual(a, b Frame) bool {
	return a.Type == b.Type && a.Binary == b.Binary && bytes.Equal(a.Data, b.Data)
}

func framesEqual(a, b []Frame) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !frameEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}
