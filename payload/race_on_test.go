//go:build race

package payload

// raceEnabled: the race detector drops sync.Pool items at random, so
// allocation counts are not exact.
const raceEnabled = true
