package server_test

import (
	"context"
	"encoding/json"
	"log"
	"net/http"
	"regexp"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/server"
)

// A chat room mounted in a chi router.
func Example() {
	io := server.New(server.Options{})
	io.Of("/").OnConnection(func(s *namespace.Socket) {
		s.Join("lobby")
		s.On("chat", func(e *namespace.Event) {
			var text string
			if err := e.Decode(0, &text); err != nil {
				return
			}
			s.To("lobby").Emit("chat", text) // everyone in the room but the sender
			e.Ack("delivered")
		})
	})

	r := chi.NewRouter()
	r.Handle("/socket.io/*", io)
	log.Fatal(http.ListenAndServe(":8080", r))
}

// Middleware refuses a socket; the client's connect_error carries the
// message and the data.
func ExampleServer_Of_middleware() {
	io := server.New(server.Options{})
	admin := io.Of("/admin")
	admin.Use(func(s *namespace.Socket) error {
		var auth struct{ Token string }
		_ = json.Unmarshal(s.Handshake().Auth, &auth) // the CONNECT payload
		if auth.Token != "secret" {
			return &namespace.ConnectError{Message: "not authorized", Data: map[string]string{"reason": "bad token"}}
		}
		return nil
	})
}

// Dynamic namespaces: the first CONNECT to /dyn-7 creates it.
func ExampleServer_OfRegexp() {
	io := server.New(server.Options{})
	io.OfRegexp(regexp.MustCompile(`^/dyn-\d+$`)).OnConnection(func(s *namespace.Socket) {
		s.Emit("welcome", s.Namespace().Name())
	})
}

// Asking the client and waiting for its acknowledgement.
func ExampleServer_emitWithAck() {
	io := server.New(server.Options{})
	io.Of("/").OnConnection(func(s *namespace.Socket) {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			answer, err := s.EmitWithAck(ctx, "question", "ready?")
			if err != nil {
				return // timed out or disconnected
			}
			var ok bool
			_ = answer.Decode(0, &ok)
		}()
	})
}

// Graceful shutdown: every client is disconnected and every goroutine the
// server started is gone when Close returns.
func ExampleServer_Close() {
	io := server.New(server.Options{})
	hs := &http.Server{Addr: ":8080", Handler: io}
	go hs.ListenAndServe()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = io.Close(ctx)
	_ = hs.Shutdown(ctx)
}

// A bare Engine.IO endpoint that echoes every message.
func ExampleNewEngine() {
	eng := server.NewEngine(server.Options{}, func(c *server.EngineConn) {
		c.OnMessage(func(data []byte, binary bool) { _ = c.Send(data, binary) })
	})
	http.Handle("/engine.io/", eng)
}
