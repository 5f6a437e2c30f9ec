//go:build linux

package transports

import (
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/sockio/sockio/internal/goroutines"
	"github.com/sockio/sockio/payload"
)

const parkTimeout = 15 * time.Second // bounds every wait; a loaded machine only makes the tests slower

// echoSession sends every message it receives back.
type echoSession struct{ *testSession }

func (s echoSession) Receive(frames []payload.Frame) error {
	_, err := s.q.Push(false, frames...)
	return err
}

// parkRig serves echoing websocket transports that share one parker.
type parkRig struct {
	t      *testing.T
	p      *Parker
	ts     *httptest.Server
	served chan *WebSocket
}

func newParkRig(t *testing.T, idle time.Duration, useTLS bool) *parkRig {
	t.Helper()
	r := &parkRig{t: t, p: NewParker(), served: make(chan *WebSocket, 64)}
	up := NewUpgrader(WebSocketOptions{})
	h := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ws := NewWebSocket(echoSession{newTestSession()}, WebSocketConfig{Upgrader: up,
			Options: WebSocketOptions{Parker: r.p, IdleWait: idle}})
		if err := ws.Upgrade(w, req, nil); err != nil {
			t.Error(err)
			return
		}
		ws.Activate()
		ws.Start(nil)
		r.served <- ws
	})
	if useTLS {
		r.ts = httptest.NewTLSServer(h)
	} else {
		r.ts = httptest.NewServer(h)
	}
	t.Cleanup(r.close)
	return r
}

func (r *parkRig) close() {
	r.ts.Close()
	if err := r.p.Close(); err != nil {
		r.t.Errorf("parker close: %v", err)
	}
}

// dial opens a websocket and returns the client and the server's transport.
func (r *parkRig) dial() (*websocket.Conn, *WebSocket) {
	r.t.Helper()
	d := websocket.Dialer{HandshakeTimeout: parkTimeout}
	if tr, ok := r.ts.Client().Transport.(*http.Transport); ok && tr.TLSClientConfig != nil {
		d.TLSClientConfig = tr.TLSClientConfig.Clone()
	}
	c, res, err := d.Dial("ws"+strings.TrimPrefix(r.ts.URL, "http"), nil)
	if err != nil {
		r.t.Fatal(err)
	}
	res.Body.Close()
	r.t.Cleanup(func() { c.Close() })
	select {
	case ws := <-r.served:
		return c, ws
	case <-time.After(parkTimeout):
		r.t.Fatal("no transport served")
		return nil, nil
	}
}

// waitParked waits until now connections are parked after at least total
// parks in all.
func waitParked(t *testing.T, p *Parker, now int, total uint64) {
	t.Helper()
	deadline := time.After(parkTimeout)
	for {
		n, all, changed := p.Parked()
		if n == now && all >= total {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("%d parked, %d parks in all; want %d, at least %d", n, all, now, total)
		}
	}
}

// readers counts the goroutines that are a websocket's reader.
func readers() int { return goroutines.Count("transports.(*WebSocket).serve(") }

// waitReaders waits until n reader goroutines exist. A parked reader has
// returned already when the parker counts it, but its goroutine may still
// be exiting: this polls, with a deadline.
func waitReaders(t *testing.T, n int) {
	t.Helper()
	for deadline := time.Now().Add(parkTimeout); readers() != n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d reader goroutines, want %d", readers(), n)
		}
	}
}

func stopped(t *testing.T, ws *WebSocket) {
	t.Helper()
	select {
	case <-ws.Stopped():
	case <-time.After(parkTimeout):
		t.Fatal("transport not stopped")
	}
}

// maskedFrame is a client text frame with a zero mask (payload unchanged).
func maskedFrame(text string) []byte {
	var b []byte
	if len(text) < 126 {
		b = []byte{0x81, 0x80 | byte(len(text))}
	} else {
		b = []byte{0x81, 0x80 | 126, 0, 0}
		binary.BigEndian.PutUint16(b[2:], uint16(len(text)))
	}
	return append(append(b, 0, 0, 0, 0), text...)
}

func expectEcho(t *testing.T, c *websocket.Conn, want string) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(parkTimeout))
	_, got, err := c.ReadMessage()
	if err != nil || string(got) != want {
		t.Fatalf("got %q %v, want %q", got, err, want)
	}
}

// An idle connection parks: no reader goroutine is left; a message resumes
// it, is answered, and the connection parks again.
func TestParkedConnectionAnswers(t *testing.T) {
	r := newParkRig(t, 10*time.Millisecond, false)
	c, ws := r.dial()
	for i := range 3 {
		waitParked(t, r.p, 1, uint64(i+1))
		waitReaders(t, 0)
		msg := fmt.Sprintf("4hello %d", i)
		if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		expectEcho(t, c, msg)
	}
	c.Close()
	stopped(t, ws)
	if n, _, _ := r.p.Parked(); n != 0 {
		t.Errorf("%d parked after the client left", n)
	}
}

// A message whose bytes arrive with pauses longer than the idle wait is
// read whole: the deadline that expires inside gorilla's read is not an
// error.
func TestParkedMessageSplitAcrossPauses(t *testing.T) {
	const idle = 10 * time.Millisecond
	r := newParkRig(t, idle, false)
	c, _ := r.dial()
	nc := c.NetConn()
	text := "4" + strings.Repeat("x", 200)
	frame := maskedFrame(text)
	for _, cuts := range [][]int{{1}, {4}, {8}, {60}, {1, 3, 8, 100}} {
		waitParked(t, r.p, 1, 0)
		last := 0
		for _, cut := range append(cuts, len(frame)) {
			if last > 0 {
				time.Sleep(5 * idle) // the pause under test: longer than the idle deadline
			}
			if _, err := nc.Write(frame[last:cut]); err != nil {
				t.Fatal(err)
			}
			last = cut
		}
		expectEcho(t, c, text)
	}
}

