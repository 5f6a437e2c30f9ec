package namespace_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
)

func TestEventHandlerArgs(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	type user struct {
		Name string `json:"name"`
		Age  int    `json:"age"`
	}
	var (
		gotName string
		gotUser user
		gotN    int
		values  []any
		raw     string
		hasAck  bool
		decErr  error
	)
	e.reg.Of("/").OnConnection(func(s *namespace.Socket) {
		s.On("user", func(ev *namespace.Event) {
			gotName = ev.Name
			gotN = ev.Len()
			hasAck = ev.HasAck()
			raw = string(ev.Raw(0))
			if err := ev.Decode(0, &gotUser); err != nil {
				t.Error(err)
			}
			decErr = ev.Decode(5, &gotUser)
			var err error
			if values, err = ev.Values(); err != nil {
				t.Error(err)
			}
			if ev.Socket != s {
				t.Error("Event.Socket is not the socket")
			}
		})
	})
	c, _, _ := e.join("/")
	e.recv(c, `2["user",{"name":"ann","age":7},[1,"x"],null,true]`)
	if gotName != "user" || gotN != 4 || hasAck {
		t.Errorf("Name %q Len %d HasAck %v", gotName, gotN, hasAck)
	}
	if gotUser != (user{"ann", 7}) {
		t.Errorf("Decode = %+v", gotUser)
	}
	if raw != `{"name":"ann","age":7}` {
		t.Errorf("Raw(0) = %s", raw)
	}
	if decErr == nil {
		t.Error("Decode of a missing argument succeeded")
	}
	want := []any{map[string]any{"name": "ann", "age": 7.0}, []any{1.0, "x"}, nil, true}
	if !reflect.DeepEqual(values, want) {
		t.Errorf("Values = %#v, want %#v", values, want)
	}
}

func TestEventWithoutArgsAndNumericName(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	var names []string
	var lens []int
	e.reg.Of("/").OnConnection(func(s *namespace.Socket) {
		s.OnAny(func(ev *namespace.Event) {
			names = append(names, ev.Name)
			lens = append(lens, ev.Len())
		})
	})
	c, _, _ := e.join("/")
	e.recv(c, `2["bare"]`)
	e.recv(c, `2[42,"x"]`)
	if !slices.Equal(names, []string{"bare", "42"}) || !slices.Equal(lens, []int{0, 1}) {
		t.Errorf("names %q lens %v", names, lens)
	}
}

// TestEventNameDecoding: a name is the JSON string's value whether it
// carries escapes, non-ASCII text or invalid UTF-8 (replaced by U+FFFD, as
// encoding/json does).
func TestEventNameDecoding(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	var names []string
	e.reg.Of("/").OnConnection(func(s *namespace.Socket) {
		s.OnAny(func(ev *namespace.Event) { names = append(names, ev.Name) })
	})
	c, _, _ := e.join("/")
	e.recv(c, `2["plain"]`)
	e.recv(c, `2["a\"b\u00e9\n"]`)
	e.recv(c, `2["héllo"]`)
	e.recv(c, "2[\"bad\xffbyte\"]")
	e.recv(c, `2[""]`)
	want := []string{"plain", "a\"b\u00e9\n", "héllo", "bad\ufffdbyte", ""}
	if !slices.Equal(names, want) {
		t.Errorf("names %q, want %q", names, want)
	}
}

func TestOnReplacesAndOnAnySeesEverything(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	var log []string
	e.reg.Of("/").OnConnection(func(s *namespace.Socket) {
		s.On("a", func(*namespace.Event) { log = append(log, "old a") })
		s.On("a", func(*namespace.Event) { log = append(log, "a") })
		s.OnAny(func(ev *namespace.Event) { log = append(log, "any1:"+ev.Name) })
		s.OnAny(func(ev *namespace.Event) { log = append(log, "any2:"+ev.Name) })
	})
	c, _, _ := e.join("/")
	e.recv(c, `2["a",1]`)
	e.recv(c, `2["unhandled"]`)
	want := []string{"any1:a", "any2:a", "a", "any1:unhandled", "any2:unhandled"}
	if !slices.Equal(log, want) {
		t.Errorf("ran %q, want %q", log, want)
	}
}

