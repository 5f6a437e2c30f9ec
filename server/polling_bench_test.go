package server

import (
	"sync"
	"testing"
	"time"

	"github.com/sockio/sockio/internal/pollclient"
)

// benchPollingEcho runs bench/compare's polling echo in process: clients
// long-polling sessions of Engine.IO proto, each POSTing an acked echo and
// polling until the ack, b.N echoes in all, over real TCP connections (one
// for the POSTs and one for the GETs of each client). The clients allocate
// nothing per echo, so allocs/op is the server's.
func benchPollingEcho(b *testing.B, proto, clients int) {
	addr := serveEcho(b)
	pollers := make([]*pollclient.Poller, clients)
	for i := range pollers {
		p, err := pollclient.Open(addr, proto, 30*time.Second)
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close()
		pollers[i] = p
	}
	frame := []byte(`421["echo","a chat line of about sixty-four bytes, typical of a echo"]`)
	by := time.Now().Add(10 * time.Minute) // a lost ack fails the benchmark
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	var wg sync.WaitGroup
	for i, p := range pollers {
		k := b.N / clients
		if i < b.N%clients {
			k++
		}
		wg.Go(func() {
			for range k {
				if err := p.Echo(frame, by); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkEchoPolling is the polling echo with 4.x clients.
func BenchmarkEchoPolling(b *testing.B) { benchPollingEcho(b, 4, 50) }

// BenchmarkEchoPollingEIO3 is the polling echo with 2.x clients.
func BenchmarkEchoPollingEIO3(b *testing.B) { benchPollingEcho(b, 3, 50) }
