//go:build !linux

package transports

// Parker holds idle websocket connections without a goroutine each, on
// Linux. Elsewhere NewParker returns nil, and connections keep their
// reader goroutines.
type Parker struct{}

// NewParker returns nil: parking needs epoll.
func NewParker() *Parker { return nil }

func (p *Parker) park(*WebSocket) bool { return false }

func (p *Parker) resume(*WebSocket) {}

// Parked reports no parked connections.
func (p *Parker) Parked() (now int, total uint64, changed <-chan struct{}) { return 0, 0, nil }

// Close does nothing.
func (p *Parker) Close() error { return nil }