func TestEventsRunInOrder(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	var got []int
	e.reg.Of("/").OnConnection(func(s *namespace.Socket) {
		s.On("n", func(ev *namespace.Event) {
			var n int
			_ = ev.Decode(0, &n)
			got = append(got, n)
		})
	})
	c, conn := e.client()
	// CONNECT and the events are queued together; they still run in order.
	for _, s := range []string{"0", `2["n",1]`, `2["n",2]`, `2["n",3]`} {
		if err := c.Receive(packet(t, s)); err != nil {
			t.Fatal(err)
		}
	}
	e.reg.Wait()
	if !slices.Equal(got, []int{1, 2, 3}) {
		t.Errorf("events ran as %v", got)
	}
	if n := len(conn.packets()); n != 1 {
		t.Errorf("sent %q", conn.texts())
	}
}

func TestManyEventsBackpressure(t *testing.T) {
	// More events than the inbox holds: Receive waits for the handler
	// goroutine instead of dropping or failing.
	e := newEnv(t, namespace.Options{})
	var n int
	e.reg.Of("/").OnConnection(func(s *namespace.Socket) {
		s.On("n", func(*namespace.Event) { n++ })
	})
	c, _, _ := e.join("/")
	for range 2000 {
		if err := c.Receive(packet(t, `2["n"]`)); err != nil {
			t.Fatal(err)
		}
	}
	e.reg.Wait()
	if n != 2000 {
		t.Errorf("%d events handled, want 2000", n)
	}
}

func TestForwardKeepsJSON(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	e.reg.Of("/").OnConnection(func(s *namespace.Socket) {
		s.On("fwd", func(ev *namespace.Event) {
			if err := s.Emit("out", ev.Forward()...); err != nil {
				t.Error(err)
			}
			if err := ev.Ack(ev.Forward()...); err != nil {
				t.Error(err)
			}
		})
	})
	c, conn, _ := e.join("/")
	e.recv(c, `2["fwd",{"b":1,"a":2},[3,"x"],"<&>",1.50]`)
	// encoding/json compacts RawMessage but keeps key order and numbers.
	e.recv(c, `21["fwd",{"b":1,"a":2}, {"z":{"y":null,"x":[]}}]`)
	wantTexts(t, "client", conn.texts(),
		`2["out",{"b":1,"a":2},[3,"x"],"<&>",1.50]`,
		`2["out",{"b":1,"a":2},{"z":{"y":null,"x":[]}}]`,
		`31[{"b":1,"a":2},{"z":{"y":null,"x":[]}}]`,
	)
}

func TestAckOnce(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	var errs []error
	e.reg.Of("/").OnConnection(func(s *namespace.Socket) {
		s.On("echo", func(ev *namespace.Event) {
			errs = append(errs, ev.Ack("first", 1), ev.Ack("second"))
		})
	})
	c, conn, _ := e.join("/")
	e.recv(c, `215["echo",1]`)
	wantTexts(t, "client", conn.texts(), `315["first",1]`)
	if errs[0] != nil || errs[1] == nil {
		t.Errorf("Ack errors %v, want nil then an error", errs)
	}

	// Without an ack id, Ack sends nothing.
	conn.reset()
	errs = nil
	e.recv(c, `2["echo",1]`)
	wantTexts(t, "client", conn.texts())
	if errs[0] != nil || errs[1] != nil {
		t.Errorf("Ack without an id: %v", errs)
	}
}

func TestAckOnOtherNamespaceAndLater(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	pending := make(chan *namespace.Event, 1)
	e.reg.Of("/admin").OnConnection(func(s *namespace.Socket) {
		s.On("later", func(ev *namespace.Event) { pending <- ev })
	})
	c, conn := e.client()
	e.connect(c, conn, "/admin", "")
	conn.reset()
	e.recv(c, `2/admin,0["later",1]`)
	// The handler returned; the application answers afterwards from
	// another goroutine.
	ev := <-pending
	done := make(chan error)
	go func() { done <- ev.Ack(map[string]any{"ok": true}) }()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	wantTexts(t, "client", conn.texts(), `3/admin,0[{"ok":true}]`)
}

