// Command load puts a sockio server (or any socket.io server running the
// conformance app, see examples/conformance) under load over loopback and
// reports connection rate, throughput, latency and the server's memory.
//
//	go run ./bench/load -url http://127.0.0.1:3000 -clients 2000 -mode echo -duration 10s
//	go run ./bench/load -mode bcast -clients 1000 -pid $(pgrep conformance)
//	go run ./bench/load -mode flood -clients 100 -duration 8s
//
// Modes: "echo" (every client keeps one acked echo in flight; latency is the
// ack round trip), "bcast" (one sender broadcasts with bcast; latency is
// from the send to each receiver), "idle" (connect and hold: memory per
// connection), "flood" (every client echoes as in "echo", first quietly, then
// for as long again while one more client sends -flood-size events as fast
// as the server reads them; the report compares the echo latencies). It
// speaks Engine.IO 4 websocket frames itself, as a load
// generator must to be cheap; correctness is the real clients' job.
//
// With -scenario it runs one of bench/compare's scenarios instead (see
// scenario.go) and prints its figures as one JSON line.
//
// Traffic goes only to the -url given, which must be a loopback address;
// every loop is bounded by -duration.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

func main() {
	target := flag.String("url", "http://127.0.0.1:3000", "server (loopback only)")
	clients := flag.Int("clients", 1000, "connections to open")
	mode := flag.String("mode", "echo", "echo, bcast, idle or flood")
	duration := flag.Duration("duration", 10*time.Second, "how long to send (bounded)")
	interval := flag.Duration("interval", 10*time.Millisecond, "bcast: time between broadcasts")
	pid := flag.Int("pid", 0, "server process id, to report its memory")
	floodSize := flag.Int("flood-size", 999_000, "flood: bytes of each flood event (keep it under the server's maxPayload)")
	flag.Parse()
	var err error
	if *scenario != "" {
		err = runScenario(*target, *clients, *duration, *interval, *pid)
	} else if *mode == "flood" {
		err = runFlood(*target, *clients, *duration, *floodSize)
	} else {
		err = run(*target, *clients, *mode, *duration, *interval, *pid)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// wsURL checks target (loopback only) and duration, and returns the
// websocket URL of the server's socket.io mount.
func wsURL(target string, duration time.Duration) (string, error) {
	u, err := url.Parse(target)
	if err != nil {
		return "", err
	}
	if ip := net.ParseIP(u.Hostname()); (ip == nil || !ip.IsLoopback()) && u.Hostname() != "localhost" {
		return "", errors.New("the load tool only targets loopback addresses")
	}
	if duration > 10*time.Minute {
		return "", errors.New("duration is capped at 10 minutes")
	}
	return "ws://" + u.Host + "/socket.io/?EIO=4&transport=websocket", nil
}

func run(target string, n int, mode string, duration, interval time.Duration, pid int) error {
	ws, err := wsURL(target, duration)
	if err != nil {
		return err
	}

	rssBefore := rss(pid)
	start := time.Now()
	conns := make([]*client, n)
	for i := range conns {
		c, err := dial(ws)
		if err != nil {
			return fmt.Errorf("client %d: %w", i, err)
		}
		conns[i] = c
	}
	elapsed := time.Since(start)
	fmt.Printf("connected %d clients in %v (%.0f conn/s)\n", n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds())
	if pid > 0 {
		fmt.Printf("server RSS: %d KiB before, %d KiB after (%.1f KiB per connection)\n",
			rssBefore, rss(pid), float64(rss(pid)-rssBefore)/float64(n))
	}

	var lat latencies
	var sent, received atomic.Int64
	deadline := time.Now().Add(duration)
	var wg sync.WaitGroup
	var cur atomic.Pointer[latencies]
	cur.Store(&lat)
	for _, c := range conns {
		wg.Add(1)
		go func() { defer wg.Done(); c.readLoop(&cur, &received) }()
	}
	switch mode {
	case "idle":
		time.Sleep(duration) // hold the connections for the memory reading
	case "echo":
		var senders sync.WaitGroup
		for _, c := range conns {
			senders.Add(1)
			go func() { defer senders.Done(); c.echoLoop(deadline, &sent) }()
		}
		senders.Wait()
	case "bcast":
		for time.Now().Before(deadline) {
			msg := fmt.Sprintf(`42["bcast",%d]`, time.Now().UnixNano())
			if err := conns[0].write(msg); err != nil {
				return err
			}
			sent.Add(1)
			time.Sleep(interval)
		}
	default:
		return fmt.Errorf("unknown mode %q", mode)
	}
	time.Sleep(200 * time.Millisecond) // let the last answers arrive before the report
	for _, c := range conns {
		c.conn.Close()
	}
	wg.Wait()
	secs := duration.Seconds()
	fmt.Printf("mode %s: sent %d, received %d (%.0f msg/s received)\n", mode, sent.Load(), received.Load(), float64(received.Load())/secs)
	if p := lat.percentiles(); p != "" {
		fmt.Println("latency", p)
	}
	return nil
}

type client struct {
	conn    *websocket.Conn
	wmu     sync.Mutex
	acks    chan struct{}
	pending atomic.Int64 // send time of the echo in flight
}

func dial(ws string) (*client, error) { return dialBuffered(ws, 1024) }

// dialBuffered dials with a write buffer of wbuf bytes: a message that fits
// leaves as one websocket frame, as a browser sends it.
func dialBuffered(ws string, wbuf int) (*client, error) {
	d := websocket.Dialer{ReadBufferSize: 1024, WriteBufferSize: wbuf, HandshakeTimeout: 10 * time.Second}
	conn, _, err := d.Dial(ws, nil)
	if err != nil {
		return nil, err
	}
	c := &client{conn: conn, acks: make(chan struct{}, 1)}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, open, err := conn.ReadMessage(); err != nil || len(open) == 0 || open[0] != '0' {
		return nil, fmt.Errorf("no open packet: %v", err)
	}
	if err := c.write("40"); err != nil {
		return nil, err
	}
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(string(msg), "40") {
			break
		}
	}
	_ = conn.SetReadDeadline(time.Time{})
	return c, nil
}

func (c *client) write(msg string) error { return c.writeBytes([]byte(msg)) }

func (c *client) writeBytes(msg []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.conn.WriteMessage(websocket.TextMessage, msg)
}

// readLoop answers pings and records each echo ack and broadcast in the
// latencies lat holds.
func (c *client) readLoop(lat *atomic.Pointer[latencies], received *atomic.Int64) {
	for {
		_, msg, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		s := string(msg)
		switch {
		case s == "2":
			_ = c.write("3")
		case strings.HasPrefix(s, `43`): // echo ack
			received.Add(1)
			if t := c.pending.Load(); t > 0 {
				lat.Load().add(time.Duration(time.Now().UnixNano() - t))
			}
			select {
			case c.acks <- struct{}{}:
			default:
			}
		case strings.HasPrefix(s, `42["bcast",`):
			received.Add(1)
			ts, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(s, `42["bcast",`), "]"), 10, 64)
			if err == nil {
				lat.Load().add(time.Duration(time.Now().UnixNano() - ts))
			}
		}
	}
}

