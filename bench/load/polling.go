package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// poller is one Engine.IO long-polling client (-proto 4 or 3).
type poller struct {
	hc    *http.Client
	base  string // URL with EIO, transport and sid
	proto int
}

// encodePayload frames packets as one polling body: separated by 0x1e in
// Engine.IO 4, each prefixed with "<length>:" in Engine.IO 3.
func encodePayload(proto int, packets ...string) string {
	if proto == 4 {
		return strings.Join(packets, "\x1e")
	}
	var b strings.Builder
	for _, p := range packets {
		b.WriteString(strconv.Itoa(len([]rune(p))))
		b.WriteByte(':')
		b.WriteString(p)
	}
	return b.String()
}

// decodePayload splits a polling body into packets.
func decodePayload(proto int, body string) ([]string, error) {
	if proto == 4 {
		return strings.Split(body, "\x1e"), nil
	}
	var out []string
	for body != "" {
		n, rest, ok := strings.Cut(body, ":")
		l, err := strconv.Atoi(n)
		if !ok || err != nil || l < 0 {
			return out, fmt.Errorf("bad Engine.IO 3 payload %.40q", body)
		}
		r := []rune(rest)
		if l > len(r) {
			return out, errors.New("short Engine.IO 3 payload")
		}
		out = append(out, string(r[:l]))
		body = string(r[l:])
	}
	return out, nil
}

func (p *poller) get() ([]string, error) {
	resp, err := p.hc.Get(p.base + "&t=" + strconv.FormatInt(time.Now().UnixNano(), 36))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %d: %.80s", resp.StatusCode, b)
	}
	return decodePayload(p.proto, string(b))
}

func (p *poller) post(packets ...string) error {
	resp, err := p.hc.Post(p.base+"&t="+strconv.FormatInt(time.Now().UnixNano(), 36), "text/plain;charset=UTF-8",
		bytes.NewBufferString(encodePayload(p.proto, packets...)))
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("POST %d", resp.StatusCode)
	}
	return nil
}

// openPoller handshakes and joins the main namespace.
func openPoller(hc *http.Client, host string, proto int) (*poller, error) {
	p := &poller{hc: hc, proto: proto, base: "http://" + host + "/socket.io/?EIO=" + strconv.Itoa(proto) + "&transport=polling"}
	pk, err := p.get()
	if err != nil {
		return nil, err
	}
	if len(pk) == 0 || !strings.HasPrefix(pk[0], `0{"sid":"`) {
		return nil, fmt.Errorf("no open packet: %.80q", pk)
	}
	sid, _, _ := strings.Cut(strings.TrimPrefix(pk[0], `0{"sid":"`), `"`)
	p.base += "&sid=" + sid
	joined := false
	for _, x := range pk[1:] {
		joined = joined || strings.HasPrefix(x, "40")
	}
	if proto == 4 {
		if err := p.post("40"); err != nil {
			return nil, err
		}
	}
	for !joined {
		pk, err := p.get()
		if err != nil {
			return nil, err
		}
		for _, x := range pk {
			joined = joined || strings.HasPrefix(x, "40")
		}
	}
	return p, nil
}

// echo sends one acked echo and polls until its ack arrives, answering
// pings (Engine.IO 4) on the way.
func (p *poller) echo(frame string) error {
	if err := p.post(frame); err != nil {
		return err
	}
	for {
		pk, err := p.get()
		if err != nil {
			return err
		}
		acked := false
		for _, x := range pk {
			switch {
			case x == "2":
				if err := p.post("3"); err != nil {
					return err
				}
			case strings.HasPrefix(x, "43"):
				acked = true
			}
		}
		if acked {
			return nil
		}
	}
}

func runPollingEcho(host string, n int, duration time.Duration, pid int) (result, error) {
	var r result
	if *proto == 1 {
		return r, errors.New("pecho speaks Engine.IO 4 or 3")
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 2 * n, MaxConnsPerHost: 0}}
	defer hc.CloseIdleConnections()
	polls := make([]*poller, n)
	for i := range polls {
		p, err := openPoller(hc, host, *proto)
		if err != nil {
			return r, fmt.Errorf("client %d: %w", i, err)
		}
		polls[i] = p
	}
	var lat latencies
	var acks, errs atomic.Int64
	var measuring atomic.Bool
	end := time.Now().Add(*warmup + duration)
	frame := string(echoFrame(*proto, strings.Repeat("x", *size)))
	var wg sync.WaitGroup
	for _, p := range polls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				t := time.Now()
				if err := p.echo(frame); err != nil {
					errs.Add(1)
					return
				}
				if measuring.Load() {
					acks.Add(1)
					lat.add(time.Since(t))
				}
			}
		}()
	}
	time.Sleep(*warmup)
	measuring.Store(true)
	m := cpuMeter{pid: pid}
	m.start()
	time.Sleep(duration)
	measuring.Store(false)
	m.stop(&r)
	wg.Wait()
	r.Value, r.Unit, r.Errors = float64(acks.Load())/r.WindowSecs, "acks/s", errs.Load()
	if lat.at(.5) > 0 {
		r.P50ms = float64(lat.at(.5).Microseconds()) / 1000
		r.P99ms = float64(lat.at(.99).Microseconds()) / 1000
	}
	return r, nil
}
