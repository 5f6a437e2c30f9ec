package main

import (
	_ "embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/sockio/sockio/server"
)

//go:embed index.html
var pageSource string

//go:embed chat.js
var chatJS []byte

var pageTemplate = template.Must(template.New("page").Parse(pageSource))

// clientGen is a socket.io client generation the page can load.
type clientGen struct {
	Gen    string // the ?client= value; its bundle is served at /client/<Gen>.js
	Label  string // what the picker shows
	Bundle string // the browser bundle under node_modules
}

// clientGens lists the generations, the default first.
var clientGens = []clientGen{
	{"4", "socket.io-client 4.x", "sio-client-4/dist/socket.io.js"},
	{"2", "socket.io-client 2.x", "sio-client-2/dist/socket.io.js"},
	{"0.9", "socket.io-client 0.9", "sio-client-09/dist/socket.io.js"},
}

func findGen(gen string) (clientGen, bool) {
	i := slices.IndexFunc(clientGens, func(c clientGen) bool { return c.Gen == gen })
	if i < 0 {
		return clientGen{}, false
	}
	return clientGens[i], true
}

// config is where the page's scripts come from.
type config struct {
	modules  string            // node_modules directory holding the bundles
	admin    bool              // serve the Admin UI at /admin-ui/ (from modules)
	fallback map[string]string // generation → bundle URL for when it is not installed
	metrics  http.Handler      // serves /metrics, or nil
}

// addFallback parses a -client-url value, gen=URL.
func (c *config) addFallback(v string) error {
	gen, raw, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("want gen=URL, got %q", v)
	}
	if _, known := findGen(gen); !known {
		return fmt.Errorf("unknown client generation %q (want 4, 2 or 0.9)", gen)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("want an absolute http(s) URL for generation %s, got %q", gen, raw)
	}
	c.fallback[gen] = raw
	return nil
}

// bundlePath is the file of g's bundle.
func (c config) bundlePath(g clientGen) string { return filepath.Join(c.modules, g.Bundle) }

// missing lists the generations whose bundle is not installed.
func (c config) missing() []string {
	var out []string
	for _, g := range clientGens {
		if _, err := os.Stat(c.bundlePath(g)); err != nil {
			out = append(out, g.Gen)
		}
	}
	return out
}

// pageData fills index.html.
type pageData struct {
	Client  clientGen
	Clients []option
}

type option struct {
	clientGen
	Selected bool
}

// favicon is the page's icon: a speech bubble in the header's colour.
const favicon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">` +
	`<path d="M6 5h20a4 4 0 0 1 4 4v11a4 4 0 0 1-4 4H14l-7 5v-5H6a4 4 0 0 1-4-4V9a4 4 0 0 1 4-4z" fill="#1d3557"/>` +
	`<circle cx="10" cy="14.5" r="2" fill="#fff"/><circle cx="16" cy="14.5" r="2" fill="#fff"/><circle cx="22" cy="14.5" r="2" fill="#fff"/>` +
	`</svg>`

// newHandler routes the page, its script, its icon, the client bundles and
// the socket.io mount.
func newHandler(srv *server.Server, cfg config) http.Handler {
	r := chi.NewRouter()
	r.Get("/", func(w http.ResponseWriter, r *http.Request) {
		g, ok := findGen(r.URL.Query().Get("client"))
		if !ok {
			g = clientGens[0]
		}
		data := pageData{Client: g}
		for _, c := range clientGens {
			data.Clients = append(data.Clients, option{c, c.Gen == g.Gen})
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := pageTemplate.Execute(w, data); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	r.Get("/chat.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		_, _ = w.Write(chatJS)
	})
	icon := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Header().Set("Cache-Control", "max-age=86400")
		_, _ = w.Write([]byte(favicon))
	}
	r.Get("/favicon.svg", icon)
	r.Get("/favicon.ico", icon)
	r.Get("/client/{file}", func(w http.ResponseWriter, r *http.Request) {
		// {gen}.js would cut "0.9.js" at its first dot.
		gen, isJS := strings.CutSuffix(chi.URLParam(r, "file"), ".js")
		g, ok := findGen(gen)
		if !isJS || !ok {
			http.Error(w, "no such client: the page loads /client/4.js, /client/2.js or /client/0.9.js", http.StatusNotFound)
			return
		}
		path := cfg.bundlePath(g)
		if _, err := os.Stat(path); err == nil {
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
			http.ServeFile(w, r, path)
			return
		}
		if u, ok := cfg.fallback[g.Gen]; ok {
			http.Redirect(w, r, u, http.StatusFound)
			return
		}
		http.Error(w, fmt.Sprintf("the %s browser bundle is not installed (%s): run npm ci in client-js/, or start the chat with bash scripts/chat.sh",
			g.Label, path), http.StatusNotFound)
	})
	if cfg.admin {
		mountAdminUI(r, cfg.modules)
	}
	r.Handle("/socket.io/*", srv)
	if cfg.metrics != nil {
		r.Handle("/metrics", cfg.metrics)
	}
	return r
}
