package payload

import "testing"

// event64 is a chat message whose Engine.IO frame ("42[…]") is 64 bytes.
var event64Args = []any{map[string]any{"from": "alice", "room": "lobby", "text": "hello world!"}}

const event64Frame = `42["chat",{"from":"alice","room":"lobby","text":"hello world!"}]`

func TestEvent64(t *testing.T) {
	if len(event64Frame) != 64 {
		t.Fatalf("event64Frame is %d bytes", len(event64Frame))
	}
	data, _, err := EncodeEvent("chat", event64Args)
	if err != nil {
		t.Fatal(err)
	}
	pkt := AppendPacket(nil, &Packet{Type: Event, Namespace: "/", Data: data})
	if got := AppendEIO4Frame(nil, Frame{Type: FrameMessage, Data: pkt}); string(got) != event64Frame {
		t.Fatalf("encoded %s, want %s", got, event64Frame)
	}
}

func BenchmarkEncodeEvent64(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(event64Frame)))
	pkt := make([]byte, 0, 128)
	buf := make([]byte, 0, 128)
	for b.Loop() {
		data, atts, err := EncodeEvent("chat", event64Args)
		if err != nil {
			b.Fatal(err)
		}
		p := Packet{Type: Event, Namespace: "/", Data: data, Attachments: atts}
		pkt = AppendPacket(pkt[:0], &p)
		buf = AppendEIO4Frame(buf[:0], Frame{Type: FrameMessage, Data: pkt})
	}
	if string(buf) != event64Frame {
		b.Fatalf("encoded %s", buf)
	}
}

func BenchmarkDecodeEvent64(b *testing.B) {
	body := []byte(event64Frame)
	decode := func(b *testing.B, f Frame) {
		p, n, err := ParsePacket(f.Data)
		if err != nil || n != 0 || p.Type != Event {
			b.Fatalf("ParsePacket(%q) = %+v, %d, %v", f.Data, p, n, err)
		}
		items, err := SplitArgs(p.Data)
		if err != nil || len(items) != 2 {
			b.Fatalf("SplitArgs(%q) = %q, %v", p.Data, items, err)
		}
	}
	// Polling: the frame arrives in a payload.
	b.Run("polling", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			frames, err := DecodeEIO4Payload(body)
			if err != nil || len(frames) != 1 {
				b.Fatal(frames, err)
			}
			decode(b, frames[0])
		}
	})
	// WebSocket: one frame per message.
	b.Run("websocket", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			f, err := ParseEIO4Frame(body)
			if err != nil {
				b.Fatal(err)
			}
			decode(b, f)
		}
	})
}

func BenchmarkAppendEIO4Payload(b *testing.B) {
	frames := make([]Frame, 10)
	for i := range frames {
		frames[i] = Frame{Type: FrameMessage, Data: []byte(event64Frame[1:])}
	}
	b.ReportAllocs()
	b.SetBytes(int64(10*len(event64Frame) + 9))
	buf := make([]byte, 0, 1024)
	for b.Loop() {
		buf = AppendEIO4Payload(buf[:0], frames)
	}
	if len(buf) != 10*len(event64Frame)+9 {
		b.Fatalf("payload is %d bytes", len(buf))
	}
}
