package transports

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// benchPayload is 8 KiB of chat-like JSON events, what a busy poll or
// websocket message carries.
var benchPayload = func() []byte {
	var b strings.Builder
	for i := 0; b.Len() < 8<<10; i++ {
		b.WriteString(`42["message",{"user":"user-` + string(rune('a'+i%26)) + `","text":"hello there, how is it going today?","room":"lobby","ts":1700000000000}]` + "\x1e")
	}
	return []byte(b.String()[:8<<10])
}()

// BenchmarkPollingGzip is the CPU a polling answer's gzip costs; b.SetBytes
// makes "MB/s" the delivered (uncompressed) rate.
func BenchmarkPollingGzip(b *testing.B) {
	for _, enc := range []string{"gzip", "deflate"} {
		b.Run(enc, func(b *testing.B) {
			b.SetBytes(int64(len(benchPayload)))
			b.ReportAllocs()
			var dst []byte
			for b.Loop() {
				dst = compressBody(dst[:0], enc, benchPayload)
			}
			b.ReportMetric(float64(len(dst))/float64(len(benchPayload)), "ratio")
		})
	}
}

// BenchmarkWebSocketDeflate writes 8 KiB messages through gorilla with and
// without permessage-deflate to a client that reads them.
func BenchmarkWebSocketDeflate(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "off"
		if on {
			name = "on"
		}
		b.Run(name, func(b *testing.B) {
			up := NewUpgrader(WebSocketOptions{Compression: on})
			conns := make(chan *websocket.Conn, 1)
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				c, err := up.Upgrade(w, r, nil)
				if err != nil {
					return
				}
				conns <- c
			}))
			defer ts.Close()
			d := websocket.Dialer{EnableCompression: true}
			client, _, err := d.Dial("ws"+strings.TrimPrefix(ts.URL, "http"), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer client.Close()
			srv := <-conns
			defer srv.Close()
			done := make(chan struct{})
			go func() { // the reader: owned by this benchmark, ends when the conn closes
				defer close(done)
				for {
					if _, _, err := client.ReadMessage(); err != nil {
						return
					}
				}
			}()
			b.SetBytes(int64(len(benchPayload)))
			for b.Loop() {
				srv.EnableWriteCompression(on)
				if err := srv.WriteMessage(websocket.TextMessage, benchPayload); err != nil {
					b.Fatal(err)
				}
			}
			srv.Close()
			client.Close()
			<-done
		})
	}
}
