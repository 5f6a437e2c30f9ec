package payload

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"runtime"
	"slices"
	"testing"
)

func ph(n int) string { return `{"_placeholder":true,"num":` + string(rune('0'+n)) + `}` }

func TestEncodeEvent(t *testing.T) {
	tests := []struct {
		name     string
		args     []any
		want     string
		wantAtts [][]byte
	}{
		{"foo", nil, `["foo"]`, nil},
		{"foo", []any{}, `["foo"]`, nil},
		{"foo", []any{1, "a", true, nil, 1.5}, `["foo",1,"a",true,null,1.5]`, nil},
		// No HTML escaping, in the name or in the arguments.
		{"<b>&", []any{"<b>&", map[string]any{"k": "a&b<c>"}}, `["<b>&","<b>&",{"k":"a&b<c>"}]`, nil},
		{"ünï", []any{"😀"}, `["ünï","😀"]`, nil},
		{"quote\"", []any{"line\nbreak"}, `["quote\"","line\nbreak"]`, nil},
		{"baz", []any{[]byte{1, 2, 3, 4}}, `["baz",` + ph(0) + `]`, [][]byte{{1, 2, 3, 4}}},
		{"baz", []any{[]byte{1, 2}, []byte{3, 4}}, `["baz",` + ph(0) + `,` + ph(1) + `]`, [][]byte{{1, 2}, {3, 4}}},
		// Depth first: arrays by index, objects in sorted key order.
		{"ev", []any{
			[]byte{0},
			map[string]any{
				"z": []byte{3},
				"a": []byte{1},
				"m": []any{[]byte{2}, "x"},
				"s": "plain",
			},
			[]any{[]any{[]byte{4}}, map[string]any{"b": []byte{6}, "a": []byte{5}}},
			"tail",
			[]byte{7},
		},
			`["ev",` + ph(0) + `,{"a":` + ph(1) + `,"m":[` + ph(2) + `,"x"],"s":"plain","z":` + ph(3) + `},` +
				`[[` + ph(4) + `],{"a":` + ph(5) + `,"b":` + ph(6) + `}],"tail",` + ph(7) + `]`,
			[][]byte{{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}}},
		{"bb", []any{[][]byte{{1}, {2}}}, `["bb",[` + ph(0) + `,` + ph(1) + `]]`, [][]byte{{1}, {2}}},
		{"empty", []any{[]byte{}}, `["empty",` + ph(0) + `]`, [][]byte{{}}},
		// Values other than []any and map[string]any go through encoding/json.
		{"st", []any{struct {
			A int    `json:"a"`
			B string `json:"b"`
		}{1, "<x>"}}, `["st",{"a":1,"b":"<x>"}]`, nil},
	}
	for _, tt := range tests {
		data, atts, err := EncodeEvent(tt.name, tt.args)
		if err != nil {
			t.Errorf("EncodeEvent(%q, %v): %v", tt.name, tt.args, err)
			continue
		}
		if string(data) != tt.want {
			t.Errorf("EncodeEvent(%q, %v) = %s\nwant %s", tt.name, tt.args, data, tt.want)
		}
		if !reflect.DeepEqual(atts, tt.wantAtts) {
			t.Errorf("EncodeEvent(%q, %v) attachments = %v, want %v", tt.name, tt.args, atts, tt.wantAtts)
		}
		// The result is a valid EVENT (or BINARY_EVENT) packet body.
		typ := Event
		if len(atts) > 0 {
			typ = BinaryEvent
		}
		p := Packet{Type: typ, Data: data, Attachments: atts}
		q, n, err := ParsePacket(AppendPacket(nil, &p))
		if err != nil || n != len(atts) || !bytes.Equal(q.Data, data) {
			t.Errorf("ParsePacket(AppendPacket(%s)) = %+v, %d, %v", data, q, n, err)
		}
	}
}

func TestEncodeEventAttachmentsShareMemory(t *testing.T) {
	b := []byte{1, 2, 3}
	_, atts, err := EncodeEvent("x", []any{b})
	if err != nil {
		t.Fatal(err)
	}
	if len(atts) != 1 || &atts[0][0] != &b[0] {
		t.Errorf("attachment is not the caller's slice")
	}
}

