package redis_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every goroutine of a Cluster ends with Close.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
