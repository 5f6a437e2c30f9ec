package server_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/sockio/sockio/payload"
	"github.com/sockio/sockio/server"
)

// The 0.9 client loses an ack's arguments at a raw U+2028 or U+2029 (its
// ack regular expression's "." stops there). Arguments forwarded as the
// client wrote them reach it escaped, on every transport, and the polling
// frame lengths count the escaped text.
func TestV1LineSeparatorsEscaped(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger(), PollingDuration: 50 * time.Millisecond}, v1App)
	echo := func(id string) string {
		return "5:" + id + "+::{\"name\":\"echo\",\"args\":[\"a\u2028b\",{\"\u2029\":1}]}"
	}
	const acked = `+["a\u2028b",{"\u2029":1}]` // 26 UTF-16 units

	t.Run("xhr-polling", func(t *testing.T) {
		sid := h.v1Handshake()
		u := h.v1URL("xhr-polling", sid)
		expectBody(t, h.get(u), http.StatusOK, "", "1::")
		// Two packets in one upload; the answers may come framed together
		// (lengths in UTF-16 units: each separator counts one) or apart.
		up := payload.AppendV1Payload(nil, []byte(echo("1")), []byte(echo("2")))
		expectBody(t, h.post(u, string(up)), http.StatusOK, "", "1")
		if got := h.v1Poll(u, 2); !slices.Equal(got, []string{"6:::1" + acked, "6:::2" + acked}) {
			t.Fatalf("answers %q", got)
		}
	})
	t.Run("jsonp-polling", func(t *testing.T) {
		sid := h.v1Handshake()
		u := h.v1URL("jsonp-polling", sid)
		expectBody(t, h.get(u+"&i=1"), http.StatusOK, "", `io.j[1]("1::");`)
		r := h.do(http.MethodPost, u+"&i=0", strings.NewReader("d="+url.QueryEscape(`"`+strings.ReplaceAll(echo("1"), `"`, `\"`)+`"`)),
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
		expectBody(t, r, http.StatusOK, "", "1")
		expectBody(t, h.get(u+"&i=2"), http.StatusOK, "", `io.j[2]("6:::1+[\"a\\u2028b\",{\"\\u2029\":1}]");`)
	})
	t.Run("htmlfile", func(t *testing.T) {
		sid := h.v1Handshake()
		res, err := h.client.Get(h.v1URL("htmlfile", sid))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		readN(t, res.Body, 256+len(`<script>_("1::");</script>`))
		expectBody(t, h.post(h.v1URL("htmlfile", sid), echo("1")), http.StatusOK, "", "1")
		want := `<script>_("6:::1+[\"a\\u2028b\",{\"\\u2029\":1}]");</script>`
		if got := readN(t, res.Body, len(want)); got != want {
			t.Fatalf("chunk\n got %s\nwant %s", got, want)
		}
	})
	t.Run("websocket", func(t *testing.T) {
		sid := h.v1Handshake()
		ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(h.v1URL("websocket", sid), "http"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		_ = ws.SetReadDeadline(time.Now().Add(waitTimeout))
		if _, b, err := ws.ReadMessage(); err != nil || string(b) != "1::" {
			t.Fatalf("first frame %q, %v", b, err)
		}
		_ = ws.WriteMessage(websocket.TextMessage, []byte(echo("1")))
		if _, b, err := ws.ReadMessage(); err != nil || string(b) != "6:::1"+acked {
			t.Fatalf("ack %q, %v; want %q", b, err, "6:::1"+acked)
		}
	})
}
