package server_test

// Churn: many short connections of every generation and transport family,
// some ended politely and some by dropping TCP, must leave a long-lived
// server exactly as it was: no session, socket, room member, goroutine or
// heap growth left behind.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/sockio/sockio/internal/goroutines"
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
	"github.com/sockio/sockio/server"
)

const (
	churnCycles  = 10_000
	churnWorkers = 32
	churnRooms   = 16
	// churnHeapMargin is how much more live heap than before the churn the
	// server may hold afterwards (pools, map buckets grown by the churn).
	churnHeapMargin = 1 << 20
)

// churnKind is one way a cycle connects and ends.
type churnKind struct {
	gen     string // "v1", "eio3", "eio4"
	ws      bool   // websocket (else polling)
	upgrade bool   // polling first, then upgraded to a websocket (eio3, eio4)
	abrupt  bool   // end by closing TCP (mid-poll for polling) without a close packet
}

func (k churnKind) String() string {
	s := k.gen
	switch {
	case k.upgrade:
		s += "/upgrade"
	case k.ws:
		s += "/websocket"
	default:
		s += "/polling"
	}
	if k.abrupt {
		return s + "/abrupt"
	}
	return s + "/close"
}

func churnKinds() []churnKind {
	var ks []churnKind
	for _, gen := range []string{"v1", "eio3", "eio4"} {
		for _, ws := range []bool{false, true} {
			for _, abrupt := range []bool{false, true} {
				ks = append(ks, churnKind{gen: gen, ws: ws, abrupt: abrupt})
			}
		}
	}
	for _, gen := range []string{"eio3", "eio4"} {
		for _, abrupt := range []bool{false, true} {
			ks = append(ks, churnKind{gen: gen, ws: true, upgrade: true, abrupt: abrupt})
		}
	}
	return ks
}

