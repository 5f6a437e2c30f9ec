package redisstreams

import (
	"bytes"
	"encoding/base64"
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

// The message types of socket.io-adapter's ClusterAdapter, which the Node
// streams adapter extends.
const (
	typeBroadcast      = 3
	typeSocketsJoin    = 4
	typeSocketsLeave   = 5
	typeDisconnect     = 6
	typeFetch          = 7
	typeFetchResponse  = 8
	typeServerEmit     = 9
	typeServerResponse = 10
	typeBroadcastCount = 11
	typeBroadcastAck   = 12
)

// message is one ClusterAdapter message with its data decoded into untyped
// values: maps as map[string]any, arrays as []any, integers as int64 or
// uint64, other numbers as float64, binary as []byte.
type message struct {
	UID  string         `msgpack:"uid"`
	Nsp  string         `msgpack:"nsp"`
	Type int            `msgpack:"type"`
	Data map[string]any `msgpack:"data,omitempty"`
}

// pack encodes v as msgpack the way @msgpack/msgpack reads it back:
// integers in their smallest encoding (integral floats too: JavaScript has
// one number type), binary as bin, map keys sorted for stable bytes.
func pack(v any) ([]byte, error) {
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

// unpack decodes msgpack into untyped values.
func unpack(b []byte) (any, error) {
	// Walk it first: a length the bytes cannot hold fails here, before the
	// decoder allocates for it.
	if err := msgpack.NewDecoder(bytes.NewReader(b)).Skip(); err != nil {
		return nil, err
	}
	dec := msgpack.NewDecoder(bytes.NewReader(b))
	dec.SetMapDecoder(func(d *msgpack.Decoder) (any, error) { return d.DecodeMap() })
	return dec.DecodeInterface()
}

// decodePubSub reads a message published on a channel: msgpack of the
// whole envelope.
func decodePubSub(b []byte) (*message, error) {
	v, err := unpack(b)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("redis streams adapter: message is not a map")
	}
	msg := &message{}
	msg.UID, _ = m["uid"].(string)
	msg.Nsp, _ = m["nsp"].(string)
	t, _ := asInt(m["type"])
	msg.Type = int(t)
	msg.Data, _ = m["data"].(map[string]any)
	return msg, nil
}

// decodeEntry reads a stream entry: the fields uid, nsp, type (decimal)
// and data (JSON text, or base64 of msgpack when it holds binary).
func decodeEntry(fields map[string]any) (*message, error) {
	str := func(k string) string { s, _ := fields[k].(string); return s }
	t, err := strconv.Atoi(str("type"))
	if err != nil {
		return nil, fmt.Errorf("redis streams adapter: entry type %q", str("type"))
	}
	msg := &message{UID: str("uid"), Nsp: str("nsp"), Type: t}
	data := str("data")
	if data == "" {
		return msg, nil
	}
	var v any
	if data[0] == '{' {
		if v, err = fromJSON([]byte(data)); err != nil {
			return nil, err
		}
	} else {
		b, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			return nil, err
		}
		if v, err = unpack(b); err != nil {
			return nil, err
		}
	}
	if msg.Data, _ = v.(map[string]any); msg.Data == nil {
		return nil, errors.New("redis streams adapter: entry data is not an object")
	}
	return msg, nil
}

// entryData is the data field of a stream entry: JSON, or base64 of
// msgpack when binary holds and plaintext is not forced.
func entryData(data any, binary, plaintext bool) (string, error) {
	if binary && !plaintext {
		b, err := pack(data)
		if err != nil {
			return "", err
		}
		return base64.StdEncoding.EncodeToString(b), nil
	}
	b, err := json.Marshal(data)
	return string(b), err
}

// fromJSON decodes JSON into untyped values, integers as int64.
func fromJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return numbers(v), nil
}

func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = numbers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = numbers(x[k])
		}
	}
	return v
}