func (c *client) echoLoop(deadline time.Time, sent *atomic.Int64) {
	for id := 0; time.Now().Before(deadline); id++ {
		c.pending.Store(time.Now().UnixNano())
		if err := c.write(fmt.Sprintf(`42%d["echo","payload of a typical small chat message"]`, id)); err != nil {
			return
		}
		sent.Add(1)
		select {
		case <-c.acks:
		case <-time.After(time.Until(deadline) + time.Second):
			return
		}
	}
}

// latencies keeps every sample; runs are bounded, so this stays small.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) percentiles() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return ""
	}
	slices.Sort(l.d)
	at := func(p float64) time.Duration { return l.d[int(p*float64(len(l.d)-1))].Round(time.Microsecond) }
	return fmt.Sprintf("p50 %v p90 %v p99 %v max %v (%d samples)", at(.5), at(.9), at(.99), l.d[len(l.d)-1].Round(time.Microsecond), len(l.d))
}

// at returns the p-quantile of the samples, 0 without samples.
func (l *latencies) at(p float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0
	}
	slices.Sort(l.d)
	return l.d[int(p*float64(len(l.d)-1))]
}

// rss reads a process's resident memory in KiB from /proc, 0 if unknown.
func rss(pid int) int64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			v, _ := strconv.ParseInt(f[1], 10, 64)
			return v
		}
	}
	return 0
}
