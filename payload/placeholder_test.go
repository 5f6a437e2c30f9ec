package payload

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// hostilePlaceholders are binary packets that socket.io's clients (parser
// 3.3.6 in 2.x, 4.2.7 in 4.x) would fail on, or whose relay would differ
// from what the sender wrote: each must be refused as a parse error.
var hostilePlaceholders = []string{
	// num out of range, negative, not an integer, not a number.
	`451-7["echo",{"_placeholder":true,"num":0},{"_placeholder":true,"num":5}]`,
	`451-["x",{"_placeholder":true,"num":1}]`,
	`451-["x",{"_placeholder":true,"num":-1}]`,
	`451-["x",{"_placeholder":true,"num":"x"}]`,
	`451-["x",{"_placeholder":true,"num":"0"}]`,
	`451-["x",{"_placeholder":true,"num":1.5}]`,
	`451-["x",{"_placeholder":true,"num":0.0}]`,
	`451-["x",{"_placeholder":true,"num":0e0}]`,
	`451-["x",{"_placeholder":true,"num":null}]`,
	`451-["x",{"_placeholder":true,"num":[0]}]`,
	`451-["x",{"_placeholder":true,"num":99999999999999999999999}]`,
	`451-["x",{"_placeholder":true}]`,
	// Extra keys: the clients would drop them.
	`451-["x",{"_placeholder":true,"num":0,"a":1}]`,
	// Announced and used counts differ, or one attachment is used twice.
	`452-["x",{"_placeholder":true,"num":0}]`,
	`451-["x"]`,
	`451-["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]`,
	`452-["x",{"_placeholder":true,"num":1},{"_placeholder":true,"num":1}]`,
	// Zero attachments: socket.io's parsers refuse "Illegal attachments".
	`450-["x"]`, `450-["x",{"_placeholder":true,"num":0}]`, `60-1[]`,
	// Nested, escaped and duplicated keys read as JSON.parse reads them.
	`451-["x",{"_placeholder":true,"num":0},{"a":[{"_placeholder":true,"num":3}]}]`,
	`451-["x",{"\u005fplaceholder":true,"num":0},{"_placeholder":true,"num":0}]`,
	`451-["x",{"_placeholder":true,"num":0},{"_placeholder":false,"num":2,"_placeholder":true}]`,
	`451-["x",{"_placeholder":true,"num":7,"num":0},{"_placeholder":true,"num":0}]`,
	// In a BINARY_ACK and in a namespace.
	`461-/admin,3[{"_placeholder":true,"num":2}]`,
	`461-3[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`,
	// Beyond MaxAttachments, and a header claiming a billion.
	`4511-["x"]`, `451000000000-["x"]`,
}

func TestParsePacketRefusesHostilePlaceholders(t *testing.T) {
	for _, in := range hostilePlaceholders {
		text := strings.TrimPrefix(in, "4") // the Engine.IO message type
		if p, n, err := ParsePacket([]byte(text)); !errors.Is(err, ErrPacket) {
			t.Errorf("ParsePacket(%q) = %+v, %d, %v; want ErrPacket", text, p, n, err)
		}
	}
}

// TestParsePacketPlaceholdersAccepted: what socket.io's clients send, and
// objects the clients read as data ("_placeholder" not true, or in a
// packet that is not binary).
func TestParsePacketPlaceholdersAccepted(t *testing.T) {
	for in, n := range map[string]int{
		`51-["x",{"_placeholder":true,"num":0}]`:                                     1,
		`52-["x",{"_placeholder":true,"num":1},{"a":{"_placeholder":true,"num":0}}]`: 2,
		`51-["x",{"num":0,"_placeholder":true}]`:                                     1,
		`51-["x",{"_placeholder":true,"num":-0}]`:                                    1,
		`51-["x",{"_placeholder":true,"num":0},{"_placeholder":false,"num":9}]`:      1,
		`51-["x",{"_placeholder":true,"num":0},{"_placeholder":"true","num":9}]`:     1,
		`51-["x",{"_placeholder":true,"num":0},"{\"_placeholder\":true,\"num\":9}"]`: 1,
		`61-1[{"_placeholder":true,"num":0}]`:                                        1,
		`2["x",{"_placeholder":true,"num":9}]`:                                       0,
		`31[{"_placeholder":true,"num":-1}]`:                                         0,
	} {
		if _, m, err := ParsePacket([]byte(in)); err != nil || m != n {
			t.Errorf("ParsePacket(%q) = %d, %v; want %d attachments", in, m, err, n)
		}
	}
}

