package admin

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"time"

	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/server"
)

// jsDate is a time as JSON carries a JavaScript Date: an ISO string in UTC
// with milliseconds. It is formatted when the event is encoded, on the
// admin's goroutine rather than the one that made the event.
type jsDate time.Time

// MarshalJSON implements json.Marshaler.
func (d jsDate) MarshalJSON() ([]byte, error) {
	b := time.Time(d).UTC().AppendFormat(append(make([]byte, 0, 26), '"'), "2006-01-02T15:04:05.000Z")
	return append(b, '"'), nil
}

// serializedSocket is a socket as the UI lists it.
type serializedSocket struct {
	ID        string              `json:"id"`
	ClientID  string              `json:"clientId,omitempty"`
	Transport string              `json:"transport,omitempty"`
	Nsp       string              `json:"nsp"`
	Data      json.RawMessage     `json:"data"`
	Handshake serializedHandshake `json:"handshake"`
	Rooms     []string            `json:"rooms"`
}

type serializedHandshake struct {
	Address string            `json:"address"`
	Headers map[string]string `json:"headers"`
	Query   map[string]string `json:"query"`
	Issued  int64             `json:"issued"` // ms
	Secure  bool              `json:"secure"`
	Time    string            `json:"time"` // as JavaScript's Date.prototype.toString
	URL     string            `json:"url"`
	XDomain bool              `json:"xdomain"`
}

// clientIDLength is how much of the Engine.IO session id the UI shows as
// the client id.
const clientIDLength = 12

// serialize describes rs, a socket of namespace nsp; local sockets carry
// their session id and transport, remote ones what their data's "_admin"
// key holds (where a Node process put it).
func serialize(rs namespace.RemoteSocket, nsp string) serializedSocket {
	out := serializedSocket{ID: rs.ID(), Nsp: nsp, Rooms: rs.Rooms()}
	if out.Rooms == nil {
		out.Rooms = []string{}
	}
	data := rs.Data()
	if s, ok := rs.(*namespace.Socket); ok {
		if sid, tr, ok := server.ConnInfo(s.Conn()); ok {
			out.ClientID, out.Transport = clientID(sid), tr
		}
	} else if m, ok := data.(map[string]any); ok {
		if meta, ok := m["_admin"].(map[string]any); ok {
			out.ClientID, _ = meta["clientId"].(string)
			out.Transport, _ = meta["transport"].(string)
			rest := make(map[string]any, len(m))
			for k, v := range m {
				if k != "_admin" {
					rest[k] = v
				}
			}
			data = rest
		}
	}
	out.Data = json.RawMessage("{}")
	if data != nil {
		if b, err := json.Marshal(data); err == nil {
			out.Data = b
		}
	}
	if hs := rs.Handshake(); hs != nil {
		out.Handshake = serializeHandshake(hs)
	}
	return out
}

func clientID(sid string) string {
	if len(sid) > clientIDLength {
		return sid[:clientIDLength]
	}
	return sid
}

func serializeHandshake(hs *namespace.Handshake) serializedHandshake {
	out := serializedHandshake{
		Headers: make(map[string]string, len(hs.Headers)),
		Query:   make(map[string]string, len(hs.Query)),
		Issued:  hs.Time.UnixMilli(),
		Secure:  hs.Secure,
		Time:    hs.Time.Format("Mon Jan 02 2006 15:04:05 GMT-0700 (MST)"),
		URL:     hs.URL,
		XDomain: hs.Headers.Get("Origin") != "",
	}
	for k, v := range hs.Headers {
		out.Headers[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	for k, v := range hs.Query {
		if len(v) > 0 {
			out.Query[k] = v[0]
		}
	}
	out.Address = hs.Address
	if host, _, err := net.SplitHostPort(hs.Address); err == nil {
		out.Address = host
	}
	if ip := hs.Headers.Get("X-Forwarded-For"); ip != "" {
		out.Address = ip
	}
	if ip := hs.Headers.Get("Cf-Connecting-Ip"); ip != "" {
		out.Address = ip
	}
	return out
}

// listening reports whether an event for the admin namespace may reach
// anyone: always with an adapter that spans processes (the UI may be
// connected to another), else when an admin socket is connected here.
func (a *Admin) listening() bool {
	if a.admins.Load() > 0 {
		return true
	}
	_, local := a.ns.Adapter().(*namespace.MemoryAdapter)
	return !local
}

// socketConnected is the registry observer's Connect: the socket is listed,
// and its events, disconnect and upgrade are followed.
func (a *Admin) socketConnected(s *namespace.Socket) {
	nsp := s.Namespace().Name()
	sid, transport, _ := server.ConnInfo(s.Conn())
	ref := socketRef{nsp, s.ID()}
	a.conns.addSocket(sid, transport, ref)
	if a.listening() {
		a.enqueue("socket_connected", serialize(s, nsp), jsDate(time.Now()))
	}
	if nsp != a.ns.Name() {
		s.OnAny(func(e *namespace.Event) {
			if a.listening() {
				a.enqueue("event_received", nsp, s.ID(), eventArray(e.Name, e.Args), jsDate(time.Now()))
			}
		})
		s.OnAnyOutgoing(func(event string, args namespace.Args) {
			if a.listening() {
				a.enqueue("event_sent", nsp, s.ID(), eventArray(event, args), jsDate(time.Now()))
			}
		})
	}
	s.OnDisconnect(func(reason namespace.DisconnectReason) {
		a.conns.removeSocket(sid, ref)
		if a.listening() {
			a.enqueue("socket_disconnected", nsp, s.ID(), string(reason), jsDate(time.Now()))
		}
	})
}

// eventArray is [event, ...args] as the UI shows an event.
func eventArray(event string, args namespace.Args) []any {
	return append([]any{event}, args.Forward()...)
}

func (a *Admin) roomJoined(ns *namespace.Namespace, room, id string) {
	if a.listening() {
		a.enqueue("room_joined", ns.Name(), room, id, jsDate(time.Now()))
	}
}

func (a *Admin) roomLeft(ns *namespace.Namespace, room, id string) {
	if a.listening() {
		a.enqueue("room_left", ns.Name(), room, id, jsDate(time.Now()))
	}
}

// fetchTimeout bounds the cluster-wide socket list an admin socket is sent
// when it connects.
const fetchTimeout = 5 * time.Second

// adminConnected sets up a socket of the admin namespace: its actions
// (unless read-only), then the config and, in development mode, the list
// of every socket of the cluster.
func (a *Admin) adminConnected(s *namespace.Socket) {
	a.admins.Add(1)
	s.OnDisconnect(func(namespace.DisconnectReason) { a.admins.Add(-1) })
	if !a.opts.ReadOnly {
		a.registerActions(s)
	}
	_ = s.Emit("config", map[string]any{"supportedFeatures": a.features})
	if a.opts.Production {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
	defer cancel()
	all := []serializedSocket{}
	for _, ns := range a.reg.Namespaces() {
		sockets, err := ns.FetchSockets(ctx)
		if err != nil {
			a.log.Debug("sockio admin: fetching sockets", "namespace", ns.Name(), "err", err)
		}
		for _, rs := range sockets {
			all = append(all, serialize(rs, ns.Name()))
		}
	}
	_ = s.Emit("all_sockets", all)
}