// Data that arrives between the idle timeout and the registration is
// reported at once (level-triggered): here the client writes exactly then.
func TestParkedDataAsItParks(t *testing.T) {
	pending := make(chan []byte, 1)
	written := make(chan error, 1)
	beforePark = func(*WebSocket) {
		select {
		case m := <-pending:
			_, err := parkClient.Write(m)
			written <- err
		default:
		}
	}
	t.Cleanup(func() { beforePark = nil })
	r := newParkRig(t, 5*time.Millisecond, false)
	c, _ := r.dial()
	parkClient = c.NetConn()
	for i := range 30 {
		msg := fmt.Sprintf("4m%d", i)
		pending <- maskedFrame(msg)
		select {
		case err := <-written:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(parkTimeout):
			t.Fatal("the reader did not time out")
		}
		expectEcho(t, c, msg)
	}
}

var parkClient interface{ Write([]byte) (int, error) } // TestParkedDataAsItParks's client

// Many park and resume cycles, with random pauses around the idle wait and
// bursts: every message is answered once, in order.
func TestParkResumeStress(t *testing.T) {
	const idle = 3 * time.Millisecond
	clients, msgs := 8, 120
	if testing.Short() {
		clients, msgs = 4, 40
	}
	r := newParkRig(t, idle, false)
	conns := make([]*websocket.Conn, clients)
	for i := range conns {
		conns[i], _ = r.dial()
	}
	_, before, _ := r.p.Parked()
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	for ci, c := range conns {
		wg.Go(func() {
			errs <- func() error {
				rng := rand.New(rand.NewPCG(uint64(ci), 7))
				for i := 0; i < msgs; {
					burst := min(1+rng.IntN(3), msgs-i)
					for k := range burst {
						if err := c.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, "4c%d-%d", ci, i+k)); err != nil {
							return err
						}
					}
					for k := range burst {
						_ = c.SetReadDeadline(time.Now().Add(parkTimeout))
						_, got, err := c.ReadMessage()
						if want := fmt.Sprintf("4c%d-%d", ci, i+k); err != nil || string(got) != want {
							return fmt.Errorf("client %d: got %q %v, want %q", ci, got, err, want)
						}
					}
					i += burst
					pause := time.Duration(rng.Int64N(int64(2 * idle)))
					if i%10 == 0 {
						pause = 2 * idle // the deadline has passed: the reader parks
					}
					time.Sleep(pause)
				}
				return nil
			}()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	_, after, _ := r.p.Parked()
	t.Logf("%d parks for %d messages", after-before, clients*msgs)
	if min := uint64(clients * (msgs / 10)); after-before < min {
		t.Errorf("%d parks, want at least %d", after-before, min)
	}
}

// A parked connection ends cleanly however it ends, and Wait returns.
func TestParkedConnectionEnds(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, tc := range []struct {
		name   string
		end    func(c *websocket.Conn, ws *WebSocket, p *Parker)
		closed bool // the client sees a close frame
	}{
		{"transport close", func(_ *websocket.Conn, ws *WebSocket, _ *Parker) { ws.Close(true) }, true},
		{"abort", func(_ *websocket.Conn, ws *WebSocket, _ *Parker) { ws.Abort() }, false},
		{"client close frame", func(c *websocket.Conn, _ *WebSocket, _ *Parker) {
			_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""),
				time.Now().Add(parkTimeout))
		}, true},
		{"client TCP close", func(c *websocket.Conn, _ *WebSocket, _ *Parker) { c.NetConn().Close() }, false},
		{"parker close", func(c *websocket.Conn, ws *WebSocket, p *Parker) {
			if err := p.Close(); err != nil {
				t.Error(err)
			}
			waitReaders(t, 1) // resumed, and reading without a parker
			if err := c.WriteMessage(websocket.TextMessage, []byte("4still")); err != nil {
				t.Fatal(err)
			}
			expectEcho(t, c, "4still")
			ws.Close(true)
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newParkRig(t, 5*time.Millisecond, false)
			c, ws := r.dial()
			waitParked(t, r.p, 1, 1)
			tc.end(c, ws, r.p)
			stopped(t, ws)
			if tc.closed {
				_ = c.SetReadDeadline(time.Now().Add(parkTimeout))
				if _, _, err := c.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
					t.Errorf("client read %v, want a close frame", err)
				}
			}
			if n, _, _ := r.p.Parked(); n != 0 {
				t.Errorf("%d parked", n)
			}
			c.Close()
			r.close()
		})
	}
}

// A TLS connection is never parked: its descriptor does not tell whether
// the TLS layer holds data. Nor is one whose IdleWait is negative.
func TestConnectionsNotParked(t *testing.T) {
	for _, tc := range []struct {
		name   string
		idle   time.Duration
		useTLS bool
	}{{"TLS", time.Millisecond, true}, {"negative IdleWait", -1, false}} {
		t.Run(tc.name, func(t *testing.T) {
			r := newParkRig(t, tc.idle, tc.useTLS)
			c, ws := r.dial()
			if _, isTLS := ws.bc.Conn.(*tls.Conn); isTLS != tc.useTLS || ws.bc.idle != 0 {
				t.Fatalf("conn %T, idle wait %v: want no idle wait", ws.bc.Conn, ws.bc.idle)
			}
			for i := range 2 {
				msg := fmt.Sprintf("4m%d", i)
				if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
					t.Fatal(err)
				}
				expectEcho(t, c, msg)
			}
			if _, total, _ := r.p.Parked(); total != 0 {
				t.Errorf("%d parks", total)
			}
		})
	}
}
