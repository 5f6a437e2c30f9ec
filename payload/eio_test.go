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

func TestParseFrameV4(t *testing.T) {
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
		got, err := ParseFrameV4([]byte(tt.in))
		if err != nil {
			t.Errorf("ParseFrameV4(%q): %v", tt.in, err)
			continue
		}
		if !frameEqual(got, tt.want) {
			t.Errorf("ParseFrameV4(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseFrameV4Errors(t *testing.T) {
	for _, in := range []string{
		"", "abc", "7", "9", "/", "x", "\x00", "\xff",
		"b!!!!", "bAQIDBA", "bAQIDBA=", "bA", "bAQ=D", // bad base64
	} {
		if f, err := ParseFrameV4([]byte(in)); !errors.Is(err, ErrParse) {
			t.Errorf("ParseFrameV4(%q) = %+v, %v; want ErrParse", in, f, err)
		}
	}
}

func TestParseFrameV4Aliases(t *testing.T) {
	in := []byte("4hello")
	f, err := ParseFrameV4(in)
	if err != nil {
		t.Fatal(err)
	}
	in[1] = 'j'
	if string(f.Data) != "jello" {
		t.Errorf("text frame data does not alias input: %q", f.Data)
	}
}

func TestAppendFrameV4(t *testing.T) {
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
		if got := AppendFrameV4(nil, tt.f); string(got) != tt.want {
			t.Errorf("AppendFrameV4(%+v) = %q, want %q", tt.f, got, tt.want)
		}
		// Appends, does not overwrite.
		if got := AppendFrameV4([]byte("xy"), tt.f); string(got) != "xy"+tt.want {
			t.Errorf("AppendFrameV4(xy, %+v) = %q, want %q", tt.f, got, "xy"+tt.want)
		}
		back, err := ParseFrameV4([]byte(tt.want))
		if err != nil || !frameEqual(back, tt.f) {
			t.Errorf("ParseFrameV4(%q) = %+v, %v; want %+v", tt.want, back, err, tt.f)
		}
	}
}

func TestDecodePayloadV4(t *testing.T) {
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
		got, err := DecodePayloadV4([]byte(tt.in))
		if err != nil {
			t.Errorf("DecodePayloadV4(%q): %v", tt.in, err)
			continue
		}
		if !framesEqual(got, tt.want) {
			t.Errorf("DecodePayloadV4(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		// AppendPayloadV4 gives back the exact body.
		if enc := AppendPayloadV4(nil, got); string(enc) != tt.in {
			t.Errorf("AppendPayloadV4(DecodePayloadV4(%q)) = %q", tt.in, enc)
		}
	}
}

func TestDecodePayloadV4Errors(t *testing.T) {
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
		if got, err := DecodePayloadV4([]byte(in)); !errors.Is(err, ErrParse) || got != nil {
			t.Errorf("DecodePayloadV4(%q) = %+v, %v; want nil, ErrParse", in, got, err)
		}
	}
}

func TestAppendPayloadV4(t *testing.T) {
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
		got := AppendPayloadV4(nil, tt.frames)
		if string(got) != tt.want {
			t.Errorf("AppendPayloadV4(%+v) = %q, want %q", tt.frames, got, tt.want)
		}
		// Reusing a buffer appends after what is there.
		buf := AppendPayloadV4([]byte("pre"), tt.frames)
		if string(buf) != "pre"+tt.want {
			t.Errorf("AppendPayloadV4(pre, …) = %q", buf)
		}
		if len(tt.frames) == 0 {
			continue
		}
		back, err := DecodePayloadV4(got)
		if err != nil {
			t.Errorf("DecodePayloadV4(%q): %v", got, err)
			continue
		}
		if !framesEqual(back, tt.frames) {
			t.Errorf("round trip of %+v = %+v", tt.frames, back)
		}
	}
}

// TestAppendPayloadV4ReuseNoAlloc checks that appending into a buffer with
// enough room does not allocate.
func TestAppendPayloadV4ReuseNoAlloc(t *testing.T) {
	frames := []Frame{
		{Type: FrameMessage, Data: []byte("hello")},
		{Type: FrameMessage, Binary: true, Data: []byte{1, 2, 3, 4}},
		{Type: FramePing},
	}
	buf := make([]byte, 0, 256)
	allocs := testing.AllocsPerRun(100, func() {
		buf = AppendPayloadV4(buf[:0], frames)
	})
	if allocs != 0 {
		t.Errorf("AppendPayloadV4 into a reused buffer: %v allocs, want 0", allocs)
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
