package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// The scenarios bench/compare runs: each prints one JSON line (a [result])
// with the figure, the latencies where they apply, and the CPU both sides
// spent in the measuring window, so that a reader sees which one was the
// limit. They speak three generations' websocket frames (-proto 4: Engine.IO
// 4 + Socket.IO 5; 3: Engine.IO 3 + Socket.IO 4, the 2.x clients; 1: the
// 0.9 clients' protocol) and Engine.IO long-polling (4 and 3).
//
//	echo     -clients websockets keep one acked echo of -size bytes in flight
//	pecho    the same over long-polling (-proto 4 or 3)
//	bflood   one sender broadcasts back to back (at most -window ahead of the
//	         first receiver) to -clients receivers: deliveries/s
//	bpaced   one sender broadcasts every -interval to -clients receivers:
//	         latency from the send to each delivery
//	connect  open -clients websockets, -dialers at a time: sessions/s
//	idle     open -clients websockets (spread over source addresses
//	         127.0.0.2 and up, -per-source each) and hold them for
//	         -duration: server RSS per session and heartbeat CPU
var (
	scenario  = flag.String("scenario", "", "run one bench/compare scenario: echo, pecho, bflood, bpaced, connect or idle (prints a JSON line)")
	proto     = flag.Int("proto", 4, "scenario: protocol (4: Engine.IO 4, 3: Engine.IO 3 / 2.x clients, 1: 0.9 clients)")
	size      = flag.Int("size", 64, "scenario echo/pecho: bytes of the echoed string")
	window    = flag.Int("window", 64, "scenario bflood: broadcasts the sender may be ahead of the first receiver")
	dialers   = flag.Int("dialers", 8, "scenario: connections opened at a time")
	perSource = flag.Int("per-source", 20000, "scenario: connections per source address (127.0.0.2, .3, ...)")
	warmup    = flag.Duration("warmup", time.Second, "scenario echo/pecho/bflood/bpaced: traffic before the measuring window")
)

// result is one scenario's figures; CPU figures are the share of one core
// used during the measuring window.
type result struct {
	Scenario  string  `json:"scenario"`
	Proto     int     `json:"proto"`
	Clients   int     `json:"clients"`
	Value     float64 `json:"value"`
	Unit      string  `json:"unit"`
	P50ms     float64 `json:"p50_ms,omitempty"`
	P99ms     float64 `json:"p99_ms,omitempty"`
	ServerCPU float64 `json:"server_cpu"`
	LoadCPU   float64 `json:"load_cpu"`
	ServerRSS int64   `json:"server_rss_kib,omitempty"`
	Errors    int64   `json:"errors,omitempty"`
	// CoreBusy is the share of each core (cpu0, cpu1, ...) that was busy
	// with anything, the neighbours' work included.
	CoreBusy   []float64 `json:"core_busy"`
	WindowSecs float64   `json:"window_s"`
}

// cpuMeter measures the CPU this process and the server spend between
// start and stop.
type cpuMeter struct {
	pid          int
	wall         time.Time
	self, server time.Duration
	cores        []coreTicks
}

func (m *cpuMeter) start() {
	m.wall, m.self, m.server, m.cores = time.Now(), selfCPU(), procCPU(m.pid), readCores()
}

// busy returns the share of each core busy since start.
func (m *cpuMeter) busy() []float64 {
	now := readCores()
	out := make([]float64, 0, len(now))
	for i := range min(len(now), len(m.cores)) {
		dt := now[i].total - m.cores[i].total
		if dt <= 0 {
			out = append(out, 0)
			continue
		}
		out = append(out, float64(dt-(now[i].idle-m.cores[i].idle))/float64(dt))
	}
	return out
}

// coreTicks is one core's line of /proc/stat: all ticks, and idle+iowait.
type coreTicks struct{ total, idle int64 }

func readCores() []coreTicks {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return nil
	}
	return parseCores(string(b))
}

// parseCores reads the per-core lines (cpu0, cpu1, ...) of /proc/stat.
func parseCores(stat string) []coreTicks {
	var out []coreTicks
	for line := range strings.SplitSeq(stat, "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || !strings.HasPrefix(f[0], "cpu") || f[0] == "cpu" {
			continue
		}
		var c coreTicks
		for i, v := range f[1:] {
			n, _ := strconv.ParseInt(v, 10, 64)
			if i >= 8 { // guest time is counted in user already
				break
			}
			c.total += n
			if i == 3 || i == 4 {
				c.idle += n
			}
		}
		out = append(out, c)
	}
	return out
}

