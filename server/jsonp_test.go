package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/server"
)

func jsonpGet(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, body)
	}
	return string(body)
}

var jsonpCall = regexp.MustCompile(`^___eio\[(\d+)\]\((".*")\);$`)

// unwrapJSONP checks the callback form and returns the payload inside.
func unwrapJSONP(t *testing.T, body, index string) string {
	t.Helper()
	m := jsonpCall.FindStringSubmatch(body)
	if m == nil || m[1] != index {
		t.Fatalf("not a JSONP call with index %s: %q", index, body)
	}
	var payload string
	if err := json.Unmarshal([]byte(m[2]), &payload); err != nil {
		t.Fatalf("callback argument is not a string literal: %v", err)
	}
	return payload
}

// TestJSONPPolling runs a session over JSONP polling: the handshake and
// every poll are script calls ___eio[j]("…") with the payload as a string
// literal (U+2028 escaped), and uploads are form posts d=… with the
// engine.io newline escaping undone.
func TestJSONPPolling(t *testing.T) {
	srv := server.New(server.Options{})
	got := make(chan string, 1)
	srv.Of("/").OnConnection(func(s *namespace.Socket) {
		s.On("say", func(e *namespace.Event) {
			var text string
			_ = e.Decode(0, &text)
			got <- text
			_ = s.Emit("said", "line\u2028sep</script>")
		})
	})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Close(context.Background())

	base := ts.URL + "/socket.io/?EIO=4&transport=polling&j=3"
	open := unwrapJSONP(t, jsonpGet(t, base), "3")
	var hs struct{ SID string }
	if !strings.HasPrefix(open, "0{") || json.Unmarshal([]byte(open[1:]), &hs) != nil {
		t.Fatalf("handshake payload %q", open)
	}
	u := base + "&sid=" + hs.SID

	post := func(packets string) {
		t.Helper()
		// What the client does before form-encoding: a literal backslash-n
		// becomes backslash-backslash-n, a real newline becomes backslash-n.
		escaped := strings.ReplaceAll(strings.ReplaceAll(packets, `\n`, `\\n`), "\n", `\n`)
		resp, err := http.PostForm(u, url.Values{"d": {escaped}})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(body) != "ok" {
			t.Fatalf("POST: %d %q", resp.StatusCode, body)
		}
	}
	post("40")
	if p := unwrapJSONP(t, jsonpGet(t, u), "3"); !strings.HasPrefix(p, `40{"sid":"`) {
		t.Fatalf("connect answer %q", p)
	}
	post("42[\"say\",\"two\\nlines \\\\n literal\"]")
	if text := <-got; text != "two\nlines \\n literal" {
		t.Fatalf("server got %q", text)
	}
	body := jsonpGet(t, u)
	if strings.ContainsRune(body, '\u2028') || strings.Contains(body, "</script>") {
		t.Errorf("JSONP body must escape U+2028 and </script>: %q", body)
	}
	p := unwrapJSONP(t, body, "3")
	var args []string
	if !strings.HasPrefix(p, "42") || json.Unmarshal([]byte(p[2:]), &args) != nil ||
		len(args) != 2 || args[0] != "said" || args[1] != "line\u2028sep</script>" {
		t.Errorf("event payload %q", p)
	}
}