// TestParsePacketAttachmentCountAllocation: a header announcing a huge
// number of attachments is refused without allocating for them.
func TestParsePacketAttachmentCountAllocation(t *testing.T) {
	for _, in := range []string{`51000000000-["x"]`, `5999999999999999999999999-["x"]`, `510-["x"]`} {
		text := []byte(in)
		allocs := testing.AllocsPerRun(100, func() { _, _, _ = ParsePacket(text) })
		if allocs > 2 {
			t.Errorf("ParsePacket(%q): %.0f allocations", in, allocs)
		}
	}
}

func TestEncodeRefusesPlaceholderLookalikes(t *testing.T) {
	bin := []byte{1}
	for _, args := range [][]any{
		{bin, json.RawMessage(`{"_placeholder":true,"num":0}`)},
		{bin, json.RawMessage(`{"_placeholder":true,"num":5}`)},
		{bin, json.RawMessage(`[{"\u005fplaceholder":true,"num":1}]`)},
		{map[string]any{"_placeholder": true, "num": 0}, bin},
		{[]any{bin, map[string]any{"_placeholder": true, "num": 1, "x": 2}}},
	} {
		if data, _, err := EncodeEvent("x", args); !errors.Is(err, ErrPlaceholder) {
			t.Errorf("EncodeEvent(%v) = %s, %v; want ErrPlaceholder", args, data, err)
		}
		if data, _, err := EncodeAck(args); !errors.Is(err, ErrPlaceholder) {
			t.Errorf("EncodeAck(%v) = %s, %v; want ErrPlaceholder", args, data, err)
		}
	}
	// Without binary values they are data; next to binary values, a
	// "_placeholder" that is not true or sits in a string is data too.
	for _, args := range [][]any{
		{json.RawMessage(`{"_placeholder":true,"num":5}`)},
		{map[string]any{"_placeholder": true, "num": 0}},
		{bin, json.RawMessage(`{"_placeholder":false,"num":5}`), `"_placeholder"`, "\u2028"},
	} {
		if data, _, err := EncodeEvent("x", args); err != nil {
			t.Errorf("EncodeEvent(%v) = %s, %v", args, data, err)
		}
	}
}

func TestEncodeAttachmentsLimit(t *testing.T) {
	args := make([]any, MaxAttachments+1)
	for i := range args {
		args[i] = []byte{byte(i)}
	}
	if _, _, err := EncodeEvent("x", args); !errors.Is(err, ErrAttachments) {
		t.Errorf("EncodeEvent(%d binary values): %v, want ErrAttachments", len(args), err)
	}
	data, atts, err := EncodeEvent("x", args[:MaxAttachments])
	if err != nil || len(atts) != MaxAttachments {
		t.Fatalf("EncodeEvent(%d binary values) = %d attachments, %v", MaxAttachments, len(atts), err)
	}
	// What the encoder writes, the decoder accepts.
	text := "5" + strconv.Itoa(len(atts)) + "-" + string(data)
	if _, n, err := ParsePacket([]byte(text)); err != nil || n != MaxAttachments {
		t.Errorf("ParsePacket(%q) = %d, %v", text, n, err)
	}
}

// The placeholder check is what a binary packet costs more than a plain
// one: one JSON decode of the packet's data on the way in; on the way out
// none, unless an argument holds a "_placeholder" key of its own.
func BenchmarkParseBinaryPacket(b *testing.B) {
	text := []byte(`52-["upload",{"name":"a.bin","size":1024,"data":{"_placeholder":true,"num":0}},{"_placeholder":true,"num":1}]`)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ParsePacket(text); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeBinaryEvent(b *testing.B) {
	args := []any{map[string]any{"name": "a.bin", "size": 1024, "data": []byte{1, 2, 3}}, []byte{4}}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := EncodeEvent("upload", args); err != nil {
			b.Fatal(err)
		}
	}
}
