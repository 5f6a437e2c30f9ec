package namespace_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/sockio/sockio/internal/bridge"
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
)

// printConn stands in for the server's connection in these examples: it
// keeps the text of every packet sent to the client. A real server
// implements the connection on top of its Engine.IO sessions.
type printConn struct {
	name string
	sent chan *payload.Shared // when not nil, also gets every packet
	mu   sync.Mutex
	got  []string
}

func (c *printConn) Send(p *payload.Shared) error {
	c.mu.Lock()
	c.got = append(c.got, string(payload.AppendPacket(nil, &p.Packet)))
	c.mu.Unlock()
	if c.sent != nil {
		c.sent <- p
	}
	return nil
}
func (c *printConn) BufferedAmount() int                     { return 0 }
func (c *printConn) Close(reason namespace.DisconnectReason) { fmt.Println(c.name, "closed:", reason) }
func (c *printConn) SocketID(string) string                  { return c.name } // fixed ids keep the output stable

// print writes what the client received so far.
func (c *printConn) print() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, g := range c.got {
		fmt.Printf("%s <- %s\n", c.name, g)
	}
	c.got = nil
}

// connect stands in for the server accepting a client connection: it
// starts the namespace side of the connection.
func connect(reg *namespace.Registry, conn *printConn, hs namespace.Handshake) bridge.Client {
	return bridge.NewClient(reg, conn, hs)
}

// receive feeds the client packets as the server would after decoding them.
func receive(c bridge.Client, packets ...string) {
	for _, text := range packets {
		p, _, err := payload.ParsePacket([]byte(text))
		if err != nil {
			fmt.Println(err)
			return
		}
		if err := c.Receive(&p); err != nil {
			fmt.Println(err)
		}
	}
}

func ExampleSocket_On() {
	reg := namespace.NewRegistry(namespace.Options{})
	reg.Of("/").OnConnection(func(s *namespace.Socket) {
		// Answer the client's callback with the arguments unchanged.
		s.On("echo", func(e *namespace.Event) {
			e.Ack(e.Forward()...)
		})
		s.On("greet", func(e *namespace.Event) {
			var who struct {
				Name string `json:"name"`
			}
			if err := e.Decode(0, &who); err != nil {
				return
			}
			s.Emit("greeting", "hello "+who.Name)
		})
		s.OnAny(func(e *namespace.Event) { fmt.Println("event:", e.Name, e.Len(), "args") })
	})

	conn := &printConn{name: "alice"}
	c := connect(reg, conn, namespace.Handshake{})
	receive(c, `0`, `21["echo",{"b":1,"a":2}]`, `2["greet",{"name":"Ann"}]`)
	reg.Wait()
	conn.print()
	// Output:
	// event: echo 1 args
	// event: greet 1 args
	// alice <- 0{"sid":"alice"}
	// alice <- 31[{"b":1,"a":2}]
	// alice <- 2["greeting","hello Ann"]
}

func ExampleOperator_Emit() {
	reg := namespace.NewRegistry(namespace.Options{})
	chat := reg.Of("/chat")
	chat.OnConnection(func(s *namespace.Socket) {
		s.On("join", func(e *namespace.Event) {
			var room string
			if e.Decode(0, &room) != nil {
				return
			}
			s.Join(room)
			// Everyone in the room but the newcomer.
			s.To(room).Emit("joined", s.ID())
		})
	})

	var conns []*printConn
	for _, j := range []struct{ name, room string }{{"alice", "go"}, {"bob", "go"}, {"carol", "rust"}} {
		conn := &printConn{name: j.name}
		conns = append(conns, conn)
		c := connect(reg, conn, namespace.Handshake{})
		receive(c, `0/chat,`, `2/chat,["join","`+j.room+`"]`)
		reg.Wait()
	}
	chat.To("go").Emit("news", "Go 1.26 is out")
	chat.Except("go").Emit("news", "not for gophers")
	chat.To("go", "rust").Emit("all", "one copy each")

	for _, conn := range conns {
		conn.print()
	}
	// Output:
	// alice <- 0/chat,{"sid":"alice"}
	// alice <- 2/chat,["joined","bob"]
	// alice <- 2/chat,["news","Go 1.26 is out"]
	// alice <- 2/chat,["all","one copy each"]
	// bob <- 0/chat,{"sid":"bob"}
	// bob <- 2/chat,["news","Go 1.26 is out"]
	// bob <- 2/chat,["all","one copy each"]
	// carol <- 0/chat,{"sid":"carol"}
	// carol <- 2/chat,["news","not for gophers"]
	// carol <- 2/chat,["all","one copy each"]
}