// TestChurnLeavesNoTrace runs churnCycles connect/join/disconnect cycles of
// 0.9, 1.x–2.x and 3.x–4.x clients over websocket and polling (and polling
// upgraded to websocket) on churnWorkers connections at a time. Half the
// cycles end with the protocol's close packet, half by closing TCP (a
// polling one while its GET is pending); one in 250 polling cycles just
// stops, left to the heartbeat. Every cycle joins one of churnRooms rooms,
// which broadcasts to the room's other members. While the server still
// runs, sessions, sockets, room members and goroutines must return to the
// baseline and the heap to within churnHeapMargin of it; after Close, no
// goroutine may remain.
func TestChurnLeavesNoTrace(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	// The heartbeat window (6 s) is wide enough that a cycle stalled by a
	// loaded machine between two requests is not taken for a silent one;
	// the silent ones still go well within waitFor's deadline.
	srv := server.New(server.Options{Logger: quietLogger(), PingInterval: 3 * time.Second,
		PingTimeout: 3 * time.Second, PollingDuration: 5 * time.Second})
	root := srv.Of("/")
	root.OnConnection(func(s *namespace.Socket) {
		s.On("join", func(e *namespace.Event) {
			var room string
			if err := e.Decode(0, &room); err != nil {
				_ = e.Ack(false)
				return
			}
			s.Join(room)
			_ = root.To(room).Except(s.ID()).Emit("joined", s.ID())
			_ = e.Ack(true)
		})
	})
	ts := httptest.NewServer(srv)
	tr := &http.Transport{MaxIdleConnsPerHost: churnWorkers * 2}
	c := &churner{
		base:   ts.URL + "/socket.io/",
		srv:    srv,
		client: &http.Client{Transport: tr, Timeout: waitTimeout},
		dialer: &websocket.Dialer{HandshakeTimeout: waitTimeout},
	}
	var closeOnce sync.Once
	stop := func() {
		closeOnce.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			if err := srv.Close(ctx); err != nil {
				t.Errorf("srv.Close: %v", err)
			}
			tr.CloseIdleConnections()
			ts.Close()
		})
	}
	defer stop()

	settle()
	goroutines0 := runtime.NumGoroutine()
	heap0 := liveHeap()

	start := time.Now()
	kinds := churnKinds()
	var next atomic.Int64
	var failed atomic.Bool
	errs := make(chan error, churnWorkers)
	var wg sync.WaitGroup
	for range churnWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() {
				i := int(next.Add(1)) - 1
				if i >= churnCycles {
					return
				}
				k := kinds[i%len(kinds)]
				silent := !k.ws && i%250 == 249
				if err := c.cycle(k, fmt.Sprintf("r%d", i%churnRooms), silent); err != nil {
					failed.Store(true)
					errs <- fmt.Errorf("cycle %d (%v): %w", i, k, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	churned := time.Since(start)

	// The server keeps running: everything the cycles made must go away
	// by itself (the silent ones after PingInterval+PingTimeout).
	waitFor(t, "sessions, sockets and room members to be gone", func() string {
		n, socks := srv.Len(), len(root.Sockets())
		members := len(root.Adapter().SocketIDs(namespace.BroadcastOptions{Rooms: roomNames()}))
		if n == 0 && socks == 0 && members == 0 {
			return ""
		}
		return fmt.Sprintf("%d sessions, %d sockets, %d room members", n, socks, members)
	})
	tr.CloseIdleConnections()
	waitFor(t, "goroutines back to the baseline", func() string {
		// The goroutine that holds parked websockets is the server's, like
		// its listener; it starts at the first park and ends with Close.
		if n := runtime.NumGoroutine() - parkerGoroutines(); n > goroutines0 {
			return fmt.Sprintf("%d goroutines, baseline %d", n, goroutines0)
		}
		return ""
	})
	settle()
	heap1 := liveHeap()
	t.Logf("%d cycles (%d kinds, %d workers, %d polls dropped mid-poll) in %v; goroutines %d -> %d; "+
		"live heap %d KiB -> %d KiB", churnCycles, len(kinds), churnWorkers, c.midPoll.Load(),
		churned.Round(time.Millisecond), goroutines0,
		runtime.NumGoroutine(), heap0>>10, heap1>>10)
	if heap1 > heap0+churnHeapMargin {
		t.Errorf("live heap grew from %d KiB to %d KiB (margin %d KiB)", heap0>>10, heap1>>10, churnHeapMargin>>10)
	}
	stop()
}

func roomNames() []string {
	rooms := make([]string, churnRooms)
	for i := range rooms {
		rooms[i] = fmt.Sprintf("r%d", i)
	}
	return rooms
}

// parkerGoroutines counts the goroutines of websocket parkers
// (transports.Parker).
func parkerGoroutines() int { return goroutines.Count("transports.(*Parker).run(") }

// settle lets finished goroutines go and collects twice (sync.Pools empty
// on the second collection).
func settle() {
	runtime.GC()
	runtime.GC()
}

func liveHeap() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// waitFor polls cond (which describes what is still wrong, or returns "")
// until it holds; the server gives no event for "nothing is left".
func waitFor(t *testing.T, what string, cond func() string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		bad := cond()
		if bad == "" {
			return
		}
		if time.Now().After(deadline) {
			var b bytes.Buffer
			_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
			t.Fatalf("waiting for %s: still %s after %v\n%s", what, bad, waitTimeout, b.String())
		}
		time.Sleep(10 * time.Millisecond) // polling a condition, not a guess at timing
	}
}

// ---------------------------------------------------------------------------
// Churn clients: error-returning (they run on worker goroutines), each
// speaking one generation over one transport.

type churner struct {
	base   string
	srv    *server.Server
	client *http.Client
	dialer *websocket.Dialer

	midPoll atomic.Int64 // polls dropped while the server held them
}

// conv is one client connection, packet by packet.
type conv interface {
	// send sends one packet (its wire text, e.g. `42["x"]` or `5:::{…}`).
	send(pk string) error
	// next returns the next packet that is not a heartbeat, answering
	// heartbeats on the way.
	next() (string, error)
	// end closes politely (close packet) or abruptly (TCP close, mid-poll
	// for polling).
	end(abrupt bool) error
}

// cycle connects, joins room, and ends as k says (silent: stops polling).
func (c *churner) cycle(k churnKind, room string, silent bool) error {
	cv, err := c.open(k)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	join, ack := `421["join","`+room+`"]`, "431[true]"
	if k.gen == "v1" {
		join, ack = `5:1+::{"name":"join","args":["`+room+`"]}`, "6:::1+[true]"
	}
	if err := cv.send(join); err != nil {
		if ws, ok := cv.(*wsConv); ok {
			ws.conn.Close()
		}
		return fmt.Errorf("join: %w", err)
	}
	if err := expectPacket(cv, ack); err != nil {
		if ws, ok := cv.(*wsConv); ok {
			ws.conn.Close()
		}
		return fmt.Errorf("join ack: %w", err)
	}
	if silent {
		return nil
	}
	return cv.end(k.abrupt)
}

// expectPacket reads past broadcasts ("joined") until want.
func expectPacket(cv conv, want string) error {
	for range 100 {
		pk, err := cv.next()
		if err != nil {
			return err
		}
		if pk == want {
			return nil
		}
		if !strings.Contains(pk, `"joined"`) {
			return fmt.Errorf("got %q, want %q", pk, want)
		}
	}
	return fmt.Errorf("no %q among 100 packets", want)
}

func (c *churner) open(k churnKind) (conv, error) {
	if k.gen == "v1" {
		return c.openV1(k.ws)
	}
	eio := "4"
	if k.gen == "eio3" {
		eio = "3"
	}
	if k.ws && !k.upgrade {
		ws, err := c.dialWS("?EIO="+eio+"&transport=websocket", eio)
		if err != nil {
			return nil, err
		}
		pk, err := ws.next()
		if err != nil || !strings.HasPrefix(pk, `0{"sid":`) {
			ws.conn.Close()
			return nil, fmt.Errorf("open packet %q: %v", pk, err)
		}
		if err := ws.connect(); err != nil {
			ws.conn.Close()
			return nil, err
		}
		return ws, nil
	}
	p, err := c.handshakeEIO(eio)
	if err != nil {
		return nil, err
	}
	if eio == "4" {
		if err := p.send("40"); err != nil {
			return nil, err
		}
	}
	if pk, err := p.next(); err != nil || !strings.HasPrefix(pk, "40") {
		return nil, fmt.Errorf("connect answer %q: %v", pk, err)
	}
	if !k.upgrade {
		return p, nil
	}
	ws, err := c.dialWS("?EIO="+eio+"&transport=websocket&sid="+p.sid, eio)
	if err != nil {
		return nil, err
	}
	if err := ws.send("2probe"); err != nil {
		ws.conn.Close()
		return nil, err
	}
	if pk, err := ws.next(); err != nil || pk != "3probe" {
		ws.conn.Close()
		return nil, fmt.Errorf("probe answer %q: %v", pk, err)
	}
	if err := ws.send("5"); err != nil {
		ws.conn.Close()
		return nil, err
	}
	return ws, nil
}

func (c *churner) openV1(ws bool) (conv, error) {
	sid, err := c.get(c.base + "1/?t=1")
	if err != nil {
		return nil, err
	}
	sid, _, _ = strings.Cut(sid, ":")
	var cv conv
	if ws {
		w, err := c.dialWS("1/websocket/"+sid, "v1")
		if err != nil {
			return nil, err
		}
		cv = w
	} else {
		cv = &pollConv{c: c, gen: "v1", sid: sid, url: c.base + "1/xhr-polling/" + sid}
	}
	if pk, err := cv.next(); err != nil || pk != "1::" {
		if w, ok := cv.(*wsConv); ok {
			w.conn.Close()
		}
		return nil, fmt.Errorf("first packet %q: %v", pk, err)
	}
	return cv, nil
}

func (c *churner) get(url string) (string, error) {
	res, err := c.client.Get(url)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return "", err
	}
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %d %q", url, res.StatusCode, b)
	}
	return string(b), nil
}

