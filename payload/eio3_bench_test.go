package payload

import (
	"bytes"
	"strings"
	"testing"
)

// event64EIO3 is the 64-byte chat event as an Engine.IO 3 text payload.
const event64EIO3 = "64:" + event64Frame

// eventUTF8 is a chat event with non-ASCII text: 2- 3- and 4-byte characters.
var eventUTF8 = `2["chat",{"from":"zoë","room":"lobby","text":"héllo wörld € 😀 日本語"}]`

func benchFramesEIO3(n int, data string) []Frame {
	frames := make([]Frame, n)
	for i := range frames {
		frames[i] = Frame{Type: FrameMessage, Data: []byte(data)}
	}
	return frames
}

func BenchmarkAppendEIO3Payload(b *testing.B) {
	for _, bb := range []struct {
		name   string
		frames []Frame
	}{
		{"event64", benchFramesEIO3(1, event64Frame[1:])},
		{"event64x10", benchFramesEIO3(10, event64Frame[1:])},
		{"utf8x10", benchFramesEIO3(10, eventUTF8)},
	} {
		b.Run(bb.name, func(b *testing.B) {
			want := AppendEIO3Payload(nil, bb.frames)
			if bb.name == "event64" && string(want) != event64EIO3 {
				b.Fatalf("encoded %q", want)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(want)))
			buf := make([]byte, 0, 2*len(want))
			for b.Loop() {
				buf = AppendEIO3Payload(buf[:0], bb.frames)
			}
			if !bytes.Equal(buf, want) {
				b.Fatalf("encoded %q", buf)
			}
		})
	}
}

func BenchmarkDecodeEIO3Payload(b *testing.B) {
	for _, bb := range []struct {
		name string
		body []byte
		n    int
	}{
		{"event64", []byte(event64EIO3), 1},
		{"event64x10", AppendEIO3Payload(nil, benchFramesEIO3(10, event64Frame[1:])), 10},
		{"utf8x10", AppendEIO3Payload(nil, benchFramesEIO3(10, eventUTF8)), 10},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bb.body)))
			for b.Loop() {
				frames, err := DecodeEIO3Payload(bb.body)
				if err != nil || len(frames) != bb.n {
					b.Fatal(frames, err)
				}
			}
		})
	}
}

// binaryEventEIO3 is a binary event header and its 1 KiB attachment.
var binaryEventEIO3 = []Frame{
	{Type: FrameMessage, Data: []byte(`51-["upload",{"_placeholder":true,"num":0}]`)},
	{Type: FrameMessage, Binary: true, Data: bytes.Repeat([]byte{0xab}, 1024)},
}

func BenchmarkAppendEIO3BinaryPayload(b *testing.B) {
	want := AppendEIO3BinaryPayload(nil, binaryEventEIO3)
	b.ReportAllocs()
	b.SetBytes(int64(len(want)))
	buf := make([]byte, 0, 2*len(want))
	for b.Loop() {
		buf = AppendEIO3BinaryPayload(buf[:0], binaryEventEIO3)
	}
	if !bytes.Equal(buf, want) {
		b.Fatal("encoding differs")
	}
}

func BenchmarkDecodeEIO3BinaryPayload(b *testing.B) {
	body := AppendEIO3BinaryPayload(nil, binaryEventEIO3)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		frames, err := DecodeEIO3BinaryPayload(body)
		if err != nil || len(frames) != 2 {
			b.Fatal(frames, err)
		}
	}
}

func BenchmarkUTF16Len(b *testing.B) {
	for _, bb := range []struct{ name, text string }{
		{"ascii1k", strings.Repeat("a", 1024)},
		{"mixed1k", strings.Repeat("aé€😀", 1024/10)},
	} {
		b.Run(bb.name, func(b *testing.B) {
			text := []byte(bb.text)
			b.ReportAllocs()
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				if UTF16Len(text) == 0 {
					b.Fatal("zero")
				}
			}
		})
	}
}
