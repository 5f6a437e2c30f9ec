package payload

import "strings"

// Generation is a set of socket.io client generations. Each is named after
// the protocol that tells it apart on the wire, the name it has throughout
// sockio (this package's codecs, the server's dialects and options, a
// namespace's Handshake): V1 for Socket.IO protocol 1 (the /1/ path), EIO3
// and EIO4 for the EIO query parameter.
type Generation uint8

// The client generations.
const (
	V1   Generation = 1 << iota // socket.io-client 0.9.x: Socket.IO protocol 1
	EIO3                        // socket.io-client 1.x–2.x: Engine.IO 3 + Socket.IO 4
	EIO4                        // socket.io-client 3.x–4.x: Engine.IO 4 + Socket.IO 5

	AllGenerations = V1 | EIO3 | EIO4
)

// generations pairs each generation with its Socket.IO protocol revision
// and the client versions it serves.
var generations = []struct {
	g        Generation
	protocol int
	name     string
}{{V1, 1, "0.9"}, {EIO3, 4, "2.x"}, {EIO4, 5, "4.x"}}

// String names the generations in g ("0.9", "2.x", "4.x"), joined by "+".
func (g Generation) String() string {
	var names []string
	for _, n := range generations {
		if g&n.g != 0 {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, "+")
}

// GenerationOf returns the generation that speaks Socket.IO protocol
// revision protocol (1, 4 or 5), or 0 for any other revision.
func GenerationOf(protocol int) Generation {
	for _, n := range generations {
		if n.protocol == protocol {
			return n.g
		}
	}
	return 0
}
