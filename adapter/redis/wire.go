package redis

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
)

// Request types of the Node adapter's request/response channels.
const (
	typeSockets          = 0
	typeAllRooms         = 1
	typeRemoteJoin       = 2
	typeRemoteLeave      = 3
	typeRemoteDisconnect = 4
	typeRemoteFetch      = 5
	typeServerSideEmit   = 6
	typeBroadcast        = 7
	typeBroadcastCount   = 8
	typeBroadcastAck     = 9
)

// wirePacket is a Socket.IO packet as the Node adapter publishes it: the
// object before socket.io-parser encodes it, binary values as msgpack bin.
type wirePacket struct {
	Type int    `msgpack:"type"`
	Data []any  `msgpack:"data"`
	Nsp  string `msgpack:"nsp"`
}

type wireFlags struct {
	Volatile bool  `msgpack:"volatile,omitempty" json:"volatile,omitempty"`
	Compress bool  `msgpack:"compress,omitempty" json:"compress,omitempty"`
	Local    bool  `msgpack:"local,omitempty" json:"local,omitempty"`
	Timeout  int64 `msgpack:"timeout,omitempty" json:"timeout,omitempty"`
}

type wireOpts struct {
	Rooms  []string   `msgpack:"rooms" json:"rooms"`
	Except []string   `msgpack:"except" json:"except"`
	Flags  *wireFlags `msgpack:"flags,omitempty" json:"flags,omitempty"`
}

func optsOf(o namespace.BroadcastOptions, flags *wireFlags) wireOpts {
	w := wireOpts{Rooms: o.Rooms, Except: o.Except, Flags: flags}
	if w.Rooms == nil {
		w.Rooms = []string{}
	}
	if w.Except == nil {
		w.Except = []string{}
	}
	return w
}

// marshal encodes v as notepack.io does what matters here: the smallest
// integer encodings, integral floats as integers (JavaScript numbers), and
// map keys in a stable order.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.UseCompactInts(true)
	enc.UseCompactFloats(true)
	enc.SetSortMapKeys(true)
	enc.SetCustomStructTag("msgpack")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// unmarshal decodes msgpack into untyped values: maps with string keys as
// map[string]any, bin as []byte.
func unmarshal(b []byte) (any, error) {
	// Walk the message first: a length the bytes cannot hold ends here,
	// before the decoder allocates for it.
	if err := msgpack.NewDecoder(bytes.NewReader(b)).Skip(); err != nil {
		return nil, err
	}
	dec := msgpack.NewDecoder(bytes.NewReader(b))
	dec.SetMapDecoder(func(d *msgpack.Decoder) (any, error) { return d.DecodeMap() })
	return dec.DecodeInterface()
}

// values turns a packet's JSON array, with binary placeholders indexing
// atts, into untyped values: integers as int64, other numbers as float64,
// binary as []byte.
func values(data []byte, atts [][]byte) ([]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var items []any
	if err := dec.Decode(&items); err != nil {
		return nil, err
	}
	for i := range items {
		items[i] = fromJSON(items[i], atts)
	}
	return items, nil
}

func fromJSON(v any, atts [][]byte) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = fromJSON(x[i], atts)
		}
	case map[string]any:
		if p, ok := x["_placeholder"].(bool); ok && p && len(x) == 2 {
			if n, ok := x["num"].(json.Number); ok {
				if i, err := n.Int64(); err == nil && i >= 0 && int(i) < len(atts) {
					return atts[i]
				}
			}
		}
		for k := range x {
			x[k] = fromJSON(x[k], atts)
		}
	}
	return v
}

// errNotEvent reports a published packet that is not an event.
var errNotEvent = errors.New("redis adapter: packet is not an event")

// sharedOf makes the outbound packet for local clients from a packet that
// came through Redis: binary values become attachments again, and every
// local client generation encodes it once.
func sharedOf(m map[string]any, nsp string) (*payload.Shared, error) {
	t, _ := asInt(m["type"])
	if t != int64(payload.Event) && t != int64(payload.BinaryEvent) {
		return nil, errNotEvent
	}
	data, ok := m["data"].([]any)
	if !ok || len(data) == 0 {
		return nil, errNotEvent
	}
	raw, atts, err := payload.EncodeAck(data)
	if err != nil {
		return nil, err
	}
	typ := payload.Event
	if len(atts) > 0 {
		typ = payload.BinaryEvent
	}
	return &payload.Shared{Packet: payload.Packet{Type: typ, Namespace: nsp, Data: raw, Attachments: atts}}, nil
}

