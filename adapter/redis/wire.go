package redis

import (
	"bytes"
	"encoding/json"

	"github.com/sockio/sockio/adapter/internal/cluster"
)

// The values on the wire other than the envelopes (numbers, room names,
// broadcast options, sockets) are the shared ones of package cluster.

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
		items[i] = cluster.Numbers(items[i], atts)
	}
	return items, nil
}
