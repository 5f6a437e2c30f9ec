package main

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// runFlood measures what one hostile client does to everyone else: n
// clients keep one acked echo each in flight, for duration quietly, for
// duration while a flooder sends events of size bytes back to back (an
// event no handler listens to, so the server only reads and parses it),
// and for duration quietly again. It prints the echo latencies, quiet and
// flooded, and how much the flooder got through.
func runFlood(target string, n int, duration time.Duration, size int) error {
	ws, err := wsURL(target, duration)
	if err != nil {
		return err
	}
	conns := make([]*client, n)
	for i := range conns {
		if conns[i], err = dial(ws); err != nil {
			return fmt.Errorf("client %d: %w", i, err)
		}
	}
	flooder, err := dialBuffered(ws, size+64)
	if err != nil {
		return fmt.Errorf("flooder: %w", err)
	}
	defer flooder.conn.Close()
	// One reader per connection for both phases; each phase collects into
	// its own latencies.
	var cur atomic.Pointer[latencies]
	var received atomic.Int64
	var readers sync.WaitGroup
	for _, c := range append(conns, flooder) {
		readers.Add(1)
		go func() { defer readers.Done(); c.readLoop(&cur, &received) }()
	}

	phase := func(flood bool) (*latencies, int64, int64) {
		lat := &latencies{}
		cur.Store(lat)
		received.Store(0)
		var sent atomic.Int64
		deadline := time.Now().Add(duration)
		var floods atomic.Int64
		stop := make(chan struct{})
		var flooding sync.WaitGroup
		if flood {
			// 42["flood","xxx…"]: size bytes in all.
			msg := []byte(`42["flood","` + strings.Repeat("x", max(0, size-len(`42["flood",""]`))) + `"]`)
			flooding.Add(1)
			go func() {
				defer flooding.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if flooder.writeBytes(msg) != nil {
						return
					}
					floods.Add(1)
				}
			}()
		}
		var senders sync.WaitGroup
		for _, c := range conns {
			senders.Add(1)
			go func() { defer senders.Done(); c.echoLoop(deadline, &sent) }()
		}
		senders.Wait()
		close(stop)
		flooding.Wait()
		return lat, received.Load(), floods.Load()
	}

	// Quiet before and after the flood, so that warm-up and drift weigh on
	// neither side.
	quiet, qn, _ := phase(false)
	flooded, fn, floods := phase(true)
	after, an, _ := phase(false)
	quiet.d = append(quiet.d, after.d...)
	qn += an
	fmt.Printf("flood: %d echo clients, %v per phase (quiet, flooded, quiet), flood events of %d bytes\n", n, duration, size)
	fmt.Printf("quiet:   %d echoes, latency %s\n", qn, quiet.percentiles())
	fmt.Printf("flooded: %d echoes, latency %s\n", fn, flooded.percentiles())
	fmt.Printf("flooder sent %d events (%.1f MB/s)\n", floods, float64(floods)*float64(size)/duration.Seconds()/1e6)
	q99, f99 := quiet.at(.99), flooded.at(.99)
	if q99 > 0 {
		fmt.Printf("p99 flooded/quiet: %.2f\n", float64(f99)/float64(q99))
	}
	for _, c := range conns {
		c.conn.Close()
	}
	flooder.conn.Close()
	readers.Wait()
	return nil
}
