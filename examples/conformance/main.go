// Command conformance serves the application the official socket.io and
// engine.io protocol test suites expect, plus the events sockio's own
// client tests use:
//
//	go run ./examples/conformance -addr 127.0.0.1:3000
//
// Socket.IO is mounted at /socket.io/ (pingInterval 300 ms, pingTimeout
// 200 ms, connectTimeout 1 s by default, CORS open to any origin unless
// -cors says otherwise) and a bare Engine.IO echo at
// /engine.io/. Namespaces "/", "/custom" and /^\/dyn-\d+$/ share the
// handlers below; "/admin" also requires auth {"token":"secret"}; the
// dynamic parent refuses auth {"deny":true} with "dyn denied". Empty
// dynamic children are removed (the default). With -metrics, GET /metrics
// serves the Prometheus metrics of package metrics.
//
// Events (see client-js/test/lib/ref-server.js for the same contract on
// the reference server): message → message-back; message-with-ack and
// echo → ack with the same arguments; bcast → every other socket of the
// namespace; join/leave a room; to {rooms, except, event, args}; ask
// {event, args, timeout} → the client's ack; kick; close-transport;
// reason (socket id) → that socket's disconnect reason; nsp-children →
// ack with the sorted names of the dynamic children that exist. With
// -parser msgpack the 2.x and 4.x clients speak socket.io-msgpack-parser's
// packets, 2.x clients its 2.x line and 4.x clients its 3.x line (0.9
// clients keep their own). With -test-hooks, POST /test/drop-connections closes every other TCP
// connection at once. With -redis the namespaces join a cluster through
// that Redis (adapter/redis; adapter/redisstreams with -redis-mode
// streams), and the cluster events in cluster.go work across processes.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	goredis "github.com/redis/go-redis/v9"

	redisadapter "github.com/sockio/sockio/adapter/redis"
	"github.com/sockio/sockio/adapter/redisstreams"
	"github.com/sockio/sockio/examples/internal/serve"
	"github.com/sockio/sockio/metrics"
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/server"
	"github.com/sockio/sockio/transports"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3000", "listen address")
	pingInterval := flag.Duration("ping-interval", 300*time.Millisecond, "ping interval")
	pingTimeout := flag.Duration("ping-timeout", 200*time.Millisecond, "ping timeout")
	connectTimeout := flag.Duration("connect-timeout", time.Second, "how long a connection may take to join a namespace")
	pollingDuration := flag.Duration("polling-duration", 0, "0.9 clients' long-poll hold (0: the default, 20 s)")
	transportList := flag.String("transports", "", "comma-separated transports to allow (empty: the defaults; add flashsocket for 0.9 Flash clients)")
	pageDir := flag.String("page-dir", "", "serve this directory's files at / (test pages on the server's own origin)")
	flashPolicy := flag.String("flash-policy-addr", "", "serve Flash socket policies on this address too (the main port always answers them)")
	corsFlag := flag.String("cors", "any", `pages of other origins allowed: "any" (reflected, with credentials), `+
		`"off" (none: the library's same-origin default), or a comma-separated list of origins`)
	debug := flag.Bool("debug", false, "debug logs")
	metricsFlag := flag.Bool("metrics", false, "serve Prometheus metrics at /metrics (package metrics)")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this address (loopback) for profiling")
	testHooks := flag.Bool("test-hooks", false, "serve POST /test/drop-connections, which closes every other TCP connection (reconnect storms)")
	recovery := flag.Bool("recovery", false, "turn connection state recovery on (sessions kept 2 minutes, middlewares skipped)")
	redisAddr := flag.String("redis", "", "join the cluster on this Redis (host:port; several, comma-separated, for a Redis Cluster)")
	redisMode := flag.String("redis-mode", "classic", "classic (PUBLISH), sharded (SPUBLISH, Redis 7) or streams (Redis Streams)")
	deflate := flag.Bool("per-message-deflate", false, "accept websocket permessage-deflate (messages of 1 KiB and more compressed)")
	parser := flag.String("parser", "json", `Socket.IO parser of 2.x and 4.x clients: "json" or "msgpack" `+
		`(socket.io-msgpack-parser 3.x for 4.x clients, 2.x for 2.x clients); 0.9 clients keep their own`)
	name := flag.String("name", "", "this process's name in answers to server-side events (default sockio-<pid>)")
	flag.Parse()
	if *pprofAddr != "" {
		go func() { log.Println(http.ListenAndServe(*pprofAddr, nil)) }()
	}

	level := slog.LevelWarn
	if *debug {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	opts := server.Options{
		PingInterval:    *pingInterval,
		PingTimeout:     *pingTimeout,
		ConnectTimeout:  *connectTimeout,
		MaxPayload:      1_000_000,
		CORS:            corsOption(*corsFlag),
		Logger:          logger,
		PollingDuration: *pollingDuration,
	}
	opts.FlashPolicyAddr = *flashPolicy
	if *recovery {
		opts.ConnectionStateRecovery = &namespace.Recovery{}
	}
	if *deflate {
		opts.PerMessageDeflate = &server.PerMessageDeflate{Threshold: 1024}
	}
	switch *parser {
	case "json":
	case "msgpack":
		opts.Parser = server.MsgpackParser
	default:
		log.Fatalf("-parser %q: want json or msgpack", *parser)
	}
	if *transportList != "" {
		opts.Transports = strings.Split(*transportList, ",")
	}
	var m *metrics.Metrics
	if *metricsFlag {
		m = metrics.New()
		opts.Metrics = m
	}
	var onRedisError func(op string, err error)
	if m != nil {
		onRedisError = m.AdapterError
	}
	var cluster interface {
		WaitSubscribed(context.Context) error
	}
	app := newApp()
	if *redisAddr != "" {
		var rdb goredis.UniversalClient
		if addrs := strings.Split(*redisAddr, ","); len(addrs) > 1 {
			rdb = goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: addrs})
		} else {
			rdb = goredis.NewClient(&goredis.Options{Addr: addrs[0]})
		}
		defer rdb.Close()
		switch *redisMode {
		case "classic":
			c := redisadapter.New(rdb, redisadapter.Options{Logger: logger, OnError: onRedisError})
			defer c.Close()
			opts.Adapter, cluster = c.Adapter, c
		case "sharded":
			c := redisadapter.NewSharded(rdb, redisadapter.ShardedOptions{Options: redisadapter.Options{Logger: logger, OnError: onRedisError}})
			defer c.Close()
			opts.Adapter, cluster = c.Adapter, c
			// A joined room has a channel of its own: ack a join once
			// it is subscribed.
			app.settle = func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = c.WaitSubscribed(ctx)
			}
		case "streams":
			c := redisstreams.New(rdb, redisstreams.Options{Logger: logger})
			defer c.Close()
			opts.Adapter, cluster = c.Adapter, c
		default:
			log.Fatalf("-redis-mode %q: want classic, sharded or streams", *redisMode)
		}
	}
	srv := server.New(opts)
	app.name = *name
	if app.name == "" {
		app.name = fmt.Sprintf("sockio-%d", os.Getpid())
	}
	app.mount(srv)
	if cluster != nil {
		// Listen only once the other processes' publications reach us.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := cluster.WaitSubscribed(ctx)
		cancel()
		if err != nil {
			log.Fatalf("redis subscription: %v", err)
		}
	}

	eng := server.NewEngine(opts, func(c *server.EngineConn) {
		c.OnMessage(func(data []byte, binary bool) { _ = c.Send(data, binary) })
	})

	r := chi.NewRouter()
	r.Handle("/socket.io/*", srv)
	r.Handle("/engine.io/*", eng)
	if m != nil {
		m.Watch(srv)
		m.Watch(eng)
		r.Handle("/metrics", m.Handler())
	}
	var conns connSet
	if *testHooks {
		r.Post("/test/drop-connections", conns.dropHandler)
	}
	if *pageDir != "" {
		r.Handle("/*", http.FileServer(http.Dir(*pageDir)))
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	hs := &http.Server{Handler: r}
	// Flash asks for its socket policy on the main port too.
	served := transports.FlashPolicyListener(ln)
	if *testHooks {
		served = conns.track(served)
		hs.ConnContext = connContext
	}
	if serveErr, _ := serve.Run(hs, served, 5*time.Second, srv.Close, eng.Close); serveErr != nil {
		log.Fatal(serveErr)
	}
}