// stop writes into r the shares of one core the load tool and the server
// used since start, and how busy each core was.
func (m *cpuMeter) stop(r *result) {
	secs := time.Since(m.wall).Seconds()
	r.WindowSecs, r.CoreBusy = secs, m.busy()
	r.LoadCPU = (selfCPU() - m.self).Seconds() / secs
	r.ServerCPU = (procCPU(m.pid) - m.server).Seconds() / secs
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is utime+stime of a process from /proc/<pid>/stat, 0 if unknown.
func procCPU(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads utime and stime (fields 14 and 15, in ticks of 1/100 s)
// from the text of /proc/<pid>/stat; the command name may hold spaces, so
// fields count from the last ')'.
func parseStatCPU(stat string) time.Duration {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * 10 * time.Millisecond
}

// speaker is one websocket client of one protocol generation.
type speaker struct {
	conn  *websocket.Conn
	proto int
	wmu   sync.Mutex
	acks  chan struct{}
	bcast atomic.Int64 // broadcasts received
	sig   chan struct{}
}

// dialer opens websockets to host, spreading them over source addresses.
type dialer struct {
	host  string
	proto int
	n     atomic.Int64
}

func (d *dialer) netDialer() *net.Dialer {
	i := d.n.Add(1) - 1
	src := 2 + int(i)/max(1, *perSource)
	if src > 254 {
		src = 254
	}
	return &net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(src))}, Control: dialControl}
}

// v1Handshake makes the 0.9 handshake request over a connection of its own
// with a hand-written HTTP/1.0 request (the server answers and closes), as
// cheaply for the load tool as the dial after it; it returns the body.
func v1Handshake(nd *net.Dialer, host string) ([]byte, error) {
	c, err := nd.Dial("tcp", host)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET /socket.io/1/?t=" + strconv.FormatInt(time.Now().UnixNano(), 10) + " HTTP/1.0\r\nHost: " + host + "\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		return nil, err
	}
	resp, err := io.ReadAll(io.LimitReader(c, 8192))
	if err != nil {
		return nil, err
	}
	head, body, ok := bytes.Cut(resp, []byte("\r\n\r\n"))
	if !ok || !bytes.HasPrefix(head, []byte("HTTP/1.")) || len(head) < 12 || string(head[9:12]) != "200" {
		return nil, fmt.Errorf("0.9 handshake: %.40q", resp)
	}
	return body, nil
}

func (d *dialer) dial() (*speaker, error) {
	nd := d.netDialer()
	ws := "ws://" + d.host + "/socket.io/?EIO=" + strconv.Itoa(d.proto) + "&transport=websocket"
	if d.proto == 1 {
		body, err := v1Handshake(nd, d.host)
		if err != nil {
			return nil, err
		}
		sid, _, _ := strings.Cut(string(body), ":")
		ws = "ws://" + d.host + "/socket.io/1/websocket/" + sid
	}
	wd := websocket.Dialer{ReadBufferSize: 1024, WriteBufferSize: 1024, HandshakeTimeout: 10 * time.Second, NetDialContext: nd.DialContext}
	conn, _, err := wd.Dial(ws, nil)
	if err != nil {
		return nil, err
	}
	s := &speaker{conn: conn, proto: d.proto, acks: make(chan struct{}, 1), sig: make(chan struct{}, 1)}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if d.proto == 4 {
		if _, open, err := conn.ReadMessage(); err != nil || len(open) == 0 || open[0] != '0' {
			conn.Close()
			return nil, fmt.Errorf("no open packet: %v", err)
		}
		if err := s.write([]byte("40")); err != nil {
			conn.Close()
			return nil, err
		}
	}
	want := "40" // Engine.IO 3 servers connect the main namespace by themselves
	if d.proto == 1 {
		want = "1::"
	}
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			conn.Close()
			return nil, err
		}
		if strings.HasPrefix(string(msg), want) {
			break
		}
	}
	_ = conn.SetReadDeadline(time.Time{})
	return s, nil
}

func (s *speaker) write(msg []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.conn.WriteMessage(websocket.TextMessage, msg)
}

// echoFrame is an event "echo" with one string argument and ack id 1.
func echoFrame(proto int, arg string) []byte {
	q := strconv.Quote(arg)
	if proto == 1 {
		return []byte(`5:1+::{"name":"echo","args":[` + q + `]}`)
	}
	return []byte(`421["echo",` + q + `]`)
}

