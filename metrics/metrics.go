// Package metrics exports a sockio server's metrics to Prometheus. It is
// the one package of the module that depends on the Prometheus client: the
// server hears of its events through the dependency-free
// [server.Metrics] interface, which [Metrics] implements.
//
//	m := metrics.New()
//	srv := server.New(server.Options{Metrics: m})
//	m.Watch(srv) // the gauges, read at scrape time
//	http.Handle("/socket.io/", srv)
//	http.Handle("/metrics", m.Handler())
//
// (or register m, a prometheus.Collector, in a registry of your own).
// With the Redis adapter, set its Options.OnError to [Metrics.AdapterError].
//
// # Metrics
//
// Every name starts with sockio_. Labels have few values: generation is
// "v1" (socket.io-client 0.9), "eio3" (1.x–2.x) or "eio4" (3.x–4.x);
// transport is "polling" (0.9's xhr-polling and jsonp-polling included),
// "websocket", "htmlfile", "flashsocket", or "none" (a 0.9 client between
// its handshake and its first transport request); reason is a socket.io
// disconnect reason ("transport close", "transport error", "ping timeout",
// "parse error", "forced close", "server shutting down", "client too
// slow", ...) or "other" for one an application made up. Socket ids,
// rooms, namespaces and event names are never labels.
//
//	Name                                  Type       Labels                          Meaning
//	sockio_sessions                       gauge      generation, transport           open sessions (read at scrape time)
//	sockio_handshakes_total               counter    generation, transport           sessions opened by a handshake
//	sockio_disconnects_total              counter    generation, transport, reason   sessions closed, on the transport they had then
//	sockio_upgrades_total                 counter    generation                      polling sessions moved to a websocket
//	sockio_packets_received_total         counter    generation, transport           Engine.IO packets read from clients (pings, messages, binary attachments, ...)
//	sockio_packets_sent_total             counter    generation, transport           Engine.IO packets written to clients
//	sockio_bytes_received_total           counter    generation, transport           bytes read: websocket message payloads (inflated), POST bodies (an htmlfile client's count as polling)
//	sockio_bytes_sent_total               counter    generation, transport           bytes written: websocket message payloads (before deflate), poll answers (as sent, gzip included), htmlfile chunks
//	sockio_broadcast_recipients           histogram  -                               sockets of this process a broadcast reached, per namespace (_count: broadcasts)
//	sockio_queue_frames                   gauge      generation                      packets waiting in the sessions' outbound queues (scrape time)
//	sockio_queue_bytes                    gauge      generation                      bytes waiting in the outbound queues, the sum of buffered amounts (scrape time)
//	sockio_queue_bytes_max                gauge      generation                      the largest one session's queue holds (scrape time)
//	sockio_volatile_dropped_total         counter    generation                      volatile packets dropped for a client that is behind
//	sockio_slow_consumer_closes_total     counter    generation                      sessions closed as "client too slow" (their queue overflowed)
//	sockio_handler_panics_total           counter    -                               panics recovered from handlers and middleware
//	sockio_ack_timeouts_total             counter    -                               EmitWithAck calls whose deadline passed before every ack
//	sockio_adapter_errors_total           counter    op                              calls to Redis by the Redis adapter that failed or, during an outage, were not tried (op: publish, subscribe, subscription, numsub)
//
// Everything a packet does costs an array lookup and an atomic add: no
// lock and no allocation (see BenchmarkEcho in this package's tests). The
// gauges walk the sessions when scraped ([server.Engine.EachSession]).
package metrics

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sockio/sockio/payload"
	"github.com/sockio/sockio/server"
)

// Label values.
var (
	generations = [...]string{"v1", "eio3", "eio4"}
	transports  = [...]string{"none", "polling", "websocket", "htmlfile", "flashsocket"}
)

const (
	numGen = len(generations)
	numTr  = len(transports)
)

// genIndex is gen's index in generations.
func genIndex(gen server.Generation) int {
	switch gen {
	case server.V1:
		return 0
	case server.EIO3:
		return 1
	default:
		return 2
	}
}

// trIndex is transport's index in transports; "" is "none".
func trIndex(transport string) int {
	switch transport {
	case "polling", "xhr-polling", "jsonp-polling":
		return 1
	case "websocket":
		return 2
	case "htmlfile":
		return 3
	case "flashsocket":
		return 4
	default:
		return 0
	}
}

// reasonLabel is reason if it is one of socket.io's (or sockio's),
// "other" if an application made it up: labels stay few.
func reasonLabel(reason payload.DisconnectReason) string {
	switch reason {
	case payload.ReasonTransportClose, payload.ReasonTransportError, payload.ReasonPingTimeout,
		payload.ReasonParseError, payload.ReasonServerNamespaceDisconnect,
		payload.ReasonClientNamespaceDisconnect, payload.ReasonForcedClose, payload.ReasonForcedServerClose,
		payload.ReasonServerShuttingDown, payload.ReasonClientTooSlow:
		return string(reason)
	}
	return "other"
}

