package redis

import "github.com/sockio/sockio/adapter/internal/cluster"

// The names export_test.go uses for the shared wire helpers.
type wireFlags = cluster.Flags

var (
	marshal = cluster.Marshal
	optsOf  = cluster.OptsOut
)
