// Command chat is sockio's main example: a chat room served by a chi
// router, with socket.io mounted at /socket.io/ on the embedded in-memory
// adapter.
//
//	go run ./examples/chat            # http://localhost:8080
//	go run ./examples/chat -addr 127.0.0.1:9000
//
// With -redis the chat joins a cluster on that Redis (adapter/redis): several
// chat processes behind a load balancer share the room (examples/cluster).
//
// The address comes from -addr, else from $PORT, else :8080. The page loads
// the official socket.io browser client from client-js/node_modules when it
// is installed (npm ci in client-js), else from the public CDN.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	goredis "github.com/redis/go-redis/v9"

	redisadapter "github.com/sockio/sockio/adapter/redis"
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/server"
)

//go:embed index.html
var page []byte

// bundles maps a client generation to its browser bundle under
// node_modules and its CDN address.
var bundles = map[string][2]string{
	"4":   {"sio-client-4/dist/socket.io.js", "https://cdn.socket.io/4.8.1/socket.io.min.js"},
	"2":   {"sio-client-2/dist/socket.io.js", "https://cdn.socket.io/socket.io-2.5.0.js"},
	"0.9": {"sio-client-09/dist/socket.io.js", "https://cdnjs.cloudflare.com/ajax/libs/socket.io/0.9.16/socket.io.min.js"},
}

func main() {
	addr := flag.String("addr", "", "listen address (default $PORT or :8080)")
	modules := flag.String("node-modules", "client-js/node_modules", "where the socket.io clients are installed")
	redisAddr := flag.String("redis", "", "share the room with other processes through this Redis (host:port)")
	name := flag.String("name", "", "this process's name, told to clients in the join ack (default: its address)")
	flag.Parse()
	if *addr == "" {
		*addr = ":8080"
		if p := os.Getenv("PORT"); p != "" {
			*addr = ":" + p
		}
	}

	var opts server.Options
	var cluster *redisadapter.Cluster
	if *redisAddr != "" {
		rdb := goredis.NewClient(&goredis.Options{Addr: *redisAddr})
		defer rdb.Close()
		cluster = redisadapter.New(rdb, redisadapter.Options{})
		defer cluster.Close()
		opts.Adapter = cluster.Adapter
	}
	srv := server.New(opts)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if *name == "" {
		*name = ln.Addr().String()
	}
	mountChat(srv, *name)
	if cluster != nil { // serve once the other processes' messages reach us
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := cluster.WaitSubscribed(ctx)
		cancel()
		if err != nil {
			log.Fatalf("redis: %v", err)
		}
	}

	r := chi.NewRouter()
	r.Get("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	})
	r.Get("/client/{file}", func(w http.ResponseWriter, r *http.Request) {
		// {gen}.js would cut "0.9.js" at its first dot.
		gen, isJS := strings.CutSuffix(chi.URLParam(r, "file"), ".js")
		b, ok := bundles[gen]
		if !isJS {
			ok = false
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		local := filepath.Join(*modules, b[0])
		if _, err := os.Stat(local); err == nil {
			http.ServeFile(w, r, local)
			return
		}
		http.Redirect(w, r, b[1], http.StatusFound)
	})
	r.Handle("/socket.io/*", srv)

	url := "http://" + ln.Addr().String()
	if strings.HasPrefix(*addr, ":") {
		url = "http://localhost" + *addr
	}
	fmt.Printf("listening on %s\n", url)
	hs := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Fatal(err)
		}
	}()

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Close(ctx); err != nil {
		slog.Warn("chat: close", "err", err)
	}
	_ = hs.Shutdown(ctx)
}

// message is what the room sees of a chat line.
type message struct {
	From string `json:"from"`
	Text string `json:"text"`
}

// mountChat wires the chat room: "join" with a nickname (acked with the
// room's size across the cluster and this process's name), "chat" with a
// line (sent to everyone else; the sender shows its own), and notices when
// people come and go.
func mountChat(srv *server.Server, process string) {
	srv.Of("/").OnConnection(func(s *namespace.Socket) {
		nick := "anonymous"
		s.On("join", func(e *namespace.Event) {
			var name string
			if e.Decode(0, &name) == nil {
				nick = clean(name, 32, "anonymous")
			}
			s.Join("chat")
			_ = s.To("chat").Emit("notice", nick+" joined")
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			online, _ := s.Namespace().In("chat").FetchSockets(ctx) // what answered in time
			_ = e.Ack(map[string]any{"online": len(online), "server": process})
		})
		s.On("chat", func(e *namespace.Event) {
			var text string
			if e.Decode(0, &text) != nil {
				return
			}
			text = clean(text, 500, "")
			if text == "" {
				return
			}
			_ = s.To("chat").Emit("chat", message{From: nick, Text: text})
			_ = e.Ack(true)
		})
		s.OnDisconnect(func(reason string) {
			_ = srv.Of("/").To("chat").Emit("notice", nick+" left")
		})
	})
}

// clean trims s and caps it at max runes.
func clean(s string, max int, empty string) string {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
	}
	if r := []rune(s); len(r) > max {
		s = string(r[:max])
	}
	if s == "" {
		return empty
	}
	return s
}