// table is a counter vector by generation and transport whose counters
// are made up front (so that they are served, at zero, before their
// first event): an add is an array lookup and an atomic add.
type table struct {
	vec   *prometheus.CounterVec
	cells [numGen][numTr]prometheus.Counter // read-only once made
}

func newTable(name, help string) *table {
	t := &table{vec: prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help},
		[]string{"generation", "transport"})}
	for g := range generations {
		for tr := range transports {
			// 2.x and 4.x clients have two transports; 0.9 clients all.
			if g == 0 || transports[tr] == "polling" || transports[tr] == "websocket" {
				t.cells[g][tr] = t.vec.WithLabelValues(generations[g], transports[tr])
			}
		}
	}
	return t
}

func (t *table) add(gen server.Generation, transport string, v int) {
	g, tr := genIndex(gen), trIndex(transport)
	c := t.cells[g][tr]
	if c == nil { // a pair that is not made up front
		c = t.vec.WithLabelValues(generations[g], transports[tr])
	}
	c.Add(float64(v))
}

// byGen is a counter vector by generation, resolved at construction.
type byGen struct {
	vec   *prometheus.CounterVec
	cells [numGen]prometheus.Counter
}

func newByGen(name, help string) *byGen {
	b := &byGen{vec: prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help},
		[]string{"generation"})}
	for i, g := range generations {
		b.cells[i] = b.vec.WithLabelValues(g)
	}
	return b
}

func (b *byGen) inc(gen server.Generation) { b.cells[genIndex(gen)].Inc() }

// Sessions lists open sessions, for the gauges read at scrape time: a
// *server.Server or a *server.Engine.
type Sessions interface {
	EachSession(fn func(server.SessionInfo))
}

// Metrics is a server's Prometheus metrics: a [server.Metrics] to set as
// server.Options.Metrics, and a [prometheus.Collector] to register. Its
// methods are safe for concurrent use. One Metrics may observe several
// servers; their figures add up.
type Metrics struct {
	handshakes   *table
	disconnects  *prometheus.CounterVec
	upgrades     *byGen
	packetsIn    *table
	packetsOut   *table
	bytesIn      *table
	bytesOut     *table
	recipients   prometheus.Histogram
	dropped      *byGen
	slowCloses   *byGen
	panics       prometheus.Counter
	ackTimeouts  prometheus.Counter
	adapterErrs  *prometheus.CounterVec
	sessionsDesc *prometheus.Desc
	queueFrames  *prometheus.Desc
	queueBytes   *prometheus.Desc
	queueMax     *prometheus.Desc

	mu      sync.Mutex
	watched []Sessions
}

// New returns metrics that count from zero. Register them (they are a
// prometheus.Collector), and pass the server they observe to Watch for the
// session and queue gauges.
func New() *Metrics {
	return &Metrics{
		handshakes: newTable("sockio_handshakes_total", "Sessions opened by a handshake."),
		disconnects: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sockio_disconnects_total",
			Help: "Sessions closed, by the transport they had then and the disconnect reason."},
			[]string{"generation", "transport", "reason"}),
		upgrades:   newByGen("sockio_upgrades_total", "Polling sessions upgraded to a websocket."),
		packetsIn:  newTable("sockio_packets_received_total", "Engine.IO packets read from clients."),
		packetsOut: newTable("sockio_packets_sent_total", "Engine.IO packets written to clients."),
		bytesIn:    newTable("sockio_bytes_received_total", "Bytes read from clients: websocket messages, POST bodies."),
		bytesOut:   newTable("sockio_bytes_sent_total", "Bytes written to clients: websocket messages, poll answers, htmlfile chunks."),
		recipients: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "sockio_broadcast_recipients",
			Help:    "Sockets of this process a broadcast reached, per namespace.",
			Buckets: []float64{0, 1, 10, 100, 1000, 10000, 100000}}),
		dropped: newByGen("sockio_volatile_dropped_total",
			"Volatile packets dropped for a client that is behind."),
		slowCloses: newByGen("sockio_slow_consumer_closes_total",
			"Sessions closed because their outbound queue overflowed (client too slow)."),
		panics: prometheus.NewCounter(prometheus.CounterOpts{Name: "sockio_handler_panics_total",
			Help: "Panics recovered from handlers and middleware."}),
		ackTimeouts: prometheus.NewCounter(prometheus.CounterOpts{Name: "sockio_ack_timeouts_total",
			Help: "EmitWithAck calls whose deadline passed before every ack came."}),
		adapterErrs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sockio_adapter_errors_total",
			Help: "Failed calls to Redis by the Redis adapter, by operation."}, []string{"op"}),
		sessionsDesc: prometheus.NewDesc("sockio_sessions", "Open sessions.",
			[]string{"generation", "transport"}, nil),
		queueFrames: prometheus.NewDesc("sockio_queue_frames",
			"Packets waiting in the sessions' outbound queues.", []string{"generation"}, nil),
		queueBytes: prometheus.NewDesc("sockio_queue_bytes",
			"Bytes waiting in the sessions' outbound queues (the sum of their buffered amounts).",
			[]string{"generation"}, nil),
		queueMax: prometheus.NewDesc("sockio_queue_bytes_max",
			"The most bytes one session's outbound queue holds.", []string{"generation"}, nil),
	}
}