func ExampleNamespace_Use() {
	reg := namespace.NewRegistry(namespace.Options{})
	admin := reg.Of("/admin")
	admin.Use(func(s *namespace.Socket) error {
		var auth struct {
			Token string `json:"token"`
		}
		_ = json.Unmarshal(s.Handshake().Auth, &auth)
		if auth.Token != "s3cret" {
			return &namespace.ConnectError{Message: "not authorized", Data: map[string]string{"hint": "send a token"}}
		}
		return nil
	})
	admin.Use(func(s *namespace.Socket) error {
		if strings.HasPrefix(s.Handshake().Address, "10.") {
			return errors.New("no internal clients")
		}
		return nil
	})
	admin.OnConnection(func(s *namespace.Socket) { fmt.Println("admin connected:", s.ID()) })

	for _, try := range []struct{ name, addr, auth string }{
		{"mallory", "192.0.2.1:5000", `{}`},
		{"eve", "10.0.0.7:5000", `{"token":"s3cret"}`},
		{"bob", "192.0.2.2:5000", `{"token":"s3cret"}`},
	} {
		conn := &printConn{name: try.name}
		c := connect(reg, conn, namespace.Handshake{Address: try.addr})
		receive(c, `0/admin,`+try.auth)
		reg.Wait()
		conn.print()
	}
	// Output:
	// mallory <- 4/admin,{"message":"not authorized","data":{"hint":"send a token"}}
	// eve <- 4/admin,{"message":"no internal clients"}
	// admin connected: bob
	// bob <- 0/admin,{"sid":"bob"}
}

func ExampleRegistry_OfRegexp() {
	reg := namespace.NewRegistry(namespace.Options{})
	workspaces := reg.OfRegexp(regexp.MustCompile(`^/workspace-\d+$`))
	workspaces.OnConnection(func(s *namespace.Socket) {
		fmt.Println("joined", s.Namespace().Name())
	})

	a := &printConn{name: "a"}
	receive(connect(reg, a, namespace.Handshake{}), `0/workspace-1,`)
	b := &printConn{name: "b"}
	receive(connect(reg, b, namespace.Handshake{}), `0/workspace-2,`, `0/elsewhere,`)
	reg.Wait()

	// The parent reaches the sockets of every workspace.
	workspaces.Emit("maintenance", "at 2am")
	a.print()
	b.print()
	// Unordered output:
	// joined /workspace-1
	// joined /workspace-2
	// a <- 0/workspace-1,{"sid":"a"}
	// a <- 2/workspace-1,["maintenance","at 2am"]
	// b <- 0/workspace-2,{"sid":"b"}
	// b <- 4/elsewhere,{"message":"Invalid namespace"}
	// b <- 2/workspace-2,["maintenance","at 2am"]
}

func ExampleSocket_EmitWithAck() {
	reg := namespace.NewRegistry(namespace.Options{})
	conn := &printConn{name: "alice", sent: make(chan *payload.Shared, 8)}
	c := connect(reg, conn, namespace.Handshake{})
	receive(c, `0`)
	reg.Wait()
	<-conn.sent // CONNECT
	s := reg.Of("/").Socket("alice")

	answered := make(chan struct{})
	go func() {
		defer close(answered)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		args, err := s.EmitWithAck(ctx, "confirm", "delete everything?")
		if err != nil {
			fmt.Println(err)
			return
		}
		var ok bool
		_ = args.Decode(0, &ok)
		fmt.Println("client answered", ok)
	}()
	// The client receives the event and answers its ack id.
	p := <-conn.sent
	receive(c, fmt.Sprintf(`3%d[true]`, p.ID))
	<-answered
	conn.print()
	// Output:
	// client answered true
	// alice <- 0{"sid":"alice"}
	// alice <- 20["confirm","delete everything?"]
}