// asInt reads an integral number of any numeric type.
func asInt(v any) (int64, bool) {
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

// strings reads a list of room names; Node allows numbers as room names.
func roomList(v any) []string {
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

// flags are a broadcast's flags on the wire ({} when none).
type flags struct {
	Volatile bool  `msgpack:"volatile,omitempty" json:"volatile,omitempty"`
	Timeout  int64 `msgpack:"timeout,omitempty" json:"timeout,omitempty"`
}

// wireOpts are broadcast options on the wire.
type wireOpts struct {
	Rooms  []string `msgpack:"rooms" json:"rooms"`
	Except []string `msgpack:"except" json:"except"`
	Flags  flags    `msgpack:"flags" json:"flags"`
}

func optsOut(o namespace.BroadcastOptions, f flags) wireOpts {
	w := wireOpts{Rooms: o.Rooms, Except: o.Except, Flags: f}
	if w.Rooms == nil {
		w.Rooms = []string{}
	}
	if w.Except == nil {
		w.Except = []string{}
	}
	return w
}

// optsIn reads broadcast options from the wire; the result is Local: it
// is applied in this process.
func optsIn(v any) (namespace.BroadcastOptions, flags) {
	m, _ := v.(map[string]any)
	o := namespace.BroadcastOptions{Rooms: roomList(m["rooms"]), Except: roomList(m["except"]), Local: true}
	var f flags
	if fl, ok := m["flags"].(map[string]any); ok {
		f.Volatile, _ = fl["volatile"].(bool)
		f.Timeout, _ = asInt(fl["timeout"])
	}
	return o, f
}

// packetOut is a broadcast packet for the wire: for JSON (asJSON, and no
// binary) the event's JSON array as it is, else its values with binary as
// []byte, for msgpack.
func packetOut(p *payload.Shared, asJSON bool) (pkt map[string]any, binary bool, err error) {
	if asJSON && len(p.Attachments) == 0 {
		return map[string]any{"type": int(payload.Event), "data": json.RawMessage(p.Data)}, false, nil
	}
	vals, err := argValues(p.Data, p.Attachments)
	if err != nil {
		return nil, false, err
	}
	return map[string]any{"type": int(payload.Event), "data": vals}, true, nil
}

// argValues turns a JSON array with binary placeholders into values.
func argValues(data []byte, atts [][]byte) ([]any, error) {
	items, err := payload.SplitArgs(data)
	if err != nil {
		return nil, err
	}
	return payload.DecodeArgs(items, atts)
}

var errNotEvent = errors.New("redis streams adapter: packet is not an event")

// sharedIn makes the packet local clients receive from a packet that came
// through Redis.
func sharedIn(v any, nsp string) (*payload.Shared, error) {
	m, _ := v.(map[string]any)
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

// argsIn makes the one-argument Args of an ack that came through Redis.
func argsIn(v any, present bool) namespace.Args {
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

// jsonArg is a value as JSON (binary as base64, as encoding/json writes
// []byte), null when it is absent or does not encode.
func jsonArg(v any, present bool) json.RawMessage {
	if present {
		if b, err := json.Marshal(v); err == nil {
			return b
		}
	}
	return json.RawMessage("null")
}

// wireSocket is a socket in a fetchSockets answer.
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

// jsDateLayout is JavaScript's Date.prototype.toString in UTC.
const jsDateLayout = "Mon Jan 02 2006 15:04:05 GMT+0000 (Coordinated Universal Time)"

// socketsOut describes local sockets for another process: untyped values
// that msgpack encodes as Node's fetchSockets answer.
func socketsOut(list []namespace.RemoteSocket) any {
	out := make([]wireSocket, 0, len(list))
	for _, s := range list {
		hs := s.Handshake()
		w := wireSocket{ID: s.ID(), Handshake: wireHandshake{
			Headers: map[string]any{}, Query: map[string]any{},
			Time: hs.Time.UTC().Format(jsDateLayout), Issued: hs.Time.UnixMilli(),
			Address: hs.Address, Secure: hs.Secure, URL: hs.URL, XDomain: hs.Headers.Get("Origin") != "",
			Auth: hs.Auth,
		}}
		if !json.Valid(w.Handshake.Auth) {
			w.Handshake.Auth = json.RawMessage("{}")
		}
		for k, vs := range hs.Headers {
			if k = strings.ToLower(k); k == "set-cookie" || len(vs) != 1 {
				w.Handshake.Headers[k] = vs
			} else {
				w.Handshake.Headers[k] = vs[0]
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
		out = append(out, w)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return []any{}
	}
	v, _ := fromJSON(b)
	return v
}

// socketsIn reads another process's fetchSockets answer.
func socketsIn(v any) []namespace.SocketInfo {
	b, err := json.Marshal(v) // binary values become base64 strings
	if err != nil {
		return nil
	}
	var ws []wireSocket
	if json.Unmarshal(b, &ws) != nil {
		return nil
	}
	out := make([]namespace.SocketInfo, 0, len(ws))
	for _, w := range ws {
		hs := namespace.Handshake{
			Headers: http.Header{}, Query: url.Values{},
			Address: w.Handshake.Address, URL: w.Handshake.URL, Secure: w.Handshake.Secure,
			Time: time.UnixMilli(w.Handshake.Issued), Auth: w.Handshake.Auth,
		}
		for k, v := range w.Handshake.Headers {
			hs.Headers[http.CanonicalHeaderKey(k)] = stringsOf(v)
		}
		for k, v := range w.Handshake.Query {
			hs.Query[k] = stringsOf(v)
		}
		info := namespace.SocketInfo{ID: w.ID, Handshake: hs, Rooms: roomList(w.Rooms)}
		if len(w.Data) > 0 {
			_ = json.Unmarshal(w.Data, &info.Data)
		}
		out = append(out, info)
	}
	return out
}

func stringsOf(v any) []string {
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