// bcastFrame is an event "bcast" with the send time as its argument.
func bcastFrame(proto int, ts int64) []byte {
	t := strconv.FormatInt(ts, 10)
	if proto == 1 {
		return []byte(`5:::{"name":"bcast","args":[` + t + `]}`)
	}
	return []byte(`42["bcast",` + t + `]`)
}

// bcastTime returns the send time a broadcast frame carries.
func bcastTime(msg string) (int64, bool) {
	i := strings.Index(msg, `bcast"`)
	if i < 0 {
		return 0, false
	}
	rest := strings.TrimLeft(msg[i+6:], ",:[ args\"")
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	v, err := strconv.ParseInt(rest[:j], 10, 64)
	return v, err == nil
}

// echoLoop keeps one acked echo in flight until end and answers heartbeats
// on the way, on one goroutine: the load tool's cost per echo is a write,
// a read and no hand-off, so that it is not what limits a fast server.
func (s *speaker) echoLoop(frame []byte, end time.Time, measuring *atomic.Bool, acks *atomic.Int64, lat *atomic.Pointer[latencies]) error {
	if err := s.conn.SetReadDeadline(end.Add(2 * time.Second)); err != nil {
		return err
	}
	buf := make([]byte, 0, 512)
	for time.Now().Before(end) {
		t := time.Now()
		if err := s.write(frame); err != nil {
			return err
		}
		for {
			msg, err := s.readInto(&buf)
			if err != nil {
				return err
			}
			if bytes.HasPrefix(msg, []byte("43")) || bytes.HasPrefix(msg, []byte("6:")) {
				break
			}
			switch string(msg) { // no allocation: compared, not kept
			case "2":
				err = s.write([]byte("3"))
			case "2::":
				err = s.write([]byte("2::"))
			}
			if err != nil {
				return err
			}
		}
		if measuring.Load() {
			acks.Add(1)
			lat.Load().add(time.Since(t))
		}
	}
	return nil
}

// readInto reads the next message into *buf, reusing its array.
func (s *speaker) readInto(buf *[]byte) ([]byte, error) {
	_, r, err := s.conn.NextReader()
	if err != nil {
		return nil, err
	}
	b := (*buf)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	*buf = b
	return b, nil
}

// readLoop answers heartbeats and counts acks and broadcasts.
func (s *speaker) readLoop(lat *atomic.Pointer[latencies], record *atomic.Bool) {
	for {
		_, b, err := s.conn.ReadMessage()
		if err != nil {
			return
		}
		msg := string(b)
		switch {
		case msg == "2":
			_ = s.write([]byte("3"))
		case msg == "2::":
			_ = s.write([]byte("2::"))
		case strings.HasPrefix(msg, "43"), strings.HasPrefix(msg, "6:"):
			select {
			case s.acks <- struct{}{}:
			default:
			}
		case strings.Contains(msg, `bcast"`):
			s.bcast.Add(1)
			select {
			case s.sig <- struct{}{}:
			default:
			}
			if ts, ok := bcastTime(msg); ok && record.Load() {
				lat.Load().add(time.Duration(time.Now().UnixNano() - ts))
			}
		}
	}
}

func runScenario(target string, n int, duration, interval time.Duration, pid int) error {
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	if _, err := wsURL(target, duration); err != nil {
		return err
	}
	if *proto != 1 && *proto != 3 && *proto != 4 {
		return errors.New("-proto is 4, 3 or 1")
	}
	var r result
	switch *scenario {
	case "pecho":
		r, err = runPollingEcho(u.Host, n, duration, pid)
	default:
		r, err = runWebsocket(u.Host, n, duration, interval, pid)
	}
	if err != nil {
		return err
	}
	r.Scenario, r.Proto, r.Clients = *scenario, *proto, n
	return json.NewEncoder(os.Stdout).Encode(r)
}

// dialAll opens n websockets, -dialers at a time.
func dialAll(d *dialer, n int) ([]*speaker, error) {
	out := make([]*speaker, n)
	var next atomic.Int64
	var firstErr atomic.Pointer[error]
	var wg sync.WaitGroup
	for range max(1, *dialers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || firstErr.Load() != nil {
					return
				}
				s, err := d.dial()
				if err != nil {
					err = fmt.Errorf("client %d: %w", i, err)
					firstErr.CompareAndSwap(nil, &err)
					return
				}
				out[i] = s
			}
		}()
	}
	wg.Wait()
	if e := firstErr.Load(); e != nil {
		for _, s := range out {
			if s != nil {
				s.conn.Close()
			}
		}
		return nil, *e
	}
	return out, nil
}

