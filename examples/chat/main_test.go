package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sockio/sockio/metrics"
	"github.com/sockio/sockio/server"
)

// fakeModules makes a node_modules folder holding the bundles of gens.
func fakeModules(t *testing.T, gens ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, gen := range gens {
		g, _ := findGen(gen)
		path := filepath.Join(dir, g.Bundle)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("var io = 'bundle "+gen+"';\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func startChat(t *testing.T, cfg config) *httptest.Server {
	t.Helper()
	srv := server.New(server.Options{})
	mountChat(srv, "test", false)
	ts := httptest.NewServer(newHandler(srv, cfg))
	t.Cleanup(func() {
		ts.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return ts
}

// get fetches path without following redirects.
func get(t *testing.T, ts *httptest.Server, path string) (*http.Response, string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(ts.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

var scriptSrc = regexp.MustCompile(`<script[^>]*\ssrc="([^"]+)"`)

func TestEveryScriptOfThePageIsServedHere(t *testing.T) {
	ts := startChat(t, config{modules: fakeModules(t, "4", "2", "0.9")})
	for _, gen := range []string{"4", "2", "0.9"} {
		res, page := get(t, ts, "/?client="+gen)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("/?client=%s: %s %q", gen, res.Status, res.Header.Get("Content-Type"))
		}
		if !strings.Contains(page, `<option value="`+gen+`" selected>`) {
			t.Errorf("/?client=%s: the picker does not show %s", gen, gen)
		}
		srcs := scriptSrc.FindAllStringSubmatch(page, -1)
		if len(srcs) != 2 || srcs[0][1] != "/client/"+gen+".js" || srcs[1][1] != "/chat.js" {
			t.Fatalf("/?client=%s: scripts %q, want /client/%s.js then /chat.js", gen, srcs, gen)
		}
		for _, m := range srcs {
			res, body := get(t, ts, m[1])
			if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") || body == "" {
				t.Errorf("%s: %s %q, %d bytes", m[1], res.Status, res.Header.Get("Content-Type"), len(body))
			}
		}
	}
}

func TestUnknownClientFallsBackToTheDefault(t *testing.T) {
	ts := startChat(t, config{modules: fakeModules(t, "4")})
	_, page := get(t, ts, "/?client=%3Cscript%3E")
	if !strings.Contains(page, `<script src="/client/4.js">`) || strings.Contains(page, "<script>") {
		t.Errorf("page for an unknown client:\n%s", page)
	}
	for _, path := range []string{"/client/7.js", "/client/4.css", "/client/..%2F4.js"} {
		if res, _ := get(t, ts, path); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %s, want 404", path, res.Status)
		}
	}
}

func TestMissingBundleSaysSoAndNeverRedirects(t *testing.T) {
	ts := startChat(t, config{modules: fakeModules(t, "4")})
	res, body := get(t, ts, "/client/2.js")
	if res.StatusCode != http.StatusNotFound || res.Header.Get("Location") != "" {
		t.Fatalf("/client/2.js with no 2.x bundle: %s, Location %q", res.Status, res.Header.Get("Location"))
	}
	if !strings.Contains(body, "not installed") || !strings.Contains(body, "npm ci") {
		t.Errorf("body %q does not say what is missing and how to install it", body)
	}
	// The page's script says so in words when io is missing.
	_, js := get(t, ts, "/chat.js")
	if !strings.Contains(js, "typeof io === 'undefined'") || !strings.Contains(js, "could not be loaded") {
		t.Error("chat.js has no words for a client bundle that did not load")
	}
}

func TestClientURLIsAnExplicitFallback(t *testing.T) {
	cfg := config{modules: fakeModules(t, "4"), fallback: map[string]string{}}
	if err := cfg.addFallback("2=https://bundles.example/socket.io-2.js"); err != nil {
		t.Fatal(err)
	}
	ts := startChat(t, cfg)
	res, _ := get(t, ts, "/client/2.js")
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "https://bundles.example/socket.io-2.js" {
		t.Errorf("/client/2.js with -client-url: %s, Location %q", res.Status, res.Header.Get("Location"))
	}
	// An installed bundle is served even when a fallback is named.
	if err := cfg.addFallback("4=https://bundles.example/socket.io-4.js"); err != nil {
		t.Fatal(err)
	}
	if res, _ := get(t, ts, "/client/4.js"); res.StatusCode != 200 {
		t.Errorf("/client/4.js installed, with -client-url: %s", res.Status)
	}
	for _, bad := range []string{"2", "5=https://x.example/a.js", "4=/relative.js", "4=ftp://x.example/a.js", "0.9="} {
		if err := cfg.addFallback(bad); err == nil {
			t.Errorf("-client-url %q accepted", bad)
		}
	}
}

func TestFaviconIsServed(t *testing.T) {
	ts := startChat(t, config{modules: t.TempDir()})
	for _, path := range []string{"/favicon.ico", "/favicon.svg"} {
		res, body := get(t, ts, path)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(body, "<svg") {
			t.Errorf("%s: %s %q", path, res.Status, res.Header.Get("Content-Type"))
		}
	}
}

func TestRunRejectsBadArguments(t *testing.T) {
	for _, args := range [][]string{
		{"extra"},
		{"-client-url", "nope"},
		{"-addr", "127.0.0.1:-1"},
	} {
		if err := run(args); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}

func TestClean(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"  bob ", "bob"},
		{"", "anonymous"},
		{"\xff\xfe", "anonymous"},
		{strings.Repeat("é", 40), strings.Repeat("é", 32)},
	} {
		if got := clean(c.in, 32, "anonymous"); got != c.want {
			t.Errorf("clean(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestMetricsAreServedWhenAsked(t *testing.T) {
	res, _ := get(t, startChat(t, config{modules: fakeModules(t)}), "/metrics")
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics without -metrics: %s", res.Status)
	}
	m := metrics.New()
	ts := startChat(t, config{modules: fakeModules(t), metrics: m.Handler()})
	res, body := get(t, ts, "/metrics")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "sockio_handshakes_total") {
		t.Errorf("/metrics with -metrics: %s\n%s", res.Status, body)
	}
}
