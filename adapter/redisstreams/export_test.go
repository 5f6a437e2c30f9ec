package redisstreams

// StreamKeyForTest is the stream of namespace nsp with count streams.
func StreamKeyForTest(nsp string, count int) string {
	o := Options{StreamCount: count}
	o.defaults()
	return streamKey(nsp, &o)
}

// AppendForTest appends values to stream key through the stream's writer
// and runs then on the writer's goroutine once the entry is appended.
func (c *Cluster) AppendForTest(key string, values []any, then func(id string, err error)) {
	c.appendOrdered(key, values, then)
}

// StoppedForTest is closed when Close has begun.
func (c *Cluster) StoppedForTest() <-chan struct{} { return c.stop }