func runWebsocket(host string, n int, duration, interval time.Duration, pid int) (result, error) {
	d := &dialer{host: host, proto: *proto}
	var r result
	var m cpuMeter
	m.pid = pid
	rssBefore := rss(pid)
	extra := 0
	if *scenario == "bflood" || *scenario == "bpaced" {
		extra = 1 // the sender
	}
	m.start()
	conns, err := dialAll(d, n+extra)
	if err != nil {
		return r, err
	}
	if *scenario == "connect" {
		m.stop(&r)
		r.Value, r.Unit = float64(n+extra)/r.WindowSecs, "sessions/s"
	}
	var lat latencies
	var cur atomic.Pointer[latencies]
	cur.Store(&lat)
	var record atomic.Bool
	var readers sync.WaitGroup
	if *scenario != "echo" { // echo reads on its senders
		for _, c := range conns {
			readers.Add(1)
			go func() { defer readers.Done(); c.readLoop(&cur, &record) }()
		}
	}
	defer func() {
		for _, c := range conns {
			c.conn.Close()
		}
		readers.Wait()
	}()

	switch *scenario {
	case "connect":
	case "idle":
		settle := min(duration/4, 5*time.Second)
		time.Sleep(settle) // sessions finish their setup before the reading
		r.ServerRSS = rss(pid)
		r.Value, r.Unit = float64(r.ServerRSS-rssBefore)/float64(n), "KiB/session"
		m.start()
		time.Sleep(duration - settle) // hold: the heartbeats are the only traffic
		m.stop(&r)
	case "echo":
		var acks, errs atomic.Int64
		var measuring atomic.Bool
		end := time.Now().Add(*warmup + duration)
		var senders sync.WaitGroup
		for _, c := range conns {
			senders.Add(1)
			go func() {
				defer senders.Done()
				frame := echoFrame(*proto, strings.Repeat("x", *size))
				if c.echoLoop(frame, end, &measuring, &acks, &cur) != nil {
					errs.Add(1)
				}
			}()
		}
		time.Sleep(*warmup)
		measuring.Store(true)
		m.start()
		time.Sleep(duration)
		measuring.Store(false)
		m.stop(&r)
		r.Value, r.Unit, r.Errors = float64(acks.Load())/r.WindowSecs, "acks/s", errs.Load()
		senders.Wait()
	case "bflood", "bpaced":
		sender, recv := conns[0], conns[1:]
		first := recv[0]
		count := func() int64 {
			var t int64
			for _, c := range recv {
				t += c.bcast.Load()
			}
			return t
		}
		stop := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			var sent int64
			var tick *time.Ticker
			if *scenario == "bpaced" {
				tick = time.NewTicker(interval)
				defer tick.Stop()
			}
			for {
				if tick != nil {
					select {
					case <-stop:
						done <- nil
						return
					case <-tick.C:
					}
				} else {
					for sent-first.bcast.Load() >= int64(*window) {
						select {
						case <-stop:
							done <- nil
							return
						case <-first.sig:
						case <-time.After(5 * time.Second):
							done <- errors.New("broadcasts stopped arriving")
							return
						}
					}
					select {
					case <-stop:
						done <- nil
						return
					default:
					}
				}
				if err := sender.write(bcastFrame(*proto, time.Now().UnixNano())); err != nil {
					done <- err
					return
				}
				sent++
			}
		}()
		time.Sleep(*warmup)
		record.Store(*scenario == "bpaced")
		before := count()
		m.start()
		time.Sleep(duration)
		got := count() - before
		m.stop(&r)
		record.Store(false)
		close(stop)
		if err := <-done; err != nil {
			return r, err
		}
		r.Value, r.Unit = float64(got)/r.WindowSecs, "deliveries/s"
		if *scenario == "bpaced" {
			r.Unit = "deliveries/s (paced)"
		}
	default:
		return r, fmt.Errorf("unknown scenario %q", *scenario)
	}
	if lat.at(.5) > 0 {
		r.P50ms = float64(lat.at(.5).Microseconds()) / 1000
		r.P99ms = float64(lat.at(.99).Microseconds()) / 1000
	}
	return r, nil
}
