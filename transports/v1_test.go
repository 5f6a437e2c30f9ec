package transports

import (
	"strings"
	"testing"
)

var (
	_ Transport = (*HTMLFile)(nil)
	_ Transport = (*Hixie76)(nil)
	_ Transport = (*Polling)(nil)
	_ Transport = (*WebSocket)(nil)
)

func TestHTMLFilePrelude(t *testing.T) {
	head := `<html><body><script>var _ = function (msg) { parent.s._(msg, document); };</script>`
	if len(head) != 83 || string(HTMLFilePrelude) != head+strings.Repeat(" ", 173) {
		t.Fatalf("prelude %q (%d bytes)", HTMLFilePrelude, len(HTMLFilePrelude))
	}
}

func TestAppendHTMLFileScript(t *testing.T) {
	for in, want := range map[string]string{
		"1::": `<script>_("1::");</script>`,
		`5:::{"name":"url","args":["http://a/b"]}`: `<script>_("5:::{\"name\":\"url\",\"args\":[\"http:\/\/a\/b\"]}");</script>`,
		"3:::</script>\u2028":                      `<script>_("3:::\u003c\/script\u003e\u2028");</script>`,
	} {
		if got := string(AppendHTMLFileScript(nil, []byte(in))); got != want {
			t.Errorf("AppendHTMLFileScript(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestHixieChallenge(t *testing.T) {
	// The hixie-76 draft's example.
	got, err := hixieChallenge("4 @1  46546xW%0l 1 5", "12998 5 Y3 1  .P00", []byte("^n:ds[4U"))
	if err != nil || string(got) != "8jKS'y:G*Co,Wxa-" {
		t.Fatalf("HixieChallenge = %q, %v", got, err)
	}
	for _, bad := range []string{"", "123", "12  5", "99999999999 "} {
		if _, err := hixieChallenge(bad, "12998 5 Y3 1  .P00", []byte("^n:ds[4U")); err == nil {
			t.Errorf("key %q accepted", bad)
		}
	}
}
