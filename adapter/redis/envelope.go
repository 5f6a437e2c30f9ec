package redis

import (
	"encoding/json"
	"errors"

	"github.com/sockio/sockio/adapter/internal/cluster"
)

// The envelopes of the messages other than broadcasts: a classic
// request or reply, and every sharded message.

// request is a message on the request or response channel, JSON or
// msgpack.
type request struct {
	UID       string           `json:"uid"`
	RequestID string           `json:"requestId"`
	Type      *int             `json:"type"`
	Opts      map[string]any   `json:"opts"`
	Rooms     []any            `json:"rooms"`
	Close     bool             `json:"close"`
	Data      json.RawMessage  `json:"data"`
	Sockets   []cluster.Socket `json:"sockets"`
	Count     int              `json:"clientCount"`
	Sid       string           `json:"sid"`
	Room      any              `json:"room"`
	Packet    any              `json:"-"` // msgpack only
	HasData   bool             `json:"-"`
}

func decodeRequest(msg []byte) (*request, error) {
	r := &request{}
	if len(msg) > 0 && msg[0] == '{' {
		if err := json.Unmarshal(msg, r); err != nil {
			return nil, err
		}
		r.HasData = r.Data != nil
		return r, nil
	}
	v, err := cluster.Unmarshal(msg)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("redis adapter: request is not a map")
	}
	r.UID, _ = m["uid"].(string)
	r.RequestID, _ = m["requestId"].(string)
	if t, ok := cluster.AsInt(m["type"]); ok {
		ti := int(t)
		r.Type = &ti
	}
	r.Opts, _ = m["opts"].(map[string]any)
	r.Rooms, _ = m["rooms"].([]any)
	r.Close, _ = m["close"].(bool)
	if n, ok := cluster.AsInt(m["clientCount"]); ok {
		r.Count = int(n)
	}
	r.Packet, r.HasData = m["packet"]
	if d, ok := m["data"]; ok {
		if raw, err := json.Marshal(d); err == nil {
			r.Data, r.HasData = raw, true
		}
	}
	return r, nil
}

// shardMsg is the envelope of every sharded message.
type shardMsg struct {
	Type int    `json:"type" msgpack:"type"`
	Data any    `json:"data,omitempty" msgpack:"data,omitempty"`
	UID  string `json:"uid" msgpack:"uid"`
	Nsp  string `json:"nsp" msgpack:"nsp"`
}

// decodeAny reads a message, JSON when it starts with '{', else msgpack,
// into untyped values (integers as int64).
func decodeAny(b []byte) (map[string]any, error) {
	decode := cluster.Unmarshal
	if len(b) > 0 && b[0] == '{' {
		decode = cluster.DecodeJSON
	}
	v, err := decode(b)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("redis adapter: message is not a map")
	}
	return m, nil
}
