package redisstreams

// StreamKeyForTest is the stream of namespace nsp with count streams.
func StreamKeyForTest(nsp string, count int) string {
	o := Options{StreamCount: count}
	o.defaults()
	return streamKey(nsp, &o)
}