func TestEncodeEventDoesNotModifyArgs(t *testing.T) {
	inner := map[string]any{"k": []byte{2}}
	list := []any{[]byte{3}}
	args := []any{"a", []byte{1}, inner, list}
	snapshot := []any{"a", []byte{1}, map[string]any{"k": []byte{2}}, []any{[]byte{3}}}
	if _, _, err := EncodeEvent("x", args); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(args, snapshot) {
		t.Errorf("args modified: %#v", args)
	}
}

func TestEncodeAck(t *testing.T) {
	tests := []struct {
		args     []any
		want     string
		wantAtts [][]byte
	}{
		{nil, `[]`, nil},
		{[]any{}, `[]`, nil},
		{[]any{"bar"}, `["bar"]`, nil},
		{[]any{"<b>&", 1}, `["<b>&",1]`, nil},
		{[]any{nil}, `[null]`, nil},
		{[]any{"bar", []byte{1, 2, 3}}, `["bar",` + ph(0) + `]`, [][]byte{{1, 2, 3}}},
		{[]any{map[string]any{"y": []byte{2}, "x": []byte{1}}}, `[{"x":` + ph(0) + `,"y":` + ph(1) + `}]`, [][]byte{{1}, {2}}},
	}
	for _, tt := range tests {
		data, atts, err := EncodeAck(tt.args)
		if err != nil {
			t.Errorf("EncodeAck(%v): %v", tt.args, err)
			continue
		}
		if string(data) != tt.want {
			t.Errorf("EncodeAck(%v) = %s, want %s", tt.args, data, tt.want)
		}
		if !reflect.DeepEqual(atts, tt.wantAtts) {
			t.Errorf("EncodeAck(%v) attachments = %v, want %v", tt.args, atts, tt.wantAtts)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	for _, args := range [][]any{
		{make(chan int)},
		{math.NaN()},
		{func() {}},
		{[]byte{1}, math.Inf(1)},
	} {
		if data, _, err := EncodeEvent("x", args); err == nil {
			t.Errorf("EncodeEvent(%v) = %s, want an error", args, data)
		}
		if data, _, err := EncodeAck(args); err == nil {
			t.Errorf("EncodeAck(%v) = %s, want an error", args, data)
		}
	}
	// The pooled buffer is clean after an error.
	if data, _, err := EncodeEvent("ok", []any{1}); err != nil || string(data) != `["ok",1]` {
		t.Errorf("EncodeEvent after error = %s, %v", data, err)
	}
}

func TestEncodeEventResultNotShared(t *testing.T) {
	a, _, _ := EncodeEvent("first", []any{"aaaaaaaa"})
	b, _, _ := EncodeEvent("second", []any{"bbbbbbbb"})
	if string(a) != `["first","aaaaaaaa"]` || string(b) != `["second","bbbbbbbb"]` {
		t.Errorf("results share the pooled buffer: %s %s", a, b)
	}
}

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{``, nil},
		{`[]`, []string{}},
		{`["foo"]`, []string{`"foo"`}},
		{`["foo",1,{"a":[1,2]},[3],null]`, []string{`"foo"`, `1`, `{"a":[1,2]}`, `[3]`, `null`}},
		{` [ "a" , 2 ] `, []string{`"a"`, `2`}},
	}
	for _, tt := range tests {
		items, err := SplitArgs([]byte(tt.in))
		if err != nil {
			t.Errorf("SplitArgs(%q): %v", tt.in, err)
			continue
		}
		if len(items) != len(tt.want) {
			t.Errorf("SplitArgs(%q) = %q, want %q", tt.in, items, tt.want)
			continue
		}
		for i := range items {
			if string(items[i]) != tt.want[i] {
				t.Errorf("SplitArgs(%q)[%d] = %s, want %s", tt.in, i, items[i], tt.want[i])
			}
		}
	}
	for _, in := range []string{`{}`, `"x"`, `1`, `[`, `["x"`, `["x"]]`, `x`} {
		if items, err := SplitArgs([]byte(in)); !errors.Is(err, ErrPacket) {
			t.Errorf("SplitArgs(%q) = %q, %v; want ErrPacket", in, items, err)
		}
	}
}

