// Package goroutines counts the running goroutines by what their stacks
// hold, for tests that check that a kind of goroutine has come or gone.
package goroutines

import (
	"runtime"
	"strings"
)

// Count reports how many frames of the goroutines' stacks contain call,
// such as "transports.(*Parker).run(": the number of goroutines in that
// function, for one that does not call itself.
func Count(call string) int {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), call)
		}
		buf = make([]byte, 2*len(buf))
	}
}
