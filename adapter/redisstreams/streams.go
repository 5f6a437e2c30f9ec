// Package redisstreams is a namespace adapter that spans processes through
// Redis Streams, wire-compatible with the Node adapter
// @socket.io/redis-streams-adapter 0.3 and socket.io 4.8: sockio processes
// and Node socket.io processes share one cluster, its rooms and broadcasts,
// fetchSockets, socketsJoin/socketsLeave, disconnectSockets, serverSideEmit
// (with acks) and broadcasts with acks.
//
//	c := redisstreams.New(goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"}), redisstreams.Options{})
//	defer c.Close()
//	srv := server.New(server.Options{Adapter: c.Adapter})
//
// Broadcasts without acks, socketsJoin/socketsLeave and disconnectSockets
// are appended to a stream (XADD, trimmed to about Options.MaxLen entries),
// which one reader goroutine per stream follows (XREAD BLOCK) for every
// namespace of the process; the other messages (fetchSockets,
// serverSideEmit, broadcasts with acks and every answer) go through pub/sub
// on the channels P#N# and P#N#<uid>#. A process counts the servers of a
// namespace by the subscribers of P#N#.
//
// When Redis is down, publishing returns an error and local delivery goes
// on; the reader and the subscription retry by themselves, and the outage
// is logged at warn level once. The reader resumes after the last entry it
// read, so what other processes appended meanwhile still arrives.
//
// With connection state recovery on (server.Options.ConnectionStateRecovery)
// the adapter keeps sessions in Redis as the Node adapter does (SET
// sio:session:<pid>, expiring after MaxDisconnectionDuration) and gives each
// event the id of its stream entry as offset: a client that reconnects to
// any process of the cluster, sockio or Node, or to a restarted one, gets
// its session back with the events it missed, as long as the stream still
// holds its offset (MaxLen).
package redisstreams

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sockio/sockio/adapter/internal/cluster"
	"github.com/sockio/sockio/namespace"
)

// Options configures a [Cluster]; the zero value works and matches the
// Node adapter's defaults.
type Options struct {
	// StreamName is the stream's key; empty means "socket.io".
	StreamName string
	// StreamCount spreads the namespaces over that many streams
	// (StreamName-<i>, i from the namespace's name as the Node adapter
	// computes it); zero means 1, one stream named StreamName.
	StreamCount int
	// ChannelPrefix prefixes the pub/sub channels; empty means "socket.io".
	ChannelPrefix string
	// MaxLen trims the stream to about that many entries; zero means
	// 10000.
	MaxLen int64
	// ReadCount is the most entries one XREAD returns; zero means 100.
	ReadCount int64
	// BlockTime is how long one XREAD waits for new entries; zero means
	// 5 s.
	BlockTime time.Duration
	// OnlyPlaintext writes stream data as JSON even when it holds binary
	// (which then arrives as base64 strings, as in the Node adapter).
	OnlyPlaintext bool
	// SessionKeyPrefix prefixes the keys of the sessions kept for
	// connection state recovery; empty means "sio:session:".
	SessionKeyPrefix string
	// RequestsTimeout bounds the requests that wait for other processes
	// (fetch, server-side emit with acks) besides their context; zero
	// means 5 s.
	RequestsTimeout time.Duration
	// Logger receives the outage warnings and debug traces; nil means
	// slog.Default().
	Logger *slog.Logger
}

func (o *Options) defaults() {
	if o.StreamName == "" {
		o.StreamName = "socket.io"
	}
	if o.StreamCount <= 0 {
		o.StreamCount = 1
	}
	if o.ChannelPrefix == "" {
		o.ChannelPrefix = "socket.io"
	}
	if o.MaxLen <= 0 {
		o.MaxLen = 10000
	}
	if o.ReadCount <= 0 {
		o.ReadCount = 100
	}
	if o.BlockTime <= 0 {
		o.BlockTime = 5 * time.Second
	}
	if o.SessionKeyPrefix == "" {
		o.SessionKeyPrefix = "sio:session:"
	}
	if o.RequestsTimeout <= 0 {
		o.RequestsTimeout = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// streamKey is the stream of namespace nsp: Java's String.hashCode in
// int32 arithmetic, modulo the count (negative results kept, as in Node).
func streamKey(nsp string, o *Options) string {
	if o.StreamCount == 1 {
		return o.StreamName
	}
	var h int32
	for _, c := range utf16Units(nsp) {
		h = h*31 + int32(c)
	}
	return o.StreamName + "-" + strconv.Itoa(int(h%int32(o.StreamCount)))
}

// utf16Units are the UTF-16 code units of s (JavaScript's charCodeAt).
func utf16Units(s string) []uint16 {
	var out []uint16
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			out = append(out, uint16(0xD800+(r>>10)), uint16(0xDC00+(r&0x3FF)))
		} else {
			out = append(out, uint16(r))
		}
	}
	return out
}