func TestDecodeArgs(t *testing.T) {
	args := []any{
		[]byte{0},
		map[string]any{"z": []byte{3}, "a": []byte{1}, "m": []any{[]byte{2}, "x", 2.5}},
		"s<&>",
		[]any{[]byte{4}},
		float64(7),
		nil,
		true,
	}
	data, atts, err := EncodeEvent("ev", args)
	if err != nil {
		t.Fatal(err)
	}
	items, err := SplitArgs(data)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeArgs(items[1:], atts)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, args) {
		t.Errorf("DecodeArgs = %#v\nwant %#v", got, args)
	}
	name, err := DecodeArgs(items[:1], nil)
	if err != nil || !reflect.DeepEqual(name, []any{"ev"}) {
		t.Errorf("DecodeArgs(name) = %#v, %v", name, err)
	}
}

func TestDecodeArgsPlaceholders(t *testing.T) {
	atts := [][]byte{{1, 2, 3, 4}, {5}}
	tests := []struct {
		in   string
		want any
	}{
		{ph(0), []byte{1, 2, 3, 4}},
		{ph(1), []byte{5}},
		{`{"num":1,"_placeholder":true}`, []byte{5}},
		{`[` + ph(1) + `,{"k":` + ph(0) + `}]`, []any{[]byte{5}, map[string]any{"k": []byte{1, 2, 3, 4}}}},
		// Not placeholders: they stay plain objects.
		{`{"_placeholder":true,"num":2}`, map[string]any{"_placeholder": true, "num": 2.0}},
		{`{"_placeholder":true,"num":99}`, map[string]any{"_placeholder": true, "num": 99.0}},
		{`{"_placeholder":true,"num":-1}`, map[string]any{"_placeholder": true, "num": -1.0}},
		{`{"_placeholder":true,"num":0.5}`, map[string]any{"_placeholder": true, "num": 0.5}},
		{`{"_placeholder":true,"num":1e300}`, map[string]any{"_placeholder": true, "num": 1e300}},
		{`{"_placeholder":true,"num":"0"}`, map[string]any{"_placeholder": true, "num": "0"}},
		{`{"_placeholder":false,"num":0}`, map[string]any{"_placeholder": false, "num": 0.0}},
		{`{"_placeholder":"true","num":0}`, map[string]any{"_placeholder": "true", "num": 0.0}},
		{`{"_placeholder":true}`, map[string]any{"_placeholder": true}},
		{`{"_placeholder":true,"num":0,"x":1}`, map[string]any{"_placeholder": true, "num": 0.0, "x": 1.0}},
		// An out-of-range placeholder inside an object: its siblings are still resolved.
		{`{"bad":{"_placeholder":true,"num":7},"ok":` + ph(0) + `}`,
			map[string]any{"bad": map[string]any{"_placeholder": true, "num": 7.0}, "ok": []byte{1, 2, 3, 4}}},
	}
	for _, tt := range tests {
		got, err := DecodeArgs([]json.RawMessage{json.RawMessage(tt.in)}, atts)
		if err != nil {
			t.Errorf("DecodeArgs(%s): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got[0], tt.want) {
			t.Errorf("DecodeArgs(%s) = %#v, want %#v", tt.in, got[0], tt.want)
		}
	}
	// Without attachments, placeholders are not touched.
	got, err := DecodeArgs([]json.RawMessage{json.RawMessage(ph(0))}, nil)
	if err != nil || !reflect.DeepEqual(got[0], map[string]any{"_placeholder": true, "num": 0.0}) {
		t.Errorf("DecodeArgs without attachments = %#v, %v", got, err)
	}
}

// TestDecodeArgsNumberOutOfRange: a number beyond float64 is valid JSON, so
// the packet parses, but DecodeArgs reports it (as encoding/json does)
// while ResolveJSON passes it through for the caller's own types.
func TestDecodeArgsNumberOutOfRange(t *testing.T) {
	p, _, err := ParsePacket([]byte(`2["n",2e400]`))
	if err != nil {
		t.Fatal(err)
	}
	items, err := SplitArgs(p.Data)
	if err != nil || len(items) != 2 {
		t.Fatalf("SplitArgs = %q, %v", items, err)
	}
	if v, err := DecodeArgs(items, nil); err == nil {
		t.Errorf("DecodeArgs = %v, want an error", v)
	}
	res, err := ResolveJSON(json.RawMessage(`[2e400,`+ph(0)+`]`), [][]byte{{1}})
	if err != nil || string(res) != `[2e400,"AQ=="]` {
		t.Errorf("ResolveJSON = %s, %v", res, err)
	}
}

func TestDecodeArgsError(t *testing.T) {
	if _, err := DecodeArgs([]json.RawMessage{json.RawMessage(`1`), json.RawMessage(`{`)}, nil); err == nil {
		t.Error("DecodeArgs of invalid JSON: no error")
	}
	got, err := DecodeArgs(nil, nil)
	if err != nil || len(got) != 0 {
		t.Errorf("DecodeArgs(nil) = %v, %v", got, err)
	}
}

func TestResolveJSON(t *testing.T) {
	type file struct {
		Name    string   `json:"name"`
		Content []byte   `json:"content"`
		Parts   [][]byte `json:"parts"`
		Size    int64    `json:"size"`
		Note    string   `json:"note"`
	}
	// As EncodeEvent writes it: the struct's []byte fields travel as
	// placeholders (here built by hand, as a JavaScript client sends them).
	raw := json.RawMessage(`{"name":"a.bin","content":` + ph(0) + `,"parts":[` + ph(1) + `,` + ph(0) + `],"size":9007199254740993,"note":"<&>"}`)
	atts := [][]byte{{0xde, 0xad, 0xbe, 0xef}, {1}}
	resolved, err := ResolveJSON(raw, atts)
	if err != nil {
		t.Fatal(err)
	}
	var f file
	if err := json.Unmarshal(resolved, &f); err != nil {
		t.Fatalf("json.Unmarshal(%s): %v", resolved, err)
	}
	want := file{Name: "a.bin", Content: []byte{0xde, 0xad, 0xbe, 0xef}, Parts: [][]byte{{1}, {0xde, 0xad, 0xbe, 0xef}}, Size: 9007199254740993, Note: "<&>"}
	if !reflect.DeepEqual(f, want) {
		t.Errorf("unmarshalled %+v\nwant %+v", f, want)
	}

	// A top-level placeholder into a []byte.
	resolved, err = ResolveJSON(json.RawMessage(ph(1)), atts)
	if err != nil {
		t.Fatal(err)
	}
	var b []byte
	if err := json.Unmarshal(resolved, &b); err != nil || !bytes.Equal(b, []byte{1}) {
		t.Errorf("json.Unmarshal(%s) = %v, %v", resolved, b, err)
	}

	// Numbers in exponent form index like DecodeArgs does; other numbers are
	// written back as they came.
	resolved, err = ResolveJSON(json.RawMessage(`[{"_placeholder":true,"num":1e0},1.50,-0,12345678901234567890]`), atts)
	if err != nil || string(resolved) != `["AQ==",1.50,-0,12345678901234567890]` {
		t.Errorf("ResolveJSON = %s, %v", resolved, err)
	}

	// An escaped key is the same key, for ResolveJSON as for DecodeArgs.
	esc := json.RawMessage(`{"\u005fplaceholder":true,"num":1}`)
	resolved, err = ResolveJSON(esc, atts)
	if err != nil || string(resolved) != `"AQ=="` {
		t.Errorf("ResolveJSON(%s) = %s, %v; want \"AQ==\"", esc, resolved, err)
	}
	if v, err := DecodeArgs([]json.RawMessage{esc}, atts); err != nil || !reflect.DeepEqual(v, []any{[]byte{1}}) {
		t.Errorf("DecodeArgs(%s) = %#v, %v", esc, v, err)
	}

	// An out-of-range placeholder stays a plain object.
	resolved, err = ResolveJSON(json.RawMessage(`{"x":{"_placeholder":true,"num":2}}`), atts)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]map[string]any
	if err := json.Unmarshal(resolved, &m); err != nil || !reflect.DeepEqual(m["x"], map[string]any{"_placeholder": true, "num": 2.0}) {
		t.Errorf("out-of-range placeholder resolved to %s (%v)", resolved, err)
	}
}