// handshakeEIO opens an Engine.IO polling session.
func (c *churner) handshakeEIO(eio string) (*pollConv, error) {
	p := &pollConv{c: c, gen: "eio" + eio}
	body, err := c.get(c.base + "?EIO=" + eio + "&transport=polling")
	if err != nil {
		return nil, err
	}
	pks, err := p.decode(body)
	if err != nil {
		return nil, err
	}
	if len(pks) == 0 || !strings.HasPrefix(pks[0], `0{"sid":"`) {
		return nil, fmt.Errorf("handshake %q", body)
	}
	p.sid, _, _ = strings.Cut(strings.TrimPrefix(pks[0], `0{"sid":"`), `"`)
	p.url = c.base + "?EIO=" + eio + "&transport=polling&sid=" + p.sid
	p.pending = pks[1:]
	return p, nil
}

// wsConv is a websocket client of any generation.
type wsConv struct {
	gen  string // "v1", "3", "4"
	conn *websocket.Conn
}

func (c *churner) dialWS(path, gen string) (*wsConv, error) {
	conn, res, err := c.dialer.Dial("ws"+strings.TrimPrefix(c.base, "http")+path, nil)
	if res != nil && res.Body != nil {
		res.Body.Close()
	}
	if err != nil {
		return nil, err
	}
	return &wsConv{gen: gen, conn: conn}, nil
}

func (w *wsConv) send(pk string) error {
	_ = w.conn.SetWriteDeadline(time.Now().Add(waitTimeout))
	return w.conn.WriteMessage(websocket.TextMessage, []byte(pk))
}

func (w *wsConv) next() (string, error) {
	for {
		_ = w.conn.SetReadDeadline(time.Now().Add(waitTimeout))
		_, b, err := w.conn.ReadMessage()
		if err != nil {
			return "", err
		}
		switch pk := string(b); {
		case w.gen == "4" && pk == "2":
			if err := w.send("3"); err != nil {
				return "", err
			}
		case w.gen == "v1" && pk == "2::":
			if err := w.send("2::"); err != nil {
				return "", err
			}
		default:
			return pk, nil
		}
	}
}