// corsOption turns the -cors flag into Options.CORS. Allowed origins get
// credentials: 1.x/2.x browsers send them.
func corsOption(v string) *server.CORS {
	switch v {
	case "off":
		return nil
	case "any":
		return &server.CORS{AllowOriginFunc: func(string) bool { return true }, AllowCredentials: true}
	}
	return &server.CORS{AllowedOrigins: strings.Split(v, ","), AllowCredentials: true}
}

// app keeps the disconnect reasons the "reason" event reports.
type app struct {
	dyn *namespace.Namespace // the parent of /dyn-N

	name    string // answers server-side events
	settle  func() // waits for a joined room's subscriptions (sharded adapter)
	mu      sync.Mutex
	reasons map[string]string
	waiters map[string][]chan string
}

func newApp() *app {
	return &app{reasons: map[string]string{}, waiters: map[string][]chan string{}}
}

func (a *app) mount(srv *server.Server) {
	a.dyn = srv.OfRegexp(regexp.MustCompile(`^/dyn-\d+$`))
	for _, ns := range []*namespace.Namespace{srv.Of("/"), srv.Of("/custom"), a.dyn, srv.Of("/admin")} {
		ns.OnConnection(a.onConnection)
		a.clusterNamespace(ns)
	}
	a.dyn.Use(func(s *namespace.Socket) error {
		var auth struct {
			Deny bool `json:"deny"`
		}
		_ = json.Unmarshal(s.Handshake().Auth, &auth)
		if auth.Deny {
			return errors.New("dyn denied")
		}
		return nil
	})
	srv.Of("/admin").Use(func(s *namespace.Socket) error {
		var auth struct {
			Token string `json:"token"`
		}
		_ = json.Unmarshal(s.Handshake().Auth, &auth)
		if auth.Token != "secret" {
			return &namespace.ConnectError{Message: "not authorized", Data: map[string]string{"reason": "bad token"}}
		}
		return nil
	})
}

