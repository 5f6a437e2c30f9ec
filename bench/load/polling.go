package main

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sockio/sockio/internal/pollclient"
)

// runPollingEcho is scenario pecho: n long-polling clients (-proto 4 or 3)
// each POST an acked echo and poll until its ack, over one keep-alive
// connection per client and direction (see internal/pollclient: cheap
// enough that the load tool is not the limit, and the same for every
// server measured).
func runPollingEcho(host string, n int, duration time.Duration, pid int) (result, error) {
	var r result
	if *proto == 1 {
		return r, errors.New("pecho speaks Engine.IO 4 or 3")
	}
	polls := make([]*pollclient.Poller, n)
	defer func() {
		for _, p := range polls {
			if p != nil {
				p.Close()
			}
		}
	}()
	for i := range polls {
		p, err := pollclient.Open(host, *proto, 30*time.Second)
		if err != nil {
			return r, fmt.Errorf("client %d: %w", i, err)
		}
		polls[i] = p
	}
	var lat latencies
	var acks, errs atomic.Int64
	var measuring atomic.Bool
	end := time.Now().Add(*warmup + duration)
	frame := echoFrame(*proto, strings.Repeat("x", *size))
	var wg sync.WaitGroup
	for _, p := range polls {
		wg.Go(func() {
			for time.Now().Before(end) {
				t := time.Now()
				if err := p.Echo(frame, end.Add(10*time.Second)); err != nil {
					errs.Add(1)
					return
				}
				if measuring.Load() {
					acks.Add(1)
					lat.add(time.Since(t))
				}
			}
		})
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
