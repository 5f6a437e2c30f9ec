package payload

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

var splitCases = []string{
	``, `null`, ` null `, `[]`, ` [ ] `, `["foo"]`, `["foo",1,{"a":[1,2]},[3],null]`, ` [ "a" , 2 ] `,
	`["a\"b",{"k":"]}\\"},"\\\\"]`, `[-1.5e3,true,false,null]`, `[[[]],{}]`, "[\"\\u00e9\",\n\t1\r\n]",
	`["x","` + strings.Repeat("y", 1<<16) + `"]`,
}

// TestSplitValidArgs: on valid JSON, the same items as SplitArgs.
func TestSplitValidArgs(t *testing.T) {
	for _, in := range splitCases {
		want, err := SplitArgs([]byte(in))
		if err != nil {
			t.Fatalf("SplitArgs(%.40q): %v", in, err)
		}
		got, err := SplitValidArgs([]byte(in))
		if err != nil || !sameItems(got, want) {
			t.Errorf("SplitValidArgs(%.40q) = %.80q, %v; want %.80q", in, got, err, want)
		}
	}
	for _, in := range []string{`{}`, `"x"`, `1`, `[`, `["x"`, `["x"]]`, `x`, `[1,]`, `[,1]`, `["x]`, `[{"a":1]`, `[1 2]`} {
		if items, err := SplitValidArgs([]byte(in)); !errors.Is(err, ErrPacket) {
			t.Errorf("SplitValidArgs(%q) = %q, %v; want ErrPacket", in, items, err)
		}
	}
}

func sameItems(a, b []json.RawMessage) bool {
	return (a == nil) == (b == nil) && slices.EqualFunc(a, b, func(x, y json.RawMessage) bool { return string(x) == string(y) })
}

func BenchmarkSplitArgs1MB(b *testing.B) {
	data := []byte(`["flood","` + strings.Repeat("x", 1<<20) + `"]`)
	b.Run("SplitArgs", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			_, _ = SplitArgs(data)
		}
	})
	b.Run("SplitValidArgs", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			_, _ = SplitValidArgs(data)
		}
	})
}

// TestSplitArgsFast: SplitArgs' answer on valid and invalid input alike.
func TestSplitArgsFast(t *testing.T) {
	ins := append([]string{"", "null", `{}`, `"x"`, `[`, `["x"`, `["x"]]`, `x`, `[1,]`, `[1 2]`, "[\"a\xffb\"]"}, splitCases...)
	for _, in := range ins {
		want, werr := SplitArgs([]byte(in))
		got, err := splitArgsFast([]byte(in))
		if (werr == nil) != (err == nil) || !sameItems(got, want) {
			t.Errorf("splitArgsFast(%.40q) = %.80q, %v; want %.80q, %v", in, got, err, want, werr)
		}
	}
}
