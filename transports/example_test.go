package transports_test

import (
	"fmt"

	"github.com/sockio/sockio/payload"
	"github.com/sockio/sockio/transports"
)

// A session's queue: producers push encoded frames, the active transport
// takes everything waiting at once; the byte count is the buffered amount.
func ExampleQueue() {
	q := transports.NewQueue(8, 0)
	q.Attach(func() { fmt.Println("writer woken") })

	_, _ = q.Push(false, payload.Frame{Type: payload.FrameMessage, Data: []byte(`2["tick",1]`)})
	_, _ = q.Push(false, payload.Frame{Type: payload.FrameMessage, Data: []byte(`2["tick",2]`)})
	sent, _ := q.Push(true, payload.Frame{Type: payload.FrameMessage, Data: []byte(`2["cursor",9]`)})
	fmt.Println("volatile sent:", sent, "buffered:", q.Bytes())

	frames := q.Take(nil)
	fmt.Println(string(payload.AppendEIO4Payload(nil, frames)) == "42[\"tick\",1]\x1e42[\"tick\",2]", q.Bytes())
	// Output:
	// writer woken
	// writer woken
	// volatile sent: false buffered: 24
	// true 0
}
