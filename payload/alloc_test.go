package payload

import (
	"runtime"
	"strings"
	"testing"
)

// bytesPerRun returns the bytes f allocates per call, averaged over runs.
func bytesPerRun(runs int, f func()) uint64 {
	f() // warm up pools
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < runs; i++ {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}

// TestDecodersDoNotTrustLengths: a decoder never allocates in proportion
// to a length or count it has not read yet. Each input announces far more
// than it holds; decoding it (and failing) allocates at most a small
// multiple of the input's own size.
func TestDecodersDoNotTrustLengths(t *testing.T) {
	huge := strings.Repeat("9", 18)
	for _, tc := range []struct {
		name string
		in   string
		dec  func([]byte) error
	}{
		{"EIO3 text length", huge + ":4x", func(b []byte) error { _, err := DecodeEIO3Payload(b); return err }},
		{"EIO3 text length many", strings.Repeat("1000000:4", 100), func(b []byte) error { _, err := DecodeEIO3Payload(b); return err }},
		{"EIO3 binary length", "\x00" + strings.Repeat("\x09", 20) + "\xff4x", func(b []byte) error { _, err := DecodeEIO3BinaryPayload(b); return err }},
		{"EIO3 binary length many", strings.Repeat("\x01\x09\x09\x09\x09\xff\x04", 100), func(b []byte) error { _, err := DecodeEIO3BinaryPayload(b); return err }},
		{"v1 frame length", "\ufffd9999999999\ufffd3:::x", func(b []byte) error { _, err := DecodeV1Payload(b); return err }},
		{"v1 frame length many", strings.Repeat("\ufffd1\ufffd8\ufffd", 100) + "\ufffd999999\ufffdx", func(b []byte) error { _, err := DecodeV1Payload(b); return err }},
		{"EIO4 records", strings.Repeat("\x1e", 1000) + "!", func(b []byte) error { _, err := DecodeEIO4Payload(b); return err }},
		{"attachment count", "5" + huge + `-["x",{"_placeholder":true,"num":0}]`, func(b []byte) error { _, _, err := ParsePacket(b); return err }},
		{"attachment count 10", `510-["x",{"_placeholder":true,"num":0}]`, func(b []byte) error { _, _, err := ParsePacket(b); return err }},
		{"ack id", "3" + strings.Repeat("9", 400) + "[]", func(b []byte) error { _, _, err := ParsePacket(b); return err }},
	} {
		in := []byte(tc.in)
		if err := tc.dec(in); err == nil {
			t.Errorf("%s: %q decodes", tc.name, tc.in)
			continue
		}
		limit := uint64(4*len(in) + 1024)
		if got := bytesPerRun(50, func() { _ = tc.dec(in) }); got > limit {
			t.Errorf("%s: %d bytes allocated for a %d-byte input (limit %d)", tc.name, got, len(in), limit)
		}
	}
}
