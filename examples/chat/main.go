// Command chat is sockio's main example: a chat room served by a chi
// router, with socket.io mounted at /socket.io/ on the embedded in-memory
// adapter.
//
//	bash scripts/chat.sh              # installs the browser clients, builds, serves :8080
//	go run ./examples/chat            # the same once client-js/node_modules is installed
//	go run ./examples/chat -addr 127.0.0.1:9000
//
// With -redis the chat joins a cluster on that Redis (adapter/redis): several
// chat processes behind a load balancer share the room (examples/cluster).
// With -metrics, GET /metrics serves Prometheus metrics (package metrics).
//
// With -admin it serves the Socket.IO Admin UI (package admin): the /admin
// namespace the dashboard connects to, and the dashboard itself at
// /admin-ui/ from client-js/node_modules (@socket.io/admin-ui). Open
// /admin-ui/, give the chat's address as the server URL, and log in:
//
//	go run ./examples/chat -admin -admin-password s3cret       # user "admin" (-admin-user)
//	go run ./examples/chat -admin -admin-password-hash '$2a$10$...'
//	go run ./examples/chat -admin -admin-noauth                # no login; development only
//
// -admin-readonly lets the dashboard look but not act. In a cluster each
// process is listed under its -name.
//
// The address comes from -addr, else from $PORT, else :8080. The page loads
// the official socket.io browser client of the generation it is asked for
// (?client=4, 2 or 0.9) from this server, which serves the bundles installed
// in client-js/node_modules (npm ci in client-js). Nothing is fetched from
// elsewhere unless -client-url names a bundle address for a generation whose
// bundle is not installed. SIGINT or SIGTERM stops the server.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	redisadapter "github.com/sockio/sockio/adapter/redis"
	"github.com/sockio/sockio/examples/internal/serve"
	"github.com/sockio/sockio/metrics"
	"github.com/sockio/sockio/server"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "chat:", err)
		os.Exit(1)
	}
}

// run parses args, serves the chat until SIGINT or SIGTERM, and then
// closes every session.
func run(args []string) error {
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	addr := fs.String("addr", "", "listen address (default $PORT or :8080)")
	cfg := config{fallback: map[string]string{}}
	fs.StringVar(&cfg.modules, "node-modules", "client-js/node_modules", "where the socket.io browser clients are installed")
	fs.Func("client-url", "`gen=URL`: send a page whose client generation (4, 2 or 0.9) is not installed to URL for its bundle (repeatable; off by default)",
		cfg.addFallback)
	redisAddr := fs.String("redis", "", "share the room with other processes through this Redis (host:port)")
	withMetrics := fs.Bool("metrics", false, "serve Prometheus metrics at /metrics")
	name := fs.String("name", "", "this process's name, told to clients in the join ack (default: its address)")
	var adminOpts adminFlags
	adminOpts.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *addr == "" {
		*addr = ":8080"
		if p := os.Getenv("PORT"); p != "" {
			*addr = ":" + p
		}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	var opts server.Options
	var m *metrics.Metrics
	var redisOpts redisadapter.Options
	if *withMetrics {
		m = metrics.New()
		opts.Metrics = m
		redisOpts.OnError = m.AdapterError
	}
	var cluster *redisadapter.Cluster
	if *redisAddr != "" {
		rdb := goredis.NewClient(&goredis.Options{Addr: *redisAddr})
		defer rdb.Close()
		cluster = redisadapter.New(rdb, redisOpts)
		defer cluster.Close()
		opts.Adapter = cluster.Adapter
	}
	srv := server.New(opts)
	if m != nil {
		m.Watch(srv)
		cfg.metrics = m.Handler()
	}
	if *name == "" {
		*name = ln.Addr().String()
	}
	mountChat(srv, *name, cluster != nil)
	adm, err := adminOpts.attach(srv, *name)
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	if adm != nil {
		defer adm.Close()
		cfg.admin = true
	}
	if cluster != nil { // serve once the other processes' messages reach us
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := cluster.WaitSubscribed(ctx)
		cancel()
		if err != nil {
			return fmt.Errorf("redis: %w", err)
		}
	}
	url := "http://" + ln.Addr().String()
	if strings.HasPrefix(*addr, ":") {
		url = "http://localhost" + *addr
	}
	fmt.Printf("listening on %s\n", url)
	fmt.Printf("open it in a browser: a chat room (?name= sets your name, ?client=2 or ?client=0.9 an older socket.io client); Ctrl-C stops\n")
	if adm != nil {
		fmt.Printf("admin UI on %s/admin-ui/: connect it to %s (namespace /admin)\n", url, url)
	}
	if missing := cfg.missing(); len(missing) > 0 {
		slog.Warn("chat: socket.io browser clients not installed; their pages say so (npm ci in client-js/, or bash scripts/chat.sh, installs them)",
			"generations", strings.Join(missing, ","), "dir", cfg.modules)
	}

	hs := &http.Server{Handler: newHandler(srv, cfg), ReadHeaderTimeout: 10 * time.Second}
	closeChat := func(ctx context.Context) error {
		if err := srv.Close(ctx); err != nil {
			slog.Warn("chat: close", "err", err)
		}
		return nil
	}
	serveErr, shutdownErr := serve.Run(hs, ln, 5*time.Second, closeChat)
	if serveErr != nil {
		return serveErr
	}
	return shutdownErr
}