func TestBinaryEventIn(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	type upload struct {
		Name    string `json:"name"`
		Content []byte `json:"content"`
	}
	var (
		up     upload
		direct []byte
		values []any
	)
	e.reg.Of("/").OnConnection(func(s *namespace.Socket) {
		s.On("upload", func(ev *namespace.Event) {
			if err := ev.Decode(0, &up); err != nil {
				t.Error(err)
			}
			if err := ev.Decode(1, &direct); err != nil {
				t.Error(err)
			}
			var err error
			if values, err = ev.Values(); err != nil {
				t.Error(err)
			}
			if err := ev.Ack([]byte("done"), "text"); err != nil {
				t.Error(err)
			}
		})
	})
	c, conn, _ := e.join("/")
	e.recv(c, `52-9["upload",{"name":"a.bin","content":{"_placeholder":true,"num":0}},{"_placeholder":true,"num":1}]`,
		[]byte{1, 2, 3}, []byte{0xff})
	if up.Name != "a.bin" || !bytes.Equal(up.Content, []byte{1, 2, 3}) {
		t.Errorf("Decode = %+v", up)
	}
	if !bytes.Equal(direct, []byte{0xff}) {
		t.Errorf("Decode []byte = %v", direct)
	}
	want := []any{map[string]any{"name": "a.bin", "content": []byte{1, 2, 3}}, []byte{0xff}}
	if !reflect.DeepEqual(values, want) {
		t.Errorf("Values = %#v", values)
	}
	sent := conn.packets()
	wantTexts(t, "client", conn.texts(), `61-9[{"_placeholder":true,"num":0},"text"]`)
	if len(sent) == 1 {
		if sent[0].Type != payload.BinaryAck || len(sent[0].Attachments) != 1 || string(sent[0].Attachments[0]) != "done" {
			t.Errorf("ack %v attachments %q", sent[0].Type, sent[0].Attachments)
		}
	}
}

func TestBinaryForward(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	e.reg.Of("/").OnConnection(func(s *namespace.Socket) {
		s.On("relay", func(ev *namespace.Event) { _ = s.Emit("relayed", ev.Forward()...) })
	})
	c, conn, _ := e.join("/")
	e.recv(c, `51-["relay",[{"_placeholder":true,"num":0}],"x"]`, []byte("bin"))
	sent := conn.packets()
	wantTexts(t, "client", conn.texts(), `51-["relayed",[{"_placeholder":true,"num":0}],"x"]`)
	if len(sent) == 1 && (len(sent[0].Attachments) != 1 || string(sent[0].Attachments[0]) != "bin") {
		t.Errorf("attachments %q", sent[0].Attachments)
	}
}

func TestBinaryEmitOut(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	_, conn, s := e.join("/")
	if err := s.Emit("file", []byte{9, 8}, map[string]any{"b": []byte{7}, "n": 1}); err != nil {
		t.Fatal(err)
	}
	sent := conn.packets()
	wantTexts(t, "client", conn.texts(),
		`52-["file",{"_placeholder":true,"num":0},{"b":{"_placeholder":true,"num":1},"n":1}]`)
	if len(sent) == 1 && !reflect.DeepEqual(sent[0].Attachments, [][]byte{{9, 8}, {7}}) {
		t.Errorf("attachments %v", sent[0].Attachments)
	}
	// Nothing encodes: an error, nothing sent.
	conn.reset()
	if err := s.Emit("bad", make(chan int)); err == nil {
		t.Error("Emit of a channel succeeded")
	}
	if n := len(conn.packets()); n != 0 {
		t.Errorf("sent %q", conn.texts())
	}
}