// Cluster connects the namespaces of one server to Redis: one pub/sub
// connection and one stream reader per stream for all of them, and the
// client for the rest. Its [Cluster.Adapter] method is the server's
// AdapterFunc. Close it after the server.
type Cluster struct {
	client goredis.UniversalClient
	opts   Options
	ps     *goredis.PubSub
	reach  cluster.Outage

	mu        sync.Mutex
	adapters  map[string]*adapter // by namespace name
	channels  map[string]*adapter // by subscribed channel
	confirmed map[string]bool     // subscriptions Redis confirmed
	readers   map[string]*reader  // by stream key
	writers   map[string]*writer  // by stream key
	changes   *cluster.Changes    // of confirmed and the readers' readiness

	subs    *cluster.Subscriptions // (un)subscriptions for the subscriber
	replies *cluster.Replies
	stop    chan struct{}
	done    sync.WaitGroup
	closed  sync.Once
}

// reader follows one stream. Its fields other than key are under
// Cluster.mu.
type reader struct {
	key   string
	node  *goredis.Client // where its connection is, nil when it has none
	id    int64           // the CLIENT ID of its connection
	ready bool            // it reads from where the stream ended when it started
}

// New starts a cluster on client (a single node or a Redis Cluster).
func New(client goredis.UniversalClient, opts Options) *Cluster {
	opts.defaults()
	c := &Cluster{
		client: client, opts: opts, ps: client.Subscribe(context.Background()),
		adapters: map[string]*adapter{}, channels: map[string]*adapter{}, confirmed: map[string]bool{},
		readers: map[string]*reader{}, writers: map[string]*writer{},
		replies: cluster.NewReplies(1024, "redis streams adapter", opts.Logger), stop: make(chan struct{}),
	}
	c.subs = cluster.NewSubscriptions(&c.mu)
	c.changes = cluster.NewChanges(&c.mu)
	c.reach = cluster.Outage{Name: "redis streams adapter", Logger: opts.Logger, Unreachable: ErrUnreachable, Stop: c.stop}
	c.done.Add(3)
	go c.receive()
	go c.subscriber()
	go c.replier()
	return c
}

// Adapter is the [namespace.AdapterFunc] that puts a namespace on the
// cluster. A dynamic parent namespace (which has no sockets of its own)
// gets the in-memory adapter.
func (c *Cluster) Adapter(ns *namespace.Namespace) namespace.Adapter {
	if ns.Name() == "" {
		return namespace.NewMemoryAdapter(ns)
	}
	a := newAdapter(c, ns)
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.stop:
		return a
	default:
	}
	c.adapters[ns.Name()] = a
	c.channels[a.channel] = a
	c.channels[a.private] = a
	c.queueLocked(cluster.SubOp{Subscribe: true, Names: []string{a.channel, a.private}})
	if c.readers[a.stream] == nil {
		c.startReaderLocked(a.stream)
		w := &writer{key: a.stream, wake: make(chan struct{}, 1)}
		c.writers[a.stream] = w
		c.done.Add(1)
		go c.write(w)
	}
	return a
}

// forget takes a closed adapter's namespace off the cluster. The stream's
// reader stays until Close.
func (c *Cluster) forget(a *adapter) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.adapters[a.ns.Name()] != a {
		return
	}
	delete(c.adapters, a.ns.Name())
	delete(c.channels, a.channel)
	delete(c.channels, a.private)
	c.queueLocked(cluster.SubOp{Names: []string{a.channel, a.private}})
}

func (c *Cluster) queueLocked(op cluster.SubOp) {
	for _, n := range op.Names {
		if !op.Subscribe {
			delete(c.confirmed, n)
		}
	}
	c.subs.QueueLocked(op)
	c.changes.NotifyLocked()
}

