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

// BenchmarkEchoCodec is the codec work of one echo on the server, in the
// steps the server takes: the client's websocket message classified and
// its event decoded, its arguments split, and the ack of the same
// arguments encoded as the websocket message that answers it. Its 4.x and
// 0.9 runs compare the generations' codecs directly.
func BenchmarkEchoCodec(b *testing.B) {
	const arg = `"a chat line of about sixty-four bytes, typical of a echo"`
	for _, c := range []struct {
		name, in, want string
		frame          func([]byte) (Frame, error)
		packet         func([]byte) (Packet, error)
		ack            func(dst []byte, p *Packet) []byte
	}{
		{"4.x", `4217["echo",` + arg + `]`, `4317[` + arg + `]`,
			ParseEIO4Frame,
			func(text []byte) (Packet, error) { p, _, err := ParsePacket(text); return p, err },
			func(dst []byte, p *Packet) []byte { // sized as the server sizes it
				text := AppendPacket(make([]byte, 0, 1+len(p.Namespace)+len(p.Data)+24), p)
				return AppendEIO4Frame(dst, Frame{Type: FrameMessage, Data: text})
			}},
		{"0.9", `5:17+::{"name":"echo","args":[` + arg + `]}`, `6:::17+[` + arg + `]`,
			func(text []byte) (Frame, error) { return V1HeaderFrame(text), nil },
			func(text []byte) (Packet, error) {
				if V1AutoAck(text) != nil {
					b.Fatal("auto ack")
				}
				return V1MessagePacket(text)
			},
			func(dst []byte, p *Packet) []byte {
				q, ok := PacketToV1(p)
				if !ok {
					b.Fatal("not translated")
				}
				text := AppendV1Packet(make([]byte, 0, 32+len(q.Endpoint)+len(q.Name)+len(q.Args)+len(q.Data)), &q)
				return append(dst, V1FrameText(Frame{Type: FrameMessage, Data: text})...)
			}},
	} {
		b.Run(c.name, func(b *testing.B) {
			in := []byte(c.in)
			var out []byte
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				f, err := c.frame(in)
				if err != nil || f.Type != FrameMessage {
					b.Fatal(f, err)
				}
				p, err := c.packet(f.Data)
				if err != nil {
					b.Fatal(err)
				}
				items, err := SplitValidArgs(p.Data)
				if err != nil {
					b.Fatal(err)
				}
				args := make([]any, len(items)-1)
				for i, it := range items[1:] {
					args[i] = it
				}
				data, _, err := EncodeAck(args)
				if err != nil {
					b.Fatal(err)
				}
				out = c.ack(out[:0], &Packet{Type: Ack, Namespace: p.Namespace, ID: p.ID, HasID: true, Data: data})
			}
			if string(out) != c.want {
				b.Fatalf("%s, want %s", out, c.want)
			}
		})
	}
}