// asInt reads an integral number of any numeric type (msgpack decodes
// each integer in its smallest type, JSON numbers are float64).
func asInt(v any) (int64, bool) {
	if v == nil {
		return 0, false
	}
	switch n := reflect.ValueOf(v); n.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return n.Int(), true
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int64(n.Uint()), true
	case reflect.Float32, reflect.Float64:
		f := n.Float()
		return int64(f), f == float64(int64(f))
	}
	return 0, false
}

// rooms reads a list of room names; Node allows numbers as room names.
func rooms(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, r := range list {
		switch x := r.(type) {
		case string:
			out = append(out, x)
		case float64:
			out = append(out, strconv.FormatFloat(x, 'f', -1, 64))
		default:
			if n, ok := asInt(r); ok {
				out = append(out, strconv.FormatInt(n, 10))
			}
		}
	}
	return out
}

// optionsOf reads broadcast options from the wire (a map from msgpack or
// JSON). The result is always local: it is applied in this process.
func optionsOf(v any) (namespace.BroadcastOptions, wireFlags) {
	m, _ := v.(map[string]any)
	o := namespace.BroadcastOptions{Rooms: rooms(m["rooms"]), Except: rooms(m["except"]), Local: true}
	var f wireFlags
	if fl, ok := m["flags"].(map[string]any); ok {
		f.Volatile, _ = fl["volatile"].(bool)
		f.Compress, _ = fl["compress"].(bool)
	}
	return o, f
}

// wireSocket is a socket in a fetchSockets reply.
type wireSocket struct {
	ID        string          `json:"id"`
	Handshake wireHandshake   `json:"handshake"`
	Rooms     []any           `json:"rooms"`
	Data      json.RawMessage `json:"data,omitempty"`
}

// wireHandshake is socket.handshake as Node socket.io describes it.
type wireHandshake struct {
	Headers map[string]any  `json:"headers"`
	Time    string          `json:"time"`
	Address string          `json:"address"`
	XDomain bool            `json:"xdomain"`
	Secure  bool            `json:"secure"`
	Issued  int64           `json:"issued"`
	URL     string          `json:"url"`
	Query   map[string]any  `json:"query"`
	Auth    json.RawMessage `json:"auth,omitempty"`
}

// jsDate is the layout of JavaScript's Date.prototype.toString in UTC.
const jsDate = "Mon Jan 02 2006 15:04:05 GMT+0000 (Coordinated Universal Time)"

func socketOut(s namespace.RemoteSocket) wireSocket {
	hs := s.Handshake()
	w := wireSocket{ID: s.ID(), Handshake: wireHandshake{
		Headers: map[string]any{}, Query: map[string]any{},
		Time: hs.Time.UTC().Format(jsDate), Issued: hs.Time.UnixMilli(),
		Address: hs.Address, Secure: hs.Secure, URL: hs.URL, XDomain: hs.Headers.Get("Origin") != "",
		Auth: hs.Auth,
	}}
	if !json.Valid(w.Handshake.Auth) {
		w.Handshake.Auth = json.RawMessage("{}")
	}
	for k, vs := range hs.Headers {
		k = strings.ToLower(k)
		switch {
		case k == "set-cookie":
			w.Handshake.Headers[k] = vs
		case len(vs) == 1:
			w.Handshake.Headers[k] = vs[0]
		default:
			w.Handshake.Headers[k] = strings.Join(vs, ", ")
		}
	}
	for k, vs := range hs.Query {
		if len(vs) == 1 {
			w.Handshake.Query[k] = vs[0]
		} else {
			w.Handshake.Query[k] = vs
		}
	}
	for _, r := range s.Rooms() {
		w.Rooms = append(w.Rooms, r)
	}
	if d := s.Data(); d != nil {
		if raw, err := json.Marshal(d); err == nil {
			w.Data = raw
		}
	}
	return w
}

func socketIn(w wireSocket) namespace.SocketInfo {
	hs := namespace.Handshake{
		Headers: http.Header{}, Query: url.Values{},
		Address: w.Handshake.Address, URL: w.Handshake.URL, Secure: w.Handshake.Secure,
		Time: time.UnixMilli(w.Handshake.Issued), Auth: w.Handshake.Auth,
	}
	for k, v := range w.Handshake.Headers {
		hs.Headers[http.CanonicalHeaderKey(k)] = strs(v)
	}
	for k, v := range w.Handshake.Query {
		hs.Query[k] = strs(v)
	}
	info := namespace.SocketInfo{ID: w.ID, Handshake: hs, Rooms: rooms(w.Rooms)}
	if len(w.Data) > 0 {
		_ = json.Unmarshal(w.Data, &info.Data)
	}
	return info
}

func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out
	case nil:
		return nil
	}
	return []string{fmt.Sprint(v)}
}