func TestEmitWithAck(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	c, conn, s := e.join("/")
	type result struct {
		args namespace.Args
		err  error
	}
	for i := range 3 {
		done := make(chan result, 1)
		go func() {
			a, err := s.EmitWithAck(context.Background(), "question", i)
			done <- result{a, err}
		}()
		sent := conn.waitSent(t, i+1)
		p := sent[i]
		if !p.HasID || p.ID != uint64(i) || p.Type != payload.Event {
			t.Fatalf("question %d sent as %q", i, text(p))
		}
		if got, want := text(p), `2`+itoa(i)+`["question",`+itoa(i)+`]`; got != want {
			t.Errorf("sent %q, want %q", got, want)
		}
		if err := c.Receive(packet(t, `3`+itoa(i)+`["answer",`+itoa(i*10)+`]`)); err != nil {
			t.Fatal(err)
		}
		r := <-done
		if r.err != nil {
			t.Fatalf("EmitWithAck: %v", r.err)
		}
		var word string
		var n int
		if r.args.Len() != 2 || r.args.Decode(0, &word) != nil || r.args.Decode(1, &n) != nil || word != "answer" || n != i*10 {
			t.Errorf("ack args %d %q %d", r.args.Len(), word, n)
		}
	}
	// An ack nobody waits for (unknown id, or answered twice) is ignored.
	if err := c.Receive(packet(t, `30["again"]`)); err != nil {
		t.Errorf("stray ACK: %v", err)
	}
	if err := c.Receive(packet(t, `399["none"]`)); err != nil {
		t.Errorf("stray ACK: %v", err)
	}
	e.reg.Wait()
}

