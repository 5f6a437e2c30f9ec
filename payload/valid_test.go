package payload

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

var validCases = []string{
	``, ` `, `null`, `true`, `false`, `nul`, `truex`, `0`, `-0`, `01`, `-`, `1.`, `1.5`, `1e`, `1e+`, `1E-7`, `-12.5e10`,
	`""`, `"a\"b"`, `"\u00e9\uD83D\uDE00"`, `"\u00g0"`, `"\x"`, "\"a\tb\"", "\"\x7f\xff\"", `"`, `"\`,
	`[]`, `[ ]`, `[1,]`, `[,1]`, `[1 2]`, `[1,2]`, `{}`, `{"a":1}`, `{"a" : [1, {"b":null}] }`, `{"a"}`, `{"a":}`,
	`{1:2}`, `{"a":1,}`, `[`, `]`, `[[]`, `[]]`, `{"a":1}}`, " [\n\t\"x\" , \r 1 ] ", `[] x`, `["flood","xxx"]`,
	strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth),
	strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1),
	strings.Repeat(`{"a":`, maxDepth) + "1" + strings.Repeat("}", maxDepth),
}

// TestValidJSON: the same verdicts as json.Valid.
func TestValidJSON(t *testing.T) {
	for _, in := range validCases {
		if got, want := validJSON([]byte(in)), json.Valid([]byte(in)); got != want {
			t.Errorf("validJSON(%.60q) = %v, json.Valid says %v", in, got, want)
		}
	}
}

// TestCompactJSON: compactJSON is true exactly when json.Compact leaves
// valid JSON as it is.
func TestCompactJSON(t *testing.T) {
	for _, in := range append(validCases, `["a b",{"c d":"e\" f"}]`, `["a\\",1]`, `[1 ]`, `{"a" :1}`) {
		checkCompactJSON(t, []byte(in))
	}
}

func checkCompactJSON(t *testing.T, in []byte) {
	t.Helper()
	if !json.Valid(in) {
		return
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, in); err != nil {
		t.Fatalf("json.Compact(%q): %v", in, err)
	}
	if got, want := compactJSON(in), bytes.Equal(buf.Bytes(), in); got != want {
		t.Errorf("compactJSON(%.60q) = %v, json.Compact says %v", in, got, want)
	}
}

func BenchmarkValidJSON1MB(b *testing.B) {
	data := []byte(`["flood","` + strings.Repeat("x", 1<<20) + `",{"n":[1,2.5,-3e4,true,null]}]`)
	b.Run("json.Valid", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			json.Valid(data)
		}
	})
	b.Run("validJSON", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			validJSON(data)
		}
	})
}