// WaitSubscribed waits until every namespace created so far has its
// subscriptions confirmed by Redis and its stream reader started: from
// then on this process receives what other processes publish and append,
// and counts in their server counts.
func (c *Cluster) WaitSubscribed(ctx context.Context) error {
	return c.changes.WaitUntil(ctx, c.stop, errClosed, func() bool {
		for ch := range c.channels {
			if !c.confirmed[ch] {
				return false
			}
		}
		for _, r := range c.readers {
			if !r.ready {
				return false
			}
		}
		return true
	})
}

var errClosed = errors.New("redis streams adapter: closed")

// Close stops the reader, writer, subscriber and replier goroutines and
// the session writes in flight, and waits for them; the client stays open.
// A reader blocked in XREAD is ended at once (CLIENT UNBLOCK), except on a
// Ring client, whose reader ends within BlockTime.
func (c *Cluster) Close() error {
	c.closed.Do(func() {
		c.mu.Lock()
		close(c.stop)
		c.mu.Unlock()
		_ = c.ps.Close()
		c.unblockReaders()
	})
	return nil
}

func (c *Cluster) stopped() bool {
	select {
	case <-c.stop:
		return true
	default:
		return false
	}
}

// subscriber does the (un)subscriptions that Adapter and forget queue, so
// that no I/O happens on their callers' goroutines.
func (c *Cluster) subscriber() {
	defer c.done.Done()
	c.subs.Run(c.ps, c.stop, c.opts.RequestsTimeout, &c.reach)
}

// receive reads the subscription until Close: confirmations go to the
// readiness state, messages to their namespace's adapter. go-redis
// reconnects and subscribes again after a failure.
func (c *Cluster) receive() {
	defer c.done.Done()
	cluster.Receive(c.ps, &c.reach, c.stop, nil, func() {
		c.mu.Lock()
		clear(c.confirmed)
		c.changes.NotifyLocked()
		c.mu.Unlock()
	}, func(m *goredis.Subscription) {
		c.mu.Lock()
		if m.Kind == "subscribe" && c.channels[m.Channel] != nil {
			c.confirmed[m.Channel] = true
		} else if m.Kind == "unsubscribe" {
			delete(c.confirmed, m.Channel)
		}
		c.changes.NotifyLocked()
		c.mu.Unlock()
	}, func(m *goredis.Message) {
		c.mu.Lock()
		a := c.channels[m.Channel]
		c.mu.Unlock()
		if a != nil {
			a.onPubSub(m.Channel, []byte(m.Payload))
		}
	})
}

// pause waits d, or returns false when the cluster closes first.
func (c *Cluster) pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.stop:
		return false
	case <-t.C:
		return true
	}
}

// startReaderLocked starts the reader of stream key.
func (c *Cluster) startReaderLocked(key string) {
	r := &reader{key: key}
	c.readers[key] = r
	c.done.Add(1)
	go c.read(r)
}

// readerNode is the client of the node that holds stream key (the cluster's
// client itself unless it is a Redis Cluster), or nil for the client kinds
// that have no connection of their own to give (a Ring).
func (c *Cluster) readerNode(ctx context.Context, key string) (*goredis.Client, error) {
	switch cl := c.client.(type) {
	case *goredis.Client:
		return cl, nil
	case *goredis.ClusterClient:
		return cl.MasterForKey(ctx, key)
	}
	return nil, nil
}

