// Command app is sockio's side of bench/compare: default server.Options{},
// "echo" acks with the same arguments and "bcast" goes to every other
// socket of the namespace. bench/compare/node serves the same app on Node.
//
//	go run ./bench/compare/app -addr 127.0.0.1:3100
//
// With -pprof it also serves net/http/pprof on that (loopback) address, to
// profile the server under bench/load.
package main

import (
	"flag"
	"log"
	"log/slog"
	"net/http"
	"net/http/pprof"

	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/server"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3100", "listen address")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this address (loopback), e.g. 127.0.0.1:6060")
	flag.Parse()
	slog.SetLogLoggerLevel(slog.LevelWarn)
	srv := server.New(server.Options{})
	srv.Of("/").OnConnection(func(s *namespace.Socket) {
		s.On("echo", func(e *namespace.Event) { e.Ack(e.Forward()...) })
		s.On("bcast", func(e *namespace.Event) { s.Broadcast().Emit("bcast", e.Forward()...) })
	})
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", srv)
	if *pprofAddr != "" {
		prof := http.NewServeMux()
		prof.HandleFunc("/debug/pprof/", pprof.Index)
		prof.HandleFunc("/debug/pprof/profile", pprof.Profile)
		go func() { log.Fatal(http.ListenAndServe(*pprofAddr, prof)) }()
	}
	log.Fatal(http.ListenAndServe(*addr, mux))
}
