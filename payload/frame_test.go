package payload

import (
	"errors"
	"slices"
	"testing"
)

// frameCodec is one generation's frame codec with its byte vectors: the
// EIO3 and EIO4 frame tests run the same checks over both.
type frameCodec struct {
	name   string
	parse  func(text []byte) (Frame, error)
	append func(dst []byte, f Frame) []byte
	// parsed: text and the frame it parses as (besides sharedParsed).
	parsed []parsedFrame
	// bad: text that must fail with ErrParse.
	bad []string
	// appended: a frame and its text (besides sharedAppended); the text
	// parses back as the frame.
	appended []appendedFrame
}

type parsedFrame struct {
	in   string
	want Frame
}

type appendedFrame struct {
	f    Frame
	want string
}

// sharedParsed are the vectors that parse alike in EIO3 and EIO4.
var sharedParsed = []parsedFrame{
	{"0{\"sid\":\"x\"}", Frame{Type: FrameOpen, Data: []byte(`{"sid":"x"}`)}},
	{"1", Frame{Type: FrameClose, Data: []byte{}}},
	{"2", Frame{Type: FramePing, Data: []byte{}}},
	{"2probe", Frame{Type: FramePing, Data: []byte("probe")}},
	{"3probe", Frame{Type: FramePong, Data: []byte("probe")}},
	{"4hello", Frame{Type: FrameMessage, Data: []byte("hello")}},
	{"4", Frame{Type: FrameMessage, Data: []byte{}}},
	{"5", Frame{Type: FrameUpgrade, Data: []byte{}}},
	{"6", Frame{Type: FrameNoop, Data: []byte{}}},
	{"4😀", Frame{Type: FrameMessage, Data: []byte("😀")}},
}

// sharedAppended are the vectors that are written alike in EIO3 and EIO4.
var sharedAppended = []appendedFrame{
	{Frame{Type: FrameOpen, Data: []byte(`{"sid":"x"}`)}, `0{"sid":"x"}`},
	{Frame{Type: FrameClose}, "1"},
	{Frame{Type: FramePing}, "2"},
	{Frame{Type: FramePing, Data: []byte("probe")}, "2probe"},
	{Frame{Type: FramePong, Data: []byte("probe")}, "3probe"},
	{Frame{Type: FrameMessage, Data: []byte("hello")}, "4hello"},
	{Frame{Type: FrameUpgrade}, "5"},
	{Frame{Type: FrameNoop}, "6"},
}

var frameCodecs = []frameCodec{
	{
		name: "EIO3", parse: ParseEIO3Frame, append: AppendEIO3Frame,
		parsed: []parsedFrame{
			{"4b4AQI=", Frame{Type: FrameMessage, Data: []byte("b4AQI=")}},
			// §9: WS text "b4AQI=" is msg bytes 01 02.
			{"b4AQI=", Frame{Type: FrameMessage, Binary: true, Data: []byte{1, 2}}},
			{"b4AQIDBA==", Frame{Type: FrameMessage, Binary: true, Data: []byte{1, 2, 3, 4}}},
			{"b4", Frame{Type: FrameMessage, Binary: true, Data: []byte{}}},
		},
		bad: []string{
			"", "abc", "7", "9", "/", "x", "\x00", "\xff",
			"b", "bAQIDBA==", "bAQID", "b2", "b0AQI=", "b5AQI=", // "b" not followed by "4": the EIO4 form
			"b4!!!!", "b4AQIDBA", "b4AQIDBA=", "b4A", "b4AQ=D", // bad base64
		},
		appended: []appendedFrame{
			{Frame{Type: FrameMessage, Binary: true, Data: []byte{1, 2, 3, 4}}, "b4AQIDBA=="},
			{Frame{Type: FrameMessage, Binary: true, Data: []byte{1, 2}}, "b4AQI="},
			{Frame{Type: FrameMessage, Binary: true}, "b4"},
		},
	},
	{
		name: "EIO4", parse: ParseEIO4Frame, append: AppendEIO4Frame,
		parsed: []parsedFrame{
			{"42[\"foo\",1]", Frame{Type: FrameMessage, Data: []byte(`2["foo",1]`)}},
			// §9: WS text "bAQID" is msg bytes 01 02 03.
			{"bAQID", Frame{Type: FrameMessage, Binary: true, Data: []byte{1, 2, 3}}},
			{"bAQIDBA==", Frame{Type: FrameMessage, Binary: true, Data: []byte{1, 2, 3, 4}}},
			{"b", Frame{Type: FrameMessage, Binary: true, Data: []byte{}}},
		},
		bad: []string{
			"", "abc", "7", "9", "/", "x", "\x00", "\xff",
			"b!!!!", "bAQIDBA", "bAQIDBA=", "bA", "bAQ=D", // bad base64
		},
		appended: []appendedFrame{
			{Frame{Type: FrameMessage, Binary: true, Data: []byte{1, 2, 3, 4}}, "bAQIDBA=="},
			{Frame{Type: FrameMessage, Binary: true, Data: []byte{1, 2, 3}}, "bAQID"},
			{Frame{Type: FrameMessage, Binary: true}, "b"},
		},
	},
}

func TestParseFrame(t *testing.T) {
	for _, c := range frameCodecs {
		for _, tt := range append(slices.Clip(sharedParsed), c.parsed...) {
			got, err := c.parse([]byte(tt.in))
			if err != nil {
				t.Errorf("Parse%sFrame(%q): %v", c.name, tt.in, err)
				continue
			}
			if !frameEqual(got, tt.want) {
				t.Errorf("Parse%sFrame(%q) = %+v, want %+v", c.name, tt.in, got, tt.want)
			}
		}
	}
}

func TestParseFrameErrors(t *testing.T) {
	for _, c := range frameCodecs {
		for _, in := range c.bad {
			if f, err := c.parse([]byte(in)); !errors.Is(err, ErrParse) {
				t.Errorf("Parse%sFrame(%q) = %+v, %v; want ErrParse", c.name, in, f, err)
			}
		}
	}
}

func TestParseFrameAliases(t *testing.T) {
	for _, c := range frameCodecs {
		in := []byte("4hello")
		f, err := c.parse(in)
		if err != nil {
			t.Fatal(err)
		}
		in[1] = 'j'
		if string(f.Data) != "jello" {
			t.Errorf("%s: text frame data does not alias input: %q", c.name, f.Data)
		}
	}
}

func TestAppendFrame(t *testing.T) {
	for _, c := range frameCodecs {
		for _, tt := range append(slices.Clip(sharedAppended), c.appended...) {
			if got := c.append(nil, tt.f); string(got) != tt.want {
				t.Errorf("Append%sFrame(%+v) = %q, want %q", c.name, tt.f, got, tt.want)
			}
			// Appends, does not overwrite.
			if got := c.append([]byte("xy"), tt.f); string(got) != "xy"+tt.want {
				t.Errorf("Append%sFrame(xy, %+v) = %q, want %q", c.name, tt.f, got, "xy"+tt.want)
			}
			back, err := c.parse([]byte(tt.want))
			if err != nil || !frameEqual(back, tt.f) {
				t.Errorf("Parse%sFrame(%q) = %+v, %v; want %+v", c.name, tt.want, back, err, tt.f)
			}
		}
	}
}
