// Package admin is the server side of the official Socket.IO Admin UI
// (@socket.io/admin-ui 0.5.x): the dashboard connects to the server's
// "/admin" namespace with a socket.io 4.x client, logs in, and is sent the
// server's stats, its sockets and rooms and what happens to them, and may
// make sockets join or leave rooms or disconnect them.
//
//	srv := server.New(server.Options{})
//	adm, err := admin.Attach(srv, admin.Options{
//		Auth: &admin.BasicAuth{Username: "admin", PasswordHash: hash}, // bcrypt
//	})
//	if err != nil { ... }
//	defer adm.Close()
//	ui, err := admin.UIHandler(filepath.Join("node_modules", admin.UIPackageDir))
//	if err == nil {
//		mux.Handle("/admin-ui/", http.StripPrefix("/admin-ui", ui))
//	}
//
// Attach watches the server through its public hooks only
// ([server.Server.Observe], [namespace.Registry.Observe], [server.ConnInfo]),
// and acts through the namespaces' cluster calls (FetchSockets, SocketsJoin,
// SocketsLeave, DisconnectSockets), so that in a cluster a dashboard
// connected to one process sees and acts on every process that runs the
// admin: its events are broadcasts of the admin namespace.
//
// Attach starts one goroutine, owned by the Admin and ended by Close: it
// sends the queued events in order and the stats on a ticker. The hooks
// only queue, so no emit to the admin namespace runs under a lock of the
// server's, and a slow cluster publish delays the UI, not the server.
//
// Limits: sockets of another sockio process are listed without their
// client id and transport (FetchSockets does not carry them; those of a
// Node process do, in their data), and a change of Socket.Data is not
// reported (socket.io's socket_updated with data).
//
// What a client of the admin namespace may do is bounded: nothing reaches
// it before it has logged in (the namespace's middleware refuses it
// otherwise), credentials are size-checked before bcrypt runs and bcrypt runs
// for one login at a time, the admin sockets of a process are limited in
// number, actions name existing namespaces only (none is created), and the
// events it is sent wait in a bounded queue (dropped, not piled up, when
// full).
package admin

import (
	"errors"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/server"
)

// Options configures the admin side of a server. Auth or NoAuth must be
// set, as the Node instrument's auth option must be.
type Options struct {
	// Namespace is the namespace the UI connects to. "" means "/admin".
	Namespace string
	// Auth is the login the UI's connection form asks for.
	Auth *BasicAuth
	// NoAuth lets anyone who reaches the server use the admin namespace
	// (the Node instrument's auth: false). For development only.
	NoAuth bool
	// ReadOnly refuses every action: the UI's join, leave, disconnect and
	// emit requests are ignored, and the UI offers none.
	ReadOnly bool
	// ServerID names this process in the UI's server list; processes of a
	// cluster need distinct ones. "" means the host name.
	ServerID string
	// Production sends only the server stats and their aggregated event
	// counts (the Node instrument's mode "production"): no socket list, no
	// per-event traffic, less work per event. The default is the
	// development mode, with everything.
	Production bool
	// StatsInterval is the time between two server_stats. Zero means 2 s,
	// as the UI expects (it marks a server unhealthy after 10 s without).
	StatsInterval time.Duration
	// MaxSockets bounds the admin sockets connected to this process; a
	// login beyond it is refused. Zero means 16.
	MaxSockets int
	// QueueLength bounds the events waiting to be sent to the admin
	// namespace; past it new ones are dropped. Zero means 4096.
	QueueLength int
	// Logger receives the admin's logs; nil means slog.Default().
	Logger *slog.Logger
}

// BasicAuth is the UI's login: a user name and the bcrypt hash of the
// password (bcrypt.GenerateFromPassword; "$2a$", "$2b$" and "$2y$" hashes
// are accepted).
type BasicAuth struct {
	Username     string
	PasswordHash string
}

// Errors of [Attach].
var (
	ErrNoAuth      = errors.New("admin: Options.Auth must be set, or NoAuth chosen explicitly")
	ErrBadAuth     = errors.New("admin: Options.Auth needs a user name and a valid bcrypt hash")
	ErrBothAuth    = errors.New("admin: Options.Auth and NoAuth are exclusive")
	errInvalidCred = errors.New("invalid credentials")
	errTooMany     = errors.New("too many admin connections")
)

// Admin is the admin side of one server. Close stops it.
type Admin struct {
	srv  *server.Server
	reg  *namespace.Registry
	ns   *namespace.Namespace
	opts Options
	log  *slog.Logger

	hostname string
	features []string
	sessions *sessionStore
	bcrypt   chan struct{} // one login's bcrypt at a time

	queue   chan emission
	dropped atomic.Uint64
	admins  atomic.Int64 // admin sockets connected to this process
	stopped atomic.Bool  // Close has begun: events are no longer queued
	agg     aggregator
	conns   connTable

	stop    chan struct{}
	done    chan struct{}
	closing sync.Once
}

