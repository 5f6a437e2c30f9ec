// Command app is sockio's side of bench/compare: default server.Options{},
// "echo" acks with the same arguments and "bcast" goes to every other
// socket of the namespace. bench/compare/node serves the same app on Node.
//
//	go run ./bench/compare/app -addr 127.0.0.1:3100
//
// With -pprof it also serves net/http/pprof on that (loopback) address, to
// profile the server under bench/load.
// With -cpuprofile it writes a CPU profile of the server, from its start
// until SIGINT or SIGTERM, for go tool pprof.
package main

import (
	"flag"
	"log"
	"log/slog"
	"net"
	"net/http"
	httppprof "net/http/pprof"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/server"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3100", "listen address")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this address (loopback), e.g. 127.0.0.1:6060")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file until SIGINT or SIGTERM")
	flag.Parse()
	slog.SetLogLoggerLevel(slog.LevelWarn)
	srv := server.New(server.Options{})
	srv.Of("/").OnConnection(func(s *namespace.Socket) {
		s.On("echo", func(e *namespace.Event) { e.Ack(e.Forward()...) })
		s.On("bcast", func(e *namespace.Event) { s.Broadcast().Emit("bcast", e.Forward()...) })
	})
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", srv)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
		go func() {
			<-sig
			pprof.StopCPUProfile()
			f.Close()
			os.Exit(0)
		}()
	}
	if *pprofAddr != "" {
		prof := http.NewServeMux()
		prof.HandleFunc("/debug/pprof/", httppprof.Index)
		prof.HandleFunc("/debug/pprof/profile", httppprof.Profile)
		go func() { log.Fatal(http.ListenAndServe(*pprofAddr, prof)) }()
	}
	log.Fatal(http.Serve(ln, mux))
}
