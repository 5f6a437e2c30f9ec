package redisstreams_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every goroutine of a Cluster (the stream readers blocked in XREAD
// included) ends with Close: goleak fails the package's tests otherwise,
// which a goroutine count alone would not pin to the one left behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