// emission is an event for the admin namespace, waiting in the queue.
type emission struct {
	event string
	args  []any
}

// processStart stands for the process's start in the uptime the stats
// report.
var processStart = time.Now()

// Attach serves the Admin UI's namespace on srv and starts the goroutine
// that sends the stats; Close stops it. Attach it before clients connect:
// sessions and sockets that exist already are not counted.
func Attach(srv *server.Server, opts Options) (*Admin, error) {
	switch {
	case opts.Auth == nil && !opts.NoAuth:
		return nil, ErrNoAuth
	case opts.Auth != nil && opts.NoAuth:
		return nil, ErrBothAuth
	case opts.Auth != nil:
		if opts.Auth.Username == "" {
			return nil, ErrBadAuth
		}
		if _, err := bcrypt.Cost([]byte(opts.Auth.PasswordHash)); err != nil {
			return nil, ErrBadAuth
		}
	}
	if opts.Namespace == "" {
		opts.Namespace = "/admin"
	}
	if opts.Namespace[0] != '/' {
		opts.Namespace = "/" + opts.Namespace
	}
	if opts.StatsInterval <= 0 {
		opts.StatsInterval = 2 * time.Second
	}
	if opts.MaxSockets <= 0 {
		opts.MaxSockets = 16
	}
	if opts.QueueLength <= 0 {
		opts.QueueLength = 4096
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	host, _ := os.Hostname()
	if opts.ServerID == "" {
		opts.ServerID = host
	}
	a := &Admin{
		srv: srv, reg: srv.Namespaces(), ns: srv.Of(opts.Namespace), opts: opts, log: opts.Logger,
		hostname: host,
		sessions: newSessionStore(),
		bcrypt:   make(chan struct{}, 1),
		queue:    make(chan emission, opts.QueueLength),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	a.agg.init()
	a.conns.init()
	a.features = features(opts)

	a.ns.Use(a.authenticate)
	a.ns.OnConnection(a.adminConnected)
	a.ns.OnServerEvent(sessionEvent, a.peerSession)
	srv.Observe(server.Observer{
		Open:      a.sessionOpened,
		Transport: a.transportChanged,
		Close:     a.sessionClosed,
		Packet:    a.agg.packet,
	})
	if !opts.Production {
		a.reg.Observe(namespace.Observer{Connect: a.socketConnected, Join: a.roomJoined, Leave: a.roomLeft})
	}
	go a.run()
	return a, nil
}

// features lists what the UI may offer, as the Node instrument names it.
func features(opts Options) []string {
	var f []string
	if !opts.ReadOnly {
		f = append(f, "EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT")
	}
	f = append(f, "AGGREGATED_EVENTS")
	if !opts.Production {
		f = append(f, "ALL_EVENTS")
	}
	return f
}

// Close stops sending stats and events. The admin namespace stays, its
// sockets connected; close the server to end them.
func (a *Admin) Close() {
	a.closing.Do(func() {
		a.stopped.Store(true)
		close(a.stop)
	})
	<-a.done
}

// Dropped reports the events dropped because the queue was full.
func (a *Admin) Dropped() uint64 { return a.dropped.Load() }

// run is the admin's goroutine: it sends the queued events in order, folds
// the packet counters into per-second entries, and sends the stats.
func (a *Admin) run() {
	defer close(a.done)
	second := time.NewTicker(time.Second)
	defer second.Stop()
	stats := time.NewTicker(a.opts.StatsInterval)
	defer stats.Stop()
	a.emitStats()
	for {
		select {
		case <-a.stop:
			return
		case e := <-a.queue:
			a.emit(e)
		case now := <-second.C:
			a.agg.flush(now)
		case now := <-stats.C:
			a.agg.flush(now)
			a.emitStats()
		}
	}
}

// emit sends e to every admin socket of the cluster.
func (a *Admin) emit(e emission) {
	if err := a.ns.Emit(e.event, e.args...); err != nil {
		a.log.Debug("sockio admin: emit", "event", e.event, "err", err)
	}
}

// enqueue queues an event for the admin namespace without blocking; a full
// queue drops it.
func (a *Admin) enqueue(event string, args ...any) {
	if a.stopped.Load() {
		return
	}
	select {
	case a.queue <- emission{event, args}:
	default:
		if a.dropped.Add(1) == 1 {
			a.log.Warn("sockio admin: event queue full, dropping events", "event", event)
		}
	}
}
