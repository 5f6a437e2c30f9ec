package transports

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockio/sockio/payload"
)

// toldSession is a testSession that counts Told.
type toldSession struct {
	*testSession
	told atomic.Int32
}

func (s *toldSession) Told() { s.told.Add(1) }

func newPolling(t *testing.T, opts PollingOptions) (*Polling, *toldSession) {
	t.Helper()
	sess := &toldSession{testSession: newTestSession()}
	p := NewPolling(sess, opts, false)
	p.Activate()
	t.Cleanup(func() { p.Close(false); p.Wait() })
	return p, sess
}

func poll(p *Polling, query string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	p.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/?"+query, nil))
	return w
}

func post(p *Polling, query, body string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	p.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/?"+query, strings.NewReader(body)))
	return w
}

// pendingPoll starts a poll on a goroutine of its own and returns once it
// is pending; its answer arrives on the channel.
func pendingPoll(t *testing.T, p *Polling) <-chan *httptest.ResponseRecorder {
	t.Helper()
	got := make(chan *httptest.ResponseRecorder, 1)
	go func() { got <- poll(p, "") }()
	waitPending(t, p)
	return got
}

// waitPending waits until a poll is pending: a condition polled with a
// deadline, as the poll runs on a goroutine of its own.
func waitPending(t *testing.T, p *Polling) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !p.Pending() {
		if time.Now().After(deadline) {
			t.Fatal("no poll pending")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestPollingTakesQueued(t *testing.T) {
	p, sess := newPolling(t, PollingOptions{})
	_, _ = sess.q.Push(false, text("4a"), text("4b"))
	w := poll(p, "")
	if w.Code != http.StatusOK || w.Body.String() != "44a\x1e44b" {
		t.Fatalf("poll = %d %q", w.Code, w.Body)
	}
	if ct, cc := w.Header().Get("Content-Type"), w.Header().Get("Cache-Control"); ct != "text/plain; charset=UTF-8" || cc != "no-store" {
		t.Errorf("headers: %q %q", ct, cc)
	}
	if sess.q.Len() != 0 {
		t.Error("the poll left frames queued")
	}
}

func TestPollingWaitsForPush(t *testing.T) {
	p, sess := newPolling(t, PollingOptions{})
	got := make(chan *httptest.ResponseRecorder)
	go func() { got <- poll(p, "") }()
	_, _ = sess.q.Push(false, text("late"))
	if w := <-got; w.Body.String() != "4late" {
		t.Fatalf("poll = %q", w.Body)
	}
}

func TestPollingHoldAnswersNoop(t *testing.T) {
	p, _ := newPolling(t, PollingOptions{Hold: time.Millisecond})
	if w := poll(p, ""); w.Body.String() != "6" {
		t.Fatalf("held poll = %q, want noop", w.Body)
	}
}

func TestPollingRelease(t *testing.T) {
	p, _ := newPolling(t, PollingOptions{})
	got := pendingPoll(t, p)
	p.Release()
	if w := <-got; w.Body.String() != "6" {
		t.Fatalf("released poll = %q, want noop", w.Body)
	}
}

func TestPollingOverlap(t *testing.T) {
	p, sess := newPolling(t, PollingOptions{})
	got := pendingPoll(t, p)
	if w := poll(p, ""); w.Code != http.StatusBadRequest {
		t.Fatalf("second poll = %d, want 400", w.Code)
	}
	if r := <-sess.failed; r != "transport error" {
		t.Errorf("failed with %q", r)
	}
	p.Close(false)
	<-got
}

func TestPollingReplace(t *testing.T) {
	p, sess := newPolling(t, PollingOptions{Replace: true})
	got := pendingPoll(t, p)
	second := make(chan *httptest.ResponseRecorder)
	go func() { second <- poll(p, "") }()
	if w := <-got; w.Body.String() != "6" {
		t.Fatalf("replaced poll = %q, want noop", w.Body)
	}
	_, _ = sess.q.Push(false, text("x"))
	if w := <-second; w.Body.String() != "4x" {
		t.Fatalf("replacing poll = %q", w.Body)
	}
}

func TestPollingCloseTellsNextPoll(t *testing.T) {
	for _, final := range []bool{true, false} {
		p, sess := newPolling(t, PollingOptions{})
		_, _ = sess.q.Push(false, text("last"))
		p.Close(final)
		want := "6" // noop: the client ended the session
		if final {
			want = "4last\x1e1"
		}
		if w := poll(p, ""); w.Body.String() != want {
			t.Errorf("final=%v: poll after close = %q, want %q", final, w.Body, want)
		}
		if n := sess.told.Load(); n != 1 {
			t.Errorf("final=%v: Told %d times", final, n)
		}
		if w := poll(p, ""); w.Code != http.StatusBadRequest {
			t.Errorf("final=%v: poll after the told one = %d, want 400", final, w.Code)
		}
		if w := post(p, "", "4x"); w.Code != http.StatusBadRequest {
			t.Errorf("final=%v: post after close = %d, want 400", final, w.Code)
		}
	}
}

func TestPollingDiscard(t *testing.T) {
	p, sess := newPolling(t, PollingOptions{})
	p.Discard()
	if w := poll(p, ""); w.Code != http.StatusBadRequest {
		t.Fatalf("poll after discard = %d, want 400", w.Code)
	}
	if sess.told.Load() != 0 {
		t.Error("a discarded transport told the session")
	}
}

func TestPollingPost(t *testing.T) {
	p, sess := newPolling(t, PollingOptions{})
	w := post(p, "", "4hello\x1e2")
	if w.Code != http.StatusOK || w.Body.String() != "ok" || w.Header().Get("Content-Type") != "text/html" {
		t.Fatalf("post = %d %q %q", w.Code, w.Body, w.Header().Get("Content-Type"))
	}
	if f := <-sess.received; f.Type != payload.FrameMessage || string(f.Data) != "hello" {
		t.Errorf("first frame %+v", f)
	}
	if f := <-sess.received; f.Type != payload.FramePing {
		t.Errorf("second frame %+v", f)
	}

	p2, _ := newPolling(t, PollingOptions{PostReply: "1"})
	if w := post(p2, "", "4x"); w.Body.String() != "1" || w.Header().Get("Content-Type") != "text/plain; charset=UTF-8" {
		t.Errorf("post with PostReply = %q %q", w.Body, w.Header().Get("Content-Type"))
	}
}

func TestPollingPostErrors(t *testing.T) {
	p, sess := newPolling(t, PollingOptions{MaxBody: 4})
	if w := post(p, "", "4toolong"); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("large post = %d, want 413", w.Code)
	}
	select {
	case r := <-sess.failed:
		t.Errorf("a large post failed the session: %s", r)
	default:
	}
	if w := post(p, "", "9"); w.Code != http.StatusBadRequest {
		t.Errorf("bad payload = %d, want 400", w.Code)
	}
	if r := <-sess.failed; r != "parse error" {
		t.Errorf("bad payload failed with %q", r)
	}
	if w := post(p, "j=0", "%zz"); w.Code != http.StatusBadRequest {
		t.Errorf("bad JSONP form = %d, want 400", w.Code)
	}
	if r := <-sess.failed; r != "parse error" {
		t.Errorf("bad JSONP form failed with %q", r)
	}
}

func TestPollingJSONP(t *testing.T) {
	p, sess := newPolling(t, PollingOptions{})
	if w := post(p, "j=1", "d=4hi"); w.Code != http.StatusOK {
		t.Fatalf("JSONP post = %d", w.Code)
	}
	if f := <-sess.received; string(f.Data) != "hi" {
		t.Errorf("JSONP frame %+v", f)
	}
	_, _ = sess.q.Push(false, text("x"))
	w := poll(p, "j=1")
	if w.Header().Get("Content-Type") != "text/javascript; charset=UTF-8" || w.Body.String() != "4x" {
		t.Errorf("JSONP poll = %q %q", w.Header().Get("Content-Type"), w.Body)
	}
}

func TestJSONPIndex(t *testing.T) {
	for in, want := range map[string]string{"0": "0", "12": "12", "1);alert(1": "11", "": ""} {
		if got := jsonpIndex(in); got != want {
			t.Errorf("jsonpIndex(%q) = %q, want %q", in, got, want)
		}
	}
}

// A POST that announces a body near the limit but sends a few bytes costs
// a buffer of what it sent, not of what it announced: one client cannot
// make the server hold megabytes per request without sending them.
func TestReadBodyAllocatesWhatArrives(t *testing.T) {
	const announced = 900 << 10
	least := uint64(0)
	for i := range 5 { // the fewest bytes over 5 calls: other goroutines only add
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("4:hi!!"))
		r.ContentLength = announced
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		body, err := readBody(httptest.NewRecorder(), r, 1<<20)
		runtime.ReadMemStats(&after)
		if err != nil || string(body) != "4:hi!!" {
			t.Fatalf("readBody = %q, %v", body, err)
		}
		if n := after.TotalAlloc - before.TotalAlloc; i == 0 || n < least {
			least = n
		}
	}
	if least >= 64<<10 {
		t.Fatalf("reading 6 bytes of an announced %d allocated %d bytes", announced, least)
	}
}
