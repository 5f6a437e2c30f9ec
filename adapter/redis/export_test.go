package redis

import (
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
)

// EncodeBroadcastForTest is the envelope a broadcast is published in.
func EncodeBroadcastForTest(uid, nsp string, data []byte, atts [][]byte, opts namespace.BroadcastOptions, volatile bool) ([]byte, error) {
	p := &payload.Shared{Packet: payload.Packet{Type: payload.Event, Namespace: nsp, Data: data, Attachments: atts}, Volatile: volatile}
	vals, err := values(p.Data, p.Attachments)
	if err != nil {
		return nil, err
	}
	flags := &wireFlags{Volatile: volatile}
	return marshal([]any{uid, wirePacket{Type: 2, Data: vals, Nsp: nsp}, optsOf(opts, flags)})
}

// FeedForTest hands msg to adapter a as if it came from Redis on channel.
func FeedForTest(a namespace.Adapter, channel string, msg []byte) {
	switch x := a.(type) {
	case *adapter:
		if channel == x.channel || len(channel) > len(x.channel) && channel[:len(x.channel)] == x.channel {
			x.onBroadcast(channel, msg)
		} else {
			x.onRequest(channel, msg)
		}
	case *shardAdapter:
		x.onMessage(channel, msg)
	}
}
