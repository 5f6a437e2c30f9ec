package payload

import (
	"reflect"
	"testing"
)

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
