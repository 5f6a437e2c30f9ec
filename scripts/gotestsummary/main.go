// Command gotestsummary reads `go test -json` on stdin, prints what a plain
// `go test` would (the ok/FAIL line of each package, the output of failed
// tests, build errors), and ends with a line "N passed, N failed" that counts
// the pass and fail actions of tests and subtests. A package that fails with
// no failed test (a build error, a crash in TestMain) counts as one failure.
// It exits 1 when anything failed, so a pipeline under `set -o pipefail`
// fails on a failed test as well as on go test's own status.
//
//	go test -json ./... | go run ./scripts/gotestsummary [-counts FILE]
//
// -counts writes "passed failed skipped" to FILE for a caller that adds up
// several suites.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	countsFile := flag.String("counts", "", "write \"passed failed skipped\" to this file")
	flag.Parse()
	t, err := summarize(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gotestsummary:", err)
		os.Exit(2)
	}
	if *countsFile != "" {
		if err := os.WriteFile(*countsFile, fmt.Appendf(nil, "%d %d %d\n", t.passed, t.failed, t.skipped), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gotestsummary:", err)
			os.Exit(2)
		}
	}
	if t.failed > 0 {
		os.Exit(1)
	}
}

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string // build-output events
}

// tally is what summarize counted.
type tally struct {
	passed, failed, skipped int
}

// summarize copies the readable part of the go test -json stream r to w and
// ends it with the counts line.
func summarize(r io.Reader, w io.Writer) (tally, error) {
	var t tally
	out := bufio.NewWriter(w)
	// Output of running top-level tests (subtests included), printed only
	// if the test fails, as go test does without -v.
	held := map[string][]string{}
	failedTests := map[string]bool{} // packages with a failed test
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Fprintf(out, "%s\n", line) // not an event: pass it on
			continue
		}
		top, _, _ := strings.Cut(e.Test, "/")
		key := e.Package + " " + top
		switch {
		case e.Action == "build-output":
			out.WriteString(e.Output)
		case e.Test == "" && e.Action == "output":
			if strings.HasPrefix(e.Output, "FAIL") {
				flushHeld(out, held, e.Package)
			}
			if e.Output != "PASS\n" {
				out.WriteString(e.Output)
			}
		case e.Test == "" && e.Action == "fail":
			flushHeld(out, held, e.Package)
			if !failedTests[e.Package] {
				t.failed++
			}
		case e.Test == "":
		case e.Action == "output":
			held[key] = append(held[key], e.Output)
		case e.Action == "pass":
			t.passed++
			if e.Test == top {
				delete(held, key)
			}
		case e.Action == "skip":
			t.skipped++
			if e.Test == top {
				delete(held, key)
			}
		case e.Action == "fail":
			t.failed++
			failedTests[e.Package] = true
			if e.Test == top {
				writeHeld(out, held[key])
				delete(held, key)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return t, err
	}
	if t.skipped > 0 {
		fmt.Fprintf(out, "%d passed, %d failed, %d skipped\n", t.passed, t.failed, t.skipped)
	} else {
		fmt.Fprintf(out, "%d passed, %d failed\n", t.passed, t.failed)
	}
	return t, out.Flush()
}

// flushHeld prints the output of the tests of pkg that never ended (the test
// binary crashed or timed out): it explains the package's failure.
func flushHeld(w *bufio.Writer, held map[string][]string, pkg string) {
	for k, lines := range held {
		if strings.HasPrefix(k, pkg+" ") {
			writeHeld(w, lines)
			delete(held, k)
		}
	}
}

// writeHeld prints a failed test's output without the run markers.
func writeHeld(w *bufio.Writer, lines []string) {
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimLeft(l, " "), "=== ") {
			continue
		}
		w.WriteString(l)
	}
}
