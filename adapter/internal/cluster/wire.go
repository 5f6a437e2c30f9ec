package cluster

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

// Marshal encodes v as msgpack the way the Node adapters' decoders read
// it back: integers in their smallest encoding (integral floats too:
// JavaScript has one number type), binary as bin, map keys sorted for
// stable bytes.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.UseCompactInts(true)
	enc.UseCompactFloats(true)
	enc.SetSortMapKeys(true)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Unmarshal decodes msgpack into untyped values: maps with string keys as
// map[string]any, bin as []byte.
func Unmarshal(b []byte) (any, error) {
	// Walk the message first: a length the bytes cannot hold ends here,
	// before the decoder allocates for it.
	if err := msgpack.NewDecoder(bytes.NewReader(b)).Skip(); err != nil {
		return nil, err
	}
	dec := msgpack.NewDecoder(bytes.NewReader(b))
	dec.SetMapDecoder(func(d *msgpack.Decoder) (any, error) { return d.DecodeMap() })
	return dec.DecodeInterface()
}

// DecodeJSON decodes JSON into untyped values, integers as int64 and
// other numbers as float64.
func DecodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return Numbers(v, nil), nil
}

// Numbers turns the json.Number values in v, decoded with UseNumber, into
// int64 (integers) or float64, in place, and binary placeholders
// ({"_placeholder": true, "num": i}) into atts[i].
func Numbers(v any, atts [][]byte) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = Numbers(x[i], atts)
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
			x[k] = Numbers(x[k], atts)
		}
	}
	return v
}

// AsInt reads an integral number of any numeric type (msgpack decodes
// each integer in its smallest type, JSON numbers are float64).
func AsInt(v any) (int64, bool) {
	if v == nil {
		return 0, false
	}
	switch n := reflect.ValueOf(v); n.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return n.Int(), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int64(n.Uint()), true
	case reflect.Float32, reflect.Float64:
		f := n.Float()
		return int64(f), f == float64(int64(f))
	}
	return 0, false
}

// Rooms reads a list of room names; Node allows numbers as room names.
func Rooms(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, r := range list {
		switch x := r.(type) {
		case string:
			out = append(out, x)
		case float64:
			out = append(out, strconv.FormatFloat(x, 'f', -1, 64))
		default:
			if n, ok := AsInt(r); ok {
				out = append(out, strconv.FormatInt(n, 10))
			}
		}
	}
	return out
}

// Flags are a broadcast's flags on the wire; false and zero ones are left
// out.
type Flags struct {
	Volatile bool  `msgpack:"volatile,omitempty" json:"volatile,omitempty"`
	Compress bool  `msgpack:"compress,omitempty" json:"compress,omitempty"`
	Local    bool  `msgpack:"local,omitempty" json:"local,omitempty"`
	Timeout  int64 `msgpack:"timeout,omitempty" json:"timeout,omitempty"`
}

// Opts are broadcast options on the wire; nil Flags are left out.
type Opts struct {
	Rooms  []string `msgpack:"rooms" json:"rooms"`
	Except []string `msgpack:"except" json:"except"`
	Flags  *Flags   `msgpack:"flags,omitempty" json:"flags,omitempty"`
}

// OptsOut puts broadcast options on the wire, empty lists as [].
func OptsOut(o namespace.BroadcastOptions, f *Flags) Opts {
	w := Opts{Rooms: o.Rooms, Except: o.Except, Flags: f}
	if w.Rooms == nil {
		w.Rooms = []string{}
	}
	if w.Except == nil {
		w.Except = []string{}
	}
	return w
}

// OptsIn reads broadcast options from the wire (a map from msgpack or
// JSON). The result is always Local: it is applied in this process.
func OptsIn(v any) (namespace.BroadcastOptions, Flags) {
	m, _ := v.(map[string]any)
	o := namespace.BroadcastOptions{Rooms: Rooms(m["rooms"]), Except: Rooms(m["except"]), Local: true}
	var f Flags
	if fl, ok := m["flags"].(map[string]any); ok {
		f.Volatile, _ = fl["volatile"].(bool)
		f.Compress, _ = fl["compress"].(bool)
		f.Timeout, _ = AsInt(fl["timeout"])
	}
	return o, f
}

// ErrNotEvent reports a packet from another process that is not an event.
var ErrNotEvent = errors.New("cluster adapter: packet is not an event")

// SharedIn makes the outbound packet for local clients from a packet that
// came through Redis (a map with type and data): binary values become
// attachments again, and every local client generation encodes it once.
func SharedIn(v any, nsp string) (*payload.Shared, error) {
	m, _ := v.(map[string]any)
	t, _ := AsInt(m["type"])
	if t != int64(payload.Event) && t != int64(payload.BinaryEvent) {
		return nil, ErrNotEvent
	}
	data, ok := m["data"].([]any)
	if !ok || len(data) == 0 {
		return nil, ErrNotEvent
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

// AckArgs makes the one-argument Args of an ack that came through Redis
// (no argument when it is not present).
func AckArgs(v any, present bool) namespace.Args {
	if !present {
		return namespace.NewArgs(nil, nil)
	}
	raw, atts, err := payload.EncodeAck([]any{v})
	if err != nil {
		return namespace.NewArgs(nil, nil)
	}
	items, _ := payload.SplitArgs(raw)
	return namespace.NewArgs(items, atts)
}

// Socket is a socket in a fetchSockets answer.
type Socket struct {
	ID        string          `json:"id"`
	Handshake Handshake       `json:"handshake"`
	Rooms     []any           `json:"rooms"`
	Data      json.RawMessage `json:"data,omitempty"`
}

// Handshake is socket.handshake as Node socket.io describes it.
type Handshake struct {
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

// SocketOut describes a local socket for another process. Headers are as
// Node's request headers: lower-case names, repeated values joined with
// ", ", set-cookie a list.
func SocketOut(s namespace.RemoteSocket) Socket {
	hs := s.Handshake()
	w := Socket{ID: s.ID(), Handshake: Handshake{
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

// SocketIn reads a socket another process described.
func SocketIn(w Socket) namespace.SocketInfo {
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
	info := namespace.SocketInfo{ID: w.ID, Handshake: hs, Rooms: Rooms(w.Rooms)}
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
