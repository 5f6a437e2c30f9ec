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