// connect joins "/" (implicit before Engine.IO 4).
func (w *wsConv) connect() error {
	if w.gen == "4" {
		if err := w.send("40"); err != nil {
			return err
		}
	}
	if pk, err := w.next(); err != nil || !strings.HasPrefix(pk, "40") {
		return fmt.Errorf("connect answer %q: %v", pk, err)
	}
	return nil
}

func (w *wsConv) end(abrupt bool) error {
	defer w.conn.Close()
	if abrupt {
		return nil // Close drops TCP without a close frame
	}
	closePk := "1"
	if w.gen == "v1" {
		closePk = "0::"
	}
	if err := w.send(closePk); err != nil {
		return err
	}
	for { // until the server ends the connection
		if _, err := w.next(); err != nil {
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() {
				return errors.New("server did not close the websocket")
			}
			return nil
		}
	}
}

// pollConv is a polling client of any generation.
type pollConv struct {
	c       *churner
	gen     string // "v1", "eio3", "eio4"
	sid     string
	url     string
	pending []string
}

func (p *pollConv) decode(body string) ([]string, error) {
	var out []string
	switch p.gen {
	case "eio4":
		return strings.Split(body, "\x1e"), nil
	case "eio3":
		frames, err := payload.DecodeEIO3Payload([]byte(body))
		if err != nil {
			return nil, fmt.Errorf("body %q: %w", body, err)
		}
		for _, f := range frames {
			out = append(out, string(payload.AppendEIO3Frame(nil, f)))
		}
	default:
		pks, err := payload.DecodeV1Payload([]byte(body))
		if err != nil {
			return nil, fmt.Errorf("body %q: %w", body, err)
		}
		for _, pk := range pks {
			out = append(out, string(pk))
		}
	}
	return out, nil
}

func (p *pollConv) send(pk string) error {
	body := pk
	if p.gen == "eio3" {
		f, err := payload.ParseEIO3Frame([]byte(pk))
		if err != nil {
			return err
		}
		body = string(payload.AppendEIO3Payload(nil, []payload.Frame{f}))
	}
	res, err := p.c.client.Post(p.url, "text/plain;charset=UTF-8", strings.NewReader(body))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %q: %d %q", pk, res.StatusCode, b)
	}
	return nil
}

func (p *pollConv) next() (string, error) {
	for {
		if len(p.pending) == 0 {
			body, err := p.c.get(p.url)
			if err != nil {
				return "", err
			}
			if p.pending, err = p.decode(body); err != nil {
				return "", err
			}
		}
		pk := p.pending[0]
		p.pending = p.pending[1:]
		switch {
		case p.gen == "eio4" && pk == "2":
			if err := p.send("3"); err != nil {
				return "", err
			}
		case p.gen == "v1" && pk == "2::":
			if err := p.send("2::"); err != nil {
				return "", err
			}
		case p.gen == "v1" && pk == "8::", pk == "6": // an idle poll's answer
		default:
			return pk, nil
		}
	}
}

func (p *pollConv) end(abrupt bool) error {
	if abrupt {
		return p.dropPoll()
	}
	closePk := "1"
	if p.gen == "v1" {
		closePk = "0::"
	}
	if err := p.send(closePk); err != nil {
		return err
	}
	// The poll a real client has pending, or makes next, carries the end;
	// once the server has forgotten the session it is a plain refusal.
	res, err := p.c.client.Get(p.url)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	return res.Body.Close()
}

// dropPoll makes a GET, waits until the server holds it, and closes its
// TCP connection.
func (p *pollConv) dropPoll() error {
	for range 10 {
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
		done := make(chan error, 1)
		go func() {
			res, err := p.c.client.Do(req)
			if err == nil {
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				err = errAnswered
			}
			done <- err
		}()
		deadline := time.Now().Add(waitTimeout)
		for !server.PollPending(p.c.srv, p.sid) && time.Now().Before(deadline) && len(done) == 0 {
			time.Sleep(time.Millisecond) // polling a condition, not a guess at timing
		}
		held := server.PollPending(p.c.srv, p.sid)
		cancel()
		err := <-done
		if !errors.Is(err, errAnswered) {
			if held {
				p.c.midPoll.Add(1)
			}
			return nil // dropped mid-poll
		}
		// Answered at once (a heartbeat or a broadcast was queued): poll again.
	}
	return errors.New("no poll stayed pending")
}

var errAnswered = errors.New("poll answered")