// read follows the stream from where it ended when the reader started and
// hands each entry to its namespace's adapter, with the entry's id as its
// offset. After a failure it resumes after the last entry it read.
//
// It reads on a connection of its own, whose CLIENT ID it records, so that
// Close can end a blocked XREAD at once with CLIENT UNBLOCK.
func (c *Cluster) read(r *reader) {
	defer c.done.Done()
	ctx := context.Background()
	last := ""
	backoff := 50 * time.Millisecond
	var conn *goredis.Conn
	drop := func() {
		if conn != nil {
			_ = conn.Close()
			conn = nil
		}
		c.mu.Lock()
		r.node, r.id = nil, 0
		c.mu.Unlock()
	}
	defer drop()
	fail := func(op string, err error) bool {
		drop()
		if c.stopped() {
			return false
		}
		c.reach.Fail(op, err)
		ok := c.pause(backoff)
		backoff = min(2*backoff, 2*time.Second)
		return ok
	}
	for !c.stopped() {
		var cmd goredis.Cmdable = c.client
		if conn == nil {
			node, err := c.readerNode(ctx, r.key)
			if err != nil {
				if !fail("stream", err) {
					return
				}
				continue
			}
			if node != nil {
				// A command on the node's pool first: go-redis settles
				// its connection options on a pool's first connection,
				// which a Conn (sharing them under a lock of its own)
				// must not race with.
				if err := node.Ping(ctx).Err(); err != nil {
					if !fail("stream", err) {
						return
					}
					continue
				}
				conn = node.Conn()
				id, err := conn.ClientID(ctx).Result()
				if err != nil {
					if !fail("stream", err) {
						return
					}
					continue
				}
				c.mu.Lock()
				r.node, r.id = node, id
				c.mu.Unlock()
			}
		}
		if conn != nil {
			cmd = conn
		}
		if last == "" {
			tail, err := cmd.XRevRangeN(ctx, r.key, "+", "-", 1).Result()
			if err != nil {
				if !fail("stream", err) {
					return
				}
				continue
			}
			last = "0-0"
			if len(tail) > 0 {
				last = tail[0].ID
			}
			c.mu.Lock()
			r.ready = true
			c.changes.NotifyLocked()
			c.mu.Unlock()
		}
		if c.stopped() { // Close unblocks only a reader it sees
			return
		}
		res, err := cmd.XRead(ctx, &goredis.XReadArgs{
			Streams: []string{r.key, last}, Count: c.opts.ReadCount, Block: c.opts.BlockTime,
		}).Result()
		if errors.Is(err, goredis.Nil) {
			continue
		}
		if err != nil {
			if !fail("stream", err) {
				return
			}
			continue
		}
		backoff = 50 * time.Millisecond
		c.reach.Recovered()
		for _, s := range res {
			for _, e := range s.Messages {
				last = e.ID
				c.dispatch(e)
			}
		}
	}
}

// unblockReaders ends the readers' blocked XREADs (CLIENT UNBLOCK on the
// node each reads from) until they have all returned.
func (c *Cluster) unblockReaders() {
	ended := make(chan struct{})
	go func() { // owned here: it ends with the last goroutine of the cluster
		c.done.Wait()
		close(ended)
	}()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		c.mu.Lock()
		type target struct {
			node *goredis.Client
			id   int64
		}
		var ts []target
		for _, r := range c.readers {
			if r.node != nil {
				ts = append(ts, target{r.node, r.id})
			}
		}
		c.mu.Unlock()
		for _, t := range ts {
			ctx, cancel := context.WithTimeout(context.Background(), cluster.ProbeTimeout)
			_ = t.node.ClientUnblock(ctx, t.id).Err()
			cancel()
		}
		// A reader may be between its check of stop and its XREAD: the
		// next tick unblocks it.
		select {
		case <-ended:
			return
		case <-tick.C:
		}
	}
}

// dispatch hands a stream entry to its namespace's adapter.
func (c *Cluster) dispatch(e goredis.XMessage) {
	nsp, _ := e.Values["nsp"].(string)
	if nsp == "" {
		return
	}
	c.mu.Lock()
	a := c.adapters[nsp]
	c.mu.Unlock()
	if a == nil {
		return
	}
	msg, err := decodeEntry(e.Values)
	if err != nil {
		c.opts.Logger.Debug("redis streams adapter: malformed entry", "id", e.ID, "err", err)
		return
	}
	a.onMessage(msg, e.ID)
}

// call runs one Redis command (fn), bounded by RequestsTimeout, and keeps
// the outage state: during an outage it fails at once with
// ErrUnreachable, except for a brief probe every so often.
func (c *Cluster) call(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	return c.reach.Call(ctx, op, c.opts.RequestsTimeout, fn)
}

// ErrUnreachable is returned by the calls that publish while Redis cannot
// be reached; local delivery has happened.
var ErrUnreachable = errors.New("redis streams adapter: Redis unreachable")

// xadd appends a message to stream key and returns the entry's id.
func (c *Cluster) xadd(key string, values []any) (string, error) {
	var id string
	err := c.call(context.Background(), "xadd", func(ctx context.Context) error {
		var err error
		id, err = c.client.XAdd(ctx, &goredis.XAddArgs{
			Stream: key, MaxLen: c.opts.MaxLen, Approx: true, ID: "*", Values: values,
		}).Result()
		return err
	})
	return id, err
}