func (a *app) record(id, reason string) {
	a.mu.Lock()
	a.reasons[id] = reason
	ws := a.waiters[id]
	delete(a.waiters, id)
	a.mu.Unlock()
	for _, w := range ws {
		w <- reason
	}
}

func (a *app) onConnection(s *namespace.Socket) {
	// Every event sent to the client, in order, and every error that
	// refused one of its events: the "outgoing" and "errors" events answer
	// with them.
	var mu sync.Mutex
	var outgoing, refusals []string
	s.OnAnyOutgoing(func(event string, _ namespace.Args) {
		mu.Lock()
		outgoing = append(outgoing, event)
		mu.Unlock()
	})
	s.Use(func(e *namespace.Event, next func() error) error {
		if e.Name == "forbidden" {
			return errors.New("forbidden")
		}
		return next()
	})
	s.OnError(func(err error) {
		mu.Lock()
		refusals = append(refusals, err.Error())
		mu.Unlock()
	})
	s.Emit("auth", s.Handshake().Auth)
	s.On("forbidden", func(e *namespace.Event) { // never reached: the middleware refuses it
		s.Emit("reached", "forbidden")
		e.Ack("reached")
	})
	s.On("outgoing", func(e *namespace.Event) {
		mu.Lock()
		defer mu.Unlock()
		e.Ack(slices.Clone(outgoing))
	})
	s.On("errors", func(e *namespace.Event) {
		mu.Lock()
		defer mu.Unlock()
		e.Ack(append([]string{}, refusals...))
	})
	s.OnDisconnect(func(reason namespace.DisconnectReason) { a.record(s.ID(), string(reason)) })

	a.clusterEvents(s)
	s.On("message", func(e *namespace.Event) { s.Emit("message-back", e.Forward()...) })
	s.On("message-with-ack", func(e *namespace.Event) { e.Ack(e.Forward()...) })
	s.On("echo", func(e *namespace.Event) { e.Ack(e.Forward()...) })
	s.On("bcast", func(e *namespace.Event) { s.Broadcast().Emit("bcast", e.Forward()...) })
	s.On("join", func(e *namespace.Event) {
		var room string
		_ = e.Decode(0, &room)
		s.Join(room)
		if a.settle != nil {
			a.settle()
		}
		e.Ack(true)
	})
	s.On("leave", func(e *namespace.Event) {
		var room string
		_ = e.Decode(0, &room)
		s.Leave(room)
		e.Ack(true)
	})
	s.On("to", func(e *namespace.Event) {
		var req struct {
			Rooms    []string          `json:"rooms"`
			Except   []string          `json:"except"`
			Event    string            `json:"event"`
			Args     []json.RawMessage `json:"args"`
			Volatile bool              `json:"volatile"` // starts the chain with s.Volatile()
		}
		if err := e.Decode(0, &req); err != nil {
			e.Ack(map[string]string{"error": err.Error()})
			return
		}
		args := make([]any, len(req.Args))
		for i, a := range req.Args {
			args[i] = a
		}
		op := s.Broadcast()
		if req.Volatile {
			op = s.Volatile()
		}
		op.To(req.Rooms...).Except(req.Except...).Emit(req.Event, args...)
		e.Ack(true)
	})
	s.On("ask", func(e *namespace.Event) {
		vals, err := e.Values()
		if err != nil || len(vals) == 0 {
			e.Ack(map[string]string{"error": "bad request"})
			return
		}
		req, _ := vals[0].(map[string]any)
		event, _ := req["event"].(string)
		args, _ := req["args"].([]any)
		timeout, _ := req["timeout"].(float64)
		if timeout <= 0 {
			timeout = 5000
		}
		go func() { // waiting for the client's ack must not hold up its other events
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(timeout)*time.Millisecond)
			defer cancel()
			res, err := s.EmitWithAck(ctx, event, args...)
			if errors.Is(err, context.DeadlineExceeded) {
				e.Ack(map[string]string{"error": "operation has timed out"}) // the reference's words
				return
			}
			if err != nil {
				e.Ack(map[string]string{"error": err.Error()})
				return
			}
			vals, err := res.Values()
			if err != nil {
				e.Ack(map[string]string{"error": err.Error()})
				return
			}
			e.Ack(map[string]any{"args": vals})
		}()
	})
	s.On("nsp-children", func(e *namespace.Event) {
		names := []string{}
		for _, c := range a.dyn.Children() {
			names = append(names, c.Name())
		}
		slices.Sort(names)
		e.Ack(names)
	})
	// Whether connection state recovery (-recovery) restored this socket.
	s.On("recovered", func(e *namespace.Event) { e.Ack(s.Recovered()) })
	s.On("kick", func(e *namespace.Event) { s.Disconnect(false) })
	// The whole connection, without a DISCONNECT packet: the client sees
	// "transport close".
	s.On("close-transport", func(e *namespace.Event) { s.Conn().Close(namespace.ReasonForcedClose) })
	s.On("reason", func(e *namespace.Event) {
		var id string
		_ = e.Decode(0, &id)
		a.mu.Lock()
		reason, ok := a.reasons[id]
		var ch chan string
		if !ok {
			ch = make(chan string, 1)
			a.waiters[id] = append(a.waiters[id], ch)
		}
		a.mu.Unlock()
		if ok {
			e.Ack(reason)
			return
		}
		go func() {
			select {
			case r := <-ch:
				e.Ack(r)
			case <-time.After(5 * time.Second):
				e.Ack(nil)
			}
		}()
	})
}