func TestResolveJSONUnchanged(t *testing.T) {
	for _, tt := range []struct {
		raw  string
		atts [][]byte
	}{
		{ph(0), nil},                        // no attachments
		{`{"a":1}`, [][]byte{{1}}},          // no placeholder
		{`"_placeholder"`, nil},             // string only
		{`[1, 2,  3]`, [][]byte{{1}}},       // spacing kept
		{`{"n":12345678901234567890}`, nil}, // big number kept
	} {
		raw := json.RawMessage(tt.raw)
		got, err := ResolveJSON(raw, tt.atts)
		if err != nil || string(got) != tt.raw {
			t.Errorf("ResolveJSON(%s) = %s, %v; want unchanged", tt.raw, got, err)
		}
	}
	for _, bad := range []string{`{"_placeholder":true,`, ph(0) + ` 1`, ph(0) + `}`} {
		if got, err := ResolveJSON(json.RawMessage(bad), [][]byte{{1}}); err == nil {
			t.Errorf("ResolveJSON(%s) = %s, want an error", bad, got)
		}
	}
}

// The direct encoding of common argument types is encoding/json's, byte
// for byte.
func TestEncodeCommonTypesAsEncodingJSON(t *testing.T) {
	vals := []any{
		nil, true, false, "", "plain", "<a & b>", "quote\"", `back\slash`, "tab\t", "nl\n", "\x00\x1f\x7f",
		"é ü 漢字 🎉", "\u2028", "x\u2029y", "bad \xff utf8", "\xe2\x80", 0, 1, -42, int64(1) << 62, 0.0, -0.0, 1.5,
		3.0, 1e20, 1e21, 1e-6, 1e-7, -123.456, math.MaxFloat64, math.SmallestNonzeroFloat64,
		json.RawMessage(`{"a": [1, 2 ,3]}`), json.RawMessage(` "s" `), json.RawMessage(nil),
		map[string]any{"k": "v"}, []any{"a", 1.0}, struct{ A string }{"x"},
	}
	for _, v := range vals {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode([]any{v}); err != nil {
			t.Fatalf("%#v: %v", v, err)
		}
		want := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		got, _, err := EncodeAck([]any{v})
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%#v: got %s, %v; want %s", v, got, err, want)
		}
	}
	for _, v := range []any{math.NaN(), math.Inf(1), json.RawMessage(`{bad`), json.RawMessage(``)} {
		if _, _, err := EncodeAck([]any{v}); err == nil {
			t.Errorf("%#v: no error", v)
		}
	}
}

