// Command app is sockio's side of bench/compare: default server.Options{},
// "echo" acks with the same arguments and "bcast" goes to every other
// socket of the namespace. bench/compare/node serves the same app on Node.
//
//	go run ./bench/compare/app -addr 127.0.0.1:3100
package main

import (
	"flag"
	"log"
	"log/slog"
	"net/http"

	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/server"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3100", "listen address")
	flag.Parse()
	slog.SetLogLoggerLevel(slog.LevelWarn)
	srv := server.New(server.Options{})
	srv.Of("/").OnConnection(func(s *namespace.Socket) {
		s.On("echo", func(e *namespace.Event) { e.Ack(e.Forward()...) })
		s.On("bcast", func(e *namespace.Event) { s.Broadcast().Emit("bcast", e.Forward()...) })
	})
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", srv)
	log.Fatal(http.ListenAndServe(*addr, mux))
}
