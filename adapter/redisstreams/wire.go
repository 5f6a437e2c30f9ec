package redisstreams

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/sockio/sockio/adapter/internal/cluster"
	"github.com/sockio/sockio/payload"
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

// decodePubSub reads a message published on a channel: msgpack of the
// whole envelope.
func decodePubSub(b []byte) (*message, error) {
	v, err := cluster.Unmarshal(b)
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
	t, _ := cluster.AsInt(m["type"])
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
		if v, err = cluster.DecodeJSON([]byte(data)); err != nil {
			return nil, err
		}
	} else {
		b, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			return nil, err
		}
		if v, err = cluster.Unmarshal(b); err != nil {
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
		b, err := cluster.Marshal(data)
		if err != nil {
			return "", err
		}
		return base64.StdEncoding.EncodeToString(b), nil
	}
	b, err := json.Marshal(data)
	return string(b), err
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

// socketsOut is local sockets described for another process as untyped
// values that msgpack encodes as Node's fetchSockets answer.
func socketsOut(list []cluster.Socket) any {
	b, err := json.Marshal(list)
	if err != nil {
		return []any{}
	}
	v, _ := cluster.DecodeJSON(b)
	return v
}