func TestEmitWithAckConcurrentAnswersOutOfOrder(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	c, conn, s := e.join("/")
	results := make([]chan string, 2)
	for i := range results {
		results[i] = make(chan string, 1)
	}
	for i := range 2 {
		go func() {
			a, err := s.EmitWithAck(context.Background(), "q", i)
			if err != nil {
				results[i] <- "error: " + err.Error()
				return
			}
			var v string
			_ = a.Decode(0, &v)
			results[i] <- v
		}()
	}
	sent := conn.waitSent(t, 2)
	ids := map[int]uint64{}
	for _, p := range sent {
		items, _ := payload.SplitArgs(p.Data)
		var arg int
		_ = json.Unmarshal(items[1], &arg)
		ids[arg] = p.ID
	}
	if ids[0] == ids[1] {
		t.Fatalf("both emits use ack id %d", ids[0])
	}
	for _, i := range []int{1, 0} {
		if err := c.Receive(packet(t, `3`+itoa(int(ids[i]))+`["for `+itoa(i)+`"]`)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 {
		if got := <-results[i]; got != "for "+itoa(i) {
			t.Errorf("emit %d got %q", i, got)
		}
	}
}

func TestEmitWithAckBinaryAnswer(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	c, conn, s := e.join("/")
	done := make(chan []any, 1)
	go func() {
		a, err := s.EmitWithAck(context.Background(), "get")
		if err != nil {
			t.Error(err)
		}
		v, err := a.Values()
		if err != nil {
			t.Error(err)
		}
		done <- v
	}()
	conn.waitSent(t, 1)
	if err := c.Receive(packet(t, `61-0[{"_placeholder":true,"num":0}]`, []byte{5, 6})); err != nil {
		t.Fatal(err)
	}
	if v := <-done; !reflect.DeepEqual(v, []any{[]byte{5, 6}}) {
		t.Errorf("ack values %#v", v)
	}
}

func TestEmitWithAckTimeout(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	c, conn, s := e.join("/")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := s.EmitWithAck(ctx, "slow")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("EmitWithAck: %v, want DeadlineExceeded", err)
	}
	wantTexts(t, "client", conn.texts(), `20["slow"]`)
	// A late answer is ignored; the next emit uses the next id.
	if err := c.Receive(packet(t, `30[]`)); err != nil {
		t.Fatal(err)
	}
	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	if _, err := s.EmitWithAck(cctx, "slow"); !errors.Is(err, context.Canceled) {
		t.Errorf("EmitWithAck with a cancelled context: %v", err)
	}
	wantTexts(t, "client", conn.texts(), `20["slow"]`, `21["slow"]`)
}

func TestEmitWithAckDisconnect(t *testing.T) {
	for _, how := range []string{"client packet", "server", "connection closed"} {
		t.Run(how, func(t *testing.T) {
			e := newEnv(t, namespace.Options{})
			c, conn, s := e.join("/")
			done := make(chan error, 1)
			go func() {
				_, err := s.EmitWithAck(context.Background(), "q")
				done <- err
			}()
			conn.waitSent(t, 1)
			switch how {
			case "client packet":
				e.recv(c, "1")
			case "server":
				s.Disconnect(false)
			case "connection closed":
				c.Close(namespace.ReasonTransportClose)
			}
			if err := <-done; !errors.Is(err, namespace.ErrDisconnected) {
				t.Errorf("EmitWithAck: %v, want ErrDisconnected", err)
			}
			if _, err := s.EmitWithAck(context.Background(), "q"); !errors.Is(err, namespace.ErrDisconnected) {
				t.Errorf("EmitWithAck after disconnect: %v, want ErrDisconnected", err)
			}
			e.reg.Wait()
		})
	}
}

func TestEmitWithAckFromHandler(t *testing.T) {
	// A handler may wait for an ack: acks are resolved by Receive itself,
	// not by the handler goroutine.
	e := newEnv(t, namespace.Options{})
	got := make(chan string, 1)
	e.reg.Of("/").OnConnection(func(s *namespace.Socket) {
		s.On("start", func(*namespace.Event) {
			a, err := s.EmitWithAck(context.Background(), "confirm?")
			if err != nil {
				got <- err.Error()
				return
			}
			var v string
			_ = a.Decode(0, &v)
			got <- v
		})
	})
	c, conn, _ := e.join("/")
	if err := c.Receive(packet(t, `2["start"]`)); err != nil {
		t.Fatal(err)
	}
	sent := conn.waitSent(t, 1)
	if text(sent[0]) != `20["confirm?"]` {
		t.Fatalf("sent %q", text(sent[0]))
	}
	if err := c.Receive(packet(t, `30["yes"]`)); err != nil {
		t.Fatal(err)
	}
	if v := <-got; v != "yes" {
		t.Errorf("handler got %q", v)
	}
	e.reg.Wait()
}

func TestPanickingHandler(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	var mu sync.Mutex
	ran := map[string]int{}
	e.reg.Of("/").OnConnection(func(s *namespace.Socket) {
		s.On("boom", func(*namespace.Event) { panic("kaboom") })
		s.On("ok", func(*namespace.Event) {
			mu.Lock()
			ran[s.ID()]++
			mu.Unlock()
		})
	})
	c1, _, s1 := e.join("/")
	c2, _, s2 := e.join("/")
	e.recv(c1, `2["boom"]`)
	e.recv(c1, `2["ok"]`)
	e.recv(c2, `2["ok"]`)
	// Queued together: the panic does not lose the events behind it.
	for _, p := range []string{`2["boom"]`, `2["ok"]`} {
		if err := c2.Receive(packet(t, p)); err != nil {
			t.Fatal(err)
		}
	}
	e.reg.Wait()
	if ran[s1.ID()] != 1 || ran[s2.ID()] != 2 {
		t.Errorf("ok ran %d and %d times, want 1 and 2", ran[s1.ID()], ran[s2.ID()])
	}
	if !s1.Connected() || !s2.Connected() {
		t.Error("a panic disconnected a socket")
	}
	log := e.log.String()
	if strings.Count(log, "kaboom") != 2 || !strings.Contains(log, "handler panicked") || !strings.Contains(log, s1.ID()) {
		t.Errorf("log:\n%s", log)
	}
}

func TestPanickingConnectionAndDisconnectHandlers(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	var reasons []namespace.DisconnectReason
	e.reg.Of("/").OnConnection(func(s *namespace.Socket) {
		s.OnDisconnect(func(namespace.DisconnectReason) { panic("in disconnect") })
		s.OnDisconnect(func(r namespace.DisconnectReason) { reasons = append(reasons, r) })
		panic("in connection")
	})
	second := false
	e.reg.Of("/").OnConnection(func(*namespace.Socket) { second = true })
	c, _, s := e.join("/")
	if !second || !s.Connected() {
		t.Errorf("second OnConnection ran %v, connected %v", second, s.Connected())
	}
	e.recv(c, "1")
	if !slices.Equal(reasons, []namespace.DisconnectReason{namespace.ReasonClientNamespaceDisconnect}) {
		t.Errorf("OnDisconnect reasons %q", reasons)
	}
	log := e.log.String()
	if !strings.Contains(log, "in connection") || !strings.Contains(log, "in disconnect") {
		t.Errorf("log:\n%s", log)
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