// Acks and events of common argument types allocate only their output: no
// reflection, no boxing.
func TestEncodeCommonTypesAllocOnce(t *testing.T) {
	args := []any{"a chat line", 42, 1.5, true, nil, json.RawMessage(`{"a":[1,2]}`)}
	if n := allocsBesidesPool(t, 100, func() { _, _, _ = EncodeAck(args) }); n > 1 {
		t.Errorf("EncodeAck: %v allocations, want 1", n)
	}
	if n := allocsBesidesPool(t, 100, func() { _, _, _ = EncodeEvent("chat", args) }); n > 1 {
		t.Errorf("EncodeEvent: %v allocations, want 1", n)
	}
}

// allocsBesidesPool returns the median of the allocations one call of f
// made among runs calls that found a buffer in jsonBufs. The race detector
// drops pooled items at random and a GC empties the pool, so how often f
// finds it empty (and then grows a new buffer) is not f's own cost; and
// the allocation count is the process's, so a run may include another
// goroutine's (the runtime's, the race detector's): the median is f's.
func allocsBesidesPool(t *testing.T, runs int, f func()) uint64 {
	t.Helper()
	orig := jsonBufs.New
	t.Cleanup(func() { jsonBufs.New = orig })
	refills := 0
	jsonBufs.New = func() any { refills++; return orig() }
	f() // warm up
	var counts []uint64
	for range runs {
		var before, after runtime.MemStats
		n := refills
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		if refills == n {
			counts = append(counts, after.Mallocs-before.Mallocs)
		}
	}
	if len(counts) < runs/4 {
		t.Fatalf("only %d of %d calls found a pooled buffer", len(counts), runs)
	}
	slices.Sort(counts)
	return counts[len(counts)/2]
}