// writer appends the broadcasts of the namespaces of one stream, in
// order: its goroutine sends what is queued in one pipeline (one round
// trip, one connection: Redis gives the entries ids in that order) and then
// delivers each locally in the same order, so that this process's clients
// get the broadcasts in stream order, as other processes' clients do.
type writer struct {
	key   string
	queue []*appendOp // under Cluster.mu
	wake  chan struct{}
}

// appendOp is one entry to append; then runs on the writer's goroutine
// with the entry's id or the error, and done is closed after it.
type appendOp struct {
	values []any
	then   func(id string, err error)
	done   chan struct{}
}

// maxBatch bounds the entries of one pipeline.
const maxBatch = 256

// appendOrdered appends values to stream key through its writer, runs then
// in stream order, and returns once then has run. After Close, then runs
// at once with errClosed.
func (c *Cluster) appendOrdered(key string, values []any, then func(id string, err error)) {
	op := &appendOp{values: values, then: then, done: make(chan struct{})}
	c.mu.Lock()
	w := c.writers[key]
	if w == nil || c.stopped() {
		c.mu.Unlock()
		then("", errClosed)
		return
	}
	w.queue = append(w.queue, op)
	c.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	<-op.done
}

func (c *Cluster) write(w *writer) {
	defer c.done.Done()
	for {
		select {
		case <-c.stop:
			c.mu.Lock()
			ops := w.queue
			w.queue = nil
			c.mu.Unlock()
			for _, op := range ops {
				op.then("", errClosed)
				close(op.done)
			}
			return
		case <-w.wake:
		}
		for {
			ops := c.nextBatch(w)
			n := len(ops)
			if n == 0 {
				break // after Close, the queue is released above
			}
			cmds := make([]*goredis.StringCmd, n)
			err := c.call(context.Background(), "xadd", func(ctx context.Context) error {
				pipe := c.client.Pipeline()
				for i, op := range ops {
					cmds[i] = pipe.XAdd(ctx, &goredis.XAddArgs{
						Stream: w.key, MaxLen: c.opts.MaxLen, Approx: true, ID: "*", Values: op.values,
					})
				}
				_, err := pipe.Exec(ctx)
				return err
			})
			for i, op := range ops {
				id, e := "", err
				if cmds[i] != nil {
					if id, e = cmds[i].Result(); e != nil && err != nil {
						e = err // the outage state's error
					}
				}
				op.then(id, e)
				close(op.done)
			}
		}
	}
}

// nextBatch takes up to maxBatch ops off w's queue, none once the cluster
// is closed (write then releases the queue with errClosed).
func (c *Cluster) nextBatch(w *writer) []*appendOp {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped() {
		return nil
	}
	n := min(len(w.queue), maxBatch)
	ops := w.queue[:n:n]
	w.queue = w.queue[n:]
	return ops
}

// spawn runs fn on a goroutine the cluster owns (Close waits for it);
// after Close, fn does not run.
func (c *Cluster) spawn(fn func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped() {
		return
	}
	c.done.Add(1)
	go func() {
		defer c.done.Done()
		fn()
	}()
}

// publish sends payload on channel.
func (c *Cluster) publish(ctx context.Context, channel string, payload any) error {
	return c.call(ctx, "publish", func(ctx context.Context) error {
		return c.client.Publish(ctx, channel, payload).Err()
	})
}

// reply queues an answer for the replier goroutine, so that a handler or
// a client's ack never waits for Redis.
func (c *Cluster) reply(channel string, payload []byte) { c.replies.Queue(channel, payload) }

func (c *Cluster) replier() {
	defer c.done.Done()
	c.replies.Run(c.stop, func(channel, payload string) {
		_ = c.publish(context.Background(), channel, payload)
	})
}

// numSub counts the subscribers of channel, over every master of a Redis
// Cluster.
func (c *Cluster) numSub(ctx context.Context, channel string) (int, error) {
	total := 0
	err := c.call(ctx, "numsub", func(ctx context.Context) error {
		if cc, ok := c.client.(*goredis.ClusterClient); ok {
			var mu sync.Mutex
			return cc.ForEachMaster(ctx, func(ctx context.Context, m *goredis.Client) error {
				r, err := m.PubSubNumSub(ctx, channel).Result()
				mu.Lock()
				total += int(r[channel])
				mu.Unlock()
				return err
			})
		}
		r, err := c.client.PubSubNumSub(ctx, channel).Result()
		total = int(r[channel])
		return err
	})
	return total, err
}