// Watch adds a server (or engine) whose sessions the gauges count.
func (m *Metrics) Watch(s Sessions) {
	m.mu.Lock()
	m.watched = append(m.watched, s)
	m.mu.Unlock()
}

// Handler returns an http.Handler that serves m, with the Go runtime's
// and the process's metrics, in the Prometheus exposition format: mount it
// at /metrics. It registers m in a registry of its own, so call it once; to
// serve m with other metrics, register m in their registry instead.
func (m *Metrics) Handler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(m, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

// collectors are the metrics kept as they happen.
func (m *Metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.handshakes.vec, m.disconnects, m.upgrades.vec, m.packetsIn.vec,
		m.packetsOut.vec, m.bytesIn.vec, m.bytesOut.vec, m.recipients, m.dropped.vec, m.slowCloses.vec,
		m.panics, m.ackTimeouts, m.adapterErrs}
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m.collectors() {
		c.Describe(ch)
	}
	ch <- m.sessionsDesc
	ch <- m.queueFrames
	ch <- m.queueBytes
	ch <- m.queueMax
}

// Collect implements prometheus.Collector: the counters, and the gauges
// from a walk over the watched servers' sessions.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m.collectors() {
		c.Collect(ch)
	}
	m.mu.Lock()
	watched := append([]Sessions(nil), m.watched...)
	m.mu.Unlock()
	if len(watched) == 0 {
		return
	}
	var (
		sessions            [numGen][numTr]int
		frames, bytes, most [numGen]int
	)
	for _, w := range watched {
		w.EachSession(func(s server.SessionInfo) {
			g := genIndex(s.Generation)
			sessions[g][trIndex(s.Transport)]++
			frames[g] += s.QueuedFrames
			bytes[g] += s.QueuedBytes
			most[g] = max(most[g], s.QueuedBytes)
		})
	}
	for g, gen := range generations {
		for t, tr := range transports {
			ch <- prometheus.MustNewConstMetric(m.sessionsDesc, prometheus.GaugeValue, float64(sessions[g][t]), gen, tr)
		}
		ch <- prometheus.MustNewConstMetric(m.queueFrames, prometheus.GaugeValue, float64(frames[g]), gen)
		ch <- prometheus.MustNewConstMetric(m.queueBytes, prometheus.GaugeValue, float64(bytes[g]), gen)
		ch <- prometheus.MustNewConstMetric(m.queueMax, prometheus.GaugeValue, float64(most[g]), gen)
	}
}

// SessionOpened implements server.Metrics.
func (m *Metrics) SessionOpened(gen server.Generation, transport string) {
	m.handshakes.add(gen, transport, 1)
}

// SessionClosed implements server.Metrics.
func (m *Metrics) SessionClosed(gen server.Generation, transport string, reason payload.DisconnectReason) {
	g := genIndex(gen)
	m.disconnects.WithLabelValues(generations[g], transports[trIndex(transport)], reasonLabel(reason)).Inc()
	if reason == payload.ReasonClientTooSlow {
		m.slowCloses.cells[g].Inc()
	}
}

// Upgraded implements server.Metrics.
func (m *Metrics) Upgraded(gen server.Generation) { m.upgrades.inc(gen) }

// Received implements server.Metrics.
func (m *Metrics) Received(gen server.Generation, transport string, frames, bytes int) {
	m.packetsIn.add(gen, transport, frames)
	m.bytesIn.add(gen, transport, bytes)
}

// Sent implements server.Metrics.
func (m *Metrics) Sent(gen server.Generation, transport string, frames, bytes int) {
	m.packetsOut.add(gen, transport, frames)
	m.bytesOut.add(gen, transport, bytes)
}

// VolatileDropped implements server.Metrics.
func (m *Metrics) VolatileDropped(gen server.Generation) { m.dropped.inc(gen) }

// Broadcast implements server.Metrics (namespace.Metrics).
func (m *Metrics) Broadcast(recipients int) { m.recipients.Observe(float64(recipients)) }

// HandlerPanicked implements server.Metrics (namespace.Metrics).
func (m *Metrics) HandlerPanicked() { m.panics.Inc() }

// AckTimedOut implements server.Metrics (namespace.Metrics).
func (m *Metrics) AckTimedOut() { m.ackTimeouts.Inc() }

// AdapterError counts a failed call to Redis; it is the Redis adapter's
// Options.OnError. op should be one of a few fixed names.
func (m *Metrics) AdapterError(op string, _ error) { m.adapterErrs.WithLabelValues(op).Inc() }

var _ server.Metrics = (*Metrics)(nil)
